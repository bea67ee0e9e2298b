"""Every recurrent sentiment model in RNN Lab, built from one `core.config.ModelConfig`.

`build_model` makes the network on integer token ids; `end_to_end` puts the run's
`TextVectorization` in front of it, so the saved artifact takes raw strings and the app
never re-implements tokenising.

Layer names are part of the interface (the "Inside the cell" page reads them): `embedding`,
`recurrent_1`, `recurrent_2`, ... (a `Bidirectional` wrapper for BiLSTMs), `pooling` (with
max or concat pooling only), `output`.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from core.config import ModelConfig
from core.layers import masked_concat_pooling_layer, masked_max_pooling_layer, trim_padding_layer

if TYPE_CHECKING:
    import keras
    import numpy as np
    from keras.layers import TextVectorization

NETWORK_NAME = "network"


def make_optimizer(config: ModelConfig) -> keras.optimizers.Optimizer:
    import keras

    options: dict[str, Any] = {"learning_rate": config.learning_rate}
    if config.clipnorm:
        options["clipnorm"] = config.clipnorm
    if config.optimizer == "sgd":
        options["momentum"] = 0.9
    cls = {"adam": keras.optimizers.Adam, "rmsprop": dense_gradient_rmsprop(),
           "sgd": keras.optimizers.SGD}[config.optimizer]
    return cls(**options)


@functools.cache
def dense_gradient_rmsprop() -> type:
    """Keras's RMSprop, given the embedding's gradient as one dense tensor.

    The embedding's gradient arrives as `tf.IndexedSlices` with one row per token read, so
    a word that occurs twice in a batch has two rows. Keras's RMSprop divides it by
    sqrt(velocity); when the velocity holds a NaN or a 0 (after training has blown up, e.g.
    SimpleRNN at learning rate 1 without clipping), Keras's sparse divide takes a path that
    assumes each row index occurs once, and its gather runs past the end: "indices[1443] =
    33166 is not in [0, 25601)" (keras/src/backend/tensorflow/sparse.py,
    `indexed_slices_union_indices_and_values`). Summing the rows into a dense gradient first
    is what the update means anyway, costs one (vocabulary x dim) tensor, and lets the loss
    turn NaN where the NaN guard explains it."""
    import keras

    @keras.saving.register_keras_serializable(package="rnnlab", name="DenseGradientRMSprop")
    class DenseGradientRMSprop(keras.optimizers.RMSprop):
        def update_step(self, gradient, variable, learning_rate):
            import tensorflow as tf

            if isinstance(gradient, tf.IndexedSlices):
                gradient = tf.convert_to_tensor(gradient)
            super().update_step(gradient, variable, learning_rate)

    return DenseGradientRMSprop


def build_model(config: ModelConfig, embedding_matrix: np.ndarray | None = None
                ) -> keras.Model:
    """The compiled network on token ids (batch, width) -> P(positive).

    `embedding_matrix` (vocab_size x embed_dim, e.g. from GloVe) initialises the embedding;
    it is frozen when `config.freeze_embeddings` is set.

    The network takes token ids of any width and masks the padding (id 0); it is trained
    on batches of reviews of similar length (`core.batching.train_dataset`). XLA is not
    used: it compiles a step per batch width, which cost more than it saved here (a GRU
    epoch on length-batched reviews took 10x longer with it).
    """
    import keras
    import numpy as np
    from keras import layers

    embed_options: dict[str, Any] = {}
    if embedding_matrix is not None:
        if embedding_matrix.shape != (config.vocab_size, config.embed_dim):
            raise ValueError(
                f"Embedding matrix is {embedding_matrix.shape}, expected "
                f"({config.vocab_size}, {config.embed_dim})."
            )
        embed_options["trainable"] = not config.freeze_embeddings

    # Any width: training feeds batches of reviews of similar length padded only to the
    # longest of them, and one review is read with no padding at all. The padding (id 0)
    # is masked: the recurrent layers carry their state over it, and the pooling leaves
    # it out, so a review's verdict does not depend on what it is batched with.
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(config.vocab_size, config.embed_dim, mask_zero=True, name="embedding",
                         **embed_options)(tokens)
    if config.arch == "simple_rnn":
        # The seed notebook's basic RNN normalises the embeddings, which steadies the plain
        # tanh recurrence that otherwise saturates. Keras's default momentum (0.99) is too
        # slow here: the running variance starts at 1 while these embeddings vary about 0.01,
        # and after a two-epoch run (384 steps) 0.99**384 of the start is still left, a
        # running variance 3-14x too large. A trial SimpleRNN scored 87% in training mode
        # and 61% on the test reviews that way (86% once the statistics were recomputed).
        # Momentum 0.9 forgets the start within ~50 steps. Before the dropout, so dropout
        # does not inflate the recorded variance.
        x = layers.BatchNormalization(momentum=0.9, name="batch_norm")(x)
    if config.embed_dropout:
        x = layers.SpatialDropout1D(config.embed_dropout, name="embedding_dropout")(x)
    cell = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}[config.cell]
    pooled = config.pooling in ("max", "concat")
    for index in range(1, config.layers + 1):
        sequences = index < config.layers or pooled
        name = f"recurrent_{index}"
        if config.bidirectional:
            x = layers.Bidirectional(cell(config.units, return_sequences=sequences), name=name)(x)
        else:
            x = cell(config.units, return_sequences=sequences, name=name)(x)
    if config.pooling == "max":
        x = masked_max_pooling_layer()(x)
    elif config.pooling == "concat":
        x = masked_concat_pooling_layer(bidirectional=config.bidirectional)(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="dropout")(x)
    output = layers.Dense(1, activation="sigmoid", name="output")(x)
    model = keras.Model(tokens, output, name=NETWORK_NAME)
    if embedding_matrix is not None:
        # Set as weights, not as a Constant initializer: an initializer's value is written
        # into the saved model's config as text, 20 MB for a 15,000-word vocabulary.
        model.get_layer("embedding").set_weights([np.asarray(embedding_matrix, "float32")])
    model.compile(optimizer=make_optimizer(config), loss="binary_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    return model


def end_to_end(vectorizer: TextVectorization, model: keras.Model) -> keras.Model:
    """Raw strings (batch,) -> P(positive) (batch, 1): the vectorizer in front of `model`.

    The network is copied without its optimizer: the result is the artifact to save and
    serve, about a third of the size of the training model with Adam's moments.
    """
    import keras

    network = keras.models.clone_model(model)
    network.set_weights(model.get_weights())
    text = keras.Input(shape=(), dtype="string", name="text")
    ids = vectorizer(text)
    if network.inputs[0].shape[1] is None:  # a masked network reads any width
        ids = trim_padding_layer()(ids)
    return keras.Model(text, network(ids), name="sentiment")


def network_of(model: keras.Model) -> keras.Model:
    """The integer-input network inside an end-to-end model (or the model itself)."""
    try:
        return model.get_layer(NETWORK_NAME)
    except ValueError:
        return model


def vectorizer_of(model: keras.Model) -> TextVectorization | None:
    """The `TextVectorization` layer inside an end-to-end model, if there is one."""
    from keras.layers import TextVectorization

    return next((layer for layer in model.layers if isinstance(layer, TextVectorization)), None)
