"""The Next word page through AppTest and in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import wait_for_app
from core.jobs import job_queue

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
    assert any("vocabulary" in w.value for w in at.warning)
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


def test_training_on_pasted_text_checks_it_then_trains_in_the_background() -> None:
    at = next_word_page()
    at.radio(key="nw_source").set_value("Paste text").run()
    at.text_area(key="nw_train_text").input("far too short").run()
    assert any("at least" in w.value for w in at.warning)
    assert at.button(key="nw_train").disabled

    story = " ".join(["the old man walked to the sea and the boat waited for him ."] * 200)
    at.text_area(key="nw_train_text").input(story)
    for key, value in (("nw_cfg_vocab", 50), ("nw_cfg_window", 8), ("nw_cfg_embed", 16),
                       ("nw_cfg_units", 16), ("nw_cfg_epochs", 20), ("nw_cfg_lr", 0.03)):
        at.number_input(key=key).set_value(value)
    at.text_input(key="nw_name").input("Sea story")
    at.run()
    assert not at.button(key="nw_train").disabled
    at.button(key="nw_train").click().run()
    job = job_queue().get(at.session_state["nw_job"])
    assert job.wait(timeout=300) and job.state == "done", job.error
    at.run()
    assert not at.exception
    assert any("Trained and saved" in s.value for s in at.success)
    assert "Sea story (yours)" in at.selectbox(key="nw_model").options
    at.selectbox(key="nw_model").set_value("Sea story (yours)").run()
    at.text_area(key="nw_text").input("the old man walked to the").run()
    assert "sea" in suggestion_words(at)[:3]


@pytest.mark.browser
def test_browser_type_a_prefix_and_click_a_suggestion(page, app_url, screenshot) -> None:
    page.goto(f"{app_url}/next_word")
    wait_for_app(page)
    box = page.get_by_label("Your text")
    box.wait_for(timeout=120_000)  # the first visit loads TensorFlow and the model
    box.fill("this movie was one of the")
    box.press("Control+Enter")
    # the suggestion strip changes from the sentence starters ("i", "this", ...)
    page.wait_for_function(
        "() => ![...document.querySelectorAll('button')].some(b => /^i\\s/.test(b.innerText))"
    )
    wait_for_app(page)
    first = page.locator("button").filter(has_text="·").first
    word = first.inner_text().split("·")[0].strip()
    first.click()
    page.wait_for_function(
        "(w) => document.querySelector('textarea').value === 'this movie was one of the ' + w",
        arg=word,
    )
    wait_for_app(page)
    page.get_by_text("Next-word probabilities").first.wait_for()
    page.get_by_text("Use models").first.wait_for()  # the app's navigation is drawn
    wait_for_app(page)
    shot = screenshot(page, "next_word_page")
    assert shot.stat().st_size > 10_000
