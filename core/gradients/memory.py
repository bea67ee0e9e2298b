"""Memory on your own sentence: how much each word of a text still moves a model's final
verdict, by integrated gradients (Sundararajan et al., 2017).

A word's score is the part of the verdict's log-odds that its word vector accounts for,
going from a "no words" baseline (every vector zero) to the real text:

    score_t = x_t · mean over α in (0, 1] of dF/dx_t (α x),   F = logit P(positive)

Why integrated gradients rather than gradient × input: a plain gradient is taken at one
point, and a saturated network (P = 0.99) has tiny gradients even for the words that
decided; integrating along the path avoids that, and the scores then add up to the whole
change, F(text) - F(baseline) ("completeness"), which `WordMemory.gap` checks.

The gradients are real: TensorFlow differentiates the model's own layers after the
embedding (`measure._forward_from_embedding`), for all α in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.gradients.measure import _forward_from_embedding

if TYPE_CHECKING:
    import keras

IG_STEPS = 48  # points on the path: the scores then add up to F(text) - F(baseline) to ~1%
MAX_WORDS = 200  # a typed sentence or a short review; each word costs IG_STEPS steps


@dataclass
class WordMemory:
    """Each word's share of one model's verdict on one text (log-odds, signed)."""

    tokens: list[str]
    scores: np.ndarray  # (words,): + pushed towards Positive, - towards Negative
    logit: float  # F(text): the verdict's log-odds
    baseline_logit: float  # F(baseline): what the model says with no words at all
    truncated: int = 0  # words beyond MAX_WORDS or the model's length, not scored

    @property
    def probability(self) -> float:
        return float(1 / (1 + np.exp(-self.logit)))

    @property
    def gap(self) -> float:
        """|sum of the scores - (F(text) - F(baseline))|: how far completeness is off."""
        return float(abs(self.scores.sum() - (self.logit - self.baseline_logit)))

    def shares(self) -> np.ndarray:
        """Each word's share of all the words' influence, |score| / sum |score|."""
        total = np.abs(self.scores).sum()
        return np.abs(self.scores) / total if total > 0 else np.zeros_like(self.scores)

    def distance_profile(self) -> np.ndarray:
        """The shares by distance from the end: index 0 is the last word."""
        return self.shares()[::-1]


def word_memory(model: keras.Model, text: str, steps: int = IG_STEPS) -> WordMemory:
    """Integrated gradients of an end-to-end sentiment model's verdict on `text`.

    Raises ValueError with a message for the page when the text has no readable words.
    """
    import tensorflow as tf

    from core.models import network_of, vectorizer_of
    from core.text import tokenize

    vectorizer, network = vectorizer_of(model), network_of(model)
    if vectorizer is None:
        raise ValueError("This model has no TextVectorization layer, so it cannot read text.")
    tokens = tokenize(text, vectorizer)
    if not tokens:
        raise ValueError("The text has no words the model can read; type a sentence.")
    ids = np.asarray(vectorizer([text]))
    words = min(len(tokens), ids.shape[1], MAX_WORDS)
    ids = ids[:, :words]  # one text: no padding at all
    embedding = network.get_layer("embedding")
    embedded = tf.convert_to_tensor(embedding(ids), tf.float32)  # (1, words, dim)
    # Midpoints of `steps` equal slices of (0, 1], then the two ends: α = 0 and α = 1.
    alphas = np.concatenate([(np.arange(steps) + 0.5) / steps, [0.0, 1.0]]).astype(np.float32)
    path = tf.constant(alphas)[:, None, None] * embedded
    mask = tf.ones((len(alphas), words), tf.bool) if embedding.mask_zero else None
    with tf.GradientTape() as tape:
        tape.watch(path)
        p = tf.clip_by_value(_forward_from_embedding(network, path, mask), 1e-7, 1 - 1e-7)
        logits = tf.math.log(p) - tf.math.log1p(-p)
        total = tf.reduce_sum(logits)  # each α's logit depends on its own row only
    gradients = tape.gradient(total, path).numpy()[:steps]
    scores = (gradients.mean(axis=0) * embedded.numpy()[0]).sum(axis=-1)
    logits = logits.numpy().ravel()
    return WordMemory(tokens=tokens[:words], scores=scores.astype(np.float64),
                      logit=float(logits[-1]), baseline_logit=float(logits[-2]),
                      truncated=len(tokens) - words)
