"""What a watching user feels, through a real browser: the same training run with 0, 1 and
3 Train pages open on it, in alternating order, twice each.

The app runs as `make run` runs it (`streamlit run app.py`, its own local Ray); the job is
submitted here for a browser key, and opened on the Train page through its link
(`/train?train_job_id=<id>`) by browsers holding that key's cookie, exactly as a reloaded
page finds it. Throughput is
reviews per second from the job's own batch events, counted once the watchers' pages are
up and the run is 5 s in (so a page's one-off load and the graph's build are not counted).

Figures:
- `live_watched_over_unwatched_1` / `_3`: throughput with 1 / 3 pages open, over none.
- `server_cpu_pct_watched`: CPU of the Streamlit server process alone (not the Ray worker
  that trains) while one page watches, in percent of one core.
- `idle_train_page_cpu_pct`: the server's CPU while a Train page with no job is open.
- `second_user_render_s`: a second person opens the Train page while a job trains; seconds
  until its Start button is on screen (the median of three fresh browser contexts).
- `second_user_frontend_s`: of that, the seconds before the page opened its websocket: the
  browser loading and parsing Streamlit's JavaScript, before the server is asked anything.
- `live_peak_mb`: the peak memory of the app server, this process and every Ray process
  during one training.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from benchmarks.data import _free_port
from benchmarks.procs import CpuMeter, PeakMemory
from core.events import Batch

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = (0, 1, 3, 3, 1, 0)
SECOND_USER_TRIES = 3  # one try moved between 4 and 9 s from run to run
WARM_UP_S = 5.0  # the first seconds of a run build its graph: not its pace


def start_app(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
         str(port), "--server.headless", "true", "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the app did not start")


def throughput(job, since: float) -> float:
    """Reviews per second over the batches that ended after `since` (the watchers' pages
    are up and the run is past its first seconds), as the job's own batch events timed them:
    what a watched run keeps up, not the one-off cost of loading a page."""
    late = [e for e in job.events() if isinstance(e, Batch) and e.t >= since]
    if len(late) < 10:
        raise RuntimeError("the benchmark run ended before the pages were up; make it longer")
    size = job.config["model"]["batch_size"]
    return (len(late) - 1) * size / (late[-1].t - late[0].t)


def open_as_second_user(browser, url: str) -> tuple[float, float]:
    """Seconds until a fresh browser context shows the Train page's Start button, and
    seconds until its page had opened the websocket (until then the browser only loads
    and parses Streamlit's JavaScript; the server is asked nothing)."""
    context = browser.new_context()
    tab = context.new_page()
    opened: list[float] = []
    begin = time.perf_counter()
    tab.on("websocket", lambda _: opened.append(time.perf_counter() - begin))
    tab.goto(f"{url}/train")
    tab.get_by_text("Start training").first.wait_for(timeout=120_000)
    ready = time.perf_counter() - begin
    context.close()
    return ready, (opened[0] if opened else float("nan"))


def run(emit: Callable[..., None]) -> None:
    from playwright.sync_api import sync_playwright

    from core import data, identity, training
    from core.config import ModelConfig

    home = tempfile.mkdtemp(prefix="rnnlab-bench-live-")
    cache = Path(os.environ.get("RNNLAB_HOME") or Path.home() / ".rnnlab") / "cache"
    if cache.is_dir():
        os.symlink(cache, Path(home) / "cache")
    before = os.environ.get("RNNLAB_HOME")
    os.environ["RNNLAB_HOME"] = home
    env = {**os.environ, "RNNLAB_HOME": home}
    imdb = data.load_imdb()
    # Two epochs of 16,000 reviews with the Train page's model, learned word vectors (the
    # IMDB vectors would add their one-off 30 s to the first round only).
    config = ModelConfig(arch="lstm", train_size=16_000, epochs=2, embeddings="learned",
                         pooling="max", embed_dropout=0.3)
    server, url = start_app(env)
    rates: dict[int, list[float]] = {0: [], 1: [], 3: []}
    server_cpu: list[float] = []
    second_user: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            warm = browser.new_page()  # the server's first page load imports its pages
            warm.goto(f"{url}/train")
            warm.get_by_text("Start training").first.wait_for(timeout=120_000)
            warm.close()
            with PeakMemory([os.getpid(), server.pid]) as memory:
                for watchers in ROUNDS:
                    key = identity.new_browser_key()
                    job = training.submit_training(config, imdb, name=f"{watchers} watching",
                                                   owner=identity.owner_id(key))
                    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000})
                                for _ in range(watchers)]
                    for context in contexts:  # the owner's browser, as its cookie says
                        context.add_cookies([{"name": identity.COOKIE, "value": key,
                                              "url": url}])
                    tabs = [context.new_page() for context in contexts]
                    for tab in tabs:
                        tab.goto(f"{url}/train?train_job_id={job.id}")
                    for tab in tabs:
                        tab.get_by_text("Reviews per second").first.wait_for(timeout=300_000)
                    while not any(isinstance(e, Batch) for e in job.events()):
                        time.sleep(0.05)
                    first_batch = next(e.t for e in job.events() if isinstance(e, Batch))
                    since = max(time.time(), first_batch + WARM_UP_S)
                    time.sleep(max(0.0, since - time.time()))
                    meter = CpuMeter(server.pid).start()
                    if watchers == 1 and not second_user:
                        for _ in range(SECOND_USER_TRIES):
                            second_user.append(open_as_second_user(browser, url))
                    job.wait(1800)
                    if watchers == 1:
                        server_cpu.append(meter.stop())
                    for context in contexts:
                        context.close()
                    if job.state != "done":
                        raise RuntimeError(f"the benchmark run ended {job.state}: {job.error}")
                    rates[watchers].append(throughput(job, since))
                    print(f"# {watchers} watching: {rates[watchers][-1]:.0f} reviews/s",
                          flush=True)
            # A Train page with no job: it should cost the server nothing while it sits.
            idle = browser.new_context().new_page()
            idle.goto(f"{url}/train")
            idle.get_by_text("Start training").first.wait_for(timeout=120_000)
            time.sleep(2)
            meter = CpuMeter(server.pid).start()
            time.sleep(10)
            idle_cpu = meter.stop()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
        if before is None:
            os.environ.pop("RNNLAB_HOME", None)
        else:
            os.environ["RNNLAB_HOME"] = before
    unwatched = statistics.mean(rates[0])
    emit("live_unwatched_sps", unwatched, "reviews/s")
    emit("live_watched_over_unwatched_1", statistics.mean(rates[1]) / unwatched, "x")
    emit("live_watched_over_unwatched_3", statistics.mean(rates[3]) / unwatched, "x")
    emit("server_cpu_pct_watched", statistics.mean(server_cpu), "%")
    emit("idle_train_page_cpu_pct", idle_cpu, "%")
    emit("second_user_render_s", statistics.median(r for r, _ in second_user), "s")
    emit("second_user_frontend_s", statistics.median(f for _, f in second_user), "s")
    emit("live_peak_mb", memory.peak_mb, "MB")
