"""RNN Lab's own Keras layers, registered so saved `.keras` files load with `safe_mode=True`.

The classes are made on first use, so importing this module does not import Keras (pages
that never touch a model stay fast). Call `register_layers()` before loading a file.

- `PadFirst`: the sentiment models' first layer (see `core.models.build_model`).
- `TiedEmbedding`: the language model's word vectors, used twice: to read a token and, read
  backwards, to score every word of the vocabulary as the next one (`core.language_model`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


@functools.cache
def _pad_first_class() -> type:
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="rnnlab", name="PadFirst")
    class PadFirst(keras.layers.Layer):
        """Token ids padded at the end (0s after the words) -> the same ids padded in front."""

        def call(self, ids):
            length = ops.shape(ids)[1]
            words = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1, keepdims=True)
            # Rotate each row right by its padding count: the trailing 0s wrap to the front.
            source = ops.mod(ops.arange(length, dtype="int32")[None, :] + words, length)
            return ops.take_along_axis(ids, source, axis=1)

        def compute_output_shape(self, input_shape):
            return input_shape

    return PadFirst


@functools.cache
def _tied_embedding_class() -> type:
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="rnnlab", name="TiedEmbedding")
    class TiedEmbedding(keras.layers.Layer):
        """One (vocabulary x dim) matrix for both ends of a language model.

        Called on token ids it looks their vectors up; called with `reverse=True` on
        (..., dim) vectors it gives one logit per vocabulary word (the dot product with that
        word's vector, plus a per-word bias). Sharing the matrix (Press and Wolf, 2017;
        Inan et al., 2017) halves the weights and usually lowers perplexity: a word's
        input and output vectors are learnt from both its uses.
        """

        def __init__(self, vocab_size: int, dim: int, **kwargs):
            super().__init__(**kwargs)
            self.vocab_size, self.dim = int(vocab_size), int(dim)

        def build(self, input_shape=None):
            self.embeddings = self.add_weight(
                shape=(self.vocab_size, self.dim), name="embeddings",
                initializer=keras.initializers.RandomUniform(-0.05, 0.05))
            self.bias = self.add_weight(shape=(self.vocab_size,), name="bias",
                                        initializer="zeros")

        def call(self, inputs, reverse=False):
            if reverse:
                return ops.matmul(inputs, ops.transpose(self.embeddings)) + self.bias
            return ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)

        def get_config(self):
            return {**super().get_config(), "vocab_size": self.vocab_size, "dim": self.dim}

    return TiedEmbedding


def pad_first_layer(name: str = "pad_first") -> keras.layers.Layer:
    """A layer that moves end padding to the front (see `core.models.build_model`)."""
    return _pad_first_class()(name=name)


def tied_embedding_layer(vocab_size: int, dim: int,
                         name: str = "embedding") -> keras.layers.Layer:
    """The language model's shared input/output word vectors."""
    return _tied_embedding_class()(vocab_size, dim, name=name)


def register_layers() -> None:
    """Make every RNN Lab layer known to Keras; call before loading a saved model."""
    _pad_first_class()
    _tied_embedding_class()
