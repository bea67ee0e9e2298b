"""The baselines: TF-IDF + logistic regression and VADER, on real IMDB reviews."""

import math

import numpy as np
import pytest

from core import baselines, vader


@pytest.fixture(scope="module")
def reviews(imdb):
    train = imdb.train.iloc[::60].reset_index(drop=True)  # ~420 reviews, both classes
    test = imdb.test.iloc[::125].reset_index(drop=True)  # 200 reviews
    return (train["text"].tolist(), train["label"].astype(int).tolist(),
            test["text"].tolist(), test["label"].astype(int).tolist())


@pytest.mark.slow
def test_tfidf_logreg_learns_and_reports_every_figure(reviews):
    train_x, train_y, test_x, test_y = reviews
    result = baselines.tfidf_logreg_baseline(train_x, train_y, test_x, test_y,
                                             max_features=2000, use_cache=False)
    m = result.metrics
    assert result.key == "tfidf_logreg"
    assert 0.6 < m["test_accuracy"] <= 1.0  # far above chance even on 400 reviews
    assert 0 < m["test_loss"] < math.log(2)  # better than always answering 0.5
    assert 2 <= m["params"] <= 2001  # one weight per feature plus the bias
    assert m["train_s"] > 0 and m["samples_per_s"] > 0
    assert m["latency_one_ms"] > 0 and m["latency_batch_ms"] > 0
    assert m["test_size"] == len(test_x) and m["train_size"] == len(train_x)


@pytest.mark.slow
def test_results_are_cached_by_their_inputs_and_a_damaged_cache_is_recomputed(reviews):
    train_x, train_y, test_x, test_y = reviews
    first = baselines.tfidf_logreg_baseline(train_x, train_y, test_x, test_y, max_features=500)
    again = baselines.tfidf_logreg_baseline(train_x, train_y, test_x, test_y, max_features=500)
    assert again.metrics == first.metrics  # read back, not retrained (timings would differ)
    other = baselines.tfidf_logreg_baseline(train_x, train_y, test_x, test_y, max_features=300)
    assert other.metrics["params"] <= 301 < first.metrics["params"]

    cached = sorted((baselines.settings.cache_dir() / "baselines").glob("tfidf-*.json"))
    assert cached
    for path in cached:
        path.write_text("{not json", encoding="utf-8")
    recomputed = baselines.tfidf_logreg_baseline(train_x, train_y, test_x, test_y,
                                                 max_features=500)
    assert recomputed.metrics["test_accuracy"] == first.metrics["test_accuracy"]


@pytest.mark.slow
def test_vader_matches_the_classify_rule_and_has_no_loss(reviews):
    _, _, test_x, test_y = reviews
    result = baselines.vader_baseline(test_x, test_y, use_cache=False)
    m = result.metrics
    assert m["test_accuracy"] == pytest.approx(vader.vader_accuracy(test_x, np.array(test_y)))
    assert 0.55 < m["test_accuracy"] < 0.9  # VADER is known to reach ~70% on IMDB
    assert m["test_loss"] is None and m["params"] is None and m["train_s"] == 0.0
    assert m["latency_one_ms"] > 0 and m["latency_batch_ms"] > 0


def test_odd_texts_work_and_bad_inputs_get_clear_errors():
    texts = ["😀😀 loved it", "<script>alert(1)</script> awful", "Très bon film, magnifique",
             "", "great great great", "bad bad bad"]
    labels = [1, 0, 1, 0, 1, 0]
    result = baselines.tfidf_logreg_baseline(texts, labels, texts, labels, use_cache=False)
    assert 0.0 <= result.metrics["test_accuracy"] <= 1.0
    assert 0.0 <= baselines.vader_baseline(texts, labels, use_cache=False).metrics[
        "test_accuracy"] <= 1.0
    with pytest.raises(ValueError, match="both positive and negative"):
        baselines.tfidf_logreg_baseline(texts, [1] * 6, texts, labels)
    with pytest.raises(ValueError, match="non-empty"):
        baselines.vader_baseline([], [])
    with pytest.raises(ValueError, match="one label"):
        baselines.tfidf_logreg_baseline(texts, labels[:3], texts, labels)


@pytest.mark.slow
def test_nblr_learns_on_a_small_set_and_reports_every_figure(reviews):
    train_x, train_y, test_x, test_y = reviews
    result = baselines.nblr_baseline(train_x, train_y, test_x, test_y, use_cache=False)
    m = result.metrics
    assert result.key == "nblr" and result.name == baselines.BASELINE_NAMES["nblr"]
    assert 0.6 < m["test_accuracy"] <= 1.0  # far above chance even on 400 reviews
    assert 0 < m["test_loss"] < math.log(2)
    assert m["params"] > 1000  # one weight per n-gram bucket in use, plus the bias
    assert m["train_s"] > 0 and m["latency_one_ms"] > 0 and m["latency_batch_ms"] > 0
    assert m["test_size"] == len(test_x) and m["train_size"] == len(train_x)


def test_nblr_weights_are_the_log_count_ratio_times_the_regression_weight():
    texts = ["great fun", "great acting", "dull plot", "dull and long"] * 5
    labels = [1, 1, 0, 0] * 5
    model = baselines.fit_nblr(texts, labels, bits=12)
    vectorizer = model.vectorizer
    bucket = {word: vectorizer.transform([word]).indices[0] for word in ("great", "dull")}
    assert model.weights[bucket["great"]] > 0 > model.weights[bucket["dull"]]
    probabilities = model.predict_proba(["great", "dull", "an unseen word"])
    assert probabilities[0] > 0.5 > probabilities[1]
    # A text with no known n-gram gets the bias alone.
    assert probabilities[2] == pytest.approx(1 / (1 + math.exp(-model.bias)), abs=1e-6)


def test_nblr_saves_and_loads_the_same_scores_and_refuses_a_damaged_file(tmp_path):
    texts = ["loved it", "hated it", "a joy", "a bore"] * 4
    labels = [1, 0, 1, 0] * 4
    model = baselines.fit_nblr(texts, labels, bits=12)
    path = tmp_path / "nblr.npz"
    model.save(path)
    loaded = baselines.NbLogReg.load(path)
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable NB-LR model"):
        baselines.NbLogReg.load(path)
