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

Each job keeps everything in one folder of the app home, `jobs/<id>/`, so a reload, another
page or a restart of the app finds every job where it was left.

One concern per file, each importing only those above it (but `Job` asks the engine, when
it runs, which jobs this process holds):

    spec.py     `JobSpec`, `JobKind` and `KINDS`, the states, settings, errors, messages
    files.py    the job's folder: its layout, atomic JSON, the state file, `alive`
    job.py      `Job`, what pages see: a job's state and events, read from its folder
    context.py  what work sees: `JobContext` in memory, on the console, or in the files
    worker.py   the Ray task that runs a job in a worker process and records its end
    ray_engine.py  `JobEngine` and `engine()`: Ray, submitting, cancelling, dead workers

Callers use `from core.jobs import X` (or `from core import jobs; jobs.X`), so every
public name is re-exported here. Ray is imported only inside the functions that use it.
"""

from core.jobs.context import ConsoleJobContext, FileJobContext, JobContext
from core.jobs.files import jobs_dir
from core.jobs.job import Job
from core.jobs.ray_engine import ROOT, JobEngine, engine, forget_old_jobs
from core.jobs.spec import (
    ADDRESS_VAR,
    ALIVE_EVERY_S,
    BACKUP_DIR,
    CANCELLED,
    DEFAULT_PER_OWNER,
    DONE,
    FAILED,
    FINISHED,
    INTERRUPTED,
    INTERRUPTED_MESSAGE,
    KEEP_FINISHED_S,
    KINDS,
    PER_OWNER_VAR,
    PROGRESS_EVERY_S,
    QUEUED,
    RUNNING,
    STALE_AFTER_S,
    STOPPED,
    WORKER_DIED_MESSAGE,
    JobFailed,
    JobKind,
    JobRejected,
    JobSpec,
    register_kind,
)
from core.jobs.worker import (
    WORKER_NICE,
    background_priority,
    plain_error,
    resolve_inputs,
    run_in_worker,
)

__all__ = [
    # spec.py
    "ADDRESS_VAR", "ALIVE_EVERY_S", "BACKUP_DIR", "CANCELLED", "DEFAULT_PER_OWNER", "DONE",
    "FAILED", "FINISHED", "INTERRUPTED", "INTERRUPTED_MESSAGE", "KEEP_FINISHED_S", "KINDS",
    "PER_OWNER_VAR", "PROGRESS_EVERY_S", "QUEUED", "RUNNING", "STALE_AFTER_S", "STOPPED",
    "WORKER_DIED_MESSAGE", "JobFailed", "JobKind", "JobRejected", "JobSpec", "register_kind",
    # files.py
    "jobs_dir",
    # job.py
    "Job",
    # context.py
    "ConsoleJobContext", "FileJobContext", "JobContext",
    # worker.py
    "WORKER_NICE", "background_priority", "plain_error", "resolve_inputs", "run_in_worker",
    # ray_engine.py
    "ROOT", "JobEngine", "engine", "forget_old_jobs",
]
