"""The Next word page through AppTest and in a real browser."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from job_kinds import holding
from streamlit.testing.v1 import AppTest

from conftest import wait_for_app
from core import language_model as lm
from core.charts import nextword as charts
from core.jobs import engine

ROOT = Path(__file__).resolve().parents[1]


def next_word_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/next_word.py")
    return at.run()


def suggestion_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.key.startswith("nw_pick_")]


def suggestion_words(at: AppTest) -> list[str]:
    return [b.label.split("·")[0].strip() for b in suggestion_buttons(at)]


def test_suggestions_start_empty_and_a_click_appends_the_word() -> None:
    at = next_word_page()
    assert not at.exception
    assert any("Nothing typed yet" in i.value for i in at.info)
    assert len(suggestion_words(at)) == 5

    at.text_area(key="nw_text").input("this movie was one of the").run()
    words = suggestion_words(at)
    assert len(set(words)) == 5 and all(words)
    suggestion_buttons(at)[0].click().run()
    assert not at.exception
    assert at.text_area(key="nw_text").value == f"this movie was one of the {words[0]}"
    assert suggestion_words(at) != words  # new suggestions for the longer text


def test_a_click_on_a_suggestion_for_an_older_text_adds_nothing() -> None:
    """The box's new text and the click on a suggestion drawn for the old one arrive
    together (a click 100 ms after typing): the word was not suggested for this text."""
    at = next_word_page()
    at.text_area(key="nw_text").input("this movie was one of the").run()
    keys = [b.key for b in suggestion_buttons(at)]
    at.text_area(key="nw_text").input("this movie was one of the best but the story")
    suggestion_buttons(at)[0].click().run()
    assert not at.exception
    assert at.text_area(key="nw_text").value == "this movie was one of the best but the story"
    assert any("nothing was added" in t.value for t in at.toast)
    assert [b.key for b in suggestion_buttons(at)] != keys  # the strip follows the new text


def test_a_suggestion_is_named_by_its_word_and_text_and_applies_only_to_that_text() -> None:
    assert lm.suggestion_id("one of the", "best") == lm.suggestion_id("one of the", "best")
    assert lm.suggestion_id("one of the", "best") != lm.suggestion_id("one of the", "worst")
    assert lm.suggestion_id("one of the", "best") != lm.suggestion_id("one of thee", "best")
    assert lm.apply_suggestion("one of the", "one of the", "best") == "one of the best"
    assert lm.apply_suggestion("the end", "the end", ".") == "the end."
    assert lm.apply_suggestion("the end ", "the end ", "was") == "the end was"
    assert lm.apply_suggestion("", "", "this") == "this"
    assert lm.apply_suggestion("one of the best but", "one of the", "best") is None


def test_unknown_words_long_text_and_markup_are_handled() -> None:
    at = next_word_page()
    at.text_area(key="nw_text").input("zzqx blorptz 🙂").run()
    assert not at.exception
    assert any("vocabulary" in w.value and "movie reviews" in w.value for w in at.warning)
    at.text_area(key="nw_text").input("🙂 🎬 —").run()
    assert not at.exception
    assert any("Nothing the model can read" in i.value for i in at.info)
    assert not any("Nothing typed yet" in i.value for i in at.info)
    at.text_area(key="nw_text").input("<script>alert('zzqx')</script>").run()
    assert not at.exception
    unknown = [c.value for c in at.caption if "Unknown to the model" in c.value]
    assert unknown and "zzqx" in unknown[0] and "<script>" not in unknown[0]
    at.text_area(key="nw_text").input("the plot is great and " * 400).run()
    assert not at.exception
    assert any("reads only the last 24 words" in c.value for c in at.caption)
    assert len(suggestion_words(at)) == 5


def test_completion_is_reproducible_and_quality_is_shown() -> None:
    at = next_word_page()
    at.text_area(key="nw_text").input("i loved this film because").run()
    at.button(key="nw_complete").click().run()
    first = [m.value for m in at.markdown if m.value.startswith(">")]
    at.button(key="nw_complete").click().run()
    again = [m.value for m in at.markdown if m.value.startswith(">")]
    assert first and first == again and "**" in first[0]
    at.number_input(key="nw_seed").set_value(5).run()
    at.button(key="nw_complete").click().run()
    assert [m.value for m in at.markdown if m.value.startswith(">")] != first

    labels = {m.label for m in at.metric}
    assert {"LSTM perplexity", "LSTM top-3 accuracy", "n-gram perplexity"} <= labels

    # Blank lines and indentation in the prefix must not break out of the quote.
    at.text_area(key="nw_text").input("i loved it.\n\n    # the end\n- really").run()
    at.button(key="nw_complete").click().run()
    (quote,) = [m.value for m in at.markdown if m.value.startswith(">")]
    assert "\n" not in quote and quote.startswith("> i loved it\\. \\# the end \\- really")


@pytest.mark.slow
def test_training_on_pasted_text_checks_it_then_trains_in_the_background() -> None:
    at = next_word_page()
    at.radio(key="nw_source").set_value("Paste text").run()
    at.text_area(key="nw_train_text").input("far too short").run()
    assert any("at least" in w.value for w in at.warning)
    assert at.button(key="nw_train").disabled

    story = " ".join(["the old man walked to the sea and the boat waited for him ."] * 200)
    at.text_area(key="nw_train_text").input(story)
    for key, value in (("nw_cfg_vocab_size", 50), ("nw_cfg_window", 8), ("nw_cfg_embed_dim", 16),
                       ("nw_cfg_units", 16), ("nw_cfg_epochs", 20), ("nw_cfg_learning_rate", 0.03)):
        at.number_input(key=key).set_value(value)
    at.text_input(key="nw_name").input("Sea story")
    at.run()
    assert not at.button(key="nw_train").disabled
    at.button(key="nw_train").click().run()
    job = engine().get(at.session_state["nw_job"])
    assert job.wait(timeout=300) and job.state == "done", job.error
    at.run()
    assert not at.exception
    assert any("Trained and saved" in s.value for s in at.success)
    assert "Sea story (yours)" in at.selectbox(key="nw_model").options
    at.selectbox(key="nw_model").set_value("Sea story (yours)").run()
    at.text_area(key="nw_text").input("the old man walked to the").run()
    assert "sea" in suggestion_words(at)[:3]
    # Its messages speak of its own text, not of movie reviews.
    at.text_area(key="nw_text").input("zzqx").run()
    assert any("the text it was trained on" in w.value for w in at.warning)
    at.text_area(key="nw_text").input("").run()
    assert any("training text's paragraphs" in i.value for i in at.info)


def test_text_that_training_would_reject_is_rejected_before_queueing() -> None:
    at = next_word_page()
    at.radio(key="nw_source").set_value("Paste text").run()
    # 2,200 words: over the minimum in all, under it once held-out text is taken away.
    at.text_area(key="nw_train_text").input(" ".join(f"w{i % 50}" for i in range(2_200))).run()
    assert not at.exception
    assert any("left to train on" in w.value for w in at.warning)
    assert at.button(key="nw_train").disabled


@pytest.mark.slow
def test_a_missing_dataset_offers_a_download_that_works(tmp_path, monkeypatch) -> None:
    from core import settings

    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(tmp_path / "gone.tar.gz"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    # No internet here; a closed local port fails the same way, only faster.
    monkeypatch.setattr(settings, "IMDB_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    at = next_word_page()
    assert not at.exception
    assert at.radio(key="nw_source").value == "IMDB reviews"
    assert at.button(key="nw_train").disabled
    # The panel is drawn on every run, not only after a Train click, so its own button's
    # click reaches it.
    at.button(key="download_imdb").click().run()
    job = engine().get(at.session_state["imdb_download_job"])
    assert job.wait(60) and job.state == "failed"
    at.run()
    assert any("download failed" in e.value for e in at.error)


@pytest.mark.slow
def test_a_queued_training_job_can_be_cancelled(tmp_path) -> None:
    with holding(tmp_path):
        at = next_word_page()
        at.radio(key="nw_source").set_value("Paste text").run()
        story = " ".join(["the old man walked to the sea and the boat waited for him ."] * 200)
        at.text_area(key="nw_train_text").input(story).run()
        at.button(key="nw_train").click().run()
        job = engine().get(at.session_state["nw_job"])
        assert job.state == "queued"
        at.button(key="nw_cancel").click().run()
        assert not at.exception
        assert job.state == "cancelled"
        assert any("Cancelled before it started" in i.value for i in at.info)
        assert not at.button(key="nw_train").disabled  # nothing is left running


def test_training_curves_show_loss_perplexity_and_accuracy_with_validation_at_its_step():
    def batch(epoch: int, step: int, probe: bool = True) -> dict:
        loss = 6 - step / 10
        row = {"epoch": epoch, "step": step, "loss": loss, "sampled_words": 1024}
        if probe:
            row.update(val_loss=loss + 0.2, val_perplexity=math.exp(loss + 0.2),
                       val_top1=0.1, val_top3=0.2)
        return row

    batches = [batch(1, s) for s in (1, 6, 10)] + [batch(2, 11, probe=False), batch(2, 14)]
    # Stopped at step 15, mid-epoch: Keras still validates, and the row says where.
    epochs = [{"epoch": 1, "step": 10, "val_loss": 5.0, "val_perplexity": math.exp(5),
               "val_top3": 0.25, "complete": True},
              {"epoch": 2, "step": 15, "val_loss": 4.5, "val_perplexity": math.exp(4.5),
               "val_top3": 0.3, "complete": False}]
    fig = charts.training_curves(batches, epochs)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:3] == ["Loss (lower is better)", "Perplexity (lower is better)",
                          "Next-word accuracy"]
    markers = [t for t in fig.data if t.mode == "markers"]
    assert len(markers) == 3 and all(list(t.x) == [10, 15] for t in markers)
    training, *held_out = [t for t in fig.data if t.mode != "markers"]
    assert "sampled-softmax estimate" in training.name and len(training.x) == 5
    assert len(held_out) == 4 and all(len(t.x) == 4 for t in held_out)  # probe rows only
    # Runs saved before rows carried their step: the epoch's last recorded batch.
    older = [{k: v for k, v in e.items() if k != "step"} for e in epochs]
    assert list(charts.training_curves(batches, older).data[-1].x) == [10, 14]


def test_suggestion_labels_are_escaped():
    fig = charts.suggestion_bars(["<b>bold</b>", "a"], [0.5, 0.2])
    assert list(fig.data[0].y) == ["a ", "&lt;b&gt;bold&lt;/b&gt; "]


_STRIP_JS = """() => {
    const box = document.querySelector('textarea[aria-label="Your text"]');
    const buttons = [...document.querySelectorAll('[class*="st-key-nw_pick_"]')].map(b => ({
        text: b.innerText,
        key: [...b.classList].find(c => c.startsWith('st-key-nw_pick_')),
    }));
    return {value: box ? box.value : null, buttons};
}"""


def strip_word(label: str) -> str:
    return label.split("·")[0].strip()


def wait_for_strip(page, timeout_s: float = 120) -> list[str]:
    """Wait until the app is idle and the suggestion strip was drawn for the text in the
    box (each button's key names its word and text: `lm.suggestion_id`); its words."""
    deadline = time.monotonic() + timeout_s
    while True:
        wait_for_app(page, timeout_ms=int(timeout_s * 1000))
        strip = page.evaluate(_STRIP_JS)
        words = [strip_word(b["text"]) for b in strip["buttons"]]
        if words and all(b["key"] == f"st-key-nw_pick_{lm.suggestion_id(strip['value'], w)}"
                         for b, w in zip(strip["buttons"], words, strict=True)):
            return words
        assert time.monotonic() < deadline, f"the strip never followed the box: {strip}"
        page.wait_for_timeout(200)  # a poll: the condition above decides


@pytest.mark.browser
def test_browser_type_a_prefix_and_click_a_suggestion(page, app_url, screenshot) -> None:
    page.goto(f"{app_url}/next_word")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Your text")
    box.wait_for(timeout=120_000)  # the first visit loads TensorFlow and the model
    # Typed key by key, with no Enter and without leaving the box: the suggestions follow.
    box.press_sequentially("this movie was one of the", delay=20)
    # Under a full suite's load a rerun can take long: wait for the strip to follow the
    # box, not a clock.
    word = wait_for_strip(page)[0]
    assert box.input_value() == "this movie was one of the"  # no keystroke lost to a rerun
    page.locator("[class*='st-key-nw_pick_'] button").first.click()
    page.wait_for_function(
        "(w) => document.querySelector('textarea').value === 'this movie was one of the ' + w",
        arg=word, timeout=120_000,
    )
    wait_for_strip(page)
    page.get_by_text("Next-word probabilities").first.wait_for()
    page.get_by_text("Use models").first.wait_for()  # the app's navigation is drawn
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[class*='st-key-nw_pick_']").count() == 5
    shown_charts = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].filter("
        "p => p.checkVisibility()).length")
    assert shown_charts == 1  # the probability bars (the other tabs' charts are hidden)
    screenshot(page, "next_word_page")


@pytest.mark.browser
def test_browser_a_click_right_after_typing_adds_the_clicked_word_or_nothing(page,
                                                                             app_url) -> None:
    """Type, then click the first suggestion within about 100 ms, many times: the strip
    may still be the one drawn for the text before the typing, or be redrawn under the
    pointer. The box gains the clicked word only when that button was suggested for the
    text the box then holds; otherwise it gains nothing."""
    page.goto(f"{app_url}/next_word")
    box = page.get_by_role("textbox", name="Your text")
    box.wait_for(timeout=120_000)
    # What was under the pointer when the click happened: the button's word and its key.
    page.evaluate("""() => document.addEventListener('click', (e) => {
        const b = e.target.closest('[class*="st-key-nw_pick_"]');
        window.rnnlabClicked = b ? {text: b.innerText, key: [...b.classList].find(
            c => c.startsWith('st-key-nw_pick_'))} : null;
    }, true)""")
    box.fill("this movie was")
    box.blur()
    wait_for_strip(page)
    appended = nothing = 0
    chunks = [" one of the", " best", " films", " but the story", " was", " not", " good",
              " at all", " and the", " acting"]
    # Mostly within 100 ms of the last key, the strip still drawn for the older text; now
    # and then later, as the strip is redrawn under the pointer.
    for chunk, pause_ms in zip(chunks, [0, 40, 100, 0, 60, 100, 500, 0, 100, 900], strict=True):
        target = page.locator("[class*='st-key-nw_pick_'] button").first.bounding_box()
        before = box.input_value()
        page.evaluate("() => { window.rnnlabClicked = undefined; }")
        box.press_sequentially(chunk, delay=5)
        if pause_ms:
            page.wait_for_timeout(pause_ms)  # the user's own pause, not a wait for the app
        page.mouse.click(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2)
        page.wait_for_function("() => window.rnnlabClicked !== undefined", timeout=10_000)
        clicked = page.evaluate("() => window.rnnlabClicked")
        wait_for_strip(page)
        typed = before + chunk
        value = box.input_value()
        word = strip_word(clicked["text"]) if clicked else None
        # The click applies its word only to the text that word was suggested for.
        meant_for_typed = (word is not None and clicked["key"]
                           == f"st-key-nw_pick_{lm.suggestion_id(typed, word)}")
        if value == typed:
            nothing += 1
        else:
            assert meant_for_typed and value == lm.with_suggestion(typed, word), (
                f"clicked {clicked} after typing {typed!r}; the box reads {value!r}")
            appended += 1
    print(f"{appended} clicks added their word, {nothing} added nothing")
    assert appended + nothing == 10
