"""VADER offline and its labels, model labels, review checks, batch tables and uploads."""

import io
import shutil
import zipfile

import nltk
import numpy as np
import pandas as pd
import pytest

from core import catalog, predict, sentiment, vader, verdict
from core.data import UploadError
from core.runs import SHIPPED_DIR, RunError, RunStore


def test_vader_label_follows_the_seed_rule():
    assert verdict.vader_label(0.0) == "Neutral"
    assert verdict.vader_label(0.0001) == "Positive"
    assert verdict.vader_label(-0.0001) == "Negative"


def test_model_label_has_a_neutral_band_around_one_half():
    assert verdict.model_label(0.5) == "Neutral"
    assert verdict.model_label(0.41) == "Neutral" and verdict.model_label(0.59) == "Neutral"
    assert verdict.model_label(0.6) == "Positive" and verdict.model_label(0.97) == "Positive"
    assert verdict.model_label(0.4) == "Negative" and verdict.model_label(0.02) == "Negative"
    with pytest.raises(ValueError):
        verdict.model_label(float("nan"))


def test_vader_lexicon_is_built_offline_from_the_package(isolated_home, monkeypatch):
    # Only the fresh app home on the search path: nothing to find, and no network here.
    monkeypatch.setattr(nltk.data, "path", [])
    source = vader.ensure_vader_lexicon(allow_download=False)
    assert source == "vaderSentiment"
    archive = isolated_home / "nltk_data" / "sentiment" / "vader_lexicon.zip"
    with zipfile.ZipFile(archive) as zipped:
        body = zipped.read("vader_lexicon/vader_lexicon.txt").decode()
    assert len(body.splitlines()) > 7000 and "\r" not in body and not body.endswith("\n")
    built = archive.stat().st_mtime_ns
    assert vader.ensure_vader_lexicon(allow_download=False) == "vaderSentiment"
    assert archive.stat().st_mtime_ns == built  # made once, not on every start

    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    scores = SentimentIntensityAnalyzer().polarity_scores("A wonderful, moving film.")
    assert scores["compound"] > 0.5


def test_the_package_lexicon_wins_without_trying_the_network(isolated_home, tmp_path,
                                                            monkeypatch):
    # An older download elsewhere on NLTK's path, which rates "wonderful" as negative.
    other = tmp_path / "elsewhere"
    (other / "sentiment").mkdir(parents=True)
    with zipfile.ZipFile(other / vader.VADER_RESOURCE, "w") as zipped:
        zipped.writestr("vader_lexicon/vader_lexicon.txt", "wonderful\t-3.0\t0.5\t[-3]")
    monkeypatch.setattr(nltk.data, "path", [str(other)])

    def no_network(*args, **kwargs):
        raise AssertionError("nltk.download was tried while the package lexicon is there")

    monkeypatch.setattr(nltk, "download", no_network)
    assert vader.ensure_vader_lexicon(allow_download=True) == "vaderSentiment"
    found = nltk.data.find(vader.VADER_RESOURCE)
    assert str(isolated_home / "nltk_data") in str(found)


def test_vader_scores_and_labels_on_clear_sentences():
    good = vader.vader_scores("A wonderful film, I loved every minute of it!")
    bad = vader.vader_scores("A horrible, boring waste of time. I hated it.")
    flat = vader.vader_scores("The film is in colour.")
    assert good.label == "Positive" and good.compound > 0.5 and good.pos > good.neg
    assert bad.label == "Negative" and bad.compound < -0.5
    assert flat.compound == 0 and flat.label == "Neutral"
    assert np.isclose(good.neg + good.neu + good.pos, 1.0, atol=0.01)


def test_vader_accuracy_counts_zero_as_a_miss():
    texts = ["I love it, wonderful", "Terrible and awful", "The film.", "The film."]
    assert vader.vader_accuracy(texts, np.array([1, 0, 1, 0])) == 0.5


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


def test_every_shipped_architecture_is_listed_even_when_missing(tmp_path):
    root = tmp_path / "models"
    shutil.copytree(SHIPPED_DIR / "lstm", root / "lstm")
    (root / "bilstm").mkdir()  # a damaged folder: no files at all
    choices = catalog.model_choices({catalog.SHIPPED: RunStore(root, read_only=True)})
    assert [c.arch for c in choices] == ["simple_rnn", "lstm", "gru", "bilstm", "nblr"]
    problems = {c.arch: c.problem for c in choices}
    assert problems["lstm"] == ""
    assert "not shipped" in problems["nblr"] and "nblr.npz" in problems["nblr"]
    assert "not shipped" in problems["gru"] and "missing file" in problems["simple_rnn"]
    assert "missing" in problems["bilstm"]
    with pytest.raises(RunError, match="GRU cannot be used: not shipped"):
        catalog.load_scoring_model(choices[2], {catalog.SHIPPED: RunStore(root)})


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
