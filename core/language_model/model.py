"""The network and the trainer that fits it.

    tokens -> Embedding -> LSTM (every position) -> Dense projection -> the Embedding, read
              backwards, scores every word of the vocabulary

The network reads a window of at most `window` previous tokens and, at every position,
predicts the token that follows. Training uses every position of each window (not just
the last), so one window of 24 tokens teaches 24 predictions.

What is saved and served is `text_model`: the same network behind the tokenizer layer, so
it takes raw strings, like the classifiers:

    text -> tokens (TextVectorization) -> context (<s> + the last ids) -> network
         -> the scores at the last position: the word after the text

Keras and TensorFlow are imported inside the functions: importing this package must stay
fast for pages that only tokenise or list runs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.language_model.config import LMConfig

if TYPE_CHECKING:
    import keras


NETWORK_NAME = "language_model"


def build_network(config: LMConfig) -> keras.Model:
    """Integer ids (batch, time) -> next-token logits (batch, time, vocabulary)."""
    import keras
    from keras import layers

    from core.layers import tied_embedding_layer

    keras.utils.set_random_seed(config.seed)
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    words = tied_embedding_layer(config.vocab_size, config.embed_dim, name="embedding")
    x = words(tokens)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="embedding_dropout")(x)
    x = layers.LSTM(config.units, return_sequences=True, name="lstm")(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="lstm_dropout")(x)
    # The LSTM's state is projected into word-vector space and scored against every word's
    # own vector (the embedding read backwards): the output layer, which dominates both the
    # file and the compute, costs no weights of its own.
    x = layers.Dense(config.embed_dim, name="projection")(x)
    logits = words(x, reverse=True)
    return keras.Model(tokens, logits, name=NETWORK_NAME)


def text_model(network: keras.Model, vocabulary: Sequence[str], window: int) -> keras.Model:
    """Raw strings (batch,) -> logits of the next token (batch, vocabulary), around
    `network` (its weights are shared, not copied). A batch may mix lengths: each text is
    padded at the end, and its scores are read at its own last token."""
    import keras

    from core.language_model.tokens import BOS_ID, lm_vectorizer
    from core.layers import context_window_layer, last_position_layer

    text = keras.Input(shape=(), dtype="string", name="text")
    context = context_window_layer(window, BOS_ID)(lm_vectorizer(vocabulary)(text))
    logits = last_position_layer()([network(context), context])
    return keras.Model(text, logits, name="next_word")


def network_of(model: keras.Model) -> keras.Model:
    """The id network inside a raw-string model; a model saved before those existed is
    the id network itself."""
    try:
        return model.get_layer(NETWORK_NAME)
    except ValueError:
        return model


def takes_text(model: keras.Model) -> bool:
    return model.inputs[0].dtype == "string"


# Words scored per training step besides the right ones. Scoring all 10,000 words for every
# position is three quarters of a step's work on a CPU; sampled softmax (Jean et al., 2015)
# scores the true next word against 1,024 words drawn by frequency, with the draw's bias
# corrected, which trains the same network about four times faster. Evaluation, the curves'
# held-out figures and every suggestion always use the full softmax.
SAMPLED_WORDS = 1_024


@functools.cache
def _trainer_class() -> type:
    import keras
    import tensorflow as tf

    class NextWordTrainer(keras.Model):
        """Fits `network` (tokens -> logits over the vocabulary) by next-word cross-entropy.

        With `sampled` > 0 each step scores the true words against `sampled` words drawn
        by frequency (the vocabulary is ordered by frequency, as the log-uniform sampler
        assumes); with 0 it scores the whole vocabulary. The reported `loss` is then the
        sampled estimate, lower than the full cross-entropy.
        """

        def __init__(self, network: keras.Model, sampled: int, **kwargs):
            super().__init__(**kwargs)
            self.network, self.sampled = network, int(sampled)
            self.words = network.get_layer("embedding")
            self.states = keras.Model(network.input, network.get_layer("projection").output)
            self.loss_mean = keras.metrics.Mean(name="loss")

        def call(self, tokens, training=False):
            return self.network(tokens, training=training)

        @property
        def metrics(self):
            return [self.loss_mean]

        def train_step(self, data):
            tokens, targets = data
            targets = tf.reshape(tf.cast(targets, tf.int64), [-1])
            with tf.GradientTape() as tape:
                if self.sampled:
                    states = self.states(tokens, training=True)
                    states = tf.reshape(states, [-1, self.words.dim])
                    losses = tf.nn.sampled_softmax_loss(
                        self.words.embeddings, self.words.bias, targets[:, None], states,
                        num_sampled=self.sampled, num_classes=self.words.vocab_size)
                else:
                    logits = self.network(tokens, training=True)
                    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
                        targets, tf.reshape(logits, [-1, self.words.vocab_size]))
                loss = tf.reduce_mean(losses)
            variables = self.network.trainable_variables
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            self.loss_mean.update_state(loss)
            return {"loss": self.loss_mean.result()}

    return NextWordTrainer


def make_trainer(network: keras.Model, config: LMConfig, total_steps: int) -> keras.Model:
    """The compiled model `fit` trains; its weights are `network`'s own."""
    import keras

    # Sampling pays off only when the vocabulary is much larger than the sample.
    sampled = SAMPLED_WORDS if config.vocab_size > 4 * SAMPLED_WORDS else 0
    trainer = _trainer_class()(network, sampled)
    # Cosine annealing to a tenth of the rate: the last steps settle into a minimum
    # instead of bouncing around it, worth a few points of perplexity for free.
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=max(1, total_steps), alpha=0.1)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0))
    return trainer


def _export_copy(model: keras.Model, config: LMConfig) -> keras.Model:
    """The trained weights in a fresh, uncompiled network: the file carries no optimizer
    state (Adam's two moments would triple its size)."""
    copy = build_network(config)
    copy.set_weights(model.get_weights())
    return copy
