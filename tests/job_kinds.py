"""Job kinds for the tests: small runners the Ray workers import from here."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.events import Event, event_kind
from core.jobs import JobContext, JobFailed, JobKind, register_kind


@event_kind("started")
@dataclass(frozen=True, kw_only=True)
class Started(Event):
    pid: int


@event_kind("tick")
@dataclass(frozen=True, kw_only=True)
class Tick(Event):
    n: int


def hold(job: JobContext, config: dict[str, Any]) -> dict[str, Any]:
    """Publish a "tick" every 20 ms until the file `config["release"]` exists or a stop."""
    release = Path(config["release"])
    ticks = 0
    job.publish(Started(pid=os.getpid()))
    while not release.exists():
        if job.stop_requested:
            break
        ticks += 1
        job.publish(Tick(n=ticks))
        job.set_progress(min(0.99, ticks / 1000), None, f"tick {ticks}")
        time.sleep(0.02)
        if ticks > 30_000:  # ten minutes: a test that forgot to release it
            raise JobFailed("Never released.")
    return {"ticks": ticks, "pid": os.getpid(), "value": config.get("value")}


def fail(job: JobContext, config: dict[str, Any]) -> None:
    if config.get("plain"):
        raise JobFailed("A message for the user.")
    return {}["missing"]  # an unexpected error, with a traceback


def register(cpus: float | str = "all") -> None:
    register_kind("hold", JobKind("tests.job_kinds:hold", cpus=cpus))
    register_kind("hold_light", JobKind("tests.job_kinds:hold", cpus=0))
    register_kind("fail", JobKind("tests.job_kinds:fail", cpus=0))


@contextmanager
def holding(folder: Path, name: str = "something else first") -> Iterator[Any]:
    """A job that takes a whole worker (every CPU of the node) until the block ends."""
    from core.jobs import RUNNING, JobSpec, engine

    register()
    release = folder / f"release-{time.monotonic_ns()}"
    job = engine().submit(JobSpec("hold", name, {"release": str(release)}))
    deadline = time.monotonic() + 120
    while job.state != RUNNING:
        assert time.monotonic() < deadline and not job.finished, job.error
        time.sleep(0.02)
    try:
        yield job
    finally:
        release.touch()
        assert job.wait(60)
