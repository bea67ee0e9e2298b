"""The app shell: navigation, home page and the dataset sidebar, through Streamlit's AppTest."""

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
