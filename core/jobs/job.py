"""What pages see: `Job`, a handle on one job's folder that never asks Ray.

The files make the live view cheap: a page reads the bytes appended since its last look.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from core.events import Event, from_json
from core.jobs.files import _finish, _read_json, _touch
from core.jobs.spec import (
    BACKUP_DIR,
    FAILED,
    FINISHED,
    INTERRUPTED,
    INTERRUPTED_MESSAGE,
    QUEUED,
    RUNNING,
    STALE_AFTER_S,
)


class Job:
    """A page's handle on one job; every property reads the job's files afresh."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.id = folder.name
        spec = _read_json(folder / "spec.json") or {}
        self.kind: str = spec.get("kind", "")
        self.name: str = spec.get("name", "")
        self.owner: str | None = spec.get("owner")
        self.user: str | None = spec.get("user")
        self.config: dict[str, Any] = spec.get("config") or {}
        self.submitted_at: float = float(spec.get("submitted_at") or 0.0)
        self._state_key: tuple[int, int, int] | None = None
        self._state_value: dict[str, Any] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)

    def __repr__(self) -> str:
        return f"Job({self.id!r}, {self.kind!r}, {self.state!r})"

    def _state(self) -> dict[str, Any]:
        """state.json, parsed again only when it changed (each write replaces the file,
        so a new inode or time means new content): a page reads a dozen properties."""
        path = self.folder / "state.json"
        try:
            info = path.stat()
            key = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            key = None
        if key is None or key != self._state_key:
            self._state_key, self._state_value = key, _read_json(path) or {}
        state = self._state_value
        if state.get("state") in (QUEUED, RUNNING) and self._abandoned():
            _finish(self.folder, INTERRUPTED, error=INTERRUPTED_MESSAGE)
            self._state_key = None
            return self._state()
        return state

    def _abandoned(self) -> bool:
        """Nobody keeps this job alive any more: its app or its worker is gone."""
        from core.jobs.ray_engine import _engine_jobs  # here: the engine imports this module

        if self.id in _engine_jobs():
            return False
        try:
            age = time.time() - (self.folder / "alive").stat().st_mtime
        except OSError:
            age = time.time() - self.submitted_at
        return age > STALE_AFTER_S

    @property
    def state(self) -> str:
        return str(self._state().get("state", QUEUED))

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def result(self) -> Any:
        return self._state().get("result")

    @property
    def error(self) -> str | None:
        return self._state().get("error")

    @property
    def details(self) -> str | None:
        """The traceback of an unexpected failure, for a collapsed "details" block."""
        return self._state().get("details")

    @property
    def progress(self) -> float:
        return float(self._state().get("progress") or 0.0)

    @property
    def eta_s(self) -> float | None:
        return self._state().get("eta_s")

    @property
    def message(self) -> str:
        return str(self._state().get("message") or "")

    @property
    def pid(self) -> int | None:
        return self._state().get("pid")

    @property
    def node_id(self) -> str | None:
        return self._state().get("node_id")

    @property
    def started_at(self) -> float | None:
        return self._state().get("started_at")

    @property
    def finished_at(self) -> float | None:
        return self._state().get("finished_at")

    @property
    def elapsed_s(self) -> float:
        state = self._state()
        if not state.get("started_at"):
            return 0.0
        return (state.get("finished_at") or time.time()) - state["started_at"]

    @property
    def resumable(self) -> bool:
        """Cut short by a crash or a restart, with an epoch backed up to continue from."""
        return (self.state in (INTERRUPTED, FAILED)
                and (self.folder / BACKUP_DIR / "training_metadata.json").is_file())

    def stop(self) -> None:
        """Ask the work to stop; it is honoured at the work's next look (one batch)."""
        _touch(self.folder / "stop")

    @property
    def stop_asked(self) -> bool:
        return (self.folder / "stop").exists()

    def read_events(self, offset: int = 0) -> tuple[list[Event], int]:
        """Events appended since byte `offset`, and the offset to pass next time. A line
        still being written is left for the next call; a damaged one is skipped."""
        try:
            with open(self.folder / "events.jsonl", "rb") as log:
                log.seek(offset)
                chunk = log.read()
        except OSError:
            return [], offset
        end = chunk.rfind(b"\n") + 1
        events = []
        for line in chunk[:end].splitlines():
            with contextlib.suppress(ValueError):
                event = from_json(json.loads(line))
                if event is not None:
                    events.append(event)
        return events, offset + end

    def events(self, since: int = 0) -> list[Event]:
        return self.read_events()[0][since:]

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finished (True) or `timeout` seconds passed (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.finished:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True
