"""`ModelConfig`: every setting of a sentiment run, with its label, help and limits.

The field names are the names used everywhere: the Train and Compare pages' widgets
(`pages.common.setting`), a saved run's `config.json`, the comparison tables and the
benchmarks. `RECIPE` is the shipped models' recipe; `QUICK_START`, where the Train and
Compare pages start, is that recipe cut to train in about a minute. The dataclass defaults
are what a field meant before it existed, for runs saved by older versions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from core.schema import Settings, knob
from core.text import MAX_SEQ_LEN, MAX_VOCAB

ARCHITECTURES = ("simple_rnn", "lstm", "gru", "bilstm", "stacked_bilstm")
# The architectures that ship trained from scratch, in assets/models/<arch>.
SHIPPED_ARCHS = ("simple_rnn", "lstm", "gru", "bilstm")
# Every shipped model, by its folder in assets/models (`python -m core.pretrain` builds
# them), with its name on every page: the four architectures, then the LSTM that starts
# from the language model (`embeddings="lm"`).
LM_PRETRAINED = "lstm_lm"
SHIPPED_MODELS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU", "bilstm": "BiLSTM",
                  LM_PRETRAINED: "LSTM (LM-pretrained)"}
ARCH_LABELS = {
    "simple_rnn": "SimpleRNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "bilstm": "BiLSTM",
    "stacked_bilstm": "Stacked BiLSTM",
}
OPTIMIZERS = ("adam", "rmsprop", "sgd")
POOLINGS = ("last", "max", "concat")
EMBEDDINGS = ("learned", "imdb", "glove", "lm")
# How the choices read in the app (the saved config keeps the short names).
POOLING_LABELS = {"last": "last state", "max": "max over words",
                  "concat": "last, max, mean"}
EMBEDDING_LABELS = {"learned": "learn from scratch", "imdb": "IMDB word vectors",
                    "glove": "pretrained GloVe", "lm": "start from the language model"}
# The shipped language model's sizes (assets/lm/imdb-lstm/config.json; a test checks they
# agree): a classifier that starts from it (`embeddings="lm"`) takes its word vectors and its
# LSTM's weights as they are, so it has these sizes.
LM_EMBED_DIM = 128
LM_UNITS = 256


@dataclass
class ModelConfig(Settings):
    """Everything that defines a sentiment run."""

    arch: str = knob(
        "lstm", "Architecture",
        (
            "SimpleRNN: one plain recurrent layer (after batch normalisation), the classic that"
            " forgets long reviews. LSTM and GRU add gates that keep information over hundreds "
            "of words. BiLSTM reads the review in both directions; Stacked BiLSTM puts two of "
            "them on top of each other."
        ),
        choices=ARCHITECTURES, choice_labels=ARCH_LABELS)
    vocab_size: int = knob(
        10_000, "Vocabulary size",
        (
            "How many of the most frequent words get their own id; every other word becomes the"
            " unknown token [UNK]. 10,000 covers about 95% of the words in IMDB reviews."
        ),
        low=3, high=MAX_VOCAB, step=1000,
        hint="Below 3 there is no room for padding, the unknown word and one real word.")
    seq_len: int = knob(
        200, "Sequence length",
        (
            "Reviews are cut to this many tokens (and short ones padded). The network steps "
            "once per token, so time per epoch grows in proportion."
        ),
        low=1, high=MAX_SEQ_LEN, step=50, unit="tokens",
        hint="A recurrent layer steps through every position: longer sequences train for "
             "hours on a CPU.")
    embed_dim: int = knob(
        64, "Embedding size",
        (
            "Length of the vector learned for each word."
        ),
        low=1, high=1024, step=16)
    units: int = knob(
        64, "Units",
        (
            "Size of the recurrent layer's hidden state (its memory)."
        ),
        low=1, high=1024, step=16)
    layers: int = knob(
        1, "Recurrent layers",
        (
            "Recurrent layers stacked on top of each other; each feeds the next its outputs."
        ),
        low=1, high=4, step=1)
    bidirectional: bool = knob(
        False, "Bidirectional",
        (
            "Also read each review from the end to the start and join both readings."
        ))
    pooling: str = knob(
        "last", "Review vector",
        (
            "How the network's reading of a review becomes the one vector the verdict is made "
            "from. last: the hidden state after the final word, the textbook RNN classifier, "
            "which must carry everything through every step. max: each unit's largest value "
            "over all the words (max pooling), so a telling word early in a long review still "
            "counts; usually one or two points more accuracy at the same speed. last, max, "
            "mean: all three side by side (ULMFiT's concat pooling), a review vector three "
            "times as long, at about the same speed."
        ),
        choices=POOLINGS, choice_labels=POOLING_LABELS)
    embed_dropout: float = knob(
        0.0, "Embedding dropout",
        (
            "Share of the word-vector features switched off at random, for a whole review at a "
            "time, while training (spatial dropout). The embedding is most of the model's "
            "weights and the first part to overfit 25,000 reviews; 0.2-0.4 often adds a point "
            "of test accuracy. 0 turns it off."
        ),
        low=0.0, high=0.95, high_open=True, step=0.05, fmt="%.2f")
    dropout: float = knob(
        0.2, "Dropout",
        (
            "Share of the recurrent layer's outputs dropped at random while training, which "
            "fights overfitting. 0 turns it off."
        ),
        low=0.0, high=0.95, high_open=True, step=0.05, fmt="%.2f")
    optimizer: str = knob(
        "adam", "Optimizer",
        (
            "How the gradient updates the weights. Adam is the safe default."
        ),
        choices=OPTIMIZERS)
    learning_rate: float = knob(
        0.002, "Learning rate",
        (
            "Step size of each update. Too high and the loss jumps around or explodes; too low "
            "and training crawls. Adam works well at 0.001."
        ),
        low=1e-6, high=1.0, step=0.0005, fmt="%.4f",
        hint="Recurrent networks usually train well between 0.0001 and 0.01.")
    clipnorm: float = knob(
        1.0, "Gradient clipping (norm)",
        (
            "Rescale any gradient whose norm exceeds this value: the standard cure for "
            "exploding gradients in recurrent networks. 0 turns clipping off."
        ),
        low=0.0, high=1000.0, step=0.5, fmt="%.1f",
        hint="0 turns clipping off.")
    batch_size: int = knob(
        128, "Batch size",
        (
            "Reviews per weight update. Larger batches run faster per review on a CPU."
        ),
        low=1, high=4096, step=32)
    epochs: int = knob(
        2, "Epochs",
        (
            "Passes over the training reviews."
        ),
        low=1, high=100, step=1)
    train_size: int = knob(
        25_000, "Training reviews",
        (
            "How many of the 25,000 training reviews to use (a balanced random sample); fewer "
            "train faster but generalise worse."
        ),
        low=10, high=1_000_000, step=1000)
    val_share: float = knob(
        0.1, "Validation share",
        (
            "Share of the training reviews held back to measure accuracy after every epoch. The"
            " test set stays untouched until the end."
        ),
        low=0.0, low_open=True, high=0.5, step=0.05, fmt="%.2f",
        hint="The validation curve needs some reviews held back.")
    seed: int = knob(
        42, "Seed",
        (
            "Same seed and settings give the same curves, so experiments can be repeated."
        ),
        low=0, high=2**31 - 1, step=1)
    embeddings: str = knob(
        "learned", "Embeddings",
        (
            "learned: word vectors start random and are learnt from the labelled reviews alone."
            " imdb: start from vectors learnt (in about 30 s, then cached) from which words "
            "occur near which in all 75,000 training and unlabelled reviews, never the test "
            "set; the model then knows words its labelled reviews barely use, usually a point "
            "or more of test accuracy. glove: start from a pretrained GloVe file. lm: start "
            "the word vectors and the LSTM from the Next word page's language model, which "
            "has read 6 million words of those reviews (Dai and Le, 2015): with the starting "
            "settings, 2 points of test accuracy over the same network from scratch after one "
            "epoch. It needs the LSTM architecture and sets the embedding size to "
            f"{LM_EMBED_DIM} and the units to {LM_UNITS}, the language model's sizes."
        ),
        choices=EMBEDDINGS, choice_labels=EMBEDDING_LABELS)
    glove_path: str = knob(
        "", "GloVe file",
        (
            "Path to a GloVe-format text file (word followed by its numbers on each line)."
        ))
    freeze_embeddings: bool = knob(
        True, "Freeze pretrained embeddings",
        (
            "Keep pretrained vectors (imdb, glove or the language model's) fixed, fewer weights "
            "to learn, instead of fine-tuning them with the rest of the network."
        ))
    sentences: bool = knob(
        False, "Also train on one-sentence verdicts",
        (
            "Reviews average 230 words, but people type one-liners. This adds, as extra "
            "training examples, the sentences of the training reviews that give a verdict on "
            "the film (\"It was boring.\"), cut from the clearest reviews (1-2 and 9-10 stars) "
            "and labelled with their review's stars: one per review at most, short, so an epoch"
            " takes only a little longer."
        ))
    negations: bool = knob(
        False, "Also train on negated sentences",
        (
            "A network sees \"not\" mostly far from the word it turns. This adds every "
            "sentence of the clearest training reviews (1-2 and 9-10 stars) in which a "
            "negation comes just before an opinion word (\"It won't disappoint.\", "
            "\"There's not a single good line.\"), labelled with its review's stars: about "
            "one for every three reviews."
        ))

    def __post_init__(self) -> None:
        # The BiLSTM architectures are LSTMs with fixed wiring; normalising here keeps the
        # saved config, the key and the built model in agreement.
        if self.arch in ("bilstm", "stacked_bilstm"):
            self.bidirectional = True
        if self.arch == "stacked_bilstm" and isinstance(self.layers, int) and self.layers < 2:
            self.layers = 2
        if self.embeddings == "lm":  # the language model's weights decide these sizes
            self.embed_dim, self.units = LM_EMBED_DIM, LM_UNITS

    def rules(self) -> dict[str, str]:
        if int(self.train_size * self.val_share) < 2:
            return {"val_share": "Too few validation reviews: raise the share or the size."}
        if self.embeddings == "glove" and not self.glove_path.strip():
            return {"glove_path": "Choose a GloVe file (a path or an upload)."}
        if self.embeddings == "lm" and (self.arch != "lstm" or self.bidirectional):
            return {"embeddings": (
                "Starting from the language model needs the LSTM architecture, reading one "
                "way: the language model is one forward LSTM layer.")}
        return {}

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

    def key(self) -> str:
        """A stable hash of the settings: equal keys mean the same experiment."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:12]


FIELD_LABELS = ModelConfig.labels()
FIELD_HELP = ModelConfig.helps()


# The shipped models' recipe (`core.pretrain` trains each shipped model from it, with its
# own `epochs` and `sentences`):
# - a 15,000-word vocabulary keeps each file near 4 MB (the embedding is most of the
#   weights, and all four must fit in 20 MB);
# - 500 tokens read the whole of about 93% of reviews (300 tokens left a BiLSTM at 85%);
# - word vectors learnt from the 75,000 training and unlabelled reviews (`embeddings=imdb`,
#   `core.word_vectors`) and fine-tuned: +0.5 to 1 point of test accuracy over random
#   vectors, because the test reviews are about other films than the training ones and
#   the unlabelled reviews teach words the labelled ones barely use;
# - max pooling over the words and spatial dropout on the word vectors: a random-start
#   LSTM reading its last state plateaus near 85-86% on these reviews (Dai and Le, 2015,
#   report 86.5% for a much larger one). After 60 s of training an LSTM on the 2-core
#   development machine (`lstm_acc_at_60s`), max pooling, embedding dropout and the IMDB
#   vectors reached 84.2-85.5% on the test reviews, the textbook last state 84.5%;
# - then the last state and each unit's mean beside its maximum (`pooling="concat"`,
#   ULMFiT's concat pooling), measured on the 500 held-back reviews and the short-text set
#   (`core/pretrain.py` has the figures): a lower validation loss for all five shipped
#   networks and far fewer Neutral verdicts on one-liners;
# - 2% of the training reviews are held back to draw the validation curve, to calibrate
#   and to cut the short-text development set from.
# The vectors take about 25 s to learn the first time, then they are cached.
RECIPE = replace(
    ModelConfig(), vocab_size=15_000, seq_len=500, embed_dim=64, units=64, layers=1,
    dropout=0.3, pooling="concat", embed_dropout=0.3, embeddings="imdb", freeze_embeddings=False,
    optimizer="adam", learning_rate=0.002, clipnorm=1.0, batch_size=128, epochs=2,
    train_size=25_000, val_share=0.02, seed=42)
# Where the Train and Compare pages start: the recipe cut to train in about a minute here.
# With all of it an LSTM epoch takes about 64 s on the 2-core machine
# (`shipped_lstm_epoch_s_length_batched`), too long for a first try; 200 tokens and 10,000
# words halve that. A 10% validation share steadies the
# curve of a short run, and dropout 0.2 suits its shorter training.
# Max pooling there: the one-minute budget was measured with it (`lstm_acc_at_60s`).
QUICK_START = replace(RECIPE, vocab_size=10_000, seq_len=200, dropout=0.2, val_share=0.1,
                      pooling="max")
