"""The engine, in the app's process: submits jobs to Ray, keeps the queued ones alive,
and notices workers that died.

With `RNNLAB_RAY_ADDRESS` (or Ray's own `RAY_ADDRESS`) set, the app joins that cluster;
otherwise it starts a local Ray in the background the first time a page asks for the
engine, so no page waits for it. On a cluster of several machines the app home must be a
folder every node mounts (as Ray Train's `storage_path`): jobs and runs are written there
by whichever node runs them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core import settings
from core.jobs import local_ray
from core.jobs.files import _finish, _read_json, _touch, _write_json, jobs_dir
from core.jobs.job import Job
from core.jobs.spec import (
    ADDRESS_VAR,
    CANCELLED,
    DEFAULT_PER_OWNER,
    DONE,
    FAILED,
    FINISHED,
    KEEP_FINISHED_S,
    KINDS,
    PER_OWNER_VAR,
    QUEUED,
    RUNNING,
    STOPPED,
    WORKER_DIED_MESSAGE,
    JobRejected,
    JobSpec,
)
from core.jobs.worker import _KeepAlive, _Shipped, run_in_worker

ROOT = Path(__file__).resolve().parents[2]  # the repository: where Ray's workers import from


class JobEngine:
    """Submits jobs to Ray and watches them; one per process, shared by every session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs: dict[str, Any] = {}  # job id -> Ray ObjectRef, while it may still run
        self._folders: dict[str, Path] = {}
        self._puts: dict[int, tuple[Any, Any]] = {}  # id(input) -> (input, its ObjectRef)
        self._ray_ready = threading.Event()
        self._session_dir = ""  # the local Ray's, when the app started one
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
                    local_ray.end_leftovers()
                started = ray.init(address=address, include_dashboard=False,
                                   log_to_driver=False, logging_level="ERROR",
                                   runtime_env=runtime_env)
                if not address:  # a Ray of our own: it ends with the app
                    self._session_dir = str(started.address_info.get("session_dir") or "")
                    local_ray.remember(self._session_dir)
                    atexit.register(local_ray.shut_down, self._session_dir)
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
        if self._session_dir:  # its agents may have started since the last look
            local_ray.remember(self._session_dir)
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

