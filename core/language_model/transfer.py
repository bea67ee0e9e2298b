"""Starting a sentiment classifier from the language model (`embeddings="lm"`).

The next-word LSTM has read millions of words of the training and unlabelled reviews
(never the test ones). A classifier that starts from its word vectors and its LSTM starts
from what it learnt about which words go together and how a sentence runs, and only the
read-out is new. This is the first step of Dai and Le (2015) and ULMFiT (Howard and
Ruder, 2018).

The classifier keeps its own vocabulary (its words come from its own training reviews, cut
by its own tokenizer). Each of its words gets the language model's vector for the same
word where the language model has one; the others start random on the same scale, as for
GloVe (`core.glove.match_vocabulary`), and the coverage is reported the same way. The
classifier's first recurrent layer takes the language model's LSTM weights as they are,
which is why its sizes are the language model's (`core.config.LM_EMBED_DIM`, `LM_UNITS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.glove import GloveMatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    import keras

SHIPPED_LM = "imdb-lstm"
# The language model's special tokens, and the classifier's that stand for the same thing.
_SAME = {"[UNK]": "<unk>"}


class LMStartError(ValueError):
    """The language model cannot start this classifier; the message says why."""


@dataclass
class LMStart:
    """What a classifier starts from: word vectors for its vocabulary, the LSTM's weights."""

    match: GloveMatch  # the rows for the classifier's vocabulary, with coverage
    lstm_weights: list[np.ndarray]  # kernel, recurrent kernel, bias (Keras's LSTM order)
    embed_dim: int
    units: int
    source: str  # the language model's name


def lm_start(vocabulary: Sequence[str], seed: int = 0, run_id: str = SHIPPED_LM) -> LMStart:
    """The shipped language model's vectors matched to `vocabulary`, and its LSTM weights."""
    from core.language_model.store import load_language_model, shipped_store
    from core.runs import RunError

    try:
        lm = load_language_model(shipped_store(), run_id)
    except (RunError, OSError) as exc:
        raise LMStartError(f"The language model cannot be read: {exc}") from exc
    vectors = np.asarray(lm.network.get_layer("embedding").get_weights()[0], np.float32)
    lstm = [np.asarray(w, np.float32) for w in lm.network.get_layer("lstm").get_weights()]
    return LMStart(match=match_words(vocabulary, lm.vocabulary, vectors, seed),
                   lstm_weights=lstm, embed_dim=vectors.shape[1],
                   units=lstm[1].shape[0], source=lm.name)


def match_words(vocabulary: Sequence[str], lm_vocabulary: Sequence[str], vectors: np.ndarray,
                seed: int = 0) -> GloveMatch:
    """Rows of `vectors` (the language model's, one per `lm_vocabulary` token) for each word
    of the classifier's `vocabulary`; random rows on the same scale for words it lacks."""
    lookup = {word: index for index, word in enumerate(lm_vocabulary)}
    # The classifier's tokenizer strips punctuation, so its "dont" is the language model's
    # "don't" (but its "its" stays "its").
    for index, word in enumerate(lm_vocabulary):
        if "'" in word:
            lookup.setdefault(word.replace("'", ""), index)
    words = list(vocabulary)
    real = [w for w in words if w != ""]
    rng = np.random.default_rng(seed)
    scale = float(np.clip(vectors.astype(np.float64).std(), 1e-3, 1e3))
    matrix = rng.normal(0.0, scale, size=(len(words), vectors.shape[1])).astype(np.float32)
    found: list[str] = []
    for index, word in enumerate(words):
        row = lookup.get(_SAME.get(word, word))
        if row is not None and word != "":
            matrix[index] = vectors[row]
            found.append(word)
    if words and words[0] == "":
        matrix[0] = 0.0  # padding: masked, and zero like every other start
    known = set(found)
    return GloveMatch(matrix=matrix, dim=vectors.shape[1], found=len(known & set(real)),
                      words=len(real), file_words=len(lookup),
                      missing=[w for w in real if w not in known][:20])


def apply_lm_start(model: keras.Model, start: LMStart) -> None:
    """Put the language model's LSTM weights into the classifier's first recurrent layer
    (its word vectors went in through `build_model`'s embedding matrix)."""
    layer = model.get_layer("recurrent_1")
    shapes = [tuple(w.shape) for w in layer.get_weights()]
    wanted = [tuple(w.shape) for w in start.lstm_weights]
    if shapes != wanted:
        raise LMStartError(
            f"The classifier's first recurrent layer has weights {shapes}; the language "
            f"model's LSTM has {wanted}. Starting from the language model needs a "
            "one-direction LSTM with the language model's sizes.")
    layer.set_weights(start.lstm_weights)
