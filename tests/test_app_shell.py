"""The app shell: navigation, home page and the dataset sidebar, through Streamlit's AppTest."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def test_home_renders_with_links_and_dataset_status(imdb_path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "🔁 RNN Lab"
    assert any("IMDB archive" in c.value for c in at.sidebar.caption)


def test_missing_dataset_is_explained_and_app_still_opens(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(tmp_path / "nowhere.tar.gz"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "🔁 RNN Lab"
    assert "Nothing at" in at.sidebar.warning[0].value
