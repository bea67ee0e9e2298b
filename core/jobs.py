"""Background jobs: long work (training, experiments) runs off the page, one job at a time.

A page submits a function, keeps only the job id in its session state, and polls the job
for its events. The queue lives in the server process, so navigating away or closing the
tab does not stop a job, and every browser session's jobs share one worker: two CPU cores
train one model well, not two at once.

    job = job_queue().submit("LSTM on IMDB", work)    # work(job) -> result
    job.publish("batch", loss=0.4)                     # from inside work
    job.stop()                                         # from the page
    # ...and the work checks job.stop_requested, e.g. at every batch end
    job_queue().cancel(job)                            # from the page, while it waits

A job ends "stopped" only when its work saw the stop (read `stop_requested` as True);
a stop that comes after the work's last look leaves a finished job "done". Finished
jobs are forgotten an hour after they end.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

QUEUED, RUNNING, DONE, STOPPED, FAILED, CANCELLED = (
    "queued", "running", "done", "stopped", "failed", "cancelled",
)
FINISHED = (DONE, STOPPED, FAILED, CANCELLED)
KEEP_FINISHED_S = 3600.0
_ids = itertools.count(1)


class JobFailed(RuntimeError):
    """Raised by work to end its job as failed with a message meant for the user."""


@dataclass
class Job:
    """One piece of background work and everything it has published so far."""

    name: str
    work: Callable[[Job], Any]
    kind: str = ""
    owner: str | None = None
    id: str = field(default_factory=lambda: f"job-{next(_ids)}")
    state: str = QUEUED
    result: Any = None
    error: str | None = None
    progress: float = 0.0
    eta_s: float | None = None
    message: str = ""
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    _events: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _stop_seen: bool = field(default=False, repr=False)

    # --- called by the work -------------------------------------------------------------
    def publish(self, kind: str, **data: Any) -> None:
        """Append an event (e.g. "batch", "epoch"); readers get them in order."""
        event = {"kind": kind, "t": time.time(), **data}
        with self._lock:
            self._events.append(event)

    def set_progress(self, fraction: float, eta_s: float | None = None, message: str = "") -> None:
        self.progress = min(1.0, max(0.0, float(fraction)))
        self.eta_s = eta_s
        if message:
            self.message = message

    @property
    def stop_requested(self) -> bool:
        """For the work only: True once a stop was asked. Reading True counts as honouring
        it, which makes the job end "stopped"; pages read `stop_asked` instead."""
        if self._stop.is_set():
            self._stop_seen = True
            return True
        return False

    # --- called by pages ----------------------------------------------------------------
    def stop(self) -> None:
        """Ask the work to stop; it is honoured at the work's next check (e.g. one batch)."""
        self._stop.set()

    @property
    def stop_asked(self) -> bool:
        """Whether someone asked this job to stop (the work may not have seen it yet)."""
        return self._stop.is_set()

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events[since:])

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def elapsed_s(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.time()) - self.started_at


class JobQueue:
    """First in, first out; one worker thread runs the jobs one after another."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[Job] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._worker = threading.Thread(target=self._run, name="rnnlab-jobs", daemon=True)
        self._worker.start()

    def submit(self, name: str, work: Callable[[Job], Any], kind: str = "",
               owner: str | None = None) -> Job:
        job = Job(name=name, work=work, kind=kind, owner=owner)
        with self._wake:
            self._forget_old_jobs()
            self._jobs[job.id] = job
            self._waiting.append(job)
            self._wake.notify()
        return job

    def cancel(self, job: Job) -> bool:
        """Take a waiting job out of the queue (it ends "cancelled"); False once it started."""
        with self._lock:
            if not any(waiting is job for waiting in self._waiting):
                return False
            self._waiting = deque(waiting for waiting in self._waiting if waiting is not job)
            _finish(job, CANCELLED)
        return True

    def get(self, job_id: str | None) -> Job | None:
        return self._jobs.get(job_id) if job_id else None

    def jobs(self, owner: str | None = None) -> list[Job]:
        with self._lock:
            found = list(self._jobs.values())
        return [j for j in found if owner is None or j.owner == owner]

    def position(self, job: Job) -> int:
        """0 while running or finished; 1 for the next in line, and so on."""
        with self._lock:
            for index, waiting in enumerate(self._waiting):
                if waiting is job:
                    return index + 1
        return 0

    def _forget_old_jobs(self) -> None:
        # Called under the lock. Every job keeps all its events, so a long-running server
        # would otherwise grow without bound.
        cutoff = time.time() - KEEP_FINISHED_S
        for job_id, job in list(self._jobs.items()):
            if job.finished and (job.finished_at or 0.0) < cutoff:
                del self._jobs[job_id]

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._waiting:
                    self._wake.wait()
                job = self._waiting.popleft()
                # In the same locked step, so no reader sees it off the queue yet "queued".
                if job.stop_asked:
                    _finish(job, CANCELLED)
                    continue
                job.started_at = time.time()
                job.state = RUNNING
            try:
                job.result = job.work(job)
                state = STOPPED if job._stop_seen else DONE
            except JobFailed as exc:
                state, job.error = FAILED, str(exc)
            except Exception as exc:  # the worker must survive any job's failure
                state, job.error = FAILED, f"{type(exc).__name__}: {exc}"
                job.publish("traceback", text=traceback.format_exc())
            _finish(job, state)


def _finish(job: Job, state: str) -> None:
    if state == DONE:
        job.progress = 1.0
    job.eta_s = 0.0
    job.finished_at = time.time()  # before the state: a finished job always has its end time
    job.state = state
    job._done.set()


_queue: JobQueue | None = None
_queue_lock = threading.Lock()


def job_queue() -> JobQueue:
    """The process-wide queue shared by every browser session."""
    global _queue
    with _queue_lock:
        if _queue is None:
            _queue = JobQueue()
        return _queue
