"""What a job tells its page while it runs: one small dataclass per kind of event.

Work publishes events (`job.publish(Batch(...))`); the job's folder keeps them one JSON
object a line, `{"kind": "batch", "t": ..., ...fields}`; a page reads them back as the same
dataclasses (`Job.read_events`), so every reader sees named fields, never loose dicts.

    Config    the run's settings, first
    Stage     preparing, training, evaluating, saving, saved: what the job does now
    Glove     how much of the vocabulary pretrained vectors covered
    Batch     one training batch (or one every few), with running and per-batch figures
    Epoch     one epoch, with its validation figures; `complete` False when cut short
    Resume    a resumed job starts again at this epoch (drop what came after)
    Saved     the run is in the store
    Result    one finished experiment of Inside the cell
    Plan      what a comparison will train and reuse
    ModelStart / Row / Note   a comparison's model starts, its table row, a warning

A comparison tags the events of each model's training with `model` (its label), so one
job's event list holds one curve per model.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

EVENT_TYPES: dict[str, type[Event]] = {}
E = TypeVar("E", bound="Event")


def event_kind(kind: str):
    """Register a dataclass as the event of this kind (for reading it back)."""

    def register(cls: type[E]) -> type[E]:
        cls.KIND = kind
        EVENT_TYPES[kind] = cls
        return cls

    return register


@dataclass(frozen=True, kw_only=True)
class Event:
    KIND: ClassVar[str] = "event"
    t: float = field(default_factory=time.time)
    model: str | None = None  # in a comparison: which model's training it belongs to

    def to_json(self) -> dict[str, Any]:
        values = {"kind": self.KIND, **dataclasses.asdict(self)}
        if values["model"] is None:
            del values["model"]
        return values

    def tagged(self: E, model: str) -> E:
        return dataclasses.replace(self, model=model)


def from_json(value: Any) -> Event | None:
    """The event a JSON object holds; None for an unknown kind or a damaged line."""
    if not isinstance(value, dict):
        return None
    cls = EVENT_TYPES.get(str(value.get("kind")))
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in value.items() if k in names})
    except TypeError:  # a required field is missing
        return None


@event_kind("config")
@dataclass(frozen=True, kw_only=True)
class Config(Event):
    settings: dict[str, Any]


@event_kind("stage")
@dataclass(frozen=True, kw_only=True)
class Stage(Event):
    stage: str
    message: str


@event_kind("glove")
@dataclass(frozen=True, kw_only=True)
class Glove(Event):
    coverage: float
    found: int
    words: int
    dim: int
    missing: list[str]


@event_kind("batch")
@dataclass(frozen=True, kw_only=True)
class Batch(Event):
    """`loss`/`accuracy` are Keras's running means over the epoch so far; `batch_loss`
    and `batch_accuracy` are recovered for this batch alone. `extra` holds figures of one
    kind of model (a language model's held-out perplexity, ...)."""

    epoch: int  # 0-based
    step: int  # 0-based, within the epoch
    steps: int  # batches per epoch
    seen: int  # training examples seen this epoch
    loss: float
    accuracy: float | None = None
    batch_loss: float | None = None
    batch_accuracy: float | None = None
    samples_per_s: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def global_step(self) -> int:
        """Batches trained over the whole run, this one included (1-based)."""
        return self.epoch * self.steps + self.step + 1


@event_kind("epoch")
@dataclass(frozen=True, kw_only=True)
class Epoch(Event):
    epoch: int  # 0-based
    loss: float | None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    epoch_s: float | None = None
    complete: bool = True  # False: cut short by a stop, not an end-of-epoch point
    step: int = 0  # batches trained over the whole run when it ended
    extra: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The figures as a plain row (for saved histories and tables)."""
        return {"epoch": self.epoch, "loss": self.loss, "accuracy": self.accuracy,
                "val_loss": self.val_loss, "val_accuracy": self.val_accuracy,
                "epoch_s": self.epoch_s, "complete": self.complete}


@event_kind("resume")
@dataclass(frozen=True, kw_only=True)
class Resume(Event):
    epoch: int  # the first epoch trained again; events of later epochs are stale


@event_kind("saved")
@dataclass(frozen=True, kw_only=True)
class Saved(Event):
    run_id: str
    test_accuracy: float | None = None


@event_kind("result")
@dataclass(frozen=True, kw_only=True)
class Result(Event):
    """One finished experiment (Inside the cell); `values` as its chart reads them."""

    values: dict[str, Any]


@event_kind("plan")
@dataclass(frozen=True, kw_only=True)
class Plan(Event):
    models: list[str]
    archs: list[str]
    baselines: list[str]
    preview: list[Any] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


@event_kind("model_start")
@dataclass(frozen=True, kw_only=True)
class ModelStart(Event):
    arch: str


@event_kind("row")
@dataclass(frozen=True, kw_only=True)
class Row(Event):
    entry: dict[str, Any]


@event_kind("note")
@dataclass(frozen=True, kw_only=True)
class Note(Event):
    """Something the user should know that did not stop the job (a warning)."""

    message: str
