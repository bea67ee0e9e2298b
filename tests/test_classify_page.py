"""The Classify page through AppTest and in a real browser, with the shipped models."""

import json
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from conftest import assert_screen_shows, at_phone_width, charts_cut_at_the_edge, wait_for_app
from core import catalog, settings
from core.runs import SHIPPED_DIR
from core.text import escape_markdown

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_NAMES = ["SimpleRNN", "LSTM", "GRU", "BiLSTM", "LSTM (LM-pretrained)"]
NBLR = catalog.NBLR_NAME
NBLR_CARD = escape_markdown(NBLR)  # card labels are Markdown, shown as typed


def classify_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/classify.py")
    return at.run()


def verdicts(at: AppTest) -> dict[str, str]:
    """Each card's name -> its figure and verdict, e.g. "87.2% 🟢 Positive"."""
    return {m.label: f"{m.value} {m.delta}" for m in at.metric}


def test_empty_text_gives_a_hint_and_no_verdict():
    at = classify_page()
    assert not at.exception
    assert at.multiselect(key="classify_models").value  # the shipped models, preselected
    assert any("Type or paste a review" in i.value for i in at.info)
    assert not at.metric


def test_edit_and_rescore_shows_every_model_move():
    at = classify_page()
    at.text_area(key="review_text").input("A wonderful film. I loved every minute.")
    at.button(key="score_review").click().run()
    assert not at.exception
    assert any(s.value == "Edit and rescore" for s in at.subheader)
    # The most decisive word is picked to start; swap it for its opposite.
    at.radio(key="edit_kind").set_value("swap").run()
    [swap] = [t for t in at.text_input if t.label == "Swap it for"]
    assert swap.value in ("dreadful", "hated")  # the opposite of the word picked
    assert not at.exception
    [table] = [d.value for d in at.dataframe if "change" in d.value.columns]
    assert list(table["model"]) == [*SHIPPED_NAMES, NBLR]
    assert (table["after"] < table["before"]).all()
    assert any("Edited:" in m.value and swap.value in m.value for m in at.markdown)
    at.radio(key="edit_kind").set_value("not").run()
    assert any("Edited:" in m.value and "not " in m.value for m in at.markdown)
    # Clicking the picked word again unpicks it: the edit stays on the decisive word.
    [words] = [w for w in at.get("button_group") if w.proto.label == "Word"]
    words.set_value(None).run()
    assert any(c.value.startswith("No word picked") for c in at.caption)
    assert any("Edited:" in m.value and "not " in m.value for m in at.markdown)


def test_a_model_that_knows_none_of_the_words_gives_no_verdict():
    at = classify_page()
    for text in ("这部电影非常好看", "فيلم رائع جدا"):
        at.text_area(key="review_text").input(text)
        at.button(key="score_review").click().run()
        assert not at.exception
        shown = verdicts(at)
        networks = [name for name in shown if name not in (NBLR_CARD, "VADER")]
        assert len(networks) == 5
        assert all(shown[name] == "– ⚫ No verdict: no known words" for name in networks)
        # NB-LR hashes any word to a weight, so it still says something; no network does.
        disagree = " ".join(w.value for w in at.warning if "disagree" in w.value)
        assert not any(f"{name} says" in disagree for name in networks), disagree


def test_a_picked_word_that_repeats_is_the_one_edited():
    at = classify_page()
    at.text_area(key="review_text").input("Not good. The acting was good.")
    at.button(key="score_review").click().run()
    [words] = [w for w in at.get("button_group") if w.proto.label == "Word"]
    assert list(words.options) == ["Not", "good.", "The", "acting", "was", "good. (2)"]
    words.set_value(1).run()  # the first "good."
    at.radio(key="edit_kind").set_value("not").run()
    assert not at.exception
    edited = escape_markdown("Not not good. The acting was good.")
    assert any(m.value == f"**Edited:** {edited}" for m in at.markdown)


def test_scoring_a_review_shows_every_model_vader_and_the_deciding_words():
    at = classify_page()
    at.text_area(key="review_text").input(
        "A wonderful film with brilliant acting. I loved every minute.")
    at.button(key="score_review").click().run()
    assert not at.exception
    shown = verdicts(at)
    assert set(shown) == {*map(escape_markdown, SHIPPED_NAMES), NBLR_CARD, "VADER"}
    assert all("Positive" in shown[name]
               for name in ("LSTM", "GRU", "BiLSTM", NBLR_CARD, "VADER"))
    charts = at.get("plotly_chart")
    # Probabilities, VADER's scores, the strongest words, the edit and rescore, and (under
    # "How good are these models?") the reliability of the four networks on their
    # held-back reviews.
    assert len(charts) == 5
    # No toolbar on these small charts: at a phone's width it covered their titles.
    assert all('"displayModeBar": false' in c.proto.config for c in charts)
    quality = next(df.value for df in at.dataframe if "calibration error (ECE)" in df.value)
    measured = quality.dropna(subset=["calibration error (ECE)"])
    assert len(measured) == 5 and measured["calibration error (ECE)"].between(0, 0.2).all()
    # And on one-line verdicts cut from those reviews (core.short_texts).
    assert measured["one-liners right"].between(0.5, 1).all()
    assert measured["one-liners Neutral"].between(0, 1).all()
    # Those a reader found a clear verdict in are easier: every network does better there.
    assert (measured["clear one-liners right"] > measured["one-liners right"]).all()
    # Accuracy per slice of the test reviews: length, negation, stars.
    by_slice = next(df.value for df in at.dataframe if "slice" in df.value.columns)
    assert {"all reviews", "with a negation", "9-10 stars"} <= set(by_slice["slice"])
    assert by_slice[[c for c in by_slice.columns if c.startswith("LSTM")]].notna().all().all()
    coloured = [m.value for m in at.markdown if "rgba(0,158,115" in m.value]
    assert coloured and "wonderful" in coloured[0]
    assert any("Pushed towards Positive" in m.value for m in at.markdown)

    # A verdict is first explained with the best shipped network; then with the chosen one.
    assert at.selectbox(key="explain_model").value == "shipped/lstm_lm"
    lstm = next(c.key for c in catalog.model_choices() if c.source == "shipped"
                and c.arch == "lstm")
    at.selectbox(key="explain_model").set_value(lstm).run()
    assert not at.exception and [m for m in at.markdown if "rgba(" in m.value]
    assert at.selectbox(key="explain_model").value == lstm


def test_script_example_is_shown_as_text():
    at = classify_page()
    script_example = next(b for b in at.button if b.label == "HTML and a script")
    script_example.click().run()
    assert not at.exception
    assert "<script>" in at.text_area(key="review_text").value
    html = "".join(m.value for m in at.markdown if m.allow_html)
    assert "<script>" not in html and "<b>" not in html
    # The tags are read as spaces: "Terrible" is a word the models know, not "bterribleb".
    assert any("HTML tags" in i.value for i in at.info)
    assert "bterribleb" not in html and "Terrible" in html
    assert "Negative" in verdicts(at)["VADER"]


def test_huge_and_foreign_text_get_notes():
    at = classify_page()
    at.text_area(key="review_text").input("great fun " * 120_000).run()
    assert not at.exception
    assert any("240,000 words" in i.value and "read only the first" in i.value
               for i in at.info)
    at.text_area(key="review_text").input("Ein wunderschöner Film, großartige Schauspieler "
                                          "und eine berührende Geschichte 😍").run()
    assert not at.exception
    notes = [i.value for i in at.info if "unknown to" in i.value]
    assert notes and "BiLSTM" in notes[0]
    assert "NB-LR" not in notes[0]  # it hashes every n-gram: no word is unknown to it
    assert len(at.metric) == 7


def test_a_damaged_user_run_is_marked_unusable_and_the_rest_work():
    broken = settings.runs_dir() / "20250101-000000-sentiment-broken"
    shutil.copytree(SHIPPED_DIR / "bilstm", broken, dirs_exist_ok=True)
    (broken / "model.keras").write_bytes(b"garbage")
    try:
        at = classify_page()
        at.multiselect(key="classify_models").select(
            "yours/20250101-000000-sentiment-broken").run()
        at.text_area(key="review_text").input("A dreadful, boring film.").run()
        assert not at.exception
        assert any("unusable" in e.value and "corrupted" in e.value for e in at.error)
        assert "Negative" in verdicts(at)["BiLSTM"]
    finally:
        shutil.rmtree(broken, ignore_errors=True)


def test_a_labelled_upload_gets_accuracy_a_confusion_table_and_the_mistakes():
    at = classify_page()
    csv = ("review,sentiment\n"
           "A brilliant and touching film.,positive\n"
           "Dull and far too long. Awful.,negative\n"
           "A wonderful film. I loved every minute.,negative\n")  # mislabelled: all miss it
    at.file_uploader(key="classify_upload").set_value(("labelled.csv", csv.encode(),
                                                        "text/csv"))
    at.run()
    assert at.selectbox(key="batch_label_col").value == "sentiment"  # found by itself
    at.button(key="score_batch").click().run()
    assert not at.exception
    summary = next(df.value for df in at.dataframe if "accuracy" in df.value)
    rows = summary.set_index("model")
    assert {*SHIPPED_NAMES, NBLR, "VADER"} <= set(rows.index)
    assert (rows["reviews"] == 3).all()
    assert rows.loc["BiLSTM", "accuracy"] == pytest.approx(2 / 3)
    assert (rows["positive, said positive"] + rows["positive, said negative"]
            + rows["negative, said negative"] + rows["negative, said positive"]
            + rows["no verdict"] == 3).all()
    mistakes = next(df.value for df in at.dataframe if "missed by" in df.value)
    assert mistakes.iloc[0]["review"] == "A wonderful film. I loved every minute."
    assert mistakes.iloc[0]["missed by"] == len(rows)

    # Without a label column the table is scored and nothing more.
    at.selectbox(key="batch_label_col").select_index(0).run()
    assert not [df for df in at.dataframe if "missed by" in df.value]


def test_batch_upload_scores_every_row_with_every_model():
    at = classify_page()
    csv = "id,review\n1,A brilliant and touching film.\n2,Dull and far too long. Awful.\n"
    at.file_uploader(key="classify_upload").set_value(("mine.csv", csv.encode(), "text/csv"))
    at.run()
    assert not at.exception
    assert at.selectbox(key="batch_text_col").value == "review"
    at.button(key="score_batch").click().run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert len(table) == 2
    assert list(table["BiLSTM label"]) == ["Positive", "Negative"]
    assert list(table[f"{NBLR} label"]) == ["Positive", "Negative"]
    assert list(table["VADER label"]) == ["Positive", "Negative"]
    assert {f"{n} P(positive)" for n in SHIPPED_NAMES} <= set(table.columns)


def test_two_runs_with_one_name_keep_their_own_cards_and_columns():
    ids = ["20250101-000000-sentiment-twin-a", "20250101-000001-sentiment-twin-b"]
    for run_id in ids:
        folder = settings.runs_dir() / run_id
        shutil.copytree(SHIPPED_DIR / "lstm", folder)
        meta = json.loads((folder / "run.json").read_text())
        (folder / "run.json").write_text(json.dumps({**meta, "name": "**Twin**"}))
    try:
        at = classify_page()
        at.multiselect(key="classify_models").set_value([f"yours/{i}" for i in ids]).run()
        at.text_area(key="review_text").input("A dreadful, boring film.").run()
        assert not at.exception
        twins = [m for m in at.metric if "Twin" in m.proto.label]
        assert len({m.proto.label for m in twins}) == 2
        # Shown as typed, never as Markdown: the stars are escaped in label and tooltip.
        assert all(r"\*\*Twin\*\*" in m.proto.label and r"\*\*Twin\*\*" in m.proto.help
                   for m in twins)

        csv = "review\nA brilliant and touching film.\nDull and far too long. Awful.\n"
        at.file_uploader(key="classify_upload").set_value(("twins.csv", csv.encode(),
                                                            "text/csv"))
        at.run()
        at.button(key="score_batch").click().run()
        table = at.dataframe[-1].value
        first, second = (table[f"**Twin** ({i}) P(positive)"] for i in ids)
        assert first.notna().all() and first.equals(second)  # the same weights, two columns
    finally:
        for run_id in ids:
            shutil.rmtree(settings.runs_dir() / run_id, ignore_errors=True)


@pytest.mark.browser
def test_browser_types_a_review_and_reads_the_verdict(page, app_url, screenshot):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # In through the home page and the sidebar, as a user arrives.
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Classify a review").click()
    wait_for_app(page)
    box = page.get_by_label("Review", exact=True)
    box.fill("Not bad at all: a warm, funny film with a lovely ending. I enjoyed it.")
    page.get_by_role("button", name="Score", exact=True).click()
    page.get_by_text("Which words decided").wait_for(timeout=90_000)
    wait_for_app(page)
    cards = page.locator("[data-testid='stMetric']")
    expect(cards).to_have_count(7, timeout=60_000)  # five networks, NB-LR and VADER
    bilstm = cards.filter(has_text="BiLSTM").first.inner_text()
    assert "Positive" in bilstm and "%" in bilstm
    assert "Positive" in cards.filter(has_text="VADER").first.inner_text()
    page.get_by_role("button", name="HTML and a script").click()
    wait_for_app(page)
    page.get_by_text("Which words decided").wait_for(timeout=90_000)
    # The script stays visible text in the box; the models read the tags as spaces, so
    # the explanation colours "Terrible" (not "bterribleb") and says why.
    page.get_by_text("HTML tags such as").first.wait_for(timeout=90_000)
    page.locator("span", has_text="Terrible").first.wait_for(timeout=90_000)
    assert "<script>alert('boo')</script>" in box.input_value()
    assert not dialogs  # the <script> in the review never ran
    box.fill("A superb, moving film. I loved every minute of it.")
    page.get_by_role("button", name="Score", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Which words decided").wait_for(timeout=90_000)
    screenshot(page, "classify_page")
    # The verdict and VADER charts, the deciding words and the edit's chart.
    assert_screen_shows(page, "Which words decided", "Edit and rescore", charts=4)
    at_phone_width(page)
    page.get_by_text("Which words decided").wait_for()
    assert charts_cut_at_the_edge(page) == []  # the word chart's axis title was cut here


@pytest.mark.browser
def test_browser_edit_and_rescore(page, app_url, screenshot):
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(f"{app_url}/classify?review_text=A+wonderful+film.+I+loved+every+minute.")
    wait_for_app(page)
    page.get_by_text("Swap it for…").first.click()
    page.get_by_text("The verdict changed for").first.wait_for(timeout=120_000)
    wait_for_app(page)
    assert page.get_by_text("Edited: A dreadful film.").first.is_visible()
    page.get_by_text("Edit and rescore").first.scroll_into_view_if_needed()
    screenshot(page, "classify_edit")
    assert_screen_shows(page, "The verdict changed for", charts=1)
    at_phone_width(page)
    assert charts_cut_at_the_edge(page) == []
    screenshot(page, "classify_edit_390")
    assert_screen_shows(page, "Edited: A dreadful film.", "The verdict changed for", charts=1)


def tab_until(page, description: str, test_js: str, limit: int = 80) -> int:
    """Press Tab until the focused element passes `test_js` (a function of it); the count."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; "
                         f"return !!e && ({test_js})(e); }}"):
            return presses
    raise AssertionError(f"{description} was not reached with {limit} presses of Tab")


@pytest.mark.browser
def test_browser_scores_a_review_with_the_keyboard_alone(page, app_url):
    page.goto(f"{app_url}/classify")
    wait_for_app(page)
    page.get_by_label("Review", exact=True).wait_for()
    page.locator("body").focus()
    tab_until(page, "The review box", "e => e.tagName === 'TEXTAREA' "
              "&& e.getAttribute('aria-label') === 'Review'")
    page.keyboard.type("A dull, boring film. I hated it.")
    tab_until(page, "The Score button", "e => e.tagName === 'BUTTON' "
              "&& e.innerText.trim() === 'Score'")
    page.keyboard.press("Enter")
    page.get_by_text("Which words decided").wait_for(timeout=90_000)
    wait_for_app(page)
    cards = page.locator("[data-testid='stMetric']")
    expect(cards.filter(has_text="BiLSTM").first).to_contain_text("Negative", timeout=60_000)
    # The example buttons and the expanders below are reachable too.
    tab_until(page, "An example button", "e => e.tagName === 'BUTTON' "
              "&& e.innerText.includes('Clear praise')", limit=120)
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_label("Review", exact=True)).not_to_have_value(
        "A dull, boring film. I hated it.", timeout=60_000)
