"""The job's folder: each job keeps everything in one folder of the app home, `jobs/<id>/`:

    spec.json     kind, name, owner, config, when it was submitted
    state.json    queued / running / done / stopped / failed / cancelled / interrupted,
                  progress, ETA, message, result, error; written atomically
    events.jsonl  the runner's events, one JSON object a line, appended as they happen
    stop          present once someone asked the job to stop
    alive         touched every few seconds by the worker running it, or by the app
                  process that still holds it in Ray's queue

So a reload, another page, or a restart of the app finds every job where it was left: a
job nobody keeps alive any more (its app or worker died) reads as "interrupted", and its
saved runs are untouched (the run store writes atomically).

The worker, the engine and a page (marking an abandoned job interrupted) all write here,
so these helpers sit below all three.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core import settings
from core.jobs.spec import DONE


def jobs_dir() -> Path:
    path = settings.app_home() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _jsonable(value: Any) -> Any:
    """Numbers from NumPy (and dataclasses) in events and results, as plain JSON."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    temporary.write_text(json.dumps(value, default=_jsonable), encoding="utf-8")
    os.replace(temporary, path)  # readers see the old file or the new one, never half


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


_state_lock = threading.Lock()


def _update_state(folder: Path, **changes: Any) -> dict[str, Any]:
    with _state_lock:
        state = _read_json(folder / "state.json") or {}
        state.update(changes)
        _write_json(folder / "state.json", state)
        return state


def _finish(folder: Path, state: str, **changes: Any) -> None:
    values = {"state": state, "finished_at": time.time(), "eta_s": 0.0, **changes}
    if state == DONE:
        values["progress"] = 1.0
    _update_state(folder, **values)


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.touch()
