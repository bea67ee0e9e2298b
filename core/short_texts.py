"""The short-text development set: one-sentence verdicts cut from held-back training reviews.

People type one-liners on the Classify page, and IMDB reviews average 230 words, so a
model's test accuracy says little about "not good" or "A masterpiece.". This set measures
that, from the training split only (never the test reviews):

1. the labelled training reviews a shipped run held back for validation (the same seeded
   split as `core.training.split_reviews`, so no network has fitted them);
2. of those, the clear ones: 1-2 stars (negative) or 9-10 stars (positive);
3. cut into sentences, keeping those of 3 to 25 words;
4. of those, the ones that state an opinion: at least one word rated at least
   `OPINION_STRENGTH` (either sign) in VADER's lexicon. Plot summary ("He moves to
   Paris.") carries no verdict, so its review's stars would be a wrong label for it. The
   lexicon only picks sentences; each sentence's label is its review's stars, so a
   negated or sarcastic sentence keeps the label of its review.

NB-LR is fitted on every training review, these ones too, so its figure here is flattered.

**Read clearly.** A review's stars are a noisy label for one of its sentences: "I
desperately want to give this movie a 10...I really do." comes from a 1-star review. Each
sentence of the set was therefore also read on its own, by one reader who saw neither the
stars nor any model's score, and marked P (the sentence alone says the reviewer liked the
film), N (disliked it) or X (no clear verdict: plot, one part praised, mixed, unresolved
sarcasm). The readings are kept in `assets/short_texts/readings.csv` by review id and a
hash of the sentence (no review text is copied into the repository). The clear sentences
(`clearly_read`) are those read P or N *and* agreeing with their stars, the set's
"confidently labelled" part; the figures are reported on both.

The same cut of the reviews a run fits on can be added to its training examples
(`ModelConfig.sentences`), so that a network learns one-liners as well as whole reviews.

**Negations.** A network that has seen "not" mostly far from the word it turns learns
little of what it does there. `negation_sentences` cuts the sentences of the clear
reviews where a negation ("not", "never", "no", "nothing", "hardly", "without", a word
ending in "n't") comes at most `NEGATION_REACH` words before an opinion word, as in "It
won't disappoint." (9 stars) or "There's not a single good line." (1 star); each keeps
its review's stars as its label, whether the negation flips the word or not ("nothing
short of brilliant"). `ModelConfig.negations` adds every one of them to the training
examples (`core.training.prepare_data`).
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from core.config import ModelConfig
    from core.data import ImdbData

MIN_WORDS, MAX_WORDS = 3, 25
OPINION_STRENGTH = 1.0  # of VADER's -4..+4 word ratings: "good" 1.9, "boring" -1.3, "fine" 0.8
NEGATIVE_STARS, POSITIVE_STARS = (1, 2), (9, 10)
# A sentence about the film rather than its plot names it: "This movie was great", "It's
# a masterpiece", "The film is boring".
FILM_WORDS = frozenset({"movie", "movies", "film", "films", "flick", "this", "it", "it's",
                        "show", "watch", "watching", "recommend"})
READINGS_FILE = Path(__file__).resolve().parents[1] / "assets" / "short_texts" / "readings.csv"
READINGS = {"P": 1, "N": 0, "X": None}  # a reading and the label it gives
NEGATION_REACH = 3  # words after a negation that it can turn
COLUMNS = ["text", "label", "stars", "review_id"]  # of every set of sentences cut here
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z']+")
_NEGATION = re.compile(r"(?:not|never|no|nothing|hardly|without|\w+n't)")


@functools.cache
def opinion_words() -> frozenset[str]:
    """Words VADER's lexicon rates at least `OPINION_STRENGTH` either way."""
    from core.vader import vader_analyzer

    lexicon = vader_analyzer().lexicon
    return frozenset(word for word, rating in lexicon.items()
                     if abs(rating) >= OPINION_STRENGTH)


def sentences(text: str) -> list[str]:
    """A review cut at sentence ends (., ! or ? followed by a space)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def is_opinion(sentence: str) -> bool:
    """Whether a sentence is a verdict on the film: 3-25 words, one of them naming the
    film, one an opinion word."""
    words = _WORD.findall(sentence.lower())
    return (MIN_WORDS <= len(words) <= MAX_WORDS and not FILM_WORDS.isdisjoint(words)
            and not opinion_words().isdisjoint(words))


def negates_opinion(sentence: str) -> bool:
    """Whether a sentence of 3-25 words has a negation at most `NEGATION_REACH` words
    before an opinion word ("not good", "never got bored", "wasn't a bad film")."""
    words = _WORD.findall(sentence.lower())
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    opinions = opinion_words()
    return any(_NEGATION.fullmatch(word) and not opinions.isdisjoint(
        words[i + 1:i + 1 + NEGATION_REACH]) for i, word in enumerate(words))


def _clear_reviews(reviews: pd.DataFrame) -> pd.DataFrame:
    return reviews[reviews["stars"].isin(NEGATIVE_STARS + POSITIVE_STARS)]


def negation_sentences(reviews: pd.DataFrame) -> pd.DataFrame:
    """Every sentence of the clear reviews (1-2 or 9-10 stars) among `reviews` that
    `negates_opinion`, labelled with its review's stars (columns as `verdict_sentences`)."""
    rows = [{"text": sentence, "label": int(review.label), "stars": int(review.stars),
             "review_id": int(review.id)}
            for review in _clear_reviews(reviews).itertuples()
            for sentence in sentences(review.text) if negates_opinion(sentence)]
    return pd.DataFrame(rows, columns=COLUMNS)


def verdict_sentences(reviews: pd.DataFrame, per_review: int | None = None,
                      seed: int = 0) -> pd.DataFrame:
    """The verdict sentences (`is_opinion`) of the clear reviews (1-2 or 9-10 stars) among
    `reviews`, each labelled with its review's stars: columns text, label, stars,
    review_id. `per_review` keeps at most that many of each review's (a seeded choice)."""
    rng = np.random.default_rng(seed)
    rows = []
    for review in _clear_reviews(reviews).itertuples():
        found = [s for s in sentences(review.text) if is_opinion(s)]
        if per_review is not None and len(found) > per_review:
            found = [found[i] for i in sorted(rng.choice(len(found), per_review,
                                                         replace=False))]
        rows += [{"text": sentence, "label": int(review.label), "stars": int(review.stars),
                  "review_id": int(review.id)} for sentence in found]
    return pd.DataFrame(rows, columns=COLUMNS)


def short_text_set(data: ImdbData, config: ModelConfig) -> pd.DataFrame:
    """The development set for runs split like `config`: the verdict sentences of the
    reviews such a run holds back (columns text, label, stars, review_id)."""
    from core.training import split_reviews

    _, held_back = split_reviews(config, data)
    return verdict_sentences(held_back)


def sentence_key(text: str) -> str:
    """A short, stable name for a sentence's text (its words, spacing ignored)."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


@functools.cache
def _readings(path: Path) -> pd.DataFrame:
    readings = pd.read_csv(path, dtype={"review_id": int, "label": int, "sentence": str,
                                        "reading": str})
    if not set(readings["reading"]) <= set(READINGS):
        raise ValueError(f"{path}: readings must be one of {sorted(READINGS)}")
    return readings


def with_readings(texts: pd.DataFrame, path: Path = READINGS_FILE) -> pd.DataFrame:
    """`texts` (from `verdict_sentences`) with a `reading` column: P, N or X as read on its
    own, or missing where the sentence was never read."""
    readings = _readings(path)
    keyed = texts.assign(sentence=texts["text"].map(sentence_key))
    merged = keyed.merge(readings[["review_id", "label", "sentence", "reading"]],
                         on=["review_id", "label", "sentence"], how="left")
    return merged.drop(columns="sentence").set_axis(texts.index)


def clearly_read(texts: pd.DataFrame, path: Path = READINGS_FILE) -> pd.DataFrame:
    """The sentences of `texts` whose reading on their own agrees with their review's stars."""
    read = with_readings(texts, path)
    return texts[read["reading"].map(READINGS).eq(read["label"]).to_numpy()]


@dataclass(frozen=True)
class ShortTextScore:
    """How a model does on the set: accuracy (Neutral counts as its lean) and how often
    it says Neutral."""

    texts: int
    accuracy: float
    neutral_share: float
    accuracy_when_decided: float


def score(probabilities: np.ndarray, labels: np.ndarray, band: float) -> ShortTextScore:
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=int)
    right = (p > 0.5) == (y == 1)
    neutral = np.abs(p - 0.5) < band
    decided = ~neutral
    return ShortTextScore(
        texts=len(y), accuracy=float(right.mean()) if len(y) else float("nan"),
        neutral_share=float(neutral.mean()) if len(y) else float("nan"),
        accuracy_when_decided=float(right[decided].mean()) if decided.any() else float("nan"),
    )
