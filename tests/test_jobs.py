"""The job engine on a real local Ray: worker processes, events, stop, cancel, owners,
failures, a killed worker, a restart, and a two-node cluster."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import job_kinds
import pytest
from job_kinds import Started, Tick

from core import jobs
from core.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    STOPPED,
    JobContext,
    JobRejected,
    JobSpec,
    engine,
)

pytestmark = pytest.mark.slow  # trains models or runs jobs on Ray

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def kinds():
    job_kinds.register()


def hold(tmp_path, name="hold", owner=None, kind="hold"):
    release = tmp_path / f"release-{name}"
    return engine().submit(JobSpec(kind, name, {"release": str(release), "value": name},
                                   owner)), release


def wait_for(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_runs_in_a_worker_process_and_its_events_arrive_in_order(tmp_path):
    job, release = hold(tmp_path, "a")
    wait_for(lambda: len(job.events()) > 5)
    assert job.state == RUNNING and job.pid != os.getpid()
    events, offset = job.read_events()
    assert isinstance(events[0], Started) and events[0].pid == job.pid
    ticks = [e.n for e in events if isinstance(e, Tick)]
    assert ticks == list(range(1, len(ticks) + 1))
    wait_for(lambda: len(job.read_events(offset)[0]) > 0)
    newer, _ = job.read_events(offset)  # only what came after the first look
    assert isinstance(newer[0], Tick) and newer[0].n == ticks[-1] + 1
    release.touch()
    assert job.wait(60) and job.state == DONE
    assert job.result == {"ticks": job.result["ticks"], "pid": job.pid, "value": "a"}
    assert job.progress == 1.0 and job.finished_at >= job.started_at


def test_stop_is_seen_by_running_work_and_cancel_takes_queued_jobs_out(tmp_path):
    running, release = hold(tmp_path, "running")
    waiting, _ = hold(tmp_path, "waiting")  # each takes every CPU: it waits
    wait_for(lambda: running.state == RUNNING)
    assert waiting.state == QUEUED and engine().position(waiting) == 1
    assert engine().wait_estimate_s(waiting) > 0
    assert engine().cancel(waiting) and waiting.state == CANCELLED
    assert engine().position(waiting) == 0 and not engine().cancel(running)
    running.stop()
    assert running.wait(60) and running.state == STOPPED
    assert waiting.wait(60) and waiting.state == CANCELLED and waiting.result is None
    assert not any(isinstance(e, Started) for e in waiting.events())
    release.touch()


def test_owners_see_only_their_jobs_and_have_a_limit(tmp_path, monkeypatch):
    monkeypatch.setenv(jobs.PER_OWNER_VAR, "1")
    ann, release = hold(tmp_path, "ann", owner="ann", kind="hold_light")
    assert engine().get(ann.id, owner="ann") == ann
    assert engine().get(ann.id, owner="ben") is None  # so ben has no Stop for it
    assert engine().jobs("ben") == [] and engine().jobs("ann") == [ann]
    with pytest.raises(JobRejected, match="already have 1 job"):
        hold(tmp_path, "ann-again", owner="ann")
    ben, _ = hold(tmp_path, "ben", owner="ben", kind="hold_light")
    release.touch()
    (tmp_path / "release-ben").touch()
    assert ann.wait(60) and ben.wait(60) and ann.state == DONE and ben.state == DONE
    assert engine().get("../../etc", owner="ann") is None


def test_one_user_name_shares_one_limit_across_browser_sessions(tmp_path, monkeypatch):
    monkeypatch.setenv(jobs.PER_OWNER_VAR, "1")
    release = tmp_path / "release-ada"
    spec = {"release": str(release)}
    first = engine().submit(JobSpec("hold_light", "tab 1", spec, owner="tab1", user="Ada L."))
    # Another tab (another session) of the same person: the name's limit applies.
    with pytest.raises(JobRejected, match="(?i)ada l. already has 1 job"):
        engine().submit(JobSpec("hold_light", "tab 2", spec, owner="tab2", user="ada l."))
    other = engine().submit(JobSpec("hold_light", "Grace", spec, owner="tab3", user="Grace"))
    assert engine().get(first.id, owner="tab2") is None  # the name does not share jobs
    release.touch()
    assert first.wait(60) and other.wait(60)
    again = engine().submit(JobSpec("hold_light", "tab 2", spec, owner="tab2", user="Ada L."))
    assert again.wait(60) and again.user == "Ada L."


def test_failures_reach_the_user_as_a_sentence_with_the_trace_apart(tmp_path):
    plain = engine().submit(JobSpec("fail", "plain", {"plain": True}))
    odd = engine().submit(JobSpec("fail", "odd", {}))
    assert plain.wait(60) and odd.wait(60)
    assert plain.state == FAILED and plain.error == "A message for the user."
    assert plain.details is None
    assert odd.state == FAILED and "unexpected error (KeyError)" in odd.error
    assert "Traceback" not in odd.error and "KeyError: 'missing'" in odd.details


def test_a_killed_worker_fails_its_job_with_a_message(tmp_path):
    job, _ = hold(tmp_path, "killed")
    wait_for(lambda: job.state == RUNNING and job.pid)
    os.kill(job.pid, signal.SIGKILL)
    assert job.wait(60) and job.state == FAILED
    assert "worker process running this job died" in job.error


def test_a_job_nobody_keeps_alive_reads_as_interrupted(tmp_path):
    # What a restart leaves: a running job whose app and worker are gone.
    folder = jobs.jobs_dir() / "20200101-000000-abandoned"
    folder.mkdir()
    (folder / "spec.json").write_text(json.dumps(
        {"kind": "train", "name": "old", "owner": "ann", "config": {},
         "submitted_at": time.time() - 600}))
    (folder / "state.json").write_text(json.dumps({"state": RUNNING, "progress": 0.4}))
    (folder / "alive").touch()
    stale = time.time() - jobs.STALE_AFTER_S - 5
    os.utime(folder / "alive", (stale, stale))
    job = engine().get(folder.name, owner="ann")
    assert job.state == INTERRUPTED and "restart" in job.error
    assert job.finished and job.progress == 0.4


def test_a_local_context_is_what_scripts_and_tests_pass_to_work():
    job = JobContext("direct")
    job.publish(Tick(n=5))
    job.set_progress(0.5, 3.0, "half way")
    assert not job.stop_requested
    job.stop()
    assert job.stop_requested and job.stop_seen
    assert job.events() == [Tick(n=5, t=job.events()[0].t)] and job.message == "half way"


TWO_NODES = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
import ray
from ray.cluster_utils import Cluster
cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
cluster.add_node(num_cpus=1)
os.environ["RNNLAB_RAY_ADDRESS"] = cluster.address
from core.jobs import JobKind, JobSpec, engine, register_kind
register_kind("hold", JobKind("tests.job_kinds:hold", cpus="all"))
release = os.path.join(os.environ["RNNLAB_HOME"], "go")
started = [engine().submit(JobSpec("hold", f"job {i}", {"release": release}))
           for i in range(2)]
deadline = time.monotonic() + 120
while not all(j.state == "running" for j in started) and time.monotonic() < deadline:
    time.sleep(0.05)
open(release, "w").close()
print(json.dumps({"states": [j.state for j in started],
                  "nodes": [j.node_id for j in started]}))
for j in started:
    j.wait(60)
ray.shutdown()
cluster.shutdown()
"""


def test_a_two_node_cluster_runs_jobs_on_both_nodes(tmp_path):
    env = {**os.environ, "RNNLAB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run([sys.executable, "-c", TWO_NODES, str(ROOT)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # Each job asks for every CPU of a node (one here), so both run at once only on two.
    assert report["states"] == ["running", "running"]
    assert len(set(report["nodes"])) == 2


def test_every_kind_of_job_names_a_runner_that_exists():
    """A runner is found by its "module:function" name in the worker; a module moved
    without its name updated would fail only when someone clicks."""
    import importlib

    for name, kind in jobs.KINDS.items():
        module, function = kind.runner.split(":")
        assert callable(getattr(importlib.import_module(module), function)), name
