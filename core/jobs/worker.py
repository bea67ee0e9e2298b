"""The worker side: the Ray task that runs one job in a worker process and records how it
ended, at a lower priority than the web server.

A job ends "stopped" only when its work saw the stop (read `stop_requested` as True);
a stop that comes after the work's last look leaves a finished job "done".
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.jobs.context import FileJobContext
from core.jobs.files import _finish, _read_json, _touch, _update_state
from core.jobs.spec import (
    ALIVE_EVERY_S,
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    STOPPED,
    JobFailed,
    JobSpec,
)


def run_in_worker(folder: str, runner: str, spec_values: dict[str, Any],
                  environment: dict[str, str], inputs: dict[str, Any]) -> None:
    """The Ray task: run one job in this worker process and record how it ended."""
    os.environ.update(environment)  # the submitter's app home, Keras cache, ...
    background_priority()
    path = Path(folder)
    spec = JobSpec(**spec_values)
    state = _read_json(path / "state.json") or {}
    if state.get("state") != QUEUED or (path / "stop").exists():
        if state.get("state") == QUEUED:
            _finish(path, CANCELLED)
        return  # cancelled (or given up) while it waited
    _update_state(path, state=RUNNING, started_at=time.time(), pid=os.getpid(),
                  node=socket.gethostname(), node_id=_node_id())
    keep_alive = _KeepAlive([path])
    keep_alive.start()
    context = FileJobContext(path, spec)
    try:
        module, _, function = str(runner).partition(":")
        result = getattr(importlib.import_module(module), function)(
            context, dict(spec.config), **resolve_inputs(inputs))
        final, error, details = (STOPPED if context.stop_seen else DONE), None, None
    except JobFailed as exc:
        result, final, error, details = None, FAILED, str(exc), None
    except Exception as exc:  # the message for the user, the trace for "details"
        result, final, error = None, FAILED, plain_error(exc)
        details = traceback.format_exc()
    finally:
        keep_alive.stop()
        context.close()
    _finish(path, final, result=result, error=error, details=details)


WORKER_NICE = 10


def background_priority() -> None:
    """Let the web server and the browsers go first when they need a core: every thread of
    this worker (TensorFlow's pools included) runs at a lower priority. On Linux each
    thread has its own nice value, and new threads inherit their creator's."""
    try:
        tasks = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        tasks = [0]
    for task in tasks:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, task, WORKER_NICE)


def plain_error(exc: BaseException) -> str:
    """One sentence for a failure the work did not explain itself (the trace goes under
    "details")."""
    name = type(exc).__name__
    if isinstance(exc, MemoryError) or "OOM" in str(exc) or "out of memory" in str(exc):
        return ("The job ran out of memory. Try a smaller model, a shorter sequence length "
                "or fewer reviews.")
    return (f"The job stopped with an unexpected error ({name}). Try other settings; the "
            "details below say where it happened.")


def _node_id() -> str | None:
    try:
        import ray

        return ray.get_runtime_context().get_node_id()
    except Exception:  # outside Ray (tests calling the worker function directly)
        return None


class _KeepAlive:
    """Touches the `alive` file of some jobs every few seconds, from a daemon thread (the
    worker for its job; the engine, in the app, for the jobs still in Ray's queue)."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rnnlab-alive")

    def start(self) -> None:
        for folder in self.folders:
            _touch(folder / "alive")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(ALIVE_EVERY_S):
            for folder in list(self.folders):
                _touch(folder / "alive")


# The engine wraps the large inputs it put in Ray's object store; the worker unwraps them.
@dataclass(frozen=True)
class _Shipped:
    """An input passed by Ray object reference (resolved in the worker)."""

    ref: Any


def resolve_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """In the worker: fetch the inputs that were passed by reference."""
    import ray

    return {name: ray.get(value.ref) if isinstance(value, _Shipped) else value
            for name, value in inputs.items()}

