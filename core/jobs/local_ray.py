"""A local Ray that the app started ends with the app.

`ray.shutdown()` ends the processes `ray.init` started, but the raylet's own children (the
dashboard and runtime-env agents) outlive it, and after a killed app nothing ends them.
So the app writes down every process of its Ray (those that name its session folder, and
their children) in the app home, ends them itself when it exits, and on its next start
ends what an app that was killed left behind. Processes are matched by pid and start
time, so a pid the system has since reused is never touched. Linux only (`/proc`);
elsewhere this does nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

from core import settings

RECORDS = "local_ray"  # one file per app process, named by its pid
PROC = Path("/proc")


def _record_path(pid: int | None = None) -> Path:
    return settings.app_home() / RECORDS / f"{pid or os.getpid()}.json"


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of a live process, or None."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (name) "
    if fields[0] == "Z":  # a zombie has ended; only its parent's wait is missing
        return None
    return int(fields[1]), int(fields[19])


def session_processes(session_dir: str) -> dict[int, int]:
    """pid -> start time of every process of the Ray session in `session_dir`: those whose
    command line names it, and all their descendants (the agents rename themselves)."""
    if not PROC.is_dir() or not session_dir:
        return {}
    parents, named, started = {}, set(), {}
    needle = session_dir.encode()
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        stat = _stat(pid)
        if stat is None:
            continue
        parents[pid], started[pid] = stat
        with contextlib.suppress(OSError):
            if needle in (entry / "cmdline").read_bytes():
                named.add(pid)
    found, frontier = set(named), set(named)
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return {pid: started[pid] for pid in found}


def remember(session_dir: str) -> None:
    """Write down this app's Ray processes (again: the agents start after `ray.init`)."""
    pids = session_processes(session_dir)
    path = _record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}")
    tmp.write_text(json.dumps({"app_pid": os.getpid(), "app_started": (_stat(os.getpid())
                                                                        or (0, 0))[1],
                               "session_dir": session_dir,
                               "processes": {str(k): v for k, v in pids.items()}}))
    os.replace(tmp, path)


def end_processes(processes: dict[int, int], grace_s: float = 5.0) -> int:
    """SIGTERM each still-running process (same pid and start time), SIGKILL what is left
    after `grace_s`; returns how many were ended."""
    def alive() -> list[int]:
        return [pid for pid, start in processes.items()
                if (stat := _stat(pid)) is not None and stat[1] == start]

    targets = alive()
    for pid in targets:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in alive():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(targets)


def _read_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _processes(record: dict) -> dict[int, int]:
    found = record.get("processes")
    if not isinstance(found, dict):
        return {}
    return {int(pid): int(start) for pid, start in found.items()
            if str(pid).isdigit() and isinstance(start, int)}


def end_leftovers() -> int:
    """Before starting a local Ray: end the Ray processes of apps that are gone (killed, or
    crashed); returns how many. The Ray of an app that still runs is left alone."""
    ended = 0
    for path in sorted(_record_path().parent.glob("*.json")):
        record = _read_record(path) or {}
        app = _stat(int(record.get("app_pid") or 0))
        if app is not None and app[1] == record.get("app_started"):
            continue  # another app on the same home is running: its Ray is its own
        ended += end_processes({**_processes(record),
                                **session_processes(str(record.get("session_dir") or ""))})
        with contextlib.suppress(OSError):
            path.unlink()
    return ended


def shut_down(session_dir: str) -> None:
    """At the app's exit: `ray.shutdown()`, then end whatever of its Ray outlived it."""
    import ray

    leftovers = {**_processes(_read_record(_record_path()) or {}),
                 **session_processes(session_dir)}
    with contextlib.suppress(Exception):
        ray.shutdown()
    end_processes(leftovers)
    with contextlib.suppress(OSError):
        _record_path().unlink()
