"""RNN Lab's own Keras layers, registered so saved `.keras` files load with `safe_mode=True`.

The classes are made on first use, so importing this module does not import Keras (pages
that never touch a model stay fast). Call `register_layers()` before loading a file.

- `TrimPadding`: cuts a batch of token ids to its longest review, so no step is spent on
  padding that every review in the batch has (`core.models.end_to_end`).
- `MaskedMaxPooling`: each unit's largest value over a review's words, never its padding.
- `MaskedConcatPooling`: the state after a review's last word, each unit's maximum and its
  mean over the words, side by side (ULMFiT's "concat pooling"), never the padding.
- `PadFirst`: the first layer of sentiment models saved before masking; kept so that they
  still load.
- `TiedEmbedding`: the language model's word vectors, used twice: to read a token and, read
  backwards, to score every word of the vocabulary as the next one (`core.language_model`).
- `ContextWindow` and `LastPosition`: let the saved language model take raw strings, like
  the classifiers: the start token and the last `window` ids go in, and the scores of the
  word after each text's last token come out.
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
def _trim_padding_class() -> type:
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="rnnlab", name="TrimPadding")
    class TrimPadding(keras.layers.Layer):
        """Token ids padded at the end to a fixed width -> padded only to the longest row.

        One review comes out with no padding at all; a batch, as wide as its longest review.
        Keeps at least one column, so an empty text still has a shape to read.
        """

        def call(self, ids):
            words = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1)
            return ids[:, :ops.maximum(ops.max(words), 1)]

        def compute_output_shape(self, input_shape):
            return (input_shape[0], None)

    return TrimPadding


def _masked_max(inputs, keep):
    """Each unit's maximum over the steps `keep` (batch, steps, 1) marks; zeros for a row
    with none."""
    from keras import ops

    pooled = ops.max(ops.where(keep, inputs, ops.full_like(inputs, float("-inf"))), axis=1)
    return ops.where(ops.any(keep, axis=1), pooled, ops.zeros_like(pooled))


@functools.cache
def _masked_max_pooling_class() -> type:
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="rnnlab", name="MaskedMaxPooling")
    class MaskedMaxPooling(keras.layers.Layer):
        """(batch, steps, units) -> (batch, units): each unit's maximum over the real steps.

        Keras's `GlobalMaxPooling1D` ignores the mask, so the outputs at padded steps would
        take part in the maximum and a review's verdict would depend on its padding. A row
        with no real step gives zeros.
        """

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is None:
                return ops.max(inputs, axis=1)
            return _masked_max(inputs, ops.expand_dims(ops.cast(mask, "bool"), -1))

        def compute_mask(self, inputs, mask=None):
            return None

        def compute_output_shape(self, input_shape):
            return (input_shape[0], input_shape[2])

    return MaskedMaxPooling


@functools.cache
def _masked_concat_pooling_class() -> type:
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="rnnlab", name="MaskedConcatPooling")
    class MaskedConcatPooling(keras.layers.Layer):
        """(batch, steps, units) -> (batch, 3 * units): the outputs after the whole review,
        each unit's maximum and its mean over the real steps, in that order. A row with no
        real step gives zeros.

        After the whole review is the output at the last real step; for a bidirectional
        layer (`bidirectional=True`, outputs [forward, backward] in reading order) the
        backward half has read the whole review at the first real step, so that half is
        taken there, as Keras's own last state of a `Bidirectional` layer does."""

        def __init__(self, bidirectional: bool = False, **kwargs):
            super().__init__(**kwargs)
            self.bidirectional = bool(bidirectional)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is None:
                mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
            real = ops.cast(mask, "bool")
            keep = ops.expand_dims(real, -1)
            count = ops.sum(ops.cast(real, inputs.dtype), axis=1, keepdims=True)
            some = ops.any(keep, axis=1)
            top = _masked_max(inputs, keep)
            mean = ops.sum(ops.where(keep, inputs, ops.zeros_like(inputs)), axis=1) / ops.maximum(
                count, 1.0)
            # The first and last real steps, wherever the padding is.
            steps = ops.shape(inputs)[1]
            positions = ops.arange(steps, dtype="int32")[None, :]
            last = ops.max(ops.where(real, positions, ops.zeros_like(positions)), axis=1)
            final = ops.take_along_axis(inputs, last[:, None, None], axis=1)[:, 0, :]
            if self.bidirectional:
                first = ops.min(ops.where(real, positions, ops.full_like(positions, steps)),
                                axis=1)
                first = ops.minimum(first, steps - 1)
                start = ops.take_along_axis(inputs, first[:, None, None], axis=1)[:, 0, :]
                half = ops.shape(inputs)[2] // 2
                final = ops.concatenate([final[:, :half], start[:, half:]], axis=-1)
            final = ops.where(some, final, ops.zeros_like(final))
            return ops.concatenate([final, top, mean], axis=-1)

        def get_config(self):
            return {**super().get_config(), "bidirectional": self.bidirectional}

        def compute_mask(self, inputs, mask=None):
            return None

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 3 * input_shape[2])

    return MaskedConcatPooling


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


@functools.cache
def _context_window_class() -> type:
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="rnnlab", name="ContextWindow")
    class ContextWindow(keras.layers.Layer):
        """Token ids padded at the end -> the start id, then each row's last ids, at most
        `window` in all, still padded at the end (to the widest row, never wider than
        `window`). What the language model reads to predict the word after a text.
        """

        def __init__(self, window: int, start_id: int, **kwargs):
            super().__init__(**kwargs)
            self.window, self.start_id = int(window), int(start_id)

        def call(self, ids):
            ids = ops.cast(ids, "int32")
            start = ops.zeros_like(ops.sum(ids, axis=1, keepdims=True)) + self.start_id
            ids = ops.concatenate([start, ids], axis=1)
            lengths = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1)
            width = ops.minimum(ops.max(lengths), self.window)
            first = ops.maximum(lengths - self.window, 0)
            positions = first[:, None] + ops.arange(width, dtype="int32")[None, :]
            kept = ops.take_along_axis(ids, positions, axis=1)
            return ops.where(positions < lengths[:, None], kept, ops.zeros_like(kept))

        def compute_output_shape(self, input_shape):
            return (input_shape[0], None)

        def get_config(self):
            return {**super().get_config(), "window": self.window, "start_id": self.start_id}

    return ContextWindow


@functools.cache
def _last_position_class() -> type:
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="rnnlab", name="LastPosition")
    class LastPosition(keras.layers.Layer):
        """[(batch, steps, n) values, (batch, steps) ids padded at the end] -> (batch, n):
        each row's values at its last real step (rows are padded at the end, so a
        forward-only network's outputs there never saw the padding)."""

        def call(self, inputs):
            values, ids = inputs
            last = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1) - 1
            index = ops.maximum(last, 0)[:, None, None]
            return ops.take_along_axis(values, index, axis=1)[:, 0, :]

        def compute_output_shape(self, input_shape):
            return (input_shape[0][0], input_shape[0][2])

    return LastPosition


def pad_first_layer(name: str = "pad_first") -> keras.layers.Layer:
    """A layer that moves end padding to the front (see `core.models.build_model`)."""
    return _pad_first_class()(name=name)


def trim_padding_layer(name: str = "trim_padding") -> keras.layers.Layer:
    """A layer that cuts a batch of ids to its longest row (see `core.models.end_to_end`)."""
    return _trim_padding_class()(name=name)


def masked_max_pooling_layer(name: str = "pooling") -> keras.layers.Layer:
    """Max pooling over the words that leaves the padding out."""
    return _masked_max_pooling_class()(name=name)


def masked_concat_pooling_layer(bidirectional: bool = False,
                                name: str = "pooling") -> keras.layers.Layer:
    """Last state, max and mean over the words, side by side, leaving the padding out
    (`bidirectional`: the backward half's last state is at the first word)."""
    return _masked_concat_pooling_class()(bidirectional=bidirectional, name=name)


def tied_embedding_layer(vocab_size: int, dim: int,
                         name: str = "embedding") -> keras.layers.Layer:
    """The language model's shared input/output word vectors."""
    return _tied_embedding_class()(vocab_size, dim, name=name)


def context_window_layer(window: int, start_id: int,
                         name: str = "context") -> keras.layers.Layer:
    """The start id and the last `window` ids of each text (see `ContextWindow`)."""
    return _context_window_class()(window, start_id, name=name)


def last_position_layer(name: str = "last_position") -> keras.layers.Layer:
    """Each row's values at its last real step (see `LastPosition`)."""
    return _last_position_class()(name=name)


def register_layers() -> None:
    """Make every RNN Lab layer, and the language model's standardisation, known to Keras;
    call before loading a saved model."""
    from core.language_model.tokens import standardize_function

    standardize_function()
    _context_window_class()
    _last_position_class()
    _pad_first_class()
    _trim_padding_class()
    _masked_max_pooling_class()
    _masked_concat_pooling_class()
    _tied_embedding_class()
