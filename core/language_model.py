"""A word-level LSTM language model: the next-word suggestions of a phone keyboard.

    tokens -> Embedding -> LSTM (every position) -> Dense projection -> the Embedding, read
              backwards, scores every word of the vocabulary

The network reads a window of at most `window` previous tokens and, at every position,
predicts the token that follows. Training uses every position of each window (not just
the last), so one window of 24 tokens teaches 24 predictions.

Tokens are lower-cased words (contractions like "don't" stay one word) and the
punctuation marks `. , ! ? ; :`; a review starts with the start token `<s>`, so an empty
prefix asks "how do reviews begin?". Words outside the vocabulary become `<unk>`; the
model may predict `<unk>` (it counts for perplexity) but never suggests it.

The saved run (through `core.runs.RunStore`, kind "language_model") holds the integer
network, the vocabulary (one token per line, id = line number) and the settings; the
tokenizer is the regular expression below, so a run is usable on its own.
"""

from __future__ import annotations

import functools
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.jobs import Job, JobContext, JobFailed

if TYPE_CHECKING:
    import keras

    from core.runs import RunStore

KIND = "language_model"
PAD, UNK, BOS = "", "<unk>", "<s>"
PAD_ID, UNK_ID, BOS_ID = 0, 1, 2
SPECIALS = (PAD, UNK, BOS)
PUNCTUATION = ".,!?;:"
# Words (letters/digits of any script, inner apostrophes kept) or one punctuation mark.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.,!?;:]")
_NO_SPACE_BEFORE = set(PUNCTUATION)

# What a user may train on: below the minimum a model learns nothing worth showing, above
# the maximum a CPU trains for hours.
MIN_TRAIN_WORDS = 2_000
# The smallest "Training words (at most)" worth offering: the validation documents come out
# of the capped words, and one IMDB review can hold ~2,900 tokens, so a cap of
# MIN_TRAIN_WORDS would always leave too little to train on.
MIN_TRAIN_WORDS_SETTING = 5_000
MAX_USER_TEXT_BYTES = 5_000_000
MAX_PREFIX_CHARS = 20_000
ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets" / "lm"

LIMITS: dict[str, tuple[float, float]] = {
    "vocab_size": (10, 50_000),
    "window": (2, 200),
    "embed_dim": (8, 512),
    "units": (8, 1024),
    "dropout": (0.0, 0.8),
    "learning_rate": (1e-5, 0.1),
    "batch_size": (1, 1024),
    "epochs": (1, 50),
    "max_train_words": (MIN_TRAIN_WORDS_SETTING, 20_000_000),
    "val_share": (0.01, 0.5),
}
FIELD_LABELS = {
    "vocab_size": "Vocabulary size",
    "window": "Context window (words)",
    "embed_dim": "Embedding size",
    "units": "LSTM units",
    "dropout": "Dropout",
    "learning_rate": "Learning rate",
    "batch_size": "Batch size",
    "epochs": "Epochs",
    "max_train_words": "Training words (at most)",
    "val_share": "Validation share",
    "seed": "Seed",
}


@dataclass
class LMConfig:
    """Every setting of a language model run; the same names in the page and config.json."""

    vocab_size: int = 10_000
    window: int = 24
    embed_dim: int = 128
    units: int = 256
    dropout: float = 0.0
    learning_rate: float = 3e-3
    batch_size: int = 64
    epochs: int = 1
    max_train_words: int = 1_000_000
    val_share: float = 0.02
    seed: int = 0

    def validate(self) -> dict[str, str]:
        """Field -> problem, for every setting outside its sensible range ({} when fine)."""
        problems: dict[str, str] = {}
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and low <= value <= high
            ):
                problems[name] = f"{FIELD_LABELS[name]} must be between {low:g} and {high:g}."
        if "batch_size" not in problems and "window" not in problems:
            if self.batch_size * self.window * self.vocab_size > 400_000_000:
                problems["batch_size"] = (
                    "Batch size × window × vocabulary is too large for memory "
                    "(the output layer alone would need more than 1.6 GB); lower one of them."
                )
        return problems

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LMConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


# --- Text to ids ------------------------------------------------------------------------------

def tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation marks, as the model sees them."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\u2019", "'").lower()
    return _TOKEN.findall(text)


def detokenize(tokens: Sequence[str]) -> str:
    """Tokens back to readable text: no space before punctuation."""
    out = ""
    for token in tokens:
        if token in SPECIALS:
            continue
        out += token if (not out or token in _NO_SPACE_BEFORE) else " " + token
    return out


def build_vocabulary(documents: Sequence[Sequence[str]], vocab_size: int,
                     min_count: int = 2) -> list[str]:
    """The specials, then the most frequent tokens (ties broken alphabetically).

    Words seen only once stay out even when there is room: `<unk>` must occur in the
    training text, or both models would give every unknown held-out word probability ~0.
    """
    counts: Counter[str] = Counter()
    for tokens in documents:
        counts.update(tokens)
    for special in SPECIALS:
        counts.pop(special, None)
    ranked = sorted(((w, c) for w, c in counts.items() if c >= min_count),
                    key=lambda item: (-item[1], item[0]))
    return list(SPECIALS) + [word for word, _ in ranked[: max(0, vocab_size - len(SPECIALS))]]


def encode(tokens: Sequence[str], lookup: dict[str, int]) -> np.ndarray:
    """Ids of a document, starting with the start token."""
    return np.asarray([BOS_ID] + [lookup.get(t, UNK_ID) for t in tokens], dtype=np.int32)


@dataclass
class Corpus:
    """Tokenised, encoded text split for training, validation and held-out evaluation."""

    vocabulary: list[str]
    train: list[np.ndarray]
    val: list[np.ndarray]
    held_out: list[np.ndarray]
    train_words: int
    oov_rate: float  # share of held-out tokens that are unknown

    def summary(self) -> dict[str, Any]:
        return {
            "train_words": self.train_words,
            "train_documents": len(self.train),
            "val_words": int(sum(len(d) - 1 for d in self.val)),
            "held_out_words": int(sum(len(d) - 1 for d in self.held_out)),
            "held_out_documents": len(self.held_out),
            "held_out_oov_rate": self.oov_rate,
        }


def prepare_corpus(
    documents: Sequence[str], config: LMConfig, held_out: Sequence[str] | None = None
) -> Corpus:
    """Tokenise and encode; the vocabulary comes from the training part only.

    Without `held_out`, the last tenth of the documents is held out. Documents are taken
    in order until `max_train_words` tokens (callers shuffle with their seed first).
    """
    docs = [tokenize(d) for d in documents]
    docs = [d for d in docs if d]
    if held_out is None:
        cut = len(docs) - max(1, len(docs) // 10) if len(docs) > 1 else len(docs)
        docs, held = docs[:cut], docs[cut:]
    else:
        held = [d for d in (tokenize(t) for t in held_out) if d]
    taken, words = [], 0
    for doc in docs:
        if words >= config.max_train_words:
            break
        doc = doc[: config.max_train_words - words]
        taken.append(doc)
        words += len(doc)
    n_val = int(round(len(taken) * config.val_share)) if len(taken) > 1 else 0
    n_val = min(max(n_val, 1 if len(taken) > 2 else 0), len(taken) - 1)
    train_docs, val_docs = taken[: len(taken) - n_val], taken[len(taken) - n_val:]
    vocabulary = build_vocabulary(train_docs, config.vocab_size)
    lookup = {w: i for i, w in enumerate(vocabulary)}
    held_ids = [encode(d, lookup) for d in held]
    held_tokens = sum(len(d) - 1 for d in held_ids)
    held_unknown = sum(int((d[1:] == UNK_ID).sum()) for d in held_ids)
    return Corpus(
        vocabulary=vocabulary,
        train=[encode(d, lookup) for d in train_docs],
        val=[encode(d, lookup) for d in val_docs],
        held_out=held_ids,
        train_words=sum(len(d) for d in train_docs),
        oov_rate=held_unknown / held_tokens if held_tokens else 0.0,
    )


def split_user_text(text: str, pieces: int = 20) -> list[str]:
    """A user's text as documents: its paragraphs, or equal slices of its tokens if it has few.

    Slicing tokens rather than whitespace-separated words also splits text written without
    spaces ("one,two,three,…"), which would otherwise stay one document with nothing left
    to hold out for evaluation.
    """
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if tokenize(p)]
    if len(paragraphs) >= pieces:
        return paragraphs
    tokens = tokenize(text)
    size = max(1, math.ceil(len(tokens) / pieces))
    return [" ".join(tokens[i:i + size]) for i in range(0, len(tokens), size)]


def corpus_problem(corpus: Corpus, config: LMConfig, text_words: int | None = None) -> str | None:
    """Why training on this prepared corpus would fail or be pointless, or None when fine.

    `text_words` (the whole text's token count) lets the message say how much to add.
    """
    if corpus.train_words < MIN_TRAIN_WORDS:
        used = corpus.train_words + sum(len(d) - 1 for d in corpus.val)
        if used >= config.max_train_words:
            suggested = max(MIN_TRAIN_WORDS_SETTING, min(
                int(LIMITS["max_train_words"][1]), 1_000 * math.ceil(
                    config.max_train_words * MIN_TRAIN_WORDS / max(corpus.train_words, 1) / 1_000)))
            return (
                f"Only {corpus.train_words:,} words are left to train on: "
                f"“{FIELD_LABELS['max_train_words']}” is {config.max_train_words:,} and the "
                f"validation share comes out of it. A language model needs at least "
                f"{MIN_TRAIN_WORDS:,}; raise the setting to {suggested:,} or more."
            )
        more = ""
        if text_words:
            needed = math.ceil(MIN_TRAIN_WORDS * text_words / max(corpus.train_words, 1))
            more = f" Add about {needed - text_words:,} more words."
        return (
            f"Only {corpus.train_words:,} words are left to train on once part of the text "
            "is held out for evaluation and validation; a language model needs at least "
            f"{MIN_TRAIN_WORDS:,}.{more}"
        )
    if not corpus.held_out:
        return "There is no held-out text to evaluate on; add more text."
    if len(corpus.vocabulary) == len(SPECIALS):
        return ("No word occurs twice in the training part, so the model would have no word "
                "to suggest; use ordinary prose.")
    return None


def check_user_text(text: str, config: LMConfig | None = None) -> str | None:
    """Why this text cannot be trained on with these settings, or None when it can.

    The text is split and prepared exactly as training will do it, so a text that passes
    here does not fail in the job for lack of words or of held-out text.
    """
    if len(text.encode("utf-8", errors="ignore")) > MAX_USER_TEXT_BYTES:
        return (f"The text is larger than {MAX_USER_TEXT_BYTES // 1_000_000} MB; "
                "use a shorter excerpt.")
    n = len(tokenize(text))
    if n < MIN_TRAIN_WORDS:
        return (f"The text has {n:,} words; a language model needs at least "
                f"{MIN_TRAIN_WORDS:,} to train on, plus a tenth more held out to evaluate "
                "it (a few pages of prose).")
    config = config or LMConfig()
    return corpus_problem(prepare_corpus(split_user_text(text), config), config, n)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_upload(data: bytes, filename: str = "upload.txt") -> str:
    """The text of an uploaded .txt file; `ValueError` with a clear message if unreadable.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark, which
    is what Windows Notepad writes as "Unicode".
    """
    if not data:
        raise ValueError(f"{filename} is empty.")
    if len(data) > MAX_USER_TEXT_BYTES:
        raise ValueError(f"{filename} is larger than {MAX_USER_TEXT_BYTES // 1_000_000} MB.")
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{filename} starts like UTF-16 text but cannot be read as it. Save it as "
                "UTF-8 (e.g. 'Save as… → Encoding: UTF-8') and upload it again."
            ) from exc
    if b"\x00" in data[:4096]:
        raise ValueError(
            f"{filename} looks like a binary file, not plain text (if it is UTF-16 text "
            "without a byte-order mark, save it as UTF-8 and upload it again)."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{filename} is not UTF-8 text (byte {exc.start} cannot be read). "
            "Save it as UTF-8 (e.g. 'Save as… → Encoding: UTF-8') and upload it again."
        ) from exc


def training_windows(documents: Sequence[np.ndarray], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-token targets, both (n, window), cut from the documents end to end.

    Documents are joined (each starts with `<s>`, which doubles as an end-of-review
    marker), so no window needs padding.
    """
    if not documents:
        return np.zeros((0, window), np.int32), np.zeros((0, window), np.int32)
    stream = np.concatenate(documents)
    n = (len(stream) - 1) // window
    x = stream[: n * window].reshape(n, window)
    y = stream[1: n * window + 1].reshape(n, window)
    return x, y


def scoring_windows(
    documents: Sequence[np.ndarray], window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping windows for evaluation: inputs (n, window) and targets with -1 = skip.

    Each document is scored on its own, every real token once, and (past the first half
    window) always with at least half a window of context: windows advance by half their
    length and score only their second half.
    """
    step = max(1, window // 2)
    xs, ys = [], []
    for doc in documents:
        length = len(doc) - 1  # tokens to predict
        start = 0
        while True:
            x = np.zeros(window, np.int32)
            y = np.full(window, -1, np.int32)
            chunk = doc[start:start + window]
            x[: len(chunk)] = chunk
            targets = doc[start + 1:start + window + 1]
            first = 0 if start == 0 else window - step
            y[first:len(targets)] = targets[first:]
            xs.append(x)
            ys.append(y)
            if start + window >= length:
                break
            start += step
    if not xs:
        return np.zeros((0, window), np.int32), np.zeros((0, window), np.int32)
    return np.stack(xs), np.stack(ys)


# --- The network ------------------------------------------------------------------------------

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
    return keras.Model(tokens, logits, name="language_model")


# Words scored per training step besides the right ones. Scoring all 10,000 words for every
# position is three quarters of a step's work on a CPU; sampled softmax (Jean et al., 2015)
# scores the true next word against 1,024 words drawn by frequency, with the draw's bias
# corrected, which trains the same network about four times faster. Evaluation, the curves'
# held-out figures and every suggestion always use the full softmax.
SAMPLED_WORDS = 1_024
PROBE_WINDOWS = 64  # validation windows scored during training for the live curves
VALIDATION_WINDOWS = 2_000  # ... and at the end of each epoch
PROBES_PER_RUN = 150


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


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / max(temperature, 1e-6)
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class Suggestion:
    word: str
    probability: float


@dataclass
class Evaluation:
    """Next-word quality on held-out text, the same figures for every model."""

    perplexity: float
    top1: float
    top3: float
    top5: float
    tokens: int

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        return {f"{prefix}{k}": v for k, v in asdict(self).items()}


def score_distributions(
    probs: np.ndarray, targets: np.ndarray, suggestable: np.ndarray
) -> tuple[float, np.ndarray]:
    """Summed log-probability of the targets and, per row, the target's suggestion rank.

    Rank counts only tokens a user could be shown (`suggestable`), so `<unk>` targets are
    never "correct"; rank = 1 + number of suggestable tokens more probable than the target.
    """
    rows = np.arange(len(targets))
    p_target = probs[rows, targets]
    log_prob = float(np.log(np.maximum(p_target, 1e-300)).sum())
    masked = np.where(suggestable[None, :], probs, -1.0)
    better = (masked > p_target[:, None]).sum(axis=1)
    rank = np.where(suggestable[targets], better + 1, np.iinfo(np.int32).max)
    return log_prob, rank


class EvaluationSum:
    """Accumulates `score_distributions` over batches."""

    def __init__(self) -> None:
        self.log_prob, self.n = 0.0, 0
        self.hits = {1: 0, 3: 0, 5: 0}

    def add(self, log_prob: float, rank: np.ndarray) -> None:
        self.log_prob += log_prob
        self.n += len(rank)
        for k in self.hits:
            self.hits[k] += int((rank <= k).sum())

    def result(self) -> Evaluation:
        n = max(self.n, 1)
        return Evaluation(
            perplexity=float(math.exp(-self.log_prob / n)) if self.n else float("nan"),
            top1=self.hits[1] / n, top3=self.hits[3] / n, top5=self.hits[5] / n, tokens=self.n,
        )


class LanguageModel:
    """A trained network with its vocabulary: suggest, generate, evaluate."""

    def __init__(self, network: keras.Model, vocabulary: Sequence[str], config: LMConfig,
                 metrics: dict[str, Any] | None = None, history: dict[str, Any] | None = None,
                 name: str = "") -> None:
        self.network = network
        self.vocabulary = list(vocabulary)
        self.config = config
        self.metrics = metrics or {}
        self.history = history or {}
        self.name = name
        self.lookup = {w: i for i, w in enumerate(self.vocabulary)}
        self.suggestable = np.ones(len(self.vocabulary), dtype=bool)
        self.suggestable[[PAD_ID, UNK_ID, BOS_ID]] = False
        # What can come next inside a review: any word or `<unk>`, never padding or `<s>`.
        # Training joins reviews with `<s>`, so the network gives `<s>` a little mass (the
        # review may end here); next-word probabilities are renormalised without it.
        self.predictable = self.suggestable.copy()
        self.predictable[UNK_ID] = True
        self._traced_next_logits = None

    # ids -------------------------------------------------------------------------------------
    def context_ids(self, prefix: str) -> np.ndarray:
        """`<s>` + the prefix's ids, cut to the last `window` tokens (the model's memory)."""
        tokens = tokenize(str(prefix)[-MAX_PREFIX_CHARS:])
        ids = encode(tokens, self.lookup)
        return ids[-self.config.window:]

    def next_logits(self, ids: np.ndarray) -> np.ndarray:
        """Logits of the token after `ids` (a 1-D array of at most `window` ids)."""
        import tensorflow as tf

        if self._traced_next_logits is None:
            network = self.network
            # One traced graph for every prefix length: eager Keras calls cost ~50 ms each
            # on a CPU, the traced function a few ms.
            self._traced_next_logits = tf.function(
                lambda x: network(x, training=False)[:, -1, :],
                input_signature=[tf.TensorSpec([1, None], tf.int32)],
            )
        return self._traced_next_logits(tf.constant(np.asarray(ids, np.int32)[None, :]))[0].numpy()

    def next_distribution(self, prefix: str, temperature: float = 1.0) -> np.ndarray:
        logits = np.where(self.predictable, self.next_logits(self.context_ids(prefix)), -np.inf)
        return softmax(logits, temperature)

    # what a page shows -----------------------------------------------------------------------
    def suggest(self, prefix: str, k: int = 5) -> list[Suggestion]:
        """The k most probable next words (never `<unk>`, padding or `<s>`)."""
        probs = self.next_distribution(prefix)
        return top_suggestions(probs, self.vocabulary, self.suggestable, k)

    def generate(self, prefix: str, n_words: int = 20, temperature: float = 0.8,
                 top_k: int = 20, seed: int | None = 0) -> list[str]:
        """Sample a continuation token by token; the same seed gives the same words."""
        rng = np.random.default_rng(seed)
        ids = list(self.context_ids(prefix))
        out: list[str] = []
        for _ in range(max(0, int(n_words))):
            logits = self.next_logits(np.asarray(ids[-self.config.window:]))
            token = sample_token(logits, self.suggestable, temperature, top_k, rng)
            out.append(self.vocabulary[token])
            ids.append(token)
        return out

    def evaluate(self, documents: Sequence[np.ndarray], batch_size: int = 128) -> Evaluation:
        """Perplexity and top-1/3/5 accuracy over every token of the documents."""
        return self.evaluate_windows(*scoring_windows(documents, self.config.window),
                                     batch_size=batch_size)

    def evaluate_windows(self, x: np.ndarray, y: np.ndarray, batch_size: int = 128) -> Evaluation:
        """The same figures over windows of ids `x` and next ids `y` (-1: not scored)."""
        total = EvaluationSum()
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            logits = np.asarray(self.network(xb, training=False))
            keep = yb >= 0
            probs = softmax(np.where(self.predictable, logits[keep], -np.inf))
            total.add(*score_distributions(probs, yb[keep], self.suggestable))
        return total.result()


def top_suggestions(probs: np.ndarray, vocabulary: Sequence[str], suggestable: np.ndarray,
                    k: int) -> list[Suggestion]:
    """The k most probable suggestable tokens, best first; [] if nothing is suggestable."""
    if not suggestable.any() or k < 1:
        return []
    masked = np.where(suggestable, probs, -1.0)
    k = min(int(k), int(suggestable.sum()))
    best = np.argpartition(-masked, k - 1)[:k]
    best = best[np.argsort(-masked[best], kind="stable")]
    return [Suggestion(vocabulary[i], float(probs[i])) for i in best]


def sample_token(logits: np.ndarray, suggestable: np.ndarray, temperature: float, top_k: int,
                 rng: np.random.Generator) -> int:
    """One token from the top-k of softmax(logits / temperature); temperature 0 = greedy."""
    logits = np.where(suggestable, np.asarray(logits, np.float64), -np.inf)
    if temperature <= 0:
        return int(np.argmax(logits))
    k = max(1, min(int(top_k) if top_k else len(logits), int(suggestable.sum())))
    best = np.argpartition(-logits, k - 1)[:k]
    best = np.sort(best)  # a fixed order makes the draw depend only on the seed
    probs = softmax(logits[best], temperature)
    return int(best[rng.choice(len(best), p=probs)])


# --- Loading and saving -----------------------------------------------------------------------

def shipped_store() -> RunStore:
    from core.runs import RunStore

    return RunStore(ASSETS_DIR, read_only=True)


def load_language_model(store: RunStore, run_id: str) -> LanguageModel:
    """A saved run as a `LanguageModel`; `RunError` if it is damaged or not a language model."""
    from core.runs import RunError

    run = store.load(run_id)
    if run.info.kind != KIND:
        raise RunError(f"Run “{run.info.name}” is not a language model.")
    config = LMConfig.from_dict(run.config)
    if len(run.vocabulary) != config.vocab_size:
        # a vocabulary smaller than the setting (small corpora) is stored as it is
        config.vocab_size = len(run.vocabulary)
    return LanguageModel(run.model, run.vocabulary, config, run.metrics, run.history,
                         run.info.name)


def list_language_models(store: RunStore) -> list:
    """The usable language-model runs in a store (newest first)."""
    return [r for r in store.list(KIND) if not r.damaged]  # list() adds damaged runs of any kind


def _export_copy(model: keras.Model, config: LMConfig) -> keras.Model:
    """The trained weights in a fresh, uncompiled network: the file carries no optimizer
    state (Adam's two moments would triple its size)."""
    copy = build_network(config)
    copy.set_weights(model.get_weights())
    return copy


# --- Training (a job for core.jobs) -----------------------------------------------------------

@dataclass
class LMTrainingData:
    """What a language model trains on: documents, optional held-out ones, and a label."""

    documents: list[str]
    held_out: list[str] | None = None
    source: str = "text"
    notes: dict[str, Any] = field(default_factory=dict)


def imdb_training_data(imdb: Any, max_reviews: int = 8_000, held_out_reviews: int = 1_000,
                       seed: int = 0) -> LMTrainingData:
    """Unlabelled + training reviews (shuffled with `seed`) to learn from; test reviews
    held out for evaluation only, never seen in training."""
    import pandas as pd

    pool = pd.concat([imdb.unsup["text"], imdb.train["text"]], ignore_index=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pool))[:max_reviews]
    test = imdb.test["text"]
    held = rng.permutation(len(test))[:held_out_reviews]
    return LMTrainingData(
        documents=[str(pool.iloc[i]) for i in order],
        held_out=[str(test.iloc[i]) for i in held],
        source="IMDB reviews (unlabelled + train; test reviews held out)",
        notes={"pool_reviews": int(len(pool)), "sampled_reviews": int(len(order)),
               "held_out_reviews": int(len(held))},
    )


def user_training_data(text: str) -> LMTrainingData:
    problem = check_user_text(text)
    if problem:
        raise ValueError(problem)
    return LMTrainingData(documents=split_user_text(text), held_out=None, source="your text")


def live_callback(job: JobContext | None, steps: int, epochs: int, batch_size: int,
                  every: int = 5, scorer: LanguageModel | None = None,
                  validation: tuple[np.ndarray, np.ndarray] | None = None) -> Any:
    """The live callback (`core.live.live_training`) set up for a language model.

    A `Batch` event every `every` batches carries the training `loss`. With a `scorer` (a
    `LanguageModel` around the network being trained) and `validation` windows, about
    `PROBES_PER_RUN` of them also carry, in `extra`, `val_loss`, `val_perplexity`,
    `val_top1` and `val_top3` of the first `PROBE_WINDOWS` validation windows, and each
    `Epoch` the same figures over up to `VALIDATION_WINDOWS` of them: full softmax,
    `<unk>` never a hit, exactly as the held-out evaluation counts.
    """
    from core.live import live_training

    has_validation = scorer is not None and validation is not None and len(validation[0]) > 0
    probe = validate = None
    if has_validation:
        full = (validation[0][:VALIDATION_WINDOWS], validation[1][:VALIDATION_WINDOWS])
        sample = (full[0][:PROBE_WINDOWS], full[1][:PROBE_WINDOWS])

        def held_out(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
            result = scorer.evaluate_windows(x, y)
            return {"val_loss": math.log(result.perplexity),
                    "val_perplexity": result.perplexity,
                    "val_top1": result.top1, "val_top3": result.top3}

        def probe() -> dict[str, float]:
            return held_out(*sample)

        def validate() -> dict[str, float]:
            return held_out(*full)

    return live_training(job, steps=steps, epochs=epochs, batch_size=batch_size,
                         every=every, span=0.9, probe=probe,
                         probe_every=max(1, steps * epochs // PROBES_PER_RUN),
                         validate=validate)


def curve_rows(events: Sequence[Any], sampled_words: int = 0
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Batch and epoch events as the rows the curves chart reads and history.json keeps:
    `epoch` 1-based, `step` the training step over the whole run (so an epoch's validation
    figures sit where that epoch really ended, after a stop mid-epoch too)."""
    from core.events import Batch, Epoch

    batches, epochs = [], []
    for event in events:
        if isinstance(event, Batch):
            batches.append({"epoch": event.epoch + 1, "step": event.global_step,
                            "loss": event.loss, "sampled_words": sampled_words,
                            **event.extra})
        elif isinstance(event, Epoch):
            row = {"epoch": event.epoch + 1, "step": event.step, "complete": event.complete,
                   "epoch_s": event.epoch_s, **event.extra}
            if event.loss is not None:
                row["loss"] = event.loss
            epochs.append(row)
    return batches, epochs


def measure_latency(model: LanguageModel, prefixes: Sequence[str], repeats: int = 3) -> float:
    """Median milliseconds for one suggestion list (after one warm-up call)."""
    model.suggest(prefixes[0] if prefixes else "")
    times = []
    for _ in range(repeats):
        for prefix in prefixes or [""]:
            start = time.perf_counter()
            model.suggest(prefix, k=5)
            times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


LATENCY_PREFIXES = ("", "this movie was", "i have to say that the acting in this film",
                    "the plot is", "one of the best")


def train_language_model(
    config: LMConfig,
    data: LMTrainingData,
    job: JobContext | None = None,
    store: RunStore | None = None,
    name: str | None = None,
    extra_files: dict[str, str] | None = None,
) -> str | None:
    """Train, evaluate against the n-gram baseline on the same held-out words, save.

    Returns the run id, or None when the job was stopped before its first batch was done
    (nothing is saved then); a run stopped later is saved with status "stopped". Raises `JobFailed`
    with a message for the user on bad settings, too little text or a diverging loss.
    """
    from core.ngram import KneserNeyModel
    from core.runs import DONE, STOPPED, RunStore

    problems = config.validate()
    if problems:
        raise JobFailed(" ".join(problems.values()))
    store = store or RunStore()

    def progress(fraction: float, message: str) -> None:
        if job is not None:
            job.set_progress(fraction, None, message)

    progress(0.0, "Reading and tokenising the text…")
    corpus = prepare_corpus(data.documents, config, data.held_out)
    problem = corpus_problem(corpus, config)
    if problem:
        raise JobFailed(problem)
    config = LMConfig(**{**config.to_dict(), "vocab_size": len(corpus.vocabulary)})
    x, y = training_windows(corpus.train, config.window)
    xv, yv = training_windows(corpus.val, config.window)
    if len(x) < 2:
        raise JobFailed("The text is too short for this context window; shorten the window.")
    if job is not None and job.stop_requested:
        return None  # stopped while the text was being prepared: nothing trained or saved

    network = build_network(config)
    steps = math.ceil(len(x) / config.batch_size)
    trainer = make_trainer(network, config, steps * config.epochs)
    scorer = LanguageModel(network, corpus.vocabulary, config)
    curves = live_callback(job, steps, config.epochs, config.batch_size, scorer=scorer,
                           validation=scoring_windows(corpus.val, config.window))
    start = time.time()
    trainer.fit(x, y, batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
                callbacks=[curves], verbose=0)
    train_s = time.time() - start
    if curves.blow_up is not None:
        raise JobFailed(curves.blow_up.message("Training was stopped and nothing was saved."))
    stopped = curves.stopped
    if stopped and curves.done_steps <= 1:
        return None  # Keras always finishes the batch it is in: one update is not a model

    progress(0.9, "Evaluating on held-out text…")
    model = LanguageModel(_export_copy(network, config), corpus.vocabulary, config)
    lm_eval = model.evaluate(corpus.held_out)
    progress(0.95, "Evaluating the n-gram baseline on the same words…")
    ngram = KneserNeyModel.fit(corpus.train, len(corpus.vocabulary))
    ngram_eval = ngram.evaluate(corpus.held_out, model.suggestable)

    metrics: dict[str, Any] = {
        **lm_eval.as_dict("lm_"),
        **ngram_eval.as_dict("ngram_"),
        "ngram_order": ngram.order,
        "ngram_discount": ngram.discount,
        "suggest_ms_p50": measure_latency(model, LATENCY_PREFIXES),
        "train_s": train_s,
        "sampled_words": trainer.sampled,
        "epochs_done": sum(1 for event in curves.epoch_events if event.complete),
        "source": data.source,
        **corpus.summary(),
        **data.notes,
    }
    batch_rows, epoch_rows = curve_rows(curves.batch_events + curves.epoch_events,
                                        trainer.sampled)
    history = {"epochs": epoch_rows, "batches": batch_rows}
    run_id = store.save(
        model=model.network, kind=KIND, config=config.to_dict(),
        name=name or f"LSTM LM on {data.source}", status=STOPPED if stopped else DONE,
        history=history, metrics=metrics, vocabulary=corpus.vocabulary,
        extra_files=extra_files,
    )
    progress(1.0, "Saved.")
    return run_id


def submit_lm_training(config: LMConfig, data: LMTrainingData, name: str | None = None,
                       owner: str | None = None, store: RunStore | None = None,
                       user: str | None = None) -> Job:
    """Queue a language-model training job; its result is the saved run's id (None when
    it was stopped before training began)."""
    from core.jobs import JobSpec, engine

    spec = JobSpec(KIND, name or "LSTM language model",
                   {"model": config.to_dict(), "name": name}, owner, user)
    return engine().submit(spec, data=data, store=store)


def lm_job(job: JobContext, config: dict[str, Any], data: LMTrainingData,
           store: RunStore | None = None) -> str | None:
    """The "language_model" job's runner, in a Ray worker."""
    return train_language_model(LMConfig.from_dict(config["model"]), data, job=job,
                                store=store, name=config.get("name"))
