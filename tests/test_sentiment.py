"""Scoring many reviews: review checks, the verdict table, its CSV, reports."""

import io

import numpy as np
import pandas as pd
import pytest

from core import predict, sentiment
from core.data import UploadError


def test_model_accuracy_counts_one_half_as_positive_as_training_does():
    assert sentiment.accuracy(np.array([0.5, 0.49, 0.9]), np.array([1, 0, 1])) == 1.0


def test_check_review_notes_truncation_of_a_megabyte_with_its_real_length():
    text = "a good film " * 90_000  # over 1 MB
    check = sentiment.check_review(text, seq_len=200)
    assert check.read_tokens == 200 and check.n_tokens == 270_000
    assert check.notes and "270,000 words" in check.notes[0] and "first 200" in check.notes[0]
    clipped, cut = predict.clip_review(text, 200)
    assert cut and len(clipped) == 200 * predict.MAX_CHARS_PER_TOKEN


def test_check_review_names_the_models_that_do_not_know_the_words():
    english = {"the", "film", "was", "good"}
    french = {"un", "film", "magnifique", "très", "émouvant"}
    text = "Un film magnifique, très émouvant 😍"
    check = sentiment.check_review(text, 200, {"LSTM": english, "Mine": french})
    assert check.oov_shares["LSTM"] > 0.5 and check.oov_shares["Mine"] < 0.5
    [note] = check.notes
    assert "unknown to LSTM (83%)" in note and "Mine" not in note
    assert not sentiment.check_review("the film was good", 200, {"LSTM": english}).notes
    assert sentiment.check_review(" ... !!! ", 200).empty


def test_score_table_keeps_going_when_one_model_breaks():
    def fine(texts):
        return np.array([0.9 if "good" in t else 0.1 for t in texts])

    def broken(texts):
        raise RuntimeError("corrupted weights")

    table = sentiment.score_table(["good film", "bad film", "", None],
                                  {"Fine": fine, "Broken": broken})
    assert list(table["Fine label"]) == ["Positive", "Negative", "", ""]
    assert np.isnan(table["Fine P(positive)"].iloc[2])
    assert set(table["Broken label"]) == {"unusable"}
    assert list(table["VADER label"]) == ["Positive", "Negative", "", ""]
    assert np.isnan(table["VADER compound"].iloc[2])


def test_the_scored_csv_cannot_run_spreadsheet_formulas():
    table = sentiment.score_table(["=HYPERLINK(\"http://x\") great", "+1 fine", "-bad",
                                   "@SUM(A1) ok", "\tgood", "A normal -- review"], {})
    csv = sentiment.spreadsheet_safe_csv(table).decode("utf-8")
    rows = pd.read_csv(io.StringIO(csv), keep_default_na=False)
    assert list(rows["review"]) == ["'=HYPERLINK(\"http://x\") great", "'+1 fine", "'-bad",
                                    "'@SUM(A1) ok", "'\tgood", "A normal -- review"]
    assert rows["VADER compound"].dtype.kind == "f"  # numbers stay numbers, signs and all
    assert (rows["VADER compound"] < 0).any()


def test_disagreements_name_the_models_that_differ():
    labels = {"LSTM": "Positive", "GRU": "Negative", "RNN": "Neutral"}
    assert sentiment.disagreements(labels, "Positive") == ["GRU", "RNN"]


def test_reviews_upload_accepts_one_column_and_explains_problems():
    table, dropped = sentiment.read_reviews_upload(
        b"review\nGreat film\n\"Bad, very bad\"\nOkay\n", "r.csv", max_rows=2)
    assert list(table["review"]) == ["Great film", "Bad, very bad"] and dropped == 1
    assert sentiment.guess_text_column(table) == "review"
    semi, _ = sentiment.read_reviews_upload(b"id;comment\n1;fine\n2;poor\n", "r.csv", 10)
    assert sentiment.guess_text_column(semi) == "comment"
    with pytest.raises(UploadError, match="empty"):
        sentiment.read_reviews_upload(b"", "r.csv", 10)
    with pytest.raises(UploadError, match="UTF-8"):
        sentiment.read_reviews_upload(b"review\n\xff\xfe bad bytes", "r.csv", 10)
    with pytest.raises(UploadError, match="no reviews"):
        sentiment.read_reviews_upload(b"review\n", "r.csv", 10)


def test_examples_cover_negation_sarcasm_and_markup():
    kinds = {e.kind for e in sentiment.example_reviews()}
    assert {"positive", "negative", "negation", "sarcasm", "html", "language"} <= kinds


def test_labelled_report_counts_right_wrong_and_vaders_no_verdict():
    scored = pd.DataFrame({
        "review": ["great", "awful", "fine", "meh", ""],
        "M P(positive)": [0.9, 0.8, 0.55, 0.2, np.nan],
        "M label": ["Positive", "Positive", "Neutral", "Negative", ""],
        "VADER compound": [0.6, -0.5, 0.0, -0.1, np.nan],
        "VADER label": ["Positive", "Negative", "Neutral", "Negative", ""],
    })
    labels = np.array([1, 0, 1, np.nan, 1])  # the 4th has no label, the 5th no words
    report = sentiment.labelled_report(scored, labels)
    rows = report.summary.set_index("model")
    assert report.labelled == 3
    assert rows.loc["M", "accuracy"] == pytest.approx(2 / 3)  # 0.55 leans positive: right
    assert rows.loc["M", "negative, said positive"] == 1
    assert rows.loc["VADER", "accuracy"] == pytest.approx(2 / 3)  # 0.0 is no verdict
    assert rows.loc["VADER", "no verdict"] == 1
    assert list(report.mistakes["review"]) == ["awful", "fine"]
    assert list(report.mistakes["missed by"]) == [1, 1]


def test_a_review_with_html_tags_is_read_without_them_and_says_so():
    from core.sentiment import check_review, score_table

    check = check_review("<i>Boring</i>, truly<br />boring.", seq_len=50)
    assert check.text.split() == ["Boring", ",", "truly", "boring."]
    assert any("HTML tags" in note for note in check.notes)
    assert not check_review("Boring, truly boring.", seq_len=50).notes
    table = score_table(["<i>Boring</i>"], {})
    assert table["review"].tolist() == ["<i>Boring</i>"]  # shown as uploaded
    assert table["VADER label"].tolist() == ["Negative"]  # VADER read "Boring"
