"""Text to ids: the tokenizer, the vocabulary and the `Corpus` a model trains on.

Tokens are lower-cased words (contractions like "don't" stay one word) and the
punctuation marks `. , ! ? ; :`; a review starts with the start token `<s>`, so an empty
prefix asks "how do reviews begin?". Words outside the vocabulary become `<unk>`; the
model may predict `<unk>` (it counts for perplexity) but never suggests it.

The tokenizer is the regular expression below, so a saved run (network, vocabulary,
settings) is usable on its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.language_model.config import LMConfig

PAD, UNK, BOS = "", "<unk>", "<s>"
PAD_ID, UNK_ID, BOS_ID = 0, 1, 2
SPECIALS = (PAD, UNK, BOS)
PUNCTUATION = ".,!?;:"
# Words (letters/digits of any script, inner apostrophes kept) or one punctuation mark.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.,!?;:]")
_NO_SPACE_BEFORE = set(PUNCTUATION)


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

