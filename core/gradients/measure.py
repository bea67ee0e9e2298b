"""What the experiments measure: the norm of the gradient reaching each time step's
input, and how it falls (or grows) from the last step back to the first."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from core.config import ARCH_LABELS

if TYPE_CHECKING:
    import keras

    from core.jobs import JobContext


GRADIENT_ARCHS = ("simple_rnn", "lstm", "gru")
CELL_LABELS = {arch: ARCH_LABELS[arch] for arch in GRADIENT_ARCHS}


def _forward_from_embedding(network: keras.Model, embedded: Any, mask: Any) -> Any:
    """Run the layers after `embedding` on embedded inputs, carrying the padding mask.

    Keras cannot cut a functional model at an intermediate tensor that carries a mask, so
    the layers are applied one by one; every RNN Lab network is a plain stack.
    """
    layers = network.layers
    start = layers.index(network.get_layer("embedding")) + 1
    x = embedded
    for layer in layers[start:]:
        if mask is not None and "mask" in inspect.signature(layer.call).parameters:
            x = layer(x, mask=mask, training=False)
            if getattr(layer, "return_sequences", True) is False:
                mask = None
        else:
            x = layer(x, training=False)
    return x


def step_gradient_norms(network: keras.Model, ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean over examples of |d loss / d x_t| for every time step t (x_t: the embedded token).

    `network` maps integer ids (batch, T) to P(positive) and has a layer named
    `embedding`. The loss is each example's own binary cross-entropy (summed, not averaged,
    so the scale does not depend on the batch size). Padding positions get NaN.
    """
    import keras
    import tensorflow as tf

    ids = np.asarray(ids, dtype=np.int32)
    labels = np.asarray(labels, dtype=np.float32).reshape(-1, 1)
    embedding = network.get_layer("embedding")
    masked = bool(getattr(embedding, "mask_zero", False))
    embedded = tf.convert_to_tensor(embedding(ids))
    mask = tf.constant(ids != 0) if masked else None
    with tf.GradientTape() as tape:
        tape.watch(embedded)
        probability = _forward_from_embedding(network, embedded, mask)
        loss = tf.reduce_sum(keras.losses.binary_crossentropy(labels, probability))
    gradient = tape.gradient(loss, embedded).numpy()
    norms = np.linalg.norm(gradient, axis=-1)
    if masked:
        norms = np.where(ids != 0, norms, np.nan)
    with np.errstate(invalid="ignore"):
        return np.nanmean(norms, axis=0) if masked else norms.mean(axis=0)


def first_to_last_ratio(norms: Sequence[float]) -> float:
    """How much of the last step's gradient reaches the first step (1 = all of it)."""
    values = np.asarray(norms, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) < 2 or values[-1] <= 0:
        return float("nan")
    return float(values[0] / values[-1])


def stop_requested(job: JobContext | None) -> bool:
    return job is not None and job.stop_requested
