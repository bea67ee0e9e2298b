"""Every recurrent sentiment model in RNN Lab, built from one `ModelConfig`.

The field names of `ModelConfig` are the names used everywhere: the Train page's widgets,
a saved run's `config.json` and the comparison tables. `build_model` makes the network on
integer token ids; `end_to_end` puts the run's `TextVectorization` in front of it so the
saved artifact takes raw strings and the app never re-implements tokenising.

Layer names are part of the interface (the "Inside the cell" page reads them): `embedding`,
`recurrent_1`, `recurrent_2`, ... (a `Bidirectional` wrapper for BiLSTMs), `pooling` (with
max pooling only), `output`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from core.layers import masked_max_pooling_layer, trim_padding_layer
from core.text import check_vectorizer_settings

if TYPE_CHECKING:
    import keras
    import numpy as np
    from keras.layers import TextVectorization

ARCHITECTURES = ("simple_rnn", "lstm", "gru", "bilstm", "stacked_bilstm")
ARCH_LABELS = {
    "simple_rnn": "SimpleRNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "bilstm": "BiLSTM",
    "stacked_bilstm": "Stacked BiLSTM",
}
OPTIMIZERS = ("adam", "rmsprop", "sgd")
POOLINGS = ("last", "max")
EMBEDDINGS = ("learned", "imdb", "glove")
# How the choices read in the app (the saved config keeps the short names).
POOLING_LABELS = {"last": "last state", "max": "max over words"}
EMBEDDING_LABELS = {"learned": "learn from scratch", "imdb": "IMDB word vectors",
                    "glove": "pretrained GloVe"}
NETWORK_NAME = "network"

LIMITS = {
    "embed_dim": (1, 1024),
    "units": (1, 1024),
    "layers": (1, 4),
    "batch_size": (1, 4096),
    "epochs": (1, 100),
    "train_size": (10, 1_000_000),
}

FIELD_LABELS = {
    "arch": "Architecture",
    "vocab_size": "Vocabulary size",
    "seq_len": "Sequence length",
    "embed_dim": "Embedding size",
    "units": "Units",
    "layers": "Recurrent layers",
    "bidirectional": "Bidirectional",
    "pooling": "Review vector",
    "embed_dropout": "Embedding dropout",
    "dropout": "Dropout",
    "optimizer": "Optimizer",
    "learning_rate": "Learning rate",
    "clipnorm": "Gradient clipping (norm)",
    "batch_size": "Batch size",
    "epochs": "Epochs",
    "train_size": "Training reviews",
    "val_share": "Validation share",
    "seed": "Seed",
    "embeddings": "Embeddings",
    "glove_path": "GloVe file",
    "freeze_embeddings": "Freeze pretrained embeddings",
    "sentences": "Also train on one-sentence verdicts",
}

FIELD_HELP = {
    "arch": (
        "SimpleRNN: one plain recurrent layer (after batch normalisation), the classic that "
        "forgets long reviews. LSTM and GRU add gates that keep information over hundreds of "
        "words. BiLSTM reads the review in both directions; Stacked BiLSTM puts two of them "
        "on top of each other."
    ),
    "vocab_size": (
        "How many of the most frequent words get their own id; every other word becomes "
        "the unknown token [UNK]. 10,000 covers about 95% of the words in IMDB reviews."
    ),
    "seq_len": (
        "Reviews are cut to this many tokens (and short ones padded). The network steps "
        "once per token, so time per epoch grows in proportion."
    ),
    "embed_dim": "Length of the vector learned for each word.",
    "units": "Size of the recurrent layer's hidden state (its memory).",
    "layers": "Recurrent layers stacked on top of each other; each feeds the next its outputs.",
    "bidirectional": "Also read each review from the end to the start and join both readings.",
    "pooling": (
        "How the network's reading of a review becomes the one vector the verdict is made "
        "from. last: the hidden state after the final word, the textbook RNN classifier, "
        "which must carry everything through every step. max: each unit's largest value "
        "over all the words (max pooling), so a telling word early in a long review still "
        "counts; usually one or two points more accuracy at the same speed."
    ),
    "embed_dropout": (
        "Share of the word-vector features switched off at random, for a whole review at a "
        "time, while training (spatial dropout). The embedding is most of the model's weights "
        "and the first part to overfit 25,000 reviews; 0.2-0.4 often adds a point of test "
        "accuracy. 0 turns it off."
    ),
    "dropout": (
        "Share of the recurrent layer's outputs dropped at random while training, which "
        "fights overfitting. 0 turns it off."
    ),
    "optimizer": "How the gradient updates the weights. Adam is the safe default.",
    "learning_rate": (
        "Step size of each update. Too high and the loss jumps around or explodes; too low "
        "and training crawls. Adam works well at 0.001."
    ),
    "clipnorm": (
        "Rescale any gradient whose norm exceeds this value: the standard cure for exploding "
        "gradients in recurrent networks. 0 turns clipping off."
    ),
    "batch_size": "Reviews per weight update. Larger batches run faster per review on a CPU.",
    "epochs": "Passes over the training reviews.",
    "train_size": (
        "How many of the 25,000 training reviews to use (a balanced random sample); "
        "fewer train faster but generalise worse."
    ),
    "val_share": (
        "Share of the training reviews held back to measure accuracy after every epoch. "
        "The test set stays untouched until the end."
    ),
    "seed": "Same seed and settings give the same curves, so experiments can be repeated.",
    "embeddings": (
        "learned: word vectors start random and are learnt from the labelled reviews alone. "
        "imdb: start from vectors learnt (in about 30 s, then cached) from which words "
        "occur near which in all 75,000 training and unlabelled reviews, never the test "
        "set; the model then knows words its labelled reviews barely use, usually a point "
        "or more of test accuracy. glove: start from a pretrained GloVe file."
    ),
    "glove_path": "Path to a GloVe-format text file (word followed by its numbers on each line).",
    "freeze_embeddings": (
        "Keep pretrained vectors (imdb or glove) fixed, fewer weights to learn, instead of "
        "fine-tuning them with the rest of the network."
    ),
    "sentences": (
        "Reviews average 230 words, but people type one-liners. This adds, as extra "
        "training examples, the sentences of the training reviews that give a verdict on "
        "the film (\"It was boring.\"), cut from the clearest reviews (1-2 and 9-10 stars) "
        "and labelled with their review's stars: one per review at most, short, so an "
        "epoch takes only a little longer."
    ),
}


# The Train page's starting form: the dataclass defaults (which older saved runs rely on
# for fields they lack) plus what learns fastest per second here: max pooling, embedding
# dropout and the IMDB word vectors, fine-tuned (the shipped models' recipe). Test accuracy
# on the 25,000 test reviews after 60 s of training an LSTM on the 2-core development
# machine (benchmarks/train.py, `lstm_acc_at_60s`): 84.2-85.5% with these (four runs, mean
# 84.9%); 84.5% with max pooling and dropout on learned vectors; 84.5% with the textbook
# last state (XLA on); 81.6% with the last state at learning rate 0.004.
# The vectors take about 25 s to learn the first time, then they are cached.
TRAIN_PAGE_OVERRIDES: dict[str, Any] = {"pooling": "max", "embed_dropout": 0.3,
                                         "embeddings": "imdb", "freeze_embeddings": False}


@dataclass
class ModelConfig:
    """Everything that defines a sentiment run; defaults train a good LSTM in about a minute."""

    arch: str = "lstm"
    vocab_size: int = 10_000
    seq_len: int = 200
    embed_dim: int = 64
    units: int = 64
    layers: int = 1
    bidirectional: bool = False
    pooling: str = "last"
    embed_dropout: float = 0.0
    dropout: float = 0.2
    optimizer: str = "adam"
    learning_rate: float = 0.002
    clipnorm: float = 1.0
    batch_size: int = 128
    epochs: int = 2
    train_size: int = 25_000
    val_share: float = 0.1
    seed: int = 42
    embeddings: str = "learned"
    glove_path: str = ""
    freeze_embeddings: bool = True
    sentences: bool = False

    def __post_init__(self) -> None:
        # The BiLSTM architectures are LSTMs with fixed wiring; normalising here keeps the
        # saved config, the key and the built model in agreement.
        if self.arch in ("bilstm", "stacked_bilstm"):
            self.bidirectional = True
        if self.arch == "stacked_bilstm" and isinstance(self.layers, int) and self.layers < 2:
            self.layers = 2

    @property
    def cell(self) -> str:
        """The recurrent cell type: "simple_rnn", "lstm" or "gru"."""
        return {"simple_rnn": "simple_rnn", "gru": "gru"}.get(self.arch, "lstm")

    @property
    def label(self) -> str:
        """A short human name, e.g. "LSTM 64×1" or "BiLSTM 64×2"."""
        name = ARCH_LABELS.get(self.arch, self.arch)
        if self.bidirectional and self.arch not in ("bilstm", "stacked_bilstm"):
            name = "Bi" + name
        return f"{name} {self.units}×{self.layers}"

    def validate(self) -> dict[str, str]:
        """Field-level problems, {} when the config can be trained."""
        problems: dict[str, str] = {}
        if self.arch not in ARCHITECTURES:
            problems["arch"] = f"Architecture must be one of {', '.join(ARCHITECTURES)}."
        problems.update(check_vectorizer_settings(self.vocab_size, self.seq_len))
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if not _whole(value) or not low <= value <= high:
                problems[name] = (
                    f"{FIELD_LABELS[name]} must be a whole number from {low:,} to {high:,}."
                )
        if not _number(self.dropout) or not 0.0 <= self.dropout < 0.95:
            problems["dropout"] = "Dropout must be at least 0 and below 0.95."
        if not _number(self.embed_dropout) or not 0.0 <= self.embed_dropout < 0.95:
            problems["embed_dropout"] = "Embedding dropout must be at least 0 and below 0.95."
        if self.pooling not in POOLINGS:
            problems["pooling"] = f"Review vector must be one of {', '.join(POOLINGS)}."
        if self.optimizer not in OPTIMIZERS:
            problems["optimizer"] = f"Optimizer must be one of {', '.join(OPTIMIZERS)}."
        if not _number(self.learning_rate) or not 1e-6 <= self.learning_rate <= 1.0:
            problems["learning_rate"] = (
                "Learning rate must be between 0.000001 and 1; recurrent networks usually "
                "train well between 0.0001 and 0.01."
            )
        if not _number(self.clipnorm) or not 0.0 <= self.clipnorm <= 1000.0:
            problems["clipnorm"] = "Gradient clipping must be between 0 (off) and 1,000."
        if not _number(self.val_share) or not 0.0 < self.val_share <= 0.5:
            problems["val_share"] = (
                "Validation share must be above 0 and at most 0.5 (the curves need it)."
            )
        if ("train_size" not in problems and "val_share" not in problems
                and int(self.train_size * self.val_share) < 2):
            problems["val_share"] = "Too few validation reviews: raise the share or the size."
        if not _whole(self.seed) or not 0 <= self.seed < 2**31:
            problems["seed"] = "Seed must be a whole number from 0 to 2,147,483,647."
        if self.embeddings not in EMBEDDINGS:
            problems["embeddings"] = f"Embeddings must be one of {', '.join(EMBEDDINGS)}."
        elif self.embeddings == "glove" and not str(self.glove_path).strip():
            problems["glove_path"] = "Choose a GloVe file (a path or an upload)."
        if not isinstance(self.sentences, bool):
            problems["sentences"] = "Also train on one-sentence verdicts is on or off."
        if self.arch == "stacked_bilstm" and self.layers < 2:
            problems["layers"] = "A stacked BiLSTM has at least 2 layers."
        return problems

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        """Rebuild from a saved dict; unknown keys (from other versions) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def key(self) -> str:
        """A stable hash of the settings: equal keys mean the same experiment."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:12]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    import math

    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


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
    on batches of reviews of similar length (`core.training.train_dataset`). XLA is not
    used: it compiles a step per batch width, which cost more than it saved here (a GRU
    epoch on length-batched reviews took 10x longer with it).
    """
    problems = config.validate()
    if problems:
        raise ValueError(" ".join(problems.values()))
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
    # is masked: the recurrent layers carry their state over it, and the max pooling leaves
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
    pooled = config.pooling == "max"
    for index in range(1, config.layers + 1):
        sequences = index < config.layers or pooled
        name = f"recurrent_{index}"
        if config.bidirectional:
            x = layers.Bidirectional(cell(config.units, return_sequences=sequences), name=name)(x)
        else:
            x = cell(config.units, return_sequences=sequences, name=name)(x)
    if pooled:
        x = masked_max_pooling_layer()(x)
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
