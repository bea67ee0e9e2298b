"""The Next word page through AppTest and in a real browser."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from job_kinds import holding
from streamlit.testing.v1 import AppTest

from conftest import wait_for_app
from core.charts import nextword as charts
from core.jobs import engine

ROOT = Path(__file__).resolve().parents[1]


def next_word_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/next_word.py")
    return at.run()


def suggestion_words(at: AppTest) -> list[str]:
    return [b.label.split("·")[0].strip() for b in at.button if b.key.startswith("nw_pick_")]


def test_suggestions_start_empty_and_a_click_appends_the_word() -> None:
    at = next_word_page()
    assert not at.exception
    assert any("Nothing typed yet" in i.value for i in at.info)
    assert len(suggestion_words(at)) == 5

    at.text_area(key="nw_text").input("this movie was one of the").run()
    words = suggestion_words(at)
    assert len(set(words)) == 5 and all(words)
    at.button(key="nw_pick_0").click().run()
    assert not at.exception
    assert at.text_area(key="nw_text").value == f"this movie was one of the {words[0]}"
    assert suggestion_words(at) != words  # new suggestions for the longer text


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


@pytest.mark.browser
def test_browser_type_a_prefix_and_click_a_suggestion(page, app_url, screenshot) -> None:
    page.goto(f"{app_url}/next_word")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Your text")
    box.wait_for(timeout=120_000)  # the first visit loads TensorFlow and the model
    # Typed key by key, with no Enter and without leaving the box: the suggestions follow.
    box.press_sequentially("this movie was one of the", delay=20)
    # the suggestion strip changes from the sentence starters ("i", "this", ...)
    # Under a full suite's load a rerun can take long: wait for the change, not a clock.
    page.wait_for_function(
        "() => ![...document.querySelectorAll('button')].some(b => /^i\\s/.test(b.innerText))",
        timeout=120_000,
    )
    wait_for_app(page)
    assert box.input_value() == "this movie was one of the"  # no keystroke lost to a rerun
    first = page.locator("button").filter(has_text="·").first
    word = first.inner_text().split("·")[0].strip()
    first.click()
    page.wait_for_function(
        "(w) => document.querySelector('textarea').value === 'this movie was one of the ' + w",
        arg=word, timeout=120_000,
    )
    wait_for_app(page)
    page.get_by_text("Next-word probabilities").first.wait_for()
    page.get_by_text("Use models").first.wait_for()  # the app's navigation is drawn
    wait_for_app(page)
    shot = screenshot(page, "next_word_page")
    assert shot.stat().st_size > 10_000
