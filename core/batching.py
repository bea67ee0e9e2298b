"""Length-aware batching: reviews of similar length share a batch, padded only to the
longest of them, for training, evaluation and scoring alike.

Most IMDB reviews are far shorter than the 500 tokens a shipped model may read; padding
every review to 500 made an epoch take about 1.6 times as long (`make bench SECTION=train`,
`length_batching_speedup`), and the masked padding moves no verdict (`core.layers`).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras

# Training reviews are sorted by length within pools of this many batches, and a batch is
# padded to its longest review rounded up to WIDTH_STEP tokens.
LENGTH_POOL = 50
WIDTH_STEP = 16


def review_lengths(x: np.ndarray) -> np.ndarray:
    """Tokens per row of vectorized reviews (the vectorizer pads with 0s after the words)."""
    return np.count_nonzero(x, axis=1)


def length_batches(lengths: np.ndarray, batch_size: int,
                   rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """Row indices of each batch, grouping reviews of similar length.

    With `rng` (training): a random order, sorted by length within pools of
    `LENGTH_POOL` batches, and the batches in random order, so batches still mix reviews
    from all over the set. Without (evaluation): sorted by length.
    """
    if rng is None:
        order = np.argsort(lengths, kind="stable")
    else:
        order = rng.permutation(len(lengths))
        pool = batch_size * LENGTH_POOL
        order = np.concatenate([
            chunk[np.argsort(lengths[chunk], kind="stable")]
            for chunk in np.split(order, range(pool, len(order), pool))
        ]) if len(order) else order
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        # The full batches in random order, a short one last: Keras reports a running mean
        # weighted by batch size, and the live curves undo it for each batch
        # (`core.live`) assuming that only the last batch is short. A short batch in the
        # middle drew per-batch losses below zero on a run whose loss had grown large.
        full = len(batches) - (len(batches[-1]) < batch_size if batches else 0)
        batches = [batches[i] for i in rng.permutation(full)] + batches[full:]
    return batches


def batch_width(lengths: np.ndarray, limit: int) -> int:
    """The width a batch of reviews with these lengths is padded to: its longest review,
    rounded up to a multiple of `WIDTH_STEP` (fewer distinct shapes to compile)."""
    longest = int(lengths.max()) if len(lengths) else 1
    return max(1, min(limit, -(-longest // WIDTH_STEP) * WIDTH_STEP))


def _batches_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None):
    import tensorflow as tf

    lengths = review_lengths(x)
    epochs = itertools.count()

    def batches():
        rng = None if seed is None else np.random.default_rng([seed, next(epochs)])
        for rows in length_batches(lengths, batch_size, rng):
            yield x[rows, :batch_width(lengths[rows], x.shape[1])], y[rows]

    dataset = tf.data.Dataset.from_generator(batches, output_signature=(
        tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None,), tf.float32)))
    steps = -(-len(x) // batch_size)
    return dataset.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(2)


def train_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
    """Training batches of reviews of similar length, each padded only to its longest
    review; a new seeded order every epoch (`length_batches`)."""
    return _batches_dataset(x, np.asarray(y, np.float32), batch_size, seed)


def eval_dataset(x: np.ndarray, y: np.ndarray, batch_size: int):
    """Evaluation batches sorted by length (the order does not matter to a mean)."""
    return _batches_dataset(x, np.asarray(y, np.float32), batch_size, None)


def predict_ids(model: keras.Model, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """The model's first output for each row of `x`, in `x`'s order, read in batches of
    similar length (each padded only to its longest review)."""
    lengths = review_lengths(x)
    out = np.zeros(len(x), dtype=np.float64)
    for rows in length_batches(lengths, batch_size):
        batch = x[rows, :batch_width(lengths[rows], x.shape[1])]
        out[rows] = np.asarray(model.predict_on_batch(batch)).reshape(len(rows), -1)[:, 0]
    return out
