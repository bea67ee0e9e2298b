"""The app shell: navigation, home page and the dataset sidebar, through Streamlit's AppTest."""

import json
import signal
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.text import escape_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_home_renders_with_links_and_dataset_status(imdb_path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "🔁 RNN Lab"
    assert any("IMDB archive" in c.value for c in at.sidebar.caption)
    # A first step, before the map of every page.
    assert "Start here: type a review" in at.markdown[1].value


def test_missing_dataset_is_explained_and_app_still_opens(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(tmp_path / "nowhere.tar.gz"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "🔁 RNN Lab"
    assert "Nothing at" in at.sidebar.warning[0].value


def test_sidebar_shows_a_typed_path_whole_and_as_text(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    typed = str(tmp_path / "my. **reviews**" / "aclImdb_v1.tar.gz")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["imdb_path"] = typed
    at.run()
    assert not at.exception
    warning = at.sidebar.warning[0].value
    assert "Nothing at" in warning and escape_markdown(typed) in warning  # not cut at ". "


def test_a_name_in_the_link_fills_the_sidebar_again_after_a_reload(imdb_path):
    # The sidebar keeps a typed name in the URL (`?name=`): a reload, a new session with
    # the same URL, finds it there.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["name"] = "Ada <b>L.</b>"
    at.run()
    assert not at.exception
    assert at.sidebar.text_input(key="user_name").value == "Ada <b>L.</b>"



@pytest.mark.browser
def test_browser_settings_survive_a_visit_to_another_page(page, app_url, imdb_path):
    from conftest import wait_for_app

    page.goto(f"{app_url}/compare")
    page.get_by_text("What to compare").wait_for(timeout=120_000)
    wait_for_app(page)
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("3")
    epochs.press("Enter")
    wait_for_app(page)
    page.locator("[data-testid='stMultiSelect']").first.get_by_role(
        "button", name="Remove GRU").click()
    wait_for_app(page)

    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Train").click()
    page.get_by_text("Start training").first.wait_for(timeout=120_000)
    wait_for_app(page)
    for label, value in (("Training reviews", "3000"), ("Vocabulary size", "0")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
    page.get_by_label("Run name (optional)").fill("my name")
    page.get_by_role("button", name="Start training").click()  # refused: vocabulary 0
    page.get_by_text("Some settings need changing").wait_for()

    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Home").click()
    page.get_by_text("RNN Lab").first.wait_for()
    wait_for_app(page)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Train").click()
    page.get_by_text("Start training").first.wait_for(timeout=120_000)
    wait_for_app(page)
    assert page.get_by_label("Training reviews", exact=True).input_value() == "3000"
    assert page.get_by_label("Run name (optional)").input_value() == "my name"
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Compare").click()
    page.get_by_text("What to compare").wait_for(timeout=120_000)
    wait_for_app(page)
    assert page.get_by_label("Epochs", exact=True).input_value() == "3"
    archs = page.locator("[data-testid='stMultiSelect']").first
    assert archs.get_by_role("button", name="Remove LSTM").count() == 1
    assert archs.get_by_role("button", name="Remove GRU").count() == 0


def _wait_for_ray_record(pid: int, timeout_s: float = 180) -> dict:
    """The record of the local Ray that app `pid` started, once it lists processes."""
    from core import settings
    from core.jobs import local_ray

    path = settings.app_home() / local_ray.RECORDS / f"{pid}.json"
    deadline = time.monotonic() + timeout_s
    while True:
        if path.exists():
            record = json.loads(path.read_text())
            if record.get("processes"):
                return record
        assert time.monotonic() < deadline, "the app never started its local Ray"
        time.sleep(0.2)


def _wait_until_ended(session_dir: str, timeout_s: float = 60) -> None:
    from core.jobs import local_ray

    deadline = time.monotonic() + timeout_s
    while local_ray.session_processes(session_dir):
        assert time.monotonic() < deadline, (
            f"left running: {local_ray.session_processes(session_dir)}")
        time.sleep(0.2)


@pytest.mark.browser
def test_browser_the_local_ray_ends_with_the_app_even_a_killed_one(browser, imdb_path):
    """A server ended with SIGTERM takes its Ray along, agents included; after a SIGKILL,
    the next server's start ends what was left."""
    from conftest import serve_app
    from core.jobs import local_ray

    def open_train_page(url: str) -> None:  # its first look at the jobs starts Ray
        context = browser.new_context()
        try:
            tab = context.new_page()
            tab.goto(f"{url}/train")
            tab.get_by_text("Start training").first.wait_for(timeout=180_000)
        finally:
            context.close()

    stopped, url = serve_app()
    open_train_page(url)
    record = _wait_for_ray_record(stopped.pid)
    assert local_ray.session_processes(record["session_dir"])
    stopped.send_signal(signal.SIGTERM)
    stopped.wait(60)
    _wait_until_ended(record["session_dir"])

    killed, url = serve_app()
    open_train_page(url)
    record = _wait_for_ray_record(killed.pid)
    agents = [pid for pid in map(int, record["processes"])
              if "Agent" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
    assert agents  # the dashboard and runtime-env agents, which outlived a killed app
    killed.kill()
    killed.wait(60)
    restarted, url = serve_app()
    try:
        open_train_page(url)
        _wait_for_ray_record(restarted.pid)  # after the leftovers were ended
        _wait_until_ended(record["session_dir"])
        assert not any(Path(f"/proc/{pid}").exists() for pid in agents)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(60)
