"""Shared fixtures: the real IMDB archive, small archives made on the fly, an isolated app
home, and a harness that serves the real app and drives it in headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("RNNLAB_CHROMIUM")  # a browser of one's choosing
DEBIAN_CHROMIUM = "/usr/bin/chromium"

# Every test session gets its own app home (cache, runs), so tests never touch ~/.rnnlab
# and start from nothing, as CI does. Set before any `core` import reads it.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="rnnlab-test-home-"))
os.environ["RNNLAB_HOME"] = str(_SESSION_HOME)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def imdb_path() -> Path:
    """The shared IMDB archive that `.ci/run` points RNNLAB_IMDB_PATH at."""
    value = os.environ.get("RNNLAB_IMDB_PATH") or str(ROOT.parent / "shared/data/aclImdb_v1.tar.gz")
    path = Path(value)
    if not path.exists():
        pytest.fail(f"The IMDB archive is missing at {path}: set RNNLAB_IMDB_PATH.")
    os.environ["RNNLAB_IMDB_PATH"] = str(path)
    return path


@pytest.fixture(scope="session")
def imdb(imdb_path: Path):
    """The full dataset, parsed once per test session into the session's cache."""
    from core import data

    return data.load_imdb(imdb_path)


REVIEWS = {
    ("train", "pos"): [
        "A wonderful film.<br /><br />Loved every minute!", "Great acting &amp; story",
    ],
    ("train", "neg"): ["Awful. Truly awful.", "Boring <i>and</i> far too long."],
    ("train", "unsup"): ["No label here.", "Another unlabelled review."],
    ("test", "pos"): ["Brilliant and moving."],
    ("test", "neg"): ["A waste of time."],
}


def write_small_imdb(root: Path, reviews: dict[tuple[str, str], list[str]] = REVIEWS) -> Path:
    """An `aclImdb` folder with the official layout and names `<id>_<stars>.txt`."""
    base = root / "aclImdb"
    for (split, folder), texts in reviews.items():
        directory = base / split / folder
        directory.mkdir(parents=True, exist_ok=True)
        for i, text in enumerate(texts):
            stars = 0 if folder == "unsup" else (8 + i if folder == "pos" else 1 + i)
            (directory / f"{i}_{stars}.txt").write_text(text, encoding="utf-8")
    (base / "README").write_text("small test copy", encoding="utf-8")
    return base


def write_small_archive(path: Path, reviews: dict[tuple[str, str], list[str]] = REVIEWS) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        base = write_small_imdb(Path(tmp), reviews)
        with tarfile.open(path, "w:gz") as archive:
            archive.add(base, arcname="aclImdb")
    return path


@pytest.fixture
def small_imdb_folder(tmp_path: Path) -> Path:
    return write_small_imdb(tmp_path)


@pytest.fixture
def small_imdb_archive(tmp_path: Path) -> Path:
    return write_small_archive(tmp_path / "aclImdb_v1.tar.gz")


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty app home for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("RNNLAB_HOME", str(home))
    return home


# --- The browser harness --------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_app() -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free port, with this session's home and dataset; the
    process and its URL once it answers."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"streamlit did not start; log:\n{Path(log.name).read_text()[-3000:]}")
        time.sleep(0.3)


@pytest.fixture(scope="session")
def app_url(imdb_path: Path) -> Iterator[str]:
    """The app served for the whole session's browser tests."""
    process, url = serve_app()
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


HOW_TO_GET_CHROMIUM = ("`make test` installs one where it can (Playwright's download, or "
                       "Debian's chromium as root); or set RNNLAB_CHROMIUM to a Chromium binary")


def find_chromium(playwright=None) -> tuple[str | None, str | None]:
    """(the Chromium to launch, None for Playwright's own; why there is none, or None)."""
    if CHROMIUM:
        found = Path(CHROMIUM).exists()
        return CHROMIUM, None if found else f"No Chromium at RNNLAB_CHROMIUM={CHROMIUM}"
    if Path(DEBIAN_CHROMIUM).exists():
        return DEBIAN_CHROMIUM, None
    from playwright.sync_api import sync_playwright

    if playwright is None:
        with sync_playwright() as started:
            return find_chromium(started)
    if Path(playwright.chromium.executable_path).exists():
        return None, None
    return None, f"No Chromium found (neither {DEBIAN_CHROMIUM} nor Playwright's own)"


def browser_required() -> bool:
    """In CI (where `.ci/run` installs Chromium) every browser test must run."""
    return bool(os.environ.get("CI") or os.environ.get("RNNLAB_REQUIRE_BROWSER"))


_NOT_RUN: list[str] = []  # why the browser tests were left out of this session, if they were


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium (and outside CI), leave the browser tests out, and say so once."""
    browser_tests = [item for item in items if item.get_closest_marker("browser")]
    if not browser_tests or browser_required():
        return
    _, problem = find_chromium()
    if problem:
        config.hook.pytest_deselected(items=browser_tests)
        items[:] = [item for item in items if not item.get_closest_marker("browser")]
        _NOT_RUN.append(f"{len(browser_tests)} browser tests not run: {problem}. "
                        f"{HOW_TO_GET_CHROMIUM}.")


def pytest_terminal_summary(terminalreporter) -> None:
    for line in _NOT_RUN:
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable, problem = find_chromium(playwright)
        if problem:
            pytest.fail(f"{problem}: the browser tests cannot run. {HOW_TO_GET_CHROMIUM}.")
        launched = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, app_url: str):
    """A fresh browser tab at 1400x1000 on the running app."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """Save a full-page screenshot under tests/artifacts/ (kept for people to look at)."""

    def take(tab, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take


def wait_for_app(tab, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit is connected and has finished running the script.

    The app root says so itself (`data-test-script-state`, set the moment a widget asks
    for a rerun); the 'Running…' status widget alone can lag behind a click, so a check
    right after one could pass before the rerun had begun."""
    tab.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    tab.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app
                && app.getAttribute('data-test-connection-state') === 'CONNECTED'
                && app.getAttribute('data-test-script-state') === 'notRunning'
                && !document.querySelector('[data-testid="stStatusWidget"]');
        }""",
        timeout=timeout_ms,
    )



def charts_cut_at_the_edge(tab) -> list[str]:
    """The Plotly titles and axis titles that stick out of their chart's box (cut off on
    screen), as text; [] when every one fits."""
    return tab.evaluate("""() => {
        const cut = [];
        for (const plot of document.querySelectorAll('.js-plotly-plot')) {
            const box = plot.getBoundingClientRect();
            if (!box.width || !plot.checkVisibility()) continue;  // e.g. in a closed expander
            for (const label of plot.querySelectorAll('.gtitle, .g-xtitle text, .g-ytitle text')) {
                const r = label.getBoundingClientRect();
                if (r.width && (r.left < box.left - 1 || r.right > box.right + 1)) {
                    cut.push(label.textContent);
                }
            }
        }
        return cut;
    }""")


def at_phone_width(tab, width: int = 390) -> None:
    """Narrow the tab to a phone's width and let the charts lay themselves out again."""
    tab.set_viewport_size({"width": width, "height": 900})
    # Only the charts on screen lay themselves out again; one in a closed expander keeps
    # its old width until it is opened.
    tab.wait_for_function(
        "w => [...document.querySelectorAll('.js-plotly-plot')].every("
        "p => !p.checkVisibility() || p.getBoundingClientRect().width <= w)",
        arg=width, timeout=30_000)
    wait_for_app(tab)


def assert_screen_shows(tab, *texts: str, charts: int = 0) -> None:
    """What a person should see on this screen: each of `texts`, at least `charts` drawn
    charts, and no exception or error box."""
    assert tab.locator("[data-testid='stException']").count() == 0, "an exception is shown"
    errors = tab.locator("[data-testid='stAlertContentError']").all_inner_texts()
    assert not errors, f"error boxes on screen: {errors}"
    for text in texts:
        assert tab.get_by_text(text).first.is_visible(), f"{text!r} is not on screen"
    drawn = tab.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                         ".filter(p => p.checkVisibility()).length")
    assert drawn >= charts, f"{drawn} charts drawn, {charts} expected"
