"""The one raw-string predictor and the one latency measure."""

import numpy as np
import pytest

from core import models, predict, text
from core.config import ModelConfig

TEXTS = ["a great movie", "awful boring film", "great acting", "terrible plot and awful"] * 5


@pytest.fixture(scope="module")
def model():
    config = ModelConfig(vocab_size=40, seq_len=8, embed_dim=4, units=3, train_size=40)
    return models.end_to_end(text.make_vectorizer(TEXTS, 40, 8), models.build_model(config))


def test_a_review_scores_the_same_alone_and_in_any_batch(model):
    import tensorflow as tf

    reviews = ["a great movie and great acting " * 3, "awful", "", "great 😀 <b>plot</b>"]
    scorer = predict.Predictor(model)
    alone = np.array([model(tf.constant([r]), training=False).numpy()[0, 0] for r in reviews])
    assert scorer(reviews).shape == (4,)
    np.testing.assert_allclose(scorer(reviews), alone, atol=1e-6)
    np.testing.assert_allclose(scorer(reviews, batch_size=3), alone, atol=1e-6)
    assert scorer([]).shape == (0,)


def test_a_long_review_is_cut_to_what_the_model_reads(model):
    scorer = predict.Predictor(model, seq_len=8)
    review = "great " * 10_000
    clipped, cut = predict.clip_review(review, 8)
    assert cut and len(clipped) == 8 * predict.MAX_CHARS_PER_TOKEN
    assert predict.clip_review("great", 8) == ("great", False)
    np.testing.assert_allclose(scorer([review]), predict.Predictor(model)([clipped]), atol=1e-6)


def test_median_latency_counts_per_review():
    calls: list[int] = []

    def count(batch):
        calls.append(len(batch))
        return [0.5] * len(batch)

    one, per_review = predict.median_latency_ms(count, ["a", "b"], repeats=5)
    assert one > 0 and per_review > 0
    assert calls.count(1) == 6 and calls.count(predict.LATENCY_BATCH) == 3
    calls.clear()
    assert predict.median_latency_ms(count, ["a"], repeats=4, batch=False)[1] is None
    assert calls == [1] * 5
