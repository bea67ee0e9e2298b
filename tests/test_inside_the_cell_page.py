"""The "Inside the cell" page through AppTest, its charts' escaping, and a browser screenshot."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from conftest import assert_screen_shows, wait_for_app
from core.charts import cell
from core.charts.describe import REPEAT_MARK, describe_figure
from core.gates import GateTrace
from core.jobs import engine

ROOT = Path(__file__).resolve().parents[1]


def cell_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/inside_the_cell.py")
    return at.run()


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def finish_job(at: AppTest, key: str) -> AppTest:
    job = engine().get(at.session_state[key])
    assert job.wait(240), "the experiment did not finish"
    assert job.state == "done", job.error
    return at.run()


def save_small_model(arch: str) -> str:
    from core import text
    from core.config import ModelConfig
    from core.models import build_model, end_to_end
    from core.runs import run_store

    texts = ["a great film", "an awful film", "great acting", "boring plot"] * 5
    vectorizer = text.make_vectorizer(texts, vocab_size=30, seq_len=16)
    config = ModelConfig(arch=arch, vocab_size=30, seq_len=16, embed_dim=6, units=5,
                         dropout=0.0, train_size=20, epochs=1)
    model = end_to_end(vectorizer, build_model(config))
    return run_store().save(model=model, kind="sentiment", config=config.to_dict(),
                            name=f"tiny {arch}", vocabulary=vectorizer.get_vocabulary())


@pytest.mark.slow
def test_page_explains_and_runs_the_long_range_experiment(isolated_home):
    at = cell_page()
    assert not at.exception
    assert [t.label for t in at.tabs][:3] == [
        "📉 Vanishing gradients", "💥 Exploding gradients", "🚪 The gates"]
    assert any("long-range task" in s.value for s in at.subheader)
    # How long the experiments take is said before they start.
    estimates = [c.value for c in at.caption if c.value.startswith("With the starting settings")]
    assert len(estimates) == 2 and all(" s" in e for e in estimates)

    at.multiselect(key="lr_lengths").set_value([2, 5])
    at.multiselect(key="lr_archs").set_value(["simple_rnn", "lstm"])
    at.number_input(key="lr_train_size").set_value(64)
    at.number_input(key="lr_epochs").set_value(1)
    at = finish_job(click(at, "Run the experiment"), "cell_long_range_job")
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) >= 2
    assert any("First step ÷ last step" in m.value for m in at.markdown)
    at.radio(key="lr_when").set_value("after training").run()
    assert not at.exception
    [slider] = [s for s in at.select_slider if s.key.startswith("lr_show_length")]
    assert slider.value == 5
    slider.set_value(2).run()

    # A second run: the slider follows the run drawn, not the one picked before.
    at.multiselect(key="lr_lengths").set_value([2, 10])
    at.multiselect(key="lr_archs").set_value(["simple_rnn"])
    at = finish_job(click(at, "Run the experiment"), "cell_long_range_job")
    [slider] = [s for s in at.select_slider if s.key.startswith("lr_show_length")]
    assert slider.value == 10 and not at.exception


def test_memory_on_your_own_sentence_scores_each_word(isolated_home):
    save_small_model("gru")  # the user's own runs are offered beside the shipped cells
    at = cell_page()
    box = at.multiselect(key="memory_models")
    assert box.value == ["SimpleRNN (shipped)", "LSTM (shipped)", "GRU (shipped)"]
    assert any(o.startswith("tiny gru (trained") for o in box.options)
    assert not any("Completeness" in c.value for c in at.caption)  # nothing until asked
    at = click(at, "Score each word")
    assert not at.exception
    assert any("Completeness" in c.value for c in at.caption)
    [table] = [d.value for d in at.dataframe if "most decisive word" in d.value.columns]
    assert list(table["model"]) == box.value and table["P(positive)"].between(0, 1).all()
    at.text_area(key="memory_text").input("!!! ???")
    at = click(at, "Score each word")
    assert not at.exception
    assert any("no words" in w.value for w in at.warning)


@pytest.mark.slow
def test_exploding_demo_shows_the_nan_guard_and_the_clipped_run(isolated_home):
    at = cell_page()
    at.number_input(key="ex_steps").set_value(20)
    at = finish_job(click(at, "Train both"), "cell_exploding_job")
    assert not at.exception
    assert any("NaN guard fired" in e.value for e in at.error)
    assert any("stayed finite" in s.value for s in at.success)


def test_bad_settings_get_messages_not_jobs(isolated_home):
    at = cell_page()
    at.multiselect(key="lr_archs").set_value([])
    at = click(at, "Run the experiment")
    assert not at.exception
    assert any("at least one architecture" in e.value and "SimpleRNN, LSTM or GRU" in e.value
               for e in at.error)
    assert "cell_long_range_job" not in at.session_state


def test_a_missing_dataset_is_explained_before_the_reviews_experiment(
        isolated_home, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(tmp_path / "gone.tar.gz"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    at = cell_page()
    assert not at.exception
    assert any("Nothing at" in e.value for e in at.error)
    # Drawn on every run, not only after a click, so that its own button works.
    assert any(b.key == "download_imdb" for b in at.button)
    assert next(b for b in at.button if b.label == "Measure on reviews").disabled
    # The embedding size is a setting of its own, not silently the number of units.
    assert at.number_input(key="rv_embed_dim").value == at.number_input(key="rv_units").value


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_gates_of_a_saved_model_for_any_text(isolated_home, arch):
    save_small_model(arch)
    at = cell_page()
    assert not at.exception
    box = at.selectbox(key="gates_model")
    [mine] = [o for o in box.options if o.startswith(f"tiny {arch} (trained")]
    box.select(mine).run()
    assert not at.exception
    at.text_area(key="gates_text").input("<script>alert(1)</script> a great film 😀").run()
    assert not at.exception
    assert any("matching Keras" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) >= 3
    gate = "Forget gate f" if arch == "lstm" else "Update gate z"
    assert gate in at.selectbox(key="gates_shown").options

    # One step in real numbers: the first word, then the next one.
    assert next(b for b in at.button if b.label == "◀ Previous").disabled
    assert at.session_state["gates_step"] == 0
    at = click(at, "Next ▶")
    assert not at.exception and at.session_state["gates_step"] == 1
    symbol = "f" if arch == "lstm" else "z"
    assert rf"\begin{{aligned}} {symbol}_t" in at.latex[0].value
    assert len(at.latex) == (6 if arch == "lstm" else 4)
    assert any("Keras's own hidden state after “a”" in c.value for c in at.caption)
    at.text_area(key="gates_text").input("great").run()  # one word: the step follows
    assert not at.exception and at.session_state["gates_step"] == 0
    at.text_area(key="gates_text").input("!!! ???").run()
    assert not at.exception
    assert any("no words" in w.value for w in at.warning)


def test_gates_page_without_models_offers_training(isolated_home):
    at = cell_page()
    assert not at.exception
    if not any(b.label == "Train a small LSTM for this page" for b in at.button):
        pytest.skip("shipped LSTM/GRU models are present, so there is always a model")
    assert any("No LSTM or GRU model" in i.value for i in at.info)


def test_token_labels_are_escaped_in_charts():
    tokens = ["<b>bold</b>", "a", "a", "<script>x</script>"]
    values = {name: np.full((4, 3), 0.5) for name in ("forget", "input", "output", "candidate",
                                                       "cell", "hidden")}
    trace = GateTrace(cell_type="lstm", values=values, tokens=tokens)
    for fig in (cell.gate_overview_chart(trace), cell.state_overview_chart(trace),
                cell.unit_heatmap_chart(trace, "cell", [0, 2])):
        shown = list(fig.layout.xaxis.categoryarray)
        assert list(fig.data[0].x) == shown
        assert not any("<" in label for label in shown)  # no tag reaches Plotly
        assert shown[0] == "&lt;b&gt;bold&lt;/b&gt;"
        # Repeated words keep their own columns, in reading order, and look the same.
        assert len(set(shown)) == 4 and fig.layout.xaxis.categoryorder == "array"
        assert shown[1].strip(REPEAT_MARK) == shown[2].strip(REPEAT_MARK) == "a"
        # The summary in words names the word, with no trace of the mark.
        assert REPEAT_MARK not in describe_figure(fig)
    # Pasted text can hold the mark itself: each token still gets a column of its own.
    pasted = cell.token_labels(["a", "a" + REPEAT_MARK, "a", "b"])
    assert len(set(pasted)) == 4 and {p.strip(REPEAT_MARK) for p in pasted} == {"a", "b"}


@pytest.mark.browser
def test_browser_screenshot_of_the_gates(page, app_url, screenshot, imdb):
    from core.runs import run_store

    # The server shares this session's app home, so the run is removed again afterwards
    # for the other pages' browser tests.
    run_id = save_small_model("lstm")
    try:
        page.set_viewport_size({"width": 1400, "height": 2000})
        page.goto(app_url)  # the app registers its pages on the first run; then navigate
        wait_for_app(page)
        page.get_by_role("link", name="Inside the cell").first.click()
        page.get_by_text("The long-range task").first.wait_for()
        # The tab is bound to the URL, so clicking it reruns the page: let the first run
        # end first (a click that cut it short left the review box empty once, under a full
        # suite's load, while the charts showed the default review).
        wait_for_app(page)
        page.get_by_role("tab", name="🚪 The gates").click()
        page.locator(".js-plotly-plot").nth(2).wait_for()
        wait_for_app(page)
        expect(page.get_by_label("A review to look inside")).to_have_value(
            re.compile("^The first hour"), timeout=60_000)
        assert page.get_by_text("matching Keras").first.is_visible()
        screenshot(page, "inside_the_cell_gates")
        assert_screen_shows(page, "matching Keras", charts=3)

        # One step in real numbers: move to the second word, at desktop and phone widths.
        page.get_by_role("button", name="Next ▶").click()
        wait_for_app(page)
        caption = page.get_by_text("Keras's own hidden state after “first”").first
        caption.wait_for()
        page.get_by_text("One step, in real numbers").first.scroll_into_view_if_needed()
        screenshot(page, "inside_the_cell_step")
        assert_screen_shows(page, "Keras's own hidden state after “first”", charts=1)
        page.set_viewport_size({"width": 390, "height": 2000})
        wait_for_app(page)
        page.get_by_text("One step, in real numbers").first.scroll_into_view_if_needed()
        screenshot(page, "inside_the_cell_step_390")
        assert_screen_shows(page, "Keras's own hidden state after “first”", charts=1)
    finally:
        run_store().delete(run_id)


@pytest.mark.browser
def test_browser_memory_and_the_hidden_state_path(page, app_url, screenshot, imdb):
    from conftest import at_phone_width, charts_cut_at_the_edge

    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(f"{app_url}/inside_the_cell")
    wait_for_app(page)
    page.get_by_role("button", name="Score each word").click()
    page.get_by_text("Completeness:").first.wait_for(timeout=120_000)
    wait_for_app(page)
    page.get_by_text("Memory on your own sentence").first.scroll_into_view_if_needed()
    screenshot(page, "inside_the_cell_memory")
    assert_screen_shows(page, "Memory on your own sentence", "Completeness:", charts=1)
    at_phone_width(page)
    assert charts_cut_at_the_edge(page) == []
    screenshot(page, "inside_the_cell_memory_390")
    assert_screen_shows(page, "Memory on your own sentence", charts=1)

    page.set_viewport_size({"width": 1400, "height": 1400})
    page.get_by_role("tab", name="🚪 The gates").click()
    wait_for_app(page)  # the tab's rerun (it is bound to the URL) ends before the next click
    page.get_by_role("button", name="Draw the paths").click()
    page.get_by_text("along the read-out").first.wait_for(timeout=180_000)
    wait_for_app(page)
    assert page.get_by_text("along the read-out").first.is_visible()
    page.get_by_text("The hidden state's path").first.scroll_into_view_if_needed()
    screenshot(page, "inside_the_cell_path")
    assert_screen_shows(page, "The hidden state's path", "along the read-out", charts=1)
    at_phone_width(page)
    assert charts_cut_at_the_edge(page) == []
    screenshot(page, "inside_the_cell_path_390")
    assert_screen_shows(page, "The hidden state's path", "along the read-out", charts=1)
