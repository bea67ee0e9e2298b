"""A trained network with its vocabulary (`LanguageModel`): suggest, generate, evaluate.

Suggestions go through the raw-string model (`model.text_model`), the artifact a run
saves; generating and evaluating work on ids, with the network inside it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from core.language_model.config import LMConfig
from core.language_model.evaluation import (
    Evaluation,
    EvaluationSum,
    score_distributions,
    scoring_windows,
    softmax,
)
from core.language_model.model import text_model
from core.language_model.tokens import BOS_ID, PAD_ID, PUNCTUATION, UNK_ID

if TYPE_CHECKING:
    import keras

MAX_PREFIX_CHARS = 20_000
# Always the same prefixes, so the latency saved with each run compares across runs.
LATENCY_PREFIXES = ("", "this movie was", "i have to say that the acting in this film",
                    "the plot is", "one of the best")


@dataclass
class Suggestion:
    word: str
    probability: float


def with_suggestion(text: str, word: str) -> str:
    """`text` with a suggested `word` appended: after a space unless the text ends in one
    (or is empty) or the word is punctuation."""
    glue = "" if (not text or text.endswith((" ", "\n")) or word in PUNCTUATION) else " "
    return f"{text}{glue}{word}"


def suggestion_id(text: str, word: str) -> str:
    """A short name for "`word`, suggested after `text`": a suggestion button's key.

    A button keyed by its slot ("the first suggestion") would apply whatever word sits in
    that slot when the click arrives, which, while the strip is redrawn for newer text, is
    not the word that was clicked. Keyed by word and text, a click on a strip drawn for an
    older text names no button of the new strip, and so applies nothing."""
    return hashlib.blake2b(f"{text}\x00{word}".encode(), digest_size=8).hexdigest()


def apply_suggestion(current: str, suggested_for: str, word: str) -> str | None:
    """The text after a click on `word`, suggested for `suggested_for`, when the box now
    holds `current`; None when the text changed in between (the click is then about a
    text that is gone, and adds nothing)."""
    if current != suggested_for:
        return None
    return with_suggestion(current, word)


class LanguageModel:
    """A trained network with its vocabulary: suggest, generate, evaluate.

    `network` maps ids to logits at every position; `model` (built around it unless
    given) maps raw strings to the next token's logits, and is what a run saves.
    """

    def __init__(self, network: keras.Model, vocabulary: Sequence[str], config: LMConfig,
                 metrics: dict[str, Any] | None = None, history: dict[str, Any] | None = None,
                 name: str = "", model: keras.Model | None = None) -> None:
        self.network = network
        if model is not None:
            self.model = model
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

    @functools.cached_property
    def model(self) -> keras.Model:
        """Raw strings -> the next token's logits (`model.text_model`)."""
        return text_model(self.network, self.vocabulary, self.config.window)

    # One traced graph for every prefix: eager Keras calls cost ~50 ms each on a CPU, the
    # traced functions a few ms.
    @functools.cached_property
    def _traced_text(self):
        import tensorflow as tf

        model = self.model
        return tf.function(lambda text: model(text, training=False),
                           input_signature=[tf.TensorSpec([None], tf.string)])

    @functools.cached_property
    def _traced_ids(self):
        import tensorflow as tf

        network = self.network
        return tf.function(lambda ids: network(ids, training=False)[:, -1, :],
                           input_signature=[tf.TensorSpec([1, None], tf.int32)])

    # ids -------------------------------------------------------------------------------------
    def context_ids(self, prefix: str) -> np.ndarray:
        """`<s>` + the prefix's ids, cut to the last `window` tokens (the model's memory):
        what the saved model's own layers make of it."""
        import tensorflow as tf

        ids = self.model.get_layer("tokens")(tf.constant([str(prefix)[-MAX_PREFIX_CHARS:]]))
        return np.asarray(self.model.get_layer("context")(ids))[0]

    def next_logits(self, ids: np.ndarray) -> np.ndarray:
        """Logits of the token after `ids` (a 1-D array of at most `window` ids)."""
        import tensorflow as tf

        return self._traced_ids(tf.constant(np.asarray(ids, np.int32)[None, :]))[0].numpy()

    def text_logits(self, prefixes: Sequence[str]) -> np.ndarray:
        """Logits of the token after each raw-string prefix: the saved model's output."""
        import tensorflow as tf

        texts = [str(p)[-MAX_PREFIX_CHARS:] for p in prefixes]
        return self._traced_text(tf.constant(texts, tf.string)).numpy()

    def next_distribution(self, prefix: str, temperature: float = 1.0) -> np.ndarray:
        logits = np.where(self.predictable, self.text_logits([prefix])[0], -np.inf)
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


def measure_latency(model: LanguageModel, prefixes: Sequence[str], repeats: int = 3) -> float:
    """Median milliseconds for one suggestion list, timed like every model in the app
    (`core.predict.median_latency_ms`)."""
    from core.predict import median_latency_ms

    def suggest(batch: list[str]) -> list[list[Suggestion]]:
        return [model.suggest(prefix, k=5) for prefix in batch]

    return median_latency_ms(suggest, list(prefixes) or [""],
                             repeats=repeats * max(1, len(prefixes)), batch=False)[0]
