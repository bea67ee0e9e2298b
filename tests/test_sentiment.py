"""VADER offline and its labels, model labels, review checks, batch tables and uploads."""

import zipfile

import nltk
import numpy as np
import pytest

from core import sentiment
from core.data import UploadError


def test_vader_label_follows_the_seed_rule():
    assert sentiment.vader_label(0.0) == "Neutral"
    assert sentiment.vader_label(0.0001) == "Positive"
    assert sentiment.vader_label(-0.0001) == "Negative"


def test_model_label_has_a_neutral_band_around_one_half():
    assert sentiment.model_label(0.5) == "Neutral"
    assert sentiment.model_label(0.41) == "Neutral" and sentiment.model_label(0.59) == "Neutral"
    assert sentiment.model_label(0.6) == "Positive" and sentiment.model_label(0.97) == "Positive"
    assert sentiment.model_label(0.4) == "Negative" and sentiment.model_label(0.02) == "Negative"
    with pytest.raises(ValueError):
        sentiment.model_label(float("nan"))


def test_vader_lexicon_is_built_offline_from_the_package(isolated_home, monkeypatch):
    # Only the fresh app home on the search path: nothing to find, and no network here.
    monkeypatch.setattr(nltk.data, "path", [])
    source = sentiment.ensure_vader_lexicon(allow_download=False)
    assert source == "vaderSentiment"
    archive = isolated_home / "nltk_data" / "sentiment" / "vader_lexicon.zip"
    with zipfile.ZipFile(archive) as zipped:
        body = zipped.read("vader_lexicon/vader_lexicon.txt").decode()
    assert len(body.splitlines()) > 7000 and "\r" not in body and not body.endswith("\n")
    assert sentiment.ensure_vader_lexicon(allow_download=False) == "nltk_data"

    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    scores = SentimentIntensityAnalyzer().polarity_scores("A wonderful, moving film.")
    assert scores["compound"] > 0.5


def test_vader_scores_and_labels_on_clear_sentences():
    good = sentiment.vader_scores("A wonderful film, I loved every minute of it!")
    bad = sentiment.vader_scores("A horrible, boring waste of time. I hated it.")
    flat = sentiment.vader_scores("The film is in colour.")
    assert good.label == "Positive" and good.compound > 0.5 and good.pos > good.neg
    assert bad.label == "Negative" and bad.compound < -0.5
    assert flat.compound == 0 and flat.label == "Neutral"
    assert np.isclose(good.neg + good.neu + good.pos, 1.0, atol=0.01)


def test_vader_accuracy_counts_zero_as_a_miss():
    texts = ["I love it, wonderful", "Terrible and awful", "The film.", "The film."]
    assert sentiment.vader_accuracy(texts, np.array([1, 0, 1, 0])) == 0.5


def test_check_review_notes_truncation_of_a_megabyte():
    text = "a good film " * 90_000  # over 1 MB
    check = sentiment.check_review(text, seq_len=200)
    assert check.read_tokens == 200
    assert check.notes and "first 200" in check.notes[0]
    clipped, cut = sentiment.clip_review(text, 200)
    assert cut and len(clipped) == 200 * sentiment.MAX_CHARS_PER_TOKEN


def test_check_review_notes_unknown_words():
    vocabulary = {"the", "film", "was", "good"}
    check = sentiment.check_review("Un film magnifique, très émouvant 😍", 200, vocabulary)
    assert check.oov_share > 0.5
    assert any("unknown" in note for note in check.notes)
    assert not sentiment.check_review("the film was good", 200, vocabulary).notes
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
    assert list(table["VADER label"][:2]) == ["Positive", "Negative"]
    assert table["VADER label"].iloc[2] == "Neutral"


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
