"""The Compare page through AppTest (on a small copy of IMDB) and in a real browser."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import wait_for_app, write_small_imdb
from core import compare
from core.jobs import DONE, engine

ROOT = Path(__file__).resolve().parents[1]
TINY_SETTINGS = {"cmp_train_size": 160, "cmp_epochs": 1, "cmp_vocab_size": 300,
                 "cmp_seq_len": 24, "cmp_batch_size": 32, "cmp_embed_dim": 8, "cmp_units": 8}


@pytest.fixture
def small_imdb_copy(imdb, tmp_path, monkeypatch):
    """A real-layout IMDB folder with 100 reviews per class to train on and 40 to test on."""
    reviews = {}
    for split, folder, label, n in (("train", "pos", 1, 100), ("train", "neg", 0, 100),
                                    ("test", "pos", 1, 40), ("test", "neg", 0, 40)):
        frame = imdb.split(split)
        reviews[(split, folder)] = frame[frame["label"] == label]["text"].head(n).tolist()
    reviews[("train", "unsup")] = ["an unlabelled review"]
    folder = write_small_imdb(tmp_path, reviews)
    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(folder))
    return folder


def compare_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/compare.py")
    return at.run()


@pytest.mark.slow
def test_page_trains_two_models_and_shows_the_table_charts_and_csv(small_imdb_copy):
    at = compare_page()
    assert not at.exception
    assert any("Press **Compare**" in i.value for i in at.info)
    at.multiselect(key="cmp_archs").set_value(["lstm", "bilstm"])
    for key, value in TINY_SETTINGS.items():
        at.number_input(key=key).set_value(value)
    at.run()
    assert not at.exception and not at.error
    plan_caption = " ".join(c.value for c in at.caption)
    assert "trains 2 of the 2 models" in plan_caption and " in all on two CPU cores" in plan_caption

    at.button(key="cmp_start").click().run()
    assert not at.exception
    job = engine().get(at.session_state["compare_job"])
    assert job is not None and job.wait(300), "the comparison did not finish"
    assert job.state == DONE, job.error
    at.run()
    at.run()  # the live fragment sees the end and redraws the page with the results
    assert not at.exception

    table = at.dataframe[0].value
    assert at.dataframe[0].proto.placeholder == "–"  # a baseline has no epochs: "–", not "None"
    assert list(table["model"]) == ["LSTM 8×1", "BiLSTM 8×1", "VADER (lexicon)",
                                    "TF-IDF + logistic regression", "NB-LR (1-3-grams)"]
    assert (table["status"] == "done").all()
    assert table["test_accuracy"].between(0, 1).all()
    assert table.loc[0, "epoch_s_vs_lstm"] == 1.0 and table.loc[1, "epoch_s_vs_lstm"] > 0
    assert len(at.get("plotly_chart")) == 4
    assert any("Download the table" in str(b.proto.label) for b in at.get("download_button"))
    assert any("Most accurate" in m.value for m in at.markdown)

    # The same settings again: both models are reused, nothing to train.
    at.run()
    assert "trains 0 of the 2 models" in " ".join(c.value for c in at.caption)


def test_page_explains_bad_settings_and_a_missing_dataset(small_imdb_copy, tmp_path,
                                                          monkeypatch):
    at = compare_page()
    at.number_input(key="cmp_train_size").set_value(100_000).run()
    assert not at.exception
    assert any("at most 200" in e.value for e in at.error)
    assert at.button(key="cmp_start").disabled
    at.multiselect(key="cmp_archs").set_value([]).run()
    assert any("at least one architecture" in e.value for e in at.error)

    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(tmp_path / "nowhere.tar.gz"))
    at = compare_page()
    assert not at.exception
    assert at.error and any("Download" in b.label for b in at.button)


@pytest.mark.browser
def test_browser_compare_runs_and_shows_results(page, app_url, screenshot, imdb):
    page.goto(f"{app_url}/compare")
    page.get_by_text("What to compare").wait_for(timeout=120_000)
    wait_for_app(page)
    # Only the LSTM and TF-IDF, to keep the browser test short: each baseline scores all
    # 25,000 test reviews (NB-LR's 1-3-grams alone take about 20 s; the AppTest covers it).
    archs = page.locator("[data-testid='stMultiSelect']").first
    for name in ("SimpleRNN", "GRU", "BiLSTM"):
        archs.get_by_role("button", name=f"Remove {name}").click()
        wait_for_app(page)
    baselines = page.locator("[data-testid='stMultiSelect']").nth(1)
    for name in ("VADER (lexicon)", "NB-LR"):
        baselines.get_by_role("button", name=re.compile(f"^Remove {re.escape(name)}")).click()
        wait_for_app(page)
    for key, value in TINY_SETTINGS.items():
        box = page.get_by_label(compare_label(key), exact=True)
        box.fill(str(value))
        box.press("Enter")
        wait_for_app(page)
    page.get_by_role("button", name="▶ Compare").click()
    # The whole comparison, not just its first row: a test leaves no job running behind.
    page.get_by_text("Comparison finished").wait_for(timeout=300_000)
    page.get_by_text("Download the table (CSV)").wait_for()
    wait_for_app(page)
    page.locator(".js-plotly-plot").nth(3).wait_for()
    # Streamlit scrolls inside its own container, so a tall window shows the whole page.
    page.set_viewport_size({"width": 1400, "height": 3200})
    wait_for_app(page)
    screenshot(page, "compare_page")
    assert page.get_by_text("TF-IDF + logistic regression").count() > 0


def compare_label(key: str) -> str:
    from core.config import FIELD_LABELS

    return FIELD_LABELS[key.removeprefix("cmp_")]


def test_column_labels_cover_every_table_column():
    assert set(compare.COLUMNS) >= set(compare.METRICS) | set(compare.RATIOS)
