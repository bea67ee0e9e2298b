"""Text to ids: the tokenizer, the vocabulary and the `Corpus` a model trains on.

Tokens are lower-cased words (contractions like "don't" stay one word) and the
punctuation marks `. , ! ? ; :`; a review starts with the start token `<s>`, so an empty
prefix asks "how do reviews begin?". Words outside the vocabulary become `<unk>`; the
model may predict `<unk>` (it counts for perplexity) but never suggests it.

The tokenizer is a `TextVectorization` layer with the standardisation below, the same
layer the saved model starts with: training, suggestions, the token view and the n-gram
baseline all cut text where the saved model does.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from core.language_model.config import LMConfig

if TYPE_CHECKING:
    from keras.layers import TextVectorization

PAD, UNK, BOS = "", "<unk>", "<s>"
PAD_ID, UNK_ID, BOS_ID = 0, 1, 2
SPECIALS = (PAD, UNK, BOS)
PUNCTUATION = ".,!?;:"
_NO_SPACE_BEFORE = set(PUNCTUATION)
TOKENIZE_BATCH = 2_000  # texts per TensorFlow call when tokenising a corpus

# A token is a run of letters and digits of any script, with single apostrophes inside
# ("don't", "rock'n'roll"), or one punctuation mark; everything else separates tokens.
# RE2 (TensorFlow's regex engine) cannot list matches, so the standardisation rewrites the
# text until a whitespace split yields exactly those tokens. It is several linear passes:
# one replacement with a capturing alternation would do it too, but ten times slower.
_WORD = r"\pL\pN"
_KEEP = rf"[^{_WORD}'{PUNCTUATION}]+"  # what separates tokens, apostrophes aside
_INNER_APOSTROPHE = rf"([{_WORD}])'([{_WORD}])"
_HELD = "\x01"  # an inner apostrophe while the others are removed; never left in text


@functools.cache
def standardize_function():
    """The standardisation, registered with Keras so a saved model carries it by name.

    Curly apostrophes and the ellipsis character count as ' and "..." (phones type them);
    then lower-case, punctuation marks spaced out, every other separator made a space.
    Unlike Python's version of this tokenizer it does not apply NFKC: "½" or "ﬁ" stay as
    they are (22 of 25,000 IMDB training reviews hold such a character).
    """
    import keras
    import tensorflow as tf

    @keras.saving.register_keras_serializable(package="rnnlab", name="lm_standardize")
    def lm_standardize(text):
        text = tf.strings.regex_replace(text, "\u2019", "'")
        text = tf.strings.regex_replace(text, "\u2026", "...")
        text = tf.strings.lower(text, encoding="utf-8")
        text = tf.strings.regex_replace(text, _KEEP, " ")
        text = tf.strings.regex_replace(text, f"[{PUNCTUATION}]", " \\0 ")
        # An apostrophe stays only between two letters or digits. Matches cannot overlap,
        # so "a'b'c" needs a second pass for its second apostrophe; two passes find all.
        for _ in range(2):
            text = tf.strings.regex_replace(text, _INNER_APOSTROPHE, f"\\1{_HELD}\\2")
        text = tf.strings.regex_replace(text, "'", " ")
        return tf.strings.regex_replace(text, _HELD, "'")

    return lm_standardize


def lm_vectorizer(vocabulary: Sequence[str] | None = None) -> TextVectorization:
    """The tokenizer as a Keras layer: raw strings -> ids (padded at the end with 0).

    With a vocabulary (ours: padding, `<unk>`, `<s>`, then words) its ids are ours:
    Keras puts "" and its own unknown token first, and the rest in the order given.
    """
    from keras.layers import TextVectorization

    layer = TextVectorization(standardize=standardize_function(), split="whitespace",
                              output_mode="int", name="tokens")
    if vocabulary is not None:
        if list(vocabulary[:BOS_ID]) != [PAD, UNK]:
            raise ValueError("A language-model vocabulary starts with padding and <unk>.")
        layer.set_vocabulary(list(vocabulary[BOS_ID:]))
    return layer


@functools.cache
def _tokenizer() -> TextVectorization:
    return lm_vectorizer()


def tokenize_all(texts: Sequence[str]) -> list[list[str]]:
    """Each text's tokens, as the model sees them (`core.text.tokenize_all` through this
    layer: its own standardise and split)."""
    from core.text import tokenize_all as layer_tokens

    return [row for start in range(0, len(texts), TOKENIZE_BATCH)
            for row in layer_tokens(texts[start:start + TOKENIZE_BATCH], _tokenizer())]


def tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation marks, as the model sees them."""
    return tokenize_all([text])[0]


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
    documents: Sequence[str], config: LMConfig, held_out: Sequence[str] | None = None,
    vocabulary: Sequence[str] | None = None,
) -> Corpus:
    """Tokenise and encode; the vocabulary comes from the training part only, unless one
    is given (a saved model's, to score it on the text it was trained on).

    Without `held_out`, the last tenth of the documents is held out. Documents are taken
    in order until `max_train_words` tokens (callers shuffle with their seed first).
    """
    docs = [d for d in tokenize_all(documents) if d]
    if held_out is None:
        cut = len(docs) - max(1, len(docs) // 10) if len(docs) > 1 else len(docs)
        docs, held = docs[:cut], docs[cut:]
    else:
        held = [d for d in tokenize_all(held_out) if d]
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
    vocabulary = list(vocabulary or build_vocabulary(train_docs, config.vocab_size))
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

