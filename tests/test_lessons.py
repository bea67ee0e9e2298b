"""Shareable views and lessons: texts in links, lesson steps, and pages opened from a link
restoring their settings (AppTest), with who someone is never in a shared link."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import lessons

ROOT = Path(__file__).resolve().parents[1]


def open_page(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page(page)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_short_texts_travel_inline_and_long_ones_by_id(tmp_path):
    assert lessons.text_params("t", "not good", tmp_path) == {"t": "not good"}
    long = "A long review. " * 40
    shared = lessons.text_params("t", long, tmp_path)
    assert list(shared) == ["t_id"] and len(shared["t_id"]) == 16
    assert lessons.text_params("t", long, tmp_path) == shared  # same text, same link
    assert lessons.text_from_params("t", shared, tmp_path) == long
    assert lessons.text_from_params("t", {"t": "inline"}, tmp_path) == "inline"
    for bad in ("../../etc/passwd", "0" * 15, "g" * 16, "0123456789abcdef"):
        assert lessons.text_from_params("t", {"t_id": bad}, tmp_path) is None


def test_lesson_steps_are_found_from_their_links():
    for lesson in lessons.LESSONS.values():
        assert len(lesson.steps) >= 2
        for index, step in enumerate(lesson.steps):
            assert (ROOT / step.page).is_file()
            assert lessons.current_step(lesson.params(index)) == (lesson, index)
    for params in ({}, {"lesson": "nope"}, {"lesson": "gates", "step": "9"},
                   {"lesson": "gates", "step": "x"}, {"lesson": "gates", "step": "0"}):
        assert lessons.current_step(params) is None


def test_a_shared_link_never_carries_who_someone_is():
    link = lessons.share_link({"u": "0" * 32, "name": "Ada", "review_text": "not good",
                               "lr_lengths": ["5", "20"]}, "http://host:8501/classify",
                              private=("u", "name"))
    assert link == "http://host:8501/classify?review_text=not+good&lr_lengths=5&lr_lengths=20"


@pytest.mark.parametrize("slug", list(lessons.LESSONS))
def test_every_lesson_opens_at_its_first_step(isolated_home, slug):
    lesson = lessons.LESSONS[slug]
    at = open_page(lesson.steps[0].page, **lesson.params(0))
    assert not at.exception
    assert any(f"Lesson: {lesson.title}" in m.value for m in at.markdown)
    assert any(b.label.startswith("Next: ") for b in at.button)


def test_a_link_restores_the_texts_and_settings_of_inside_the_cell(isolated_home):
    at = open_page("pages/inside_the_cell.py", cell_tab="🚪 The gates",
                   gates_text="not bad at all", lr_lengths=["5", "50"], lr_units="16",
                   memory_text="the end was wonderful")
    assert not at.exception
    assert at.text_area(key="gates_text").value == "not bad at all"
    assert at.text_area(key="memory_text").value == "the end was wonderful"
    assert at.multiselect(key="lr_lengths").value == [5, 50]
    assert at.number_input(key="lr_units").value == 16
    assert any("4 tokens" in c.value for c in at.caption)  # the gates of the linked text


def test_a_typed_text_goes_into_the_link_and_comes_back(isolated_home):
    at = open_page("pages/classify.py")
    at.text_area(key="review_text").input("The ending was not good at all.").run()
    assert at.query_params["review_text"] == "The ending was not good at all."
    again = open_page("pages/classify.py", review_text=at.query_params["review_text"])
    assert again.text_area(key="review_text").value == "The ending was not good at all."


def test_a_link_can_fold_the_settings_away(isolated_home):
    at = open_page("pages/inside_the_cell.py", controls="hidden")
    assert not at.exception
    folded = [e for e in at.expander if "folded by the link" in e.label]
    assert len(folded) == 3  # the three experiments' settings
    # The experiments still run from the folded settings.
    assert any(b.label == "Run the experiment" for b in at.button)


@pytest.mark.browser
def test_browser_a_shared_link_opens_the_same_view_for_someone_else(browser, app_url, page,
                                                                   screenshot):
    from playwright.sync_api import expect

    from conftest import assert_screen_shows, wait_for_app

    page.goto(f"{app_url}/classify?review_text=Not+good+at+all.")
    wait_for_app(page)
    box = page.get_by_label("Review", exact=True)
    # Under a full suite's load the page fills in late: wait for the value, not a clock.
    expect(box).to_have_value("Not good at all.", timeout=120_000)
    box.fill("The acting was wooden, but I loved the ending.")
    box.press("Control+Enter")
    wait_for_app(page)
    # The panel sits under every verdict and explanation, drawn last: under a full suite's
    # load that can take longer than a click's usual wait.
    page.get_by_text("🔗 Share this view").click(timeout=120_000)
    page.get_by_text("Fold the settings away").click()
    wait_for_app(page)
    code = page.locator("[data-testid='stCode'] code").last
    expect(code).to_contain_text("review_text=The+acting+was+wooden", timeout=120_000)
    expect(code).to_contain_text("controls=hidden", timeout=120_000)
    link = code.inner_text().strip()
    assert "u=" not in link.split("?")[1].split("&")[0] and "&u=" not in link

    other = browser.new_context(viewport={"width": 390, "height": 1400}).new_page()
    try:
        other.goto(link)
        wait_for_app(other)
        expect(other.get_by_label("Review", exact=True)).to_have_value(
            "The acting was wooden, but I loved the ending.", timeout=120_000)
        screenshot(other, "shared_link_390")
        other.goto(app_url)
        wait_for_app(other)
        other.get_by_text("Lessons").first.scroll_into_view_if_needed()
        # The page draws its lessons after the script run that wait_for_app sees: wait.
        expect(other.get_by_role("link", name="Start the lesson")).to_have_count(
            len(lessons.LESSONS), timeout=60_000)
        screenshot(other, "home_lessons_390")
        assert_screen_shows(other, "Lessons", *(lesson.title for lesson in
                                                lessons.LESSONS.values()))
    finally:
        other.context.close()
