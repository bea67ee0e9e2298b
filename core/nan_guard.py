"""The one NaN guard of every training loop: stop at the first non-finite loss and explain it.

A recurrent network's gradient is multiplied by the recurrent weights once per time step.
When those products grow, one update throws the weights to huge values, the next forward
pass overflows, and every number after it is NaN: nothing more can be learned, so `fit`
should stop there and the user should hear why and what to change.

Mix `NanGuardMixin` into a `keras.callbacks.Callback` and call `guard` from
`on_train_batch_end`:

    class LiveProgress(NanGuardMixin, keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.guard(logs, self.epoch, batch):
                return
            ...

    model.fit(..., callbacks=[callback])
    if callback.blow_up:
        raise JobFailed(callback.blow_up.message("Nothing was saved."))

Plain Python (no Keras import), so `core` modules can import it at no cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


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


class NanGuardMixin:
    """For a `keras.callbacks.Callback`: `guard` stops `fit` at the first non-finite loss.

    After `fit`, `blow_up` says where it happened (None when training stayed finite).
    """

    blow_up: BlowUp | None = None
    guarded_steps: int = 0

    def guard(self, logs: dict | None, epoch: int, batch: int) -> bool:
        """Count this batch; True, with training told to stop, once the loss is not finite."""
        self.guarded_steps += 1
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return False
        model = self.model  # type: ignore[attr-defined]  # set by Keras on the callback
        if self.blow_up is None:
            self.blow_up = BlowUp(epoch, batch, self.guarded_steps, float(loss),
                                  *optimizer_settings(model))
        model.stop_training = True
        return True
