"""CPU time and memory of processes, read from /proc (Linux), for the job benchmarks."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * PAGE_KB / 1024


def ray_pids() -> list[int]:
    """Every process of a local Ray: its daemons (gcs, raylet, ...) and workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
        except OSError:
            continue
        if "ray/" in command or command.startswith("ray::") or "/ray/core/" in command:
            found.append(int(entry.name))
    return found


class CpuMeter:
    """Share of one core a process used between `start()` and `stop()`, in percent."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def start(self) -> CpuMeter:
        self.cpu, self.wall = cpu_seconds(self.pid), time.monotonic()
        return self

    def stop(self) -> float:
        used = cpu_seconds(self.pid) - self.cpu
        return 100.0 * used / max(time.monotonic() - self.wall, 1e-9)


class PeakMemory:
    """The largest summed RSS of some processes (and every Ray process), sampled twice a
    second from a thread."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.peak_mb = pids, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(rss_mb(pid) for pid in {*self.pids, *ray_pids()})
            self.peak_mb = max(self.peak_mb, total)
            self._stop.wait(0.5)
