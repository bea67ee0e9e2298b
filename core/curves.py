"""A run's learning curves in one shape, live or saved.

A training job's events (`core.events`) fold into a `LiveView` while it runs; a saved run's
history.json reads back as `SavedCurves`, with the same columns, so one chart draws both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.events import Batch, Config, Epoch, Event, Glove, Resume, Saved, Stage

BATCH_SERIES = ("epoch", "step", "loss", "accuracy", "batch_loss", "batch_accuracy")
EPOCH_SERIES = ("loss", "accuracy", "val_loss", "val_accuracy")


def batch_series(batches: list[Batch]) -> dict[str, list[float]]:
    """Batch events as the columns a run's history.json keeps and the curves chart reads."""
    return {key: [getattr(event, key) for event in batches] for key in BATCH_SERIES}


@dataclass
class LiveView:
    """A job's events folded into what the live panel draws."""

    batches: dict[str, list[float]]
    epochs: list[dict[str, Any]]  # every epoch event, cut-short ones with complete=False
    steps_per_epoch: int
    last_batch: Batch | None
    stage: str
    glove: Glove | None
    run_id: str | None
    config: dict[str, Any]
    test_accuracy: float | None

    @property
    def complete_epochs(self) -> list[dict[str, Any]]:
        return [row for row in self.epochs if row.get("complete", True)]


def live_view(events: list[Event]) -> LiveView:
    batches: list[Batch] = []
    epochs: list[Epoch] = []
    stage, glove, saved, config = "", None, None, {}
    for event in events:
        if isinstance(event, Batch):
            batches.append(event)
        elif isinstance(event, Epoch):
            epochs.append(event)
        elif isinstance(event, Config):
            config = event.settings
        elif isinstance(event, Stage):
            stage = event.message
        elif isinstance(event, Glove):
            glove = event
        elif isinstance(event, Saved):
            saved = event
        elif isinstance(event, Resume):  # the interrupted epoch starts again: drop its try
            batches = [b for b in batches if b.epoch < event.epoch]
            epochs = [e for e in epochs if e.epoch < event.epoch]
    last = batches[-1] if batches else None
    return LiveView(batch_series(batches), [e.row() for e in epochs],
                    last.steps if last else 1, last, stage, glove,
                    saved.run_id if saved else None, config,
                    saved.test_accuracy if saved else None)


# Saved files are read back defensively: a run folder can be edited or damaged on disk,
# and the results panel must show what is usable instead of crashing on the rest.

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(value: Any) -> list[float] | None:
    """`value` if it is a list of numbers (None allowed, e.g. a missing validation loss)."""
    if isinstance(value, list) and all(v is None or _is_number(v) for v in value):
        return value
    return None


@dataclass
class SavedCurves:
    """A saved run's learning curves, in the shapes `live_view` gives for a running job."""

    batches: dict[str, list[float]]
    epochs: list[dict[str, Any]]
    steps_per_epoch: int

    @property
    def epoch_times(self) -> tuple[list[float], list[bool]]:
        """Seconds per epoch, and whether each epoch ran to its end."""
        rows = [row for row in self.epochs if _is_number(row["epoch_s"])]
        return [row["epoch_s"] for row in rows], [row["complete"] for row in rows]


def saved_curves(history: Any) -> SavedCurves | None:
    """The curves in a run's history.json; None when it holds no usable per-batch curve."""
    if not isinstance(history, dict) or not isinstance(history.get("batches"), dict):
        return None
    series = {key: _numbers(history["batches"].get(key)) for key in BATCH_SERIES}
    if any(values is None for values in series.values()):
        return None
    lengths = {len(values) for values in series.values()}
    if len(lengths) != 1 or 0 in lengths:
        return None
    if any(v is None for values in series.values() for v in values):
        return None
    steps = history.get("steps_per_epoch")
    return SavedCurves(series, history_epochs(history),
                       steps if _is_number(steps) and steps >= 1 else 1)


def history_epochs(history: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-epoch rows (as the live "epoch" events) from a saved run's history.

    Runs saved before epochs were marked complete count as complete; lists of unequal
    length are cut to the shortest.
    """
    columns = {key: _numbers(history.get(key)) for key in EPOCH_SERIES}
    if any(values is None for values in columns.values()):
        return []
    count = min(len(values) for values in columns.values())
    epoch_s = _numbers(history.get("epoch_s")) or []
    complete = history.get("complete")
    if not (isinstance(complete, list) and all(isinstance(c, bool) for c in complete)):
        complete = []
    return [
        {"epoch": i, **{key: columns[key][i] for key in EPOCH_SERIES},
         "epoch_s": epoch_s[i] if i < len(epoch_s) else None,
         "complete": complete[i] if i < len(complete) else True}
        for i in range(count)
    ]
