"""The hidden state's path: a review's hidden states, word by word, projected onto the
plane where many reviews' states vary most (PCA), with the classifier's read-out drawn.

Maheswaranathan et al. (NeurIPS 2019) found that sentiment RNNs move their state along
nearly one line (a "line attractor") and the read-out measures where on it the review
ends up. Here a learner sees that on a model they can pick (shipped or their own): positive
and negative reviews drift apart word by word, and a typed review moves with its words.

    space = fit_state_space(model, texts, labels)   # PCA on the states of many reviews
    path = space.path(model, "not good at all")      # (words, 2) points, in reading order
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

# The plane is fitted on the states of the first FIT_WORDS words of FIT_REVIEWS reviews:
# 20,000 states, a few seconds on a CPU (whole reviews took 13-36 s for the same plane).
FIT_REVIEWS = 200
FIT_WORDS = 100
REFERENCE_PATHS = 6  # reviews drawn beside the typed one, half positive, half negative
REFERENCE_MIN_WORDS = 10  # the shortest reviews of the sample, so their paths stay
# readable, but not one-liners
BATCH = 64


@dataclass
class Path2D:
    """One text's hidden states projected onto the plane."""

    tokens: list[str]
    points: np.ndarray  # (words, 2)
    probability: float  # the model's P(positive) for the text
    label: int | None = None  # the review's true label, for the reference paths


@dataclass
class StateSpace:
    """A PCA plane of a model's hidden states, and the read-out's direction in it."""

    mean: np.ndarray  # (units,)
    components: np.ndarray  # (2, units), orthonormal
    explained: np.ndarray  # (2,) share of the states' variance each axis holds
    readout: np.ndarray  # (2,) unit vector: the output layer's weights seen in the plane
    readout_in_plane: float  # how much of those weights lies in the plane (0 to 1)
    references: list[Path2D] = field(default_factory=list)

    def along_readout(self, path: Path2D) -> np.ndarray:
        """Each point's position along the read-out direction: how positive the state
        looks to the output layer, as far as the plane shows it."""
        return path.points @ self.readout

    def project(self, states: np.ndarray) -> np.ndarray:
        return (np.asarray(states, np.float64) - self.mean) @ self.components.T

    def path(self, model: keras.Model, text: str) -> Path2D:
        """The typed text's path; ValueError when it has no words the model reads."""
        tokens, states = text_states(model, [text])
        if not tokens[0]:
            raise ValueError("The text has no words the model can read; type a sentence.")
        probability = float(np.asarray(model(np.asarray([text], dtype=object)))[0, 0])
        return Path2D(tokens[0], self.project(states[0]), probability)


def _sequence_layer(layer: Any) -> Any:
    """The recurrent layer itself if it returns a state per word, else a copy that does
    (same weights): a model that reads only its last state still has one per word."""
    from keras import layers

    inner = layer.forward_layer if isinstance(layer, layers.Bidirectional) else layer
    if inner.return_sequences:
        return layer
    config = layer.get_config()
    if isinstance(layer, layers.Bidirectional):
        config["layer"]["config"]["return_sequences"] = True
        if config.get("backward_layer"):
            config["backward_layer"]["config"]["return_sequences"] = True
    else:
        config["return_sequences"] = True
    copy = type(layer).from_config(config)
    copy.build(layer.input.shape if not isinstance(layer.input, list) else layer.input[0].shape)
    copy.set_weights(layer.get_weights())
    return copy


def text_states(model: keras.Model, texts: Sequence[str]
                ) -> tuple[list[list[str]], list[np.ndarray]]:
    """Each text's tokens and the last recurrent layer's state after each of them
    (words, units): the vector the read-out sees (pooled over words, or the last one)."""
    import inspect

    import tensorflow as tf
    from keras import layers as keras_layers

    from core.models import network_of, vectorizer_of
    from core.text import tokenize_all

    vectorizer, network = vectorizer_of(model), network_of(model)
    tokens = tokenize_all(list(texts), vectorizer)
    recurrent = [layer for layer in network.layers
                 if isinstance(layer, (keras_layers.RNN, keras_layers.Bidirectional))]
    stop = network.layers.index(recurrent[-1])
    start = network.layers.index(network.get_layer("embedding"))
    out_tokens, out_states = [], []
    for first in range(0, len(texts), BATCH):
        ids = np.asarray(vectorizer(np.asarray(texts[first:first + BATCH], dtype=object)))
        lengths = np.minimum([len(t) for t in tokens[first:first + BATCH]], ids.shape[1])
        width = max(1, int(lengths.max(initial=0)))
        ids = ids[:, :width]
        mask = tf.constant(ids != 0)
        x = network.layers[start](ids)
        for layer in network.layers[start + 1:stop + 1]:
            if layer in recurrent:
                layer = _sequence_layer(layer)
            if "mask" in inspect.signature(layer.call).parameters:
                x = layer(x, mask=mask, training=False)
            else:
                x = layer(x, training=False)
        x = np.asarray(x)
        for row, length in enumerate(lengths):
            out_tokens.append(tokens[first + row][:length])
            out_states.append(x[row, :length])
    return out_tokens, out_states


def fit_state_space(model: keras.Model, texts: Sequence[str],
                    labels: Sequence[int]) -> StateSpace:
    """PCA of every word's state over `texts` (as much of each as the model reads), the
    read-out's direction in that plane, and the paths of the shortest reviews of each
    label among them."""
    from core.models import network_of

    texts, labels = list(texts), np.asarray(labels, dtype=int)
    _, states = text_states(model, [" ".join(t.split()[:FIT_WORDS]) for t in texts])
    pooled = np.concatenate([s for s in states if len(s)]).astype(np.float64)
    mean = pooled.mean(axis=0)
    _, singular, vt = np.linalg.svd(pooled - mean, full_matrices=False)
    components = vt[:2]
    explained = (singular[:2] ** 2) / (singular ** 2).sum()
    weights = np.asarray(network_of(model).get_layer("output").kernel)[:, 0].astype(np.float64)
    # Concat pooling reads each unit three times (its last, largest and mean value), each
    # with its own weight; a unit moves the verdict by the three together.
    weights = weights.reshape(-1, pooled.shape[1]).sum(axis=0)
    in_plane = components @ weights
    norm = float(np.linalg.norm(in_plane))
    readout = in_plane / norm if norm > 0 else np.array([1.0, 0.0])
    # Orient the first axis so that "more positive" points right, as on the chart.
    if readout[0] < 0:
        components[0], readout[0] = -components[0], -readout[0]
    space = StateSpace(mean, components, explained, readout,
                       norm / float(np.linalg.norm(weights) or 1.0))
    lengths = np.array([len(t.split()) for t in texts])
    for label in (1, 0):
        pool = [i for i in np.argsort(lengths, kind="stable")
                if labels[i] == label and lengths[i] >= REFERENCE_MIN_WORDS]
        for i in pool[: REFERENCE_PATHS // 2]:
            path = space.path(model, texts[int(i)])
            path.label = label
            space.references.append(path)
    return space
