"""A class at once: 30 users each submit a tiny training job, on the embedded single-node
Ray and on a simulated two-node cluster of the same machine (each node gets half the
cores). Two of the users cancel before their job starts, and two stop theirs while it
trains, as people do.

Each scenario runs in its own process with a fresh Ray and app home. Figures: jobs per
minute (from the first submission to the last job's end), p50 and p95 of the queue wait
(submitted to started), the peak memory of the driver plus every Ray process, and the
jobs lost (ended in no final state, or failed without a message).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USERS = 30

SCENARIO = r"""
import dataclasses, json, os, sys, time
sys.path.insert(0, sys.argv[1])
nodes = int(sys.argv[2])
import numpy as np
import ray
from benchmarks.procs import PeakMemory
from core import data, training
from core.events import Batch
from core.jobs import CANCELLED, DONE, FAILED, FINISHED, STOPPED, engine
from core.config import ModelConfig

cluster = None
if nodes > 1:
    from ray.cluster_utils import Cluster
    cpus = max(1, (os.cpu_count() or 2) // nodes)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": cpus})
    for _ in range(nodes - 1):
        cluster.add_node(num_cpus=cpus)
    os.environ["RNNLAB_RAY_ADDRESS"] = cluster.address
os.environ["RNNLAB_JOBS_PER_USER"] = "1"
imdb = data.load_imdb()
small = dataclasses.replace(imdb, test=imdb.test.sample(300, random_state=1))
config = ModelConfig(vocab_size=1000, seq_len=64, embed_dim=16, units=16, batch_size=32,
                     epochs=1, train_size=600, val_share=0.2, embeddings="learned")
engine().ray_ready()
with PeakMemory([os.getpid()]) as memory:
    start = time.time()
    jobs = [training.submit_training(dataclasses.replace(config, seed=user), small,
                                     name=f"user {user}", owner=f"user-{user}")
            for user in range(int(sys.argv[3]))]
    cancel, stop = jobs[-2:], jobs[3:5]  # the last in line cancel; two stop midway
    for job in cancel:
        engine().cancel(job)
    for job in stop:
        while not job.finished and not any(isinstance(e, Batch) for e in job.events()):
            time.sleep(0.05)
        job.stop()
    for job in jobs:
        job.wait(1800)
    end = max(j.finished_at or time.time() for j in jobs)
waits = [j.started_at - j.submitted_at for j in jobs if j.started_at]
states = [j.state for j in jobs]
lost = sum(1 for j in jobs if j.state not in FINISHED or (j.state == FAILED and not j.error))
print(json.dumps({
    "jobs_per_min": len(jobs) / (end - start) * 60,
    "wait_p50_s": float(np.percentile(waits, 50)), "wait_p95_s": float(np.percentile(waits, 95)),
    "peak_mb": memory.peak_mb, "lost": lost,
    "done": states.count(DONE), "stopped": states.count(STOPPED),
    "cancelled": states.count(CANCELLED), "failed": states.count(FAILED),
    "nodes_used": len({j.node_id for j in jobs if j.node_id}),
}))
ray.shutdown()
if cluster is not None:
    cluster.shutdown()
"""


def scenario(nodes: int, users: int = USERS) -> dict[str, float]:
    env = {**os.environ, "RNNLAB_HOME": tempfile.mkdtemp(prefix="rnnlab-bench-jobs-"),
           "PYTHONPATH": str(ROOT)}
    # The parsed dataset is cached per home; share the user's cache to skip re-parsing.
    cache = Path(os.environ.get("RNNLAB_HOME") or Path.home() / ".rnnlab") / "cache"
    if cache.is_dir():
        os.symlink(cache, Path(env["RNNLAB_HOME"]) / "cache")
    for name in ("RAY_ADDRESS", "RNNLAB_RAY_ADDRESS"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", SCENARIO, str(ROOT), str(nodes), str(users)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"the {nodes}-node scenario failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(emit: Callable[..., None]) -> None:
    results = {}
    for nodes, label in ((1, "one_node"), (2, "two_nodes")):
        figures = results[label] = scenario(nodes)
        emit(f"jobs_{label}_per_min", figures["jobs_per_min"], "jobs/min")
        emit(f"jobs_{label}_wait_p50_s", figures["wait_p50_s"], "s")
        emit(f"jobs_{label}_wait_p95_s", figures["wait_p95_s"], "s")
        emit(f"jobs_{label}_peak_mb", figures["peak_mb"], "MB")
        emit(f"jobs_{label}_lost", figures["lost"], "jobs")
        emit(f"jobs_{label}_nodes_used", figures["nodes_used"], "nodes")
        print(f"# {label}: {figures['done']} done, {figures['stopped']} stopped, "
              f"{figures['cancelled']} cancelled, {figures['failed']} failed", flush=True)
    emit("jobs_two_over_one_node", results["two_nodes"]["jobs_per_min"]
         / results["one_node"]["jobs_per_min"], "x")
