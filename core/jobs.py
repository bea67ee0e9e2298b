"""Background jobs on Ray: long work runs in worker processes, the pages only read files.

A job is data: a `JobSpec` (its kind, its JSON config, a name and an owner) plus the
inputs its runner needs (a dataset, a run store), shipped to a Ray worker process that
declares the CPUs it needs. Training never shares a process, or its interpreter lock,
with the Streamlit server that draws the pages.

    job = engine().submit(JobSpec("train", "LSTM", config, owner), data=imdb)
    job.state, job.progress, job.eta_s           # read by a page, from disk
    events, offset = job.read_events(offset)      # only what is new since the last look
    job.stop()                                    # honoured at the worker's next batch
    engine().cancel(job)                          # while it waits for a worker

Each job keeps everything in one folder of the app home, `jobs/<id>/`:

    spec.json     kind, name, owner, config, when it was submitted
    state.json    queued / running / done / stopped / failed / cancelled / interrupted,
                  progress, ETA, message, result, error; written atomically
    events.jsonl  the runner's events, one JSON object a line, appended as they happen
    stop          present once someone asked the job to stop
    alive         touched every few seconds by the worker running it, or by the app
                  process that still holds it in Ray's queue

So a reload, another page, or a restart of the app finds every job where it was left: a
job nobody keeps alive any more (its app or worker died) reads as "interrupted", and its
saved runs are untouched (the run store writes atomically). The files also make the live
view cheap: a page reads the bytes appended since its last look and never asks Ray.

Ray: with `RNNLAB_RAY_ADDRESS` (or Ray's own `RAY_ADDRESS`) set, the app joins that
cluster; otherwise it starts a local Ray in the background the first time a page asks
for the engine, so no page waits for it. On a cluster of several machines the app home
must be a folder every node mounts (as Ray Train's `storage_path`): jobs and runs are
written there by whichever node runs them.

A job ends "stopped" only when its work saw the stop (read `stop_requested` as True);
a stop that comes after the work's last look leaves a finished job "done".
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import secrets
import shutil
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core import settings
from core.events import Batch, Epoch, Event, Stage, from_json

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
ROOT = Path(__file__).resolve().parents[1]
INTERRUPTED_MESSAGE = (
    "Interrupted: the app or the worker running this job stopped before it finished "
    "(a restart, or the machine ran out of memory). Runs it had saved are kept; start it "
    "again to continue."
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
    "score": JobKind("core.training:score_job", cpus=1, label="scoring"),
    "compare": JobKind("core.compare.run:compare_job", label="comparison"),
    "language_model": JobKind("core.language_model.training:lm_job", label="training"),
    "cell": JobKind("core.gradients:cell_job", cpus=1, label="experiment"),
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


# --- what work sees -----------------------------------------------------------------------

class JobContext:
    """The handle work gets: publish events, report progress, notice a stop.

    Used as is (in memory) by scripts, benchmarks and tests that call work directly; the
    worker uses `FileJobContext`, which also writes everything to the job's folder.
    """

    def __init__(self, name: str = "", kind: str = "") -> None:
        self.name, self.kind = name, kind
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
        super().__init__(spec.name, spec.kind)
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


def _jsonable(value: Any) -> Any:
    """Numbers from NumPy (and dataclasses) in events and results, as plain JSON."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)


# --- files --------------------------------------------------------------------------------

def jobs_dir() -> Path:
    path = settings.app_home() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.touch()


# --- the worker side ----------------------------------------------------------------------

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


def _finish(folder: Path, state: str, **changes: Any) -> None:
    values = {"state": state, "finished_at": time.time(), "eta_s": 0.0, **changes}
    if state == DONE:
        values["progress"] = 1.0
    _update_state(folder, **values)


class _KeepAlive:
    """Touches the `alive` file of some jobs every few seconds, from a daemon thread."""

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


# --- what pages see -----------------------------------------------------------------------

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


# --- the engine (in the app's process) ------------------------------------------------------

class JobEngine:
    """Submits jobs to Ray and watches them; one per process, shared by every session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs: dict[str, Any] = {}  # job id -> Ray ObjectRef, while it may still run
        self._folders: dict[str, Path] = {}
        self._puts: dict[int, tuple[Any, Any]] = {}  # id(input) -> (input, its ObjectRef)
        self._ray_ready = threading.Event()
        self._ray_error: BaseException | None = None
        # Ray's cluster-state calls (`ray.nodes()`) hang when made from another thread
        # than the one that called `ray.init`, so both happen on this one thread.
        self._ray_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rnnlab-ray")
        self._ray_thread.submit(self._start_ray)
        self._alive = _KeepAlive([])
        self._alive.start()
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="rnnlab-jobs")
        self._watcher.start()

    # Ray is started (or joined) once, off the page's thread.
    def _start_ray(self) -> None:
        try:
            import ray

            if not ray.is_initialized():
                address = os.environ.get(ADDRESS_VAR) or os.environ.get("RAY_ADDRESS") or None
                if address:
                    runtime_env = {"working_dir": str(ROOT),
                                   "excludes": [".venv", ".git", "tests/artifacts"]}
                else:
                    runtime_env = {"env_vars": {"PYTHONPATH": str(ROOT)}}
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         logging_level="ERROR", runtime_env=runtime_env)
        except BaseException as exc:  # reported to whoever submits next
            self._ray_error = exc
        self._ray_ready.set()

    def ray_ready(self, timeout: float | None = 120) -> None:
        if not self._ray_ready.wait(timeout):
            raise JobRejected("The job engine (Ray) is still starting; try again in a moment.")
        if self._ray_error is not None:
            raise JobRejected(f"The job engine (Ray) could not start: {self._ray_error}")

    def cluster(self) -> list[float]:
        """The CPUs of each live node of the Ray cluster."""
        self.ray_ready()

        def cpus() -> list[float]:
            import ray

            return [n.get("Resources", {}).get("CPU", 0.0) for n in ray.nodes() if n.get("Alive")]

        return self._ray_thread.submit(cpus).result(timeout=30)

    def node_cpus(self) -> float:
        """The most CPUs one node of the cluster has (what "all" means for a job)."""
        return max(self.cluster(), default=1.0) or 1.0

    def submit(self, spec: JobSpec, **inputs: Any) -> Job:
        """Queue a job; `inputs` (a dataset, a run store, ...) travel through Ray's object
        store, each large one once per process."""
        if spec.kind not in KINDS:
            raise ValueError(f"Unknown job kind {spec.kind!r}.")
        self._check_limit(spec.owner, spec.user)
        self.ray_ready()

        job_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(6)}"
        folder = jobs_dir() / job_id
        folder.mkdir()
        _write_json(folder / "spec.json", {**asdict(spec), "id": job_id,
                                           "submitted_at": time.time()})
        _write_json(folder / "state.json", {"state": QUEUED, "progress": 0.0})
        (folder / "events.jsonl").touch()
        return self._launch(folder, spec, inputs)

    def _launch(self, folder: Path, spec: JobSpec, inputs: dict[str, Any]) -> Job:
        kind = KINDS[spec.kind]
        cpus = self.node_cpus() if kind.cpus == "all" else float(kind.cpus)
        environment = {name: os.environ[name] for name in
                       (settings.HOME_VAR, settings.IMDB_PATH_VAR, "KERAS_HOME",
                        "TF_CPP_MIN_LOG_LEVEL") if os.environ.get(name)}
        environment[settings.HOME_VAR] = str(settings.app_home())
        shipped = {name: self._put(value) for name, value in inputs.items()}
        task = _remote_task().options(num_cpus=cpus, name=f"{spec.kind}:{spec.name}"[:100])
        ref = task.remote(str(folder), kind.runner, asdict(spec), environment, shipped)
        with self._lock:
            self._refs[folder.name] = ref
            self._folders[folder.name] = folder
            self._alive.folders.append(folder)
        _touch(folder / "alive")
        return Job(folder)

    def resume(self, job: Job, **inputs: Any) -> Job:
        """Run an interrupted (or crashed) job again from its last completed epoch, which
        its worker backed up; `inputs` as for `submit`."""
        if not job.resumable:
            raise JobRejected("This job has no saved epoch to continue from; start it again.")
        self._check_limit(job.owner, job.user)
        self.ray_ready()
        (job.folder / "stop").unlink(missing_ok=True)
        _write_json(job.folder / "state.json", {"state": QUEUED, "progress": job.progress,
                                                "message": "Waiting to resume…"})
        spec = JobSpec(job.kind, job.name, job.config, job.owner, job.user)
        return self._launch(job.folder, spec, inputs)

    def _put(self, value: Any) -> Any:
        """Large inputs go to Ray's object store once and are passed by reference."""
        import ray

        if value is None or isinstance(value, (str, int, float, bool, dict, list, tuple)):
            return value
        with self._lock:
            cached = self._puts.get(id(value))
            if cached is not None and cached[0] is value:
                return cached[1]
        shipped = _Shipped(ray.put(value))
        with self._lock:
            self._puts[id(value)] = (value, shipped)
            while len(self._puts) > 8:  # keep the newest few alive in the object store
                self._puts.pop(next(iter(self._puts)))
        return shipped

    def _check_limit(self, owner: str | None, user: str | None) -> None:
        """At most `RNNLAB_JOBS_PER_USER` unfinished jobs per browser session, and as many
        per user name across all sessions that gave it."""
        if owner is None and not user:
            return
        limit = int(os.environ.get(PER_OWNER_VAR) or DEFAULT_PER_OWNER)
        active = [j for j in self.jobs() if (j.owner == owner if owner is not None else False)
                  or (user and j.user and j.user.casefold() == user.casefold())]
        active = [j for j in active if not j.finished]
        if len(active) >= limit:
            who = "You already have" if not user else f"{user} already has"
            raise JobRejected(
                f"{who} {len(active)} job(s) waiting or running, the most one person may "
                "have at once so that a whole class gets its turn. Wait for one to finish, "
                "or stop it.")

    def get(self, job_id: str | None, owner: str | None = None) -> Job | None:
        """The job with this id, if `owner` may see it (None: any owner, for tools)."""
        if not job_id or "/" in job_id or job_id.startswith("."):
            return None
        folder = jobs_dir() / job_id
        if not (folder / "spec.json").is_file():
            return None
        job = Job(folder)
        if owner is not None and job.owner != owner:
            return None
        return job

    def jobs(self, owner: str | None = None, kind: str | None = None) -> list[Job]:
        """Jobs, newest first; only `owner`'s if given."""
        found = []
        for folder in sorted(jobs_dir().iterdir(), reverse=True):
            if not (folder / "spec.json").is_file():
                continue
            job = Job(folder)
            if (owner is None or job.owner == owner) and (kind is None or job.kind == kind):
                found.append(job)
        return found

    def cancel(self, job: Job) -> bool:
        """Take a waiting job out of the queue (it ends "cancelled"); False once started."""
        job.stop()  # a worker that picks it up now sees the flag and does nothing
        if job.state != QUEUED:
            return False
        with self._lock:
            ref = self._refs.get(job.id)
        if ref is not None:
            import ray

            with contextlib.suppress(Exception):
                ray.cancel(ref)
        _finish(job.folder, CANCELLED)
        return True

    def position(self, job: Job) -> int:
        """0 unless queued; 1 for the next in line, and so on (across every user)."""
        if job.state != QUEUED:
            return 0
        waiting = [j for j in self.jobs() if j.submitted_at <= job.submitted_at
                   and j.state == QUEUED]
        return max(1, len(waiting))

    def wait_estimate_s(self, job: Job) -> float | None:
        """A rough wait before a queued job starts: the time left of the jobs running now
        and the typical length of those queued before it, shared among the worker slots."""
        if job.state != QUEUED:
            return None
        jobs = self.jobs()
        finished = [j.elapsed_s for j in jobs[:50] if j.state in (DONE, STOPPED)
                    and j.kind == job.kind]
        typical = sorted(finished)[len(finished) // 2] if finished else 120.0
        running = [j.eta_s or typical for j in jobs if j.state == RUNNING]
        ahead = [typical for j in jobs if j.state == QUEUED and j.submitted_at < job.submitted_at]
        slots = 1
        with contextlib.suppress(Exception):
            nodes = self.cluster()
            slots = max(1, int(sum(nodes) // max(max(nodes), 1.0)))
        return (sum(running) + sum(ahead)) / slots

    def _watch(self) -> None:
        """Notices jobs whose worker died (killed, out of memory) and says so."""
        while True:
            with self._lock:
                refs = dict(self._refs)
            if not refs or not self._ray_ready.is_set():
                time.sleep(0.5)
                continue
            import ray

            try:
                ready, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=0.5)
            except Exception:  # Ray shutting down
                time.sleep(0.5)
                continue
            for job_id, ref in refs.items():
                if ref not in ready:
                    continue
                folder = self._folders[job_id]
                try:
                    ray.get(ref)
                except Exception as exc:
                    state = (_read_json(folder / "state.json") or {}).get("state")
                    if state not in FINISHED:
                        cancelled = type(exc).__name__ == "TaskCancelledError"
                        with contextlib.suppress(OSError):  # its folder may be gone
                            _finish(folder, CANCELLED if cancelled else FAILED,
                                    error=None if cancelled else WORKER_DIED_MESSAGE,
                                    details=None if cancelled else str(exc))
                with self._lock:
                    self._refs.pop(job_id, None)
                    self._folders.pop(job_id, None)
                    if folder in self._alive.folders:
                        self._alive.folders.remove(folder)
            if not ready:
                time.sleep(0.05)


@dataclass(frozen=True)
class _Shipped:
    """An input passed by Ray object reference (resolved in the worker)."""

    ref: Any


_task: Any = None


def _remote_task() -> Any:
    global _task
    if _task is None:
        import ray

        # No retries: a job that killed its worker (out of memory) would only do it again.
        _task = ray.remote(max_retries=0)(run_in_worker)
    return _task


_engine: JobEngine | None = None
_engine_lock = threading.Lock()


def engine() -> JobEngine:
    """The process-wide engine shared by every browser session (starts Ray lazily)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = JobEngine()
            forget_old_jobs()
        return _engine


def _engine_jobs() -> set[str]:
    if _engine is None:
        return set()
    with _engine._lock:
        return set(_engine._refs)


def forget_old_jobs(keep_s: float = KEEP_FINISHED_S) -> None:
    """Delete the folders of jobs that finished long ago (their runs stay in the store)."""
    cutoff = time.time() - keep_s
    for folder in jobs_dir().iterdir():
        state = _read_json(folder / "state.json") or {}
        if state.get("state") in FINISHED and (state.get("finished_at") or 0) < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def resolve_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """In the worker: fetch the inputs that were passed by reference."""
    import ray

    return {name: ray.get(value.ref) if isinstance(value, _Shipped) else value
            for name, value in inputs.items()}

