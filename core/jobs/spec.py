"""A job as data: its kinds, its states, the settings of the engine, and the errors and
messages that reach the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

QUEUED, RUNNING, DONE, STOPPED, FAILED, CANCELLED, INTERRUPTED = (
    "queued", "running", "done", "stopped", "failed", "cancelled", "interrupted",
)
FINISHED = (DONE, STOPPED, FAILED, CANCELLED, INTERRUPTED)
ADDRESS_VAR = "RNNLAB_RAY_ADDRESS"
PER_OWNER_VAR = "RNNLAB_JOBS_PER_USER"
DEFAULT_PER_OWNER = 2
# A job whose keeper (worker or app) has not touched `alive` for this long is gone.
ALIVE_EVERY_S = 2.0
STALE_AFTER_S = 20.0
PROGRESS_EVERY_S = 0.5
KEEP_FINISHED_S = 7 * 24 * 3600.0
BACKUP_DIR = "backup"  # where a training job backs up each finished epoch (to resume)
INTERRUPTED_MESSAGE = (
    "Interrupted: the app or the worker running this job stopped before it finished "
    "(a restart, or the machine ran out of memory). Runs it had saved are kept."
)
WORKER_DIED_MESSAGE = (
    "The worker process running this job died (it was killed, or ran out of memory). "
    "Nothing half-written was kept; try again, with a smaller model or fewer reviews."
)


class JobFailed(RuntimeError):
    """Raised by work to end its job as failed with a message meant for the user."""


class JobRejected(ValueError):
    """A submission the engine refuses (e.g. too many jobs for one person); for the user."""


@dataclass(frozen=True)
class JobKind:
    """What runs a kind of job: `runner` is "module:function", called in the worker as
    `function(job, config, **inputs)`; `cpus` is what it declares to Ray ("all" is every
    CPU of one node, so a training has a machine's cores to itself)."""

    runner: str
    cpus: float | str = "all"
    label: str = "job"


KINDS: dict[str, JobKind] = {
    "train": JobKind("core.training:train_job", label="training"),
    "score": JobKind("core.scoring:score_job", cpus=1, label="scoring"),
    "compare": JobKind("core.compare.run:compare_job", label="comparison"),
    "language_model": JobKind("core.language_model.training:lm_job", label="training"),
    "cell": JobKind("core.gradients.experiments:cell_job", cpus=1, label="experiment"),
    "download": JobKind("core.data:download_job", cpus=0, label="download"),
}


def register_kind(name: str, kind: JobKind) -> None:
    """Add a kind of job (its runner must be importable in the Ray workers)."""
    KINDS[name] = kind


@dataclass(frozen=True)
class JobSpec:
    """A job as data: what to run (kind), with what settings (config), for whom: `owner`
    is the browser session (only it sees and stops the job), `user` the name a person gave
    (several tabs or devices of one person share that name's limit)."""

    kind: str
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    user: str | None = None
