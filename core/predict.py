"""Scoring raw strings with a saved model, and timing it: the one path that Classify,
Train, Compare, the run store and the benchmarks all use.

    predict = Predictor(run.model, seq_len=500)
    p_positive = predict(["A masterpiece.", "boring"])
    one_ms, batch_ms = median_latency_ms(predict, reviews)
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# Past this many characters per token of a model's sequence length, a review is cut before
# the model tokenises it: TensorFlow standardising a megabyte of text would cost seconds.
MAX_CHARS_PER_TOKEN = 40
# Latency is timed for one review alone (what a user typing waits for) and per review
# inside a batch of this many (what scoring an upload costs).
LATENCY_BATCH = 256

Predict = Callable[[Sequence[str]], np.ndarray]


def clip_review(text: str, seq_len: int) -> tuple[str, bool]:
    """The part of `text` a model with `seq_len` tokens can read, and whether it was cut."""
    limit = max(1, seq_len) * MAX_CHARS_PER_TOKEN
    if len(text) <= limit:
        return text, False
    return text[:limit], True


class Predictor:
    """The outputs of an end-to-end Keras model (raw strings in) for a list of texts; for a
    sentiment model, P(positive) of shape (n,).

    `model.predict` builds a dataset and a loop per call (~50 ms); a `tf.function` with a
    fixed signature is traced once and then runs the graph directly (a few ms). Texts of
    similar length share a batch, so each batch is padded only to its longest text. With
    `seq_len`, each text is first cut to what a model reading that many tokens can use.
    """

    def __init__(self, model: Any, seq_len: int | None = None) -> None:
        import tensorflow as tf

        self.model = model
        self.seq_len = seq_len
        # One graph and its variables are shared by every page session; TF graphs are
        # thread-safe, but interleaving two big batches only slows both down.
        self._lock = threading.Lock()

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)], reduce_retracing=True)
        def forward(texts: Any) -> Any:
            return model(texts, training=False)

        self._forward = forward

    def __call__(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        import tensorflow as tf

        texts = [str(t) for t in texts]
        if self.seq_len:
            texts = [clip_review(t, self.seq_len)[0] for t in texts]
        if not texts:
            return np.zeros(0, dtype=np.float32)
        # Characters stand in for tokens: sorting by them costs nothing.
        order = np.argsort([len(t) for t in texts], kind="stable")
        parts = []
        with self._lock:
            for start in range(0, len(texts), batch_size):
                chunk = tf.constant([texts[i] for i in order[start:start + batch_size]])
                parts.append(np.asarray(self._forward(chunk)))
        stacked = np.concatenate(parts, axis=0)
        out = np.empty_like(stacked)
        out[order] = stacked
        return out.reshape(-1) if out.ndim == 2 and out.shape[1] == 1 else out


def median_latency_ms(predict: Callable[[list[str]], Any], texts: Sequence[str],
                      repeats: int = 15, batch: bool = True) -> tuple[float, float | None]:
    """Median milliseconds per review: one review at a time, and (with `batch`) inside a
    batch of `LATENCY_BATCH`. Every model in the app is timed by this one function.

    The median ignores the occasional slow call (a garbage collection, another process on
    the machine), which a mean would let dominate a handful of repeats.
    """
    pool = list(texts) or ["an empty review"]
    predict([pool[0]])  # warm-up: first calls pay one-off setup costs (tracing)
    singles = []
    for i in range(repeats):
        text = pool[i % len(pool)]
        start = time.perf_counter()
        predict([text])
        singles.append(time.perf_counter() - start)
    one_ms = statistics.median(singles) * 1000
    if not batch:
        return one_ms, None
    reviews = [pool[i % len(pool)] for i in range(LATENCY_BATCH)]
    batches = []
    for _ in range(max(3, repeats // 5)):
        start = time.perf_counter()
        predict(reviews)
        batches.append(time.perf_counter() - start)
    return one_ms, statistics.median(batches) * 1000 / LATENCY_BATCH
