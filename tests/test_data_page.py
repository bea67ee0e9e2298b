"""The Data page through AppTest and in a real browser."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import wait_for_app
from core import text

ROOT = Path(__file__).resolve().parents[1]


def data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/data.py")
    return at.run()


def test_data_page_shows_counts_charts_and_token_ids(imdb):
    at = data_page()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training reviews"] == "25,000" and metrics["Unlabelled reviews"] == "50,000"
    assert metrics["Positive share (train)"] == "50%"

    at.text_input(key="tokenizer_text").input("The film was great <b>zzqq</b>").run()
    assert not at.exception
    sequence = at.code[0].value
    ids = [int(i) for i in sequence.strip("[]").split(",")]
    assert len(ids) == 20 and ids[5:] == [0] * 15  # 5 tokens, then padding
    assert ids[4] == 1  # "bzzqqb" is unknown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tokens"] == "5" and metrics["Unknown words"] == "1"


def test_data_page_length_slider_and_upload_errors(imdb):
    at = data_page()
    at.slider(key="data_seq_len").set_value(500).run()
    assert not at.exception
    at.number_input(key="demo_seq_len").set_value(5).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tokens cut"] == "4"  # 9 tokens in the default sentence


def test_data_page_explains_a_missing_dataset(tmp_path, monkeypatch, imdb_path):
    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(tmp_path / "gone.tar.gz"))
    at = data_page()
    assert not at.exception
    assert "Nothing at" in at.error[0].value
    assert any("Download" in b.label for b in at.button)


@pytest.mark.browser
def test_browser_tokenizer_shows_ids(page, app_url, screenshot, imdb):
    page.goto(f"{app_url}/data")
    wait_for_app(page)
    page.get_by_text("Training reviews").first.wait_for()
    box = page.get_by_label("Type a sentence")
    box.fill("A truly great film")
    box.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('code')].some(c => c.innerText.startsWith('[') "
        "&& c.innerText.includes(', 0, 0'))"
    )
    wait_for_app(page)
    code = page.locator("code").filter(has_text="[").first.inner_text()
    ids = [int(i) for i in code.strip("[]").split(",")]
    vocabulary = text.cached_vocabulary(imdb.train["text"].tolist(), 10_000,
                                        cache_key=str(imdb.source.path))
    expected = text.vectorizer_from_vocabulary(vocabulary, 20)(["A truly great film"])
    assert ids == np.asarray(expected)[0].tolist()
    assert all(i > 1 for i in ids[:4]) and ids[4:] == [0] * 16
    shot = screenshot(page, "data_page")
    assert shot.stat().st_size > 10_000


def test_download_button_reports_failure_offline(tmp_path, monkeypatch, imdb_path):
    from core import settings
    from core.jobs import job_queue

    monkeypatch.setenv("RNNLAB_IMDB_PATH", "")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    # No internet here; a closed local port fails the same way, only faster.
    monkeypatch.setattr(settings, "IMDB_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    at = data_page()
    assert "were not found" in at.error[0].value
    at.button(key="download_imdb").click().run()
    job = job_queue().get(at.session_state["imdb_download_job"])
    assert job.wait(60) and job.state == "failed"
    at.run()
    assert any("download failed" in e.value for e in at.error)
    assert not (tmp_path / "keras" / "datasets" / "aclImdb_v1.tar.gz").exists()
