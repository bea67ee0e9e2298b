"""Which words decided: occlusion contributions for any sentiment model.

A word's contribution is how much the model's verdict moves when that word alone is taken
out of the review: `logit(p(review)) - logit(p(review without the word))`. Positive values
pushed the review towards Positive, negative towards Negative. Log-odds rather than
probabilities, because a confident model (p = 0.99) barely moves in probability when one
word goes, yet the word may still have mattered a lot.

Occlusion needs only a `predict(list[str]) -> P(positive)` function, so the same code
explains every architecture, the user's own runs and any future model. All the variants
of one review go through the model in a few batches. A model runs every one of its
`seq_len` steps whatever the review's length, so the cost is (variants x seq_len), kept
under `MAX_OCCLUSION_STEPS`: past that, only the first words are explained and
`Explanation.unexplained` counts the rest (which still count in every variant).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.predict import clip_review
from core.text import tokenize_all

Predict = Callable[[Sequence[str]], np.ndarray]
_WORD = re.compile(r"\S+")
_EPS = 1e-6
# Token steps one explanation may cost: 401 variants of a 500-token review, so the shipped
# models (500-token window) explain their first 400 words, most IMDB reviews whole. Every
# variant costs the same 500 steps; the shipped BiLSTM took 1.1-1.4 CPU-seconds for the 401
# on the 2-core dev machine under load (`make bench` prints explain_1mb_s).
MAX_OCCLUSION_STEPS = 200_500


@dataclass(frozen=True)
class Explanation:
    """Per-word contributions for one review.

    `words` and `gaps` rebuild the text as the user typed it (`gaps[i]` precedes
    `words[i]`, `gaps[-1]` ends it); `contributions[i]` is NaN for a word the model does
    not read (only punctuation, or beyond its sequence length) and for the `unexplained`
    words it reads past the cost limit.
    """

    words: list[str]
    gaps: list[str]
    contributions: np.ndarray
    probability: float
    truncated: bool
    unexplained: int = 0

    def top(self, n: int = 8, positive: bool = True) -> list[tuple[str, float]]:
        """The `n` strongest words pushing one way, each word once (its strongest showing)."""
        pushing = [(word, float(value)) for word, value in zip(self.words, self.contributions,
                                                               strict=True)
                   if not np.isnan(value) and (value > 0 if positive else value < 0)]
        best: dict[str, float] = {}
        for tokens, (_, value) in zip(tokenize_all([w for w, _ in pushing]), pushing, strict=True):
            token = " ".join(tokens)
            if token not in best or abs(value) > abs(best[token]):
                best[token] = value
        ranked = sorted(best.items(), key=lambda item: abs(item[1]), reverse=True)
        return ranked[:n]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def split_words(text: str) -> tuple[list[str], list[str]]:
    """Words (runs of non-space) and the whitespace around them."""
    words, gaps, end = [], [], 0
    for match in _WORD.finditer(text):
        gaps.append(text[end:match.start()])
        words.append(match.group())
        end = match.end()
    gaps.append(text[end:])
    return words, gaps


def occlusion(text: str, predict: Predict, seq_len: int, batch_size: int = 256,
              max_steps: int = MAX_OCCLUSION_STEPS) -> Explanation:
    """Contributions of the words the model reads, from one batched pass over variants.

    Each variant costs `seq_len` steps, so at most `max_steps // seq_len - 1` words are
    explained (the first ones); the rest still count in every variant.
    """
    clipped, truncated = clip_review(text, seq_len)
    words, gaps = split_words(clipped)
    # Only words that become tokens within the first `seq_len` can matter to the model.
    readable: list[int] = []
    tokens_seen = 0
    for index, word_tokens in enumerate(tokenize_all(words)):
        if tokens_seen >= seq_len:
            truncated = True
            break
        n = len(word_tokens)
        if n:
            readable.append(index)
            tokens_seen += n
    # Words past the reading window are dropped from every variant: they cannot matter,
    # and the batch stays small even for a megabyte of text.
    last = readable[-1] + 1 if readable else 0
    kept = words[:last]
    explained = readable[:max(1, max_steps // max(1, seq_len) - 1)]
    variants = [" ".join(kept)]
    variants += [" ".join(kept[:i] + kept[i + 1:]) for i in explained]
    probs = np.concatenate([
        np.asarray(predict(variants[start:start + batch_size]), dtype=np.float64).reshape(-1)
        for start in range(0, len(variants), batch_size)
    ])
    contributions = np.full(len(words), np.nan)
    if explained:
        contributions[explained] = _logit(probs[:1]) - _logit(probs[1:])
    return Explanation(words=words, gaps=gaps, contributions=contributions,
                       probability=float(probs[0]), truncated=truncated,
                       unexplained=len(readable) - len(explained))


MARKED_STRENGTH = 0.3  # words at least this strong (of the 95th percentile) get a +/− mark


def _rgb(hex_colour: str) -> str:
    return ",".join(str(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5))


def _colour(value: float, scale: float) -> str:
    from core.charts import NEGATIVE_COLOR, POSITIVE_COLOR

    if np.isnan(value) or value == 0 or scale <= 0:
        return "transparent"  # a word that moved nothing has no colour (nor sign)
    strength = min(1.0, abs(value) / scale)
    rgb = _rgb(POSITIVE_COLOR if value > 0 else NEGATIVE_COLOR)
    return f"rgba({rgb},{0.08 + 0.62 * strength:.2f})"


def _mark(value: float, scale: float) -> str:
    """A +/− after a strong word, so colour is not the only sign."""
    if np.isnan(value) or scale <= 0 or abs(value) < MARKED_STRENGTH * scale:
        return ""
    return f"<sup>{'+' if value > 0 else '−'}</sup>"


def contributions_html(explanation: Explanation, max_words: int = 2000) -> str:
    """The review as coloured, escaped HTML: green (+) pushed to Positive, orange (−) to
    Negative; strong words carry the sign as a mark, not only as a colour.

    Every piece of the user's text goes through `html.escape`, so markup in a review is
    shown as text and never run.
    """
    values = explanation.contributions
    finite = np.abs(values[~np.isnan(values)])
    scale = float(np.percentile(finite, 95)) if finite.size else 0.0
    parts = ['<div style="line-height:2.1;font-size:1.02rem;">']
    shown = min(len(explanation.words), max_words)
    for i in range(shown):
        # Windows and old Mac line ends would otherwise reach the page as a stray \r.
        gap = explanation.gaps[i].replace("\r\n", "\n").replace("\r", "\n")
        gap = html.escape(gap).replace("\n", "<br>")
        word = html.escape(explanation.words[i])
        value = values[i]
        if np.isnan(value):
            parts.append(f'{gap}<span style="color:#9e9e9e">{word}</span>')
            continue
        parts.append(
            f'{gap}<span title="{value:+.3f}" style="background:{_colour(value, scale)};'
            f'padding:2px 3px;border-radius:4px">{word}{_mark(value, scale)}</span>'
        )
    if shown < len(explanation.words) or explanation.truncated:
        parts.append(' <span style="color:#9e9e9e">… (not read by the model)</span>')
    if explanation.unexplained:
        parts.append(f'<br><span style="color:#9e9e9e">The last {explanation.unexplained:,} '
                     'words the model reads are grey: not explained, to keep this near a '
                     'second.</span>')
    parts.append("</div>")
    return "".join(parts)
