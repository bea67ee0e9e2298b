"""What work sees: the handle a runner gets to publish events, report progress and notice
a stop, in memory (scripts, tests), on the console (`make pretrain`) or in the job's files
(the Ray worker)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from core.events import Batch, Epoch, Event, Stage
from core.jobs.files import _jsonable, _update_state
from core.jobs.job import Job
from core.jobs.spec import PROGRESS_EVERY_S, JobSpec


class JobContext:
    """The handle work gets: publish events, report progress, notice a stop.

    Used as is (in memory) by scripts, benchmarks and tests that call work directly; the
    worker uses `FileJobContext`, which also writes everything to the job's folder.
    """

    def __init__(self, name: str = "", kind: str = "", owner: str | None = None) -> None:
        self.name, self.kind = name, kind
        self.owner = owner  # whose job: what it saves is theirs
        self.progress = 0.0
        self.eta_s: float | None = None
        self.message = ""
        self._events: list[Event] = []
        self._stop = threading.Event()
        self.stop_seen = False

    def publish(self, event: Event) -> None:
        """Append an event (`core.events`); readers get them in order."""
        self._events.append(event)
        self._record(event)

    def set_progress(self, fraction: float, eta_s: float | None = None, message: str = "") -> None:
        self.progress = min(1.0, max(0.0, float(fraction)))
        self.eta_s = eta_s
        if message:
            self.message = message
        self._progressed()

    @property
    def stop_requested(self) -> bool:
        """For the work only: True once a stop was asked. Reading True counts as honouring
        it, which makes the job end "stopped"."""
        if self._stop.is_set() or self._stop_flagged():
            self._stop.set()
            self.stop_seen = True
            return True
        return False

    def stop(self) -> None:
        self._stop.set()

    def events(self, since: int = 0) -> list[Event]:
        return list(self._events[since:])

    # Hooks for the file-backed context.
    def _record(self, event: Event) -> None:
        pass

    def _progressed(self) -> None:
        pass

    def _stop_flagged(self) -> bool:
        return False


class ConsoleJobContext(JobContext):
    """A job run in the foreground (`make pretrain`) that logs its progress instead."""

    def _record(self, event: Event) -> None:
        if isinstance(event, (Epoch, Stage)) or (isinstance(event, Batch) and event.step % 50 == 0):
            shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in event.to_json().items() if k not in ("kind", "t"))
            print(f"[{time.strftime('%H:%M:%S')}] {self.name} {event.KIND}: {shown}", flush=True)


class FileJobContext(JobContext):
    """The worker's context: events appended to `events.jsonl`, progress to `state.json`
    (at most every half second), the stop read from the `stop` file at every look."""

    def __init__(self, folder: Path, spec: JobSpec) -> None:
        super().__init__(spec.name, spec.kind, spec.owner)
        self.folder = folder
        # A resumed job sees what its earlier attempt published, as the page does.
        self._events = Job(folder).read_events()[0]
        self._log = open(folder / "events.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self._last_progress = 0.0
        self._stop_file = folder / "stop"

    def _record(self, event: Event) -> None:
        self._log.write(json.dumps(event.to_json(), default=_jsonable) + "\n")
        self._log.flush()

    def _progressed(self) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY_S:
            self._last_progress = now
            _update_state(self.folder, progress=self.progress, eta_s=self.eta_s,
                          message=self.message)

    def _stop_flagged(self) -> bool:
        return self._stop_file.exists()  # one stat(): cheap enough for every batch

    def close(self) -> None:
        self._log.close()
