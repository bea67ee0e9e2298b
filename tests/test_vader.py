"""VADER offline, with the lexicon from the pinned wheel."""

import zipfile

import nltk
import numpy as np

from core import vader


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
