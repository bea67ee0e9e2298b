"""Edit and rescore: change one word of a review (drop it, swap it, put "not" before it)
and see every model's verdict move, LIT-style, on the models the user is looking at.

    edited = edit_review("The plot was good.", 3, SWAP, "bad")   # "The plot was bad."
    rows = rescore({"LSTM": lstm.score, ...}, before, edited)

Words are the review's whitespace-separated pieces (`core.explain.split_words`), so the
rest of the text, its punctuation and line breaks stay exactly as typed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from core.explain import split_words
from core.verdict import model_label

DROP, SWAP, NEGATE = "drop", "swap", "not"
EDITS = {DROP: "Drop it", SWAP: "Swap it for…", NEGATE: "Put “not” before it"}
# A swap's first suggestion: the word's opposite, when it is a common verdict word.
_PAIRS = (("good", "bad"), ("great", "awful"), ("love", "hate"), ("loved", "hated"),
          ("best", "worst"), ("brilliant", "terrible"), ("wonderful", "dreadful"),
          ("excellent", "poor"), ("enjoyed", "disliked"), ("fun", "boring"),
          ("beautiful", "ugly"), ("masterpiece", "disaster"), ("funny", "unfunny"),
          ("like", "dislike"), ("liked", "disliked"), ("amazing", "mediocre"),
          ("perfect", "flawed"), ("recommend", "avoid"), ("well", "badly"),
          # a negation's swap that flips it: "not good" -> "really good"
          ("not", "really"), ("never", "always"))
OPPOSITES = {**dict(_PAIRS), **{b: a for a, b in _PAIRS}}
_CORE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)  # a word's leading/trailing punctuation
_WORD = re.compile(r"[^\W_]")  # a letter or digit: something a model reads


@dataclass(frozen=True)
class Rescored:
    """One model's verdict before and after the edit."""

    model: str
    before: float  # P(positive)
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def flipped(self) -> bool:
        return model_label(self.before) != model_label(self.after)

    def row(self) -> dict[str, object]:
        before, after = model_label(self.before), model_label(self.after)
        return {"model": self.model, "before": self.before, "after": self.after,
                "change": self.change,
                "verdict": f"{before} → {after}" if before != after else before}


def word_labels(words: Sequence[str]) -> list[str]:
    """One label per word, a repeated word numbered by its place ("good", "good (2)").

    A picked chip is known by its label, so two chips both labelled "good" would send
    the edit to the last "good" whichever one was clicked."""
    seen: Counter[str] = Counter()
    labels = []
    for word in words:
        seen[word] += 1
        labels.append(word if seen[word] == 1 else f"{word} ({seen[word]})")
    return labels


def opposite(word: str) -> str:
    """The swap to suggest for a word: its opposite if known, else the word itself."""
    lead, core, trail = _CORE.match(word).groups()
    found = OPPOSITES.get(core.lower())
    if found is None:
        return core
    return found.capitalize() if core[:1].isupper() else found


def edit_review(text: str, index: int, edit: str, replacement: str = "") -> str:
    """`text` with its word `index` dropped, swapped for `replacement` (the word's own
    punctuation kept: "good," -> "bad,") or preceded by "not". ValueError if `index` is
    not a word of the text or the edit is unknown."""
    words, gaps = split_words(text)
    if not 0 <= index < len(words):
        raise ValueError(f"The review has {len(words)} words; there is no word {index + 1}.")
    lead, core, trail = _CORE.match(words[index]).groups()
    if edit == DROP:
        if not any(_WORD.search(w) for i, w in enumerate(words) if i != index):
            raise ValueError("This is the review's only word: dropping it leaves nothing to "
                             "score. Swap it, or put \"not\" before it.")
        # The word and the space before it go (the first word takes the space after it).
        if index == 0:
            return gaps[0] + "".join(w + g for w, g in zip(words[1:], gaps[2:], strict=True))
        gaps, words = gaps[:index] + gaps[index + 1:], words[:index] + words[index + 1:]
    elif edit == SWAP:
        new = " ".join(str(replacement).split())
        if not new:
            raise ValueError("Type the word to swap in.")
        words = [*words[:index], lead + new + trail, *words[index + 1:]]
    elif edit == NEGATE:
        words = [*words[:index], f"{lead}not {core}{trail}", *words[index + 1:]]
    else:
        raise ValueError(f"Unknown edit {edit!r}.")
    return gaps[0] + "".join(w + g for w, g in zip(words, gaps[1:], strict=True))


def rescore(scorers: Mapping[str, Callable[[str], float]], before: str,
            after: str) -> list[Rescored]:
    """Every model's P(positive) for the review before and after the edit."""
    return [Rescored(name, float(score(before)), float(score(after)))
            for name, score in scorers.items()]
