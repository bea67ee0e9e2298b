"""Following a comparison live: `CompareProgress` folds the job's events into what the page
draws while it runs (who waits, runs or is done, smoothed loss curves, the epochs so far).

    progress = CompareProgress.from_events(job.events())
    progress.update(job.events(progress.seen))   # on each rerun, only the new events
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.baselines import BASELINE_NAMES
from core.compare.table import Entry, _number
from core.events import Batch, Epoch, Event, ModelStart, Plan, Row, Stage


@dataclass
class CompareProgress:
    """What the page draws while a comparison runs, gathered from the job's events."""

    models: list[str] = field(default_factory=list)
    archs: dict[str, str] = field(default_factory=dict)
    rows: list[Entry] = field(default_factory=list)
    curves: dict[str, dict[str, Any]] = field(default_factory=dict)
    epochs: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    current: str | None = None
    stage: str = ""
    seen: int = 0  # events consumed so far

    # Exponential smoothing of the per-batch loss: single batches are too noisy to read.
    SMOOTHING = 0.1

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> CompareProgress:
        progress = cls()
        progress.update(events)
        return progress

    def update(self, events: Iterable[Event]) -> CompareProgress:
        """Fold in new events (pass `job.events(self.seen)`)."""
        for event in events:
            self.seen += 1
            model = event.model
            if isinstance(event, Plan):
                self.models = [BASELINE_NAMES.get(b, b) for b in event.baselines]
                self.models += list(event.models)
                self.archs.update(zip(event.models, event.archs, strict=False))
            elif isinstance(event, ModelStart):
                self.current, self.stage = model, ""
                self.archs.setdefault(model, event.arch)
            elif isinstance(event, Stage):
                self.stage = event.message
            elif isinstance(event, Batch) and model:
                self._add_batch(model, event)
            elif isinstance(event, Epoch) and model:
                epochs = self.epochs.setdefault(model, {})
                for name in ("loss", "accuracy", "val_loss", "val_accuracy", "epoch_s"):
                    epochs.setdefault(name, []).append(getattr(event, name))
            elif isinstance(event, Row):
                entry = Entry(**event.entry)
                self.rows = [r for r in self.rows if r.label != entry.label] + [entry]
        return self

    def _add_batch(self, model: str, event: Batch) -> None:
        curve = self.curves.setdefault(model, {"arch": self.archs.get(model, ""), "x": [],
                                               "loss": []})
        loss = _number(event.batch_loss)
        if loss is None:
            return
        if curve["loss"]:
            loss = self.SMOOTHING * loss + (1 - self.SMOOTHING) * curve["loss"][-1]
        curve["x"].append(event.epoch + (event.step + 1) / max(1, event.steps))
        curve["loss"].append(loss)

    def status(self, model: str) -> str:
        """"waiting", "running", or the finished row's status."""
        row = next((r for r in self.rows if r.label == model), None)
        if row is not None:
            return row.status
        return "running" if model == self.current else "waiting"

    def live_entries(self) -> list[Entry]:
        """Finished rows, plus the running model with its epochs so far (for the curves)."""
        entries = list(self.rows)
        if self.current and all(r.label != self.current for r in self.rows):
            entries.append(Entry(label=self.current, arch=self.archs.get(self.current, ""),
                                 status="running", history=self.epochs.get(self.current, {})))
        return entries
