"""The one Keras callback of every training loop in RNN Lab, and what it says when a loss
blows up.

`LiveTraining` does, batch by batch, what a live job needs:
- publishes `Batch` and `Epoch` events (`core.events`) for the page's curves, with a
  model's own figures added by `probe` (every `probe_every` batches) and `validate`
  (each epoch);
- reports progress and an ETA, within the share `span` of the job's bar starting at
  `start`;
- honours Stop at the next batch (`stopped` says whether it did);
- stops at the first NaN or infinite loss (`blow_up` says where, and `BlowUp.message`
  why, and what to change).

    callback = live_training(job, steps=steps, epochs=3, batch_size=64, samples=len(x))
    model.fit(x, y, epochs=3, batch_size=64, callbacks=[callback])
    if callback.blow_up:
        raise JobFailed(callback.blow_up.message("Nothing was saved."))

A recurrent network's gradient is multiplied by the recurrent weights once per time step.
When those products grow, one update throws the weights to huge values, the next forward
pass overflows, and every number after it is NaN: nothing more can be learned, so `fit`
should stop there and the user should hear why and what to change.

It only reads the logs Keras already computed, so it adds no extra device sync. The class
is made inside a function so that importing this module does not import Keras.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.events import Batch, Epoch


@dataclass(frozen=True)
class BlowUp:
    """Where the loss stopped being a finite number, and the optimizer settings then."""

    epoch: int  # 0-based
    batch: int  # 0-based, within the epoch
    step: int  # 1-based, batches trained over the whole run including this one
    loss: float
    learning_rate: float | None = None
    clipnorm: float | None = None

    def message(self, outcome: str = "Training was stopped there.") -> str:
        """The explanation shown to the user; `outcome` says what happened to the run."""
        value = "NaN" if math.isnan(self.loss) else "infinite"
        if self.learning_rate:
            lower = (f"lower the learning rate (it is {self.learning_rate:.3g}; try "
                     f"{self.learning_rate / 10:.3g})")
        else:
            lower = "lower the learning rate"
        if self.clipnorm:
            clip = (f"tighten the gradient clipping (clipnorm is {self.clipnorm:g}; try "
                    f"{self.clipnorm / 2:g})")
        else:
            clip = "clip the gradient norm (clipnorm, e.g. 1.0) so that every update stays bounded"
        return (
            f"The loss became {value} at epoch {self.epoch + 1}, batch {self.batch + 1} "
            f"(training step {self.step}): the gradients exploded, the classic "
            "exploding-gradient problem of recurrent networks. Backpropagation through time "
            "multiplies the gradient by the recurrent weights once per time step; it "
            "grew so large that one update threw the weights to huge values, the next "
            f"forward pass overflowed, and from then on every number is NaN. {outcome} "
            f"To avoid it, {lower} or {clip}."
        )


def optimizer_settings(model: Any) -> tuple[float | None, float | None]:
    """The learning rate in use (a schedule's current value) and the clipnorm, if known."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None, None
    try:
        learning_rate = float(optimizer.learning_rate)
    except (AttributeError, TypeError, ValueError):
        learning_rate = None
    clipnorm = getattr(optimizer, "clipnorm", None) or getattr(optimizer, "global_clipnorm", None)
    return learning_rate, float(clipnorm) if clipnorm else None



def blended_eta(elapsed_s: float, overall: float, expected_s: float | None) -> float | None:
    """Seconds left of a job `overall` (0-1) done after `elapsed_s`. Extrapolating the pace
    alone misleads early on, when the fixed costs already paid (building a model, loading
    data) weigh on a sliver of progress; with an estimate made before the start
    (`expected_s`), the two are blended, the extrapolation counting as much as the share
    done."""
    if not overall:
        return None if expected_s is None else max(0.0, expected_s - elapsed_s)
    extrapolated = elapsed_s / overall * (1 - overall)
    if expected_s is None:
        return extrapolated
    return (1 - overall) * max(0.0, expected_s - elapsed_s) + overall * extrapolated


def live_training(job: Any, *, steps: int, epochs: int, batch_size: int,
                  samples: int | None = None, every: int = 1, start: float = 0.0,
                  span: float = 1.0, label: str = "", started: float | None = None,
                  expected_s: float | None = None,
                  probe: Callable[[], dict[str, float]] | None = None, probe_every: int = 0,
                  validate: Callable[[], dict[str, float]] | None = None,
                  record: Sequence[str] = ()) -> Any:
    """The callback for one `fit` (see the module's docstring).

    `every`: publish every n-th batch (and each epoch's last; 0: no batch events).
    `samples`: training examples per epoch (default `steps * batch_size`).
    `label`: put before the progress message ("LSTM at L=50: ").
    `started`: `time.perf_counter()` when the whole job began, for a job of several
    fits: its ETA then extrapolates the whole bar, not this fit alone; blended with
    `expected_s`, the whole job's estimate from before it started, when there is one.
    `record`: log keys kept for every batch, NaN batch included, in `recorded`.
    """
    import keras

    class LiveTraining(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.job, self.steps, self.epochs = job, steps, epochs
            self.samples = samples or steps * batch_size
            self.total_steps = steps * epochs
            self.batch_events: list[Batch] = []
            self.epoch_events: list[Epoch] = []
            self.recorded: dict[str, list[float]] = {key: [] for key in record}
            self.blow_up: BlowUp | None = None
            self.stopped = False
            self.done_steps = 0  # batches trained with a finite loss, over all epochs
            self.start_steps = 0
            self.train_s = 0.0

        def restore(self, events: Sequence[Any], epoch: int) -> None:
            """Carry the events of the `epoch` epochs a resumed job has already done."""
            self.batch_events = [e for e in events if isinstance(e, Batch) and e.epoch < epoch]
            self.epoch_events = [e for e in events if isinstance(e, Epoch) and e.epoch < epoch]
            self.done_steps = epoch * self.steps

        @property
        def epoch_times(self) -> list[float]:
            return [e.epoch_s for e in self.epoch_events if e.complete and e.epoch_s is not None]

        @property
        def samples_per_s(self) -> float:
            return (self.done_steps - self.start_steps) * batch_size / max(self.train_s, 1e-9)

        def on_train_begin(self, logs=None) -> None:
            self.fit_start = time.perf_counter()
            self.start_steps = self.done_steps

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self.epoch, self.epoch_start = epoch, time.perf_counter()
            self.seen, self.epoch_steps = 0, 0
            self.prev_loss = self.prev_acc = 0.0

        def on_train_batch_begin(self, batch, logs=None) -> None:
            self.batch_start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None) -> None:
            now = time.perf_counter()
            self.train_s += now - self.batch_start
            logs = logs or {}
            for key in self.recorded:
                self.recorded[key].append(float(logs.get(key, math.nan)))
            loss = float(logs.get("loss", math.nan))
            if not math.isfinite(loss):
                if self.blow_up is None:
                    self.blow_up = BlowUp(self.epoch, batch, self.done_steps + 1, loss,
                                          *optimizer_settings(self.model))
                self.model.stop_training = True
                return
            self.done_steps += 1
            self.epoch_steps = batch + 1
            size = max(1, min(batch_size, self.samples - self.seen))
            before, self.seen = self.seen, self.seen + size
            accuracy = logs.get("accuracy")
            # Keras reports running means weighted by examples; undo the mean for this batch.
            batch_loss = (loss * self.seen - self.prev_loss * before) / size
            batch_accuracy = None
            if accuracy is not None:
                accuracy = float(accuracy)
                batch_accuracy = (accuracy * self.seen - self.prev_acc * before) / size
                self.prev_acc = accuracy
            self.prev_loss = loss
            last = batch + 1 == self.steps
            probe_due = probe is not None and probe_every and (
                self.done_steps % probe_every == 0 or self.done_steps == 1 or last)
            if (every and (batch % every == 0 or last)) or probe_due:
                event = Batch(epoch=self.epoch, step=batch, steps=self.steps, seen=self.seen,
                              loss=loss, accuracy=accuracy, batch_loss=batch_loss,
                              batch_accuracy=batch_accuracy, samples_per_s=self.samples_per_s,
                              extra=probe() if probe_due else {})
                self.batch_events.append(event)
                if self.job is not None:
                    self.job.publish(event)
            if self.job is not None:
                overall = start + span * self.done_steps / self.total_steps
                if started is not None:
                    eta = blended_eta(now - started, overall, expected_s)
                else:
                    done = (self.done_steps - self.start_steps) / max(
                        1, self.total_steps - self.start_steps)
                    eta = (now - self.fit_start) / done * (1 - done) if done else None
                self.job.set_progress(
                    overall, eta,
                    f"{label}epoch {self.epoch + 1}/{self.epochs}, "
                    f"batch {batch + 1}/{self.steps}" if label else
                    f"Epoch {self.epoch + 1}/{self.epochs}, batch {batch + 1}/{self.steps}")
                # After the very last batch there is nothing left to stop: the run is
                # complete, and reading the flag would mark the job as stopped.
                if self.done_steps < self.total_steps and self.job.stop_requested:
                    self.stopped = True
                    self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None) -> None:
            if self.blow_up is not None:
                return  # its figures are NaN; the job fails with the explanation instead
            logs = logs or {}

            def figure(key: str) -> float | None:
                return float(logs[key]) if key in logs else None

            event = Epoch(epoch=epoch, loss=figure("loss"), accuracy=figure("accuracy"),
                          val_loss=figure("val_loss"), val_accuracy=figure("val_accuracy"),
                          epoch_s=time.perf_counter() - self.epoch_start,
                          complete=self.epoch_steps == self.steps, step=self.done_steps,
                          extra=validate() if validate is not None else {})
            self.epoch_events.append(event)
            if self.job is not None:
                self.job.publish(event)

    return LiveTraining()
