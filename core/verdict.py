"""The one verdict: Positive, Neutral or Negative, for a model's P(positive) or VADER's
compound score. Every page and figure says it with these functions.

A model says Positive or Negative unless its probability lies inside the neutral band
`0.5 ± NEUTRAL_BAND` (0.4 to 0.6), where it says Neutral: a model that is barely sure
either way should not be read as a verdict. VADER follows the seed notes' rule on its
compound score: 0 is Neutral, above is Positive, below is Negative.
"""

from __future__ import annotations

import math

NEUTRAL_BAND = 0.1
POSITIVE, NEGATIVE, NEUTRAL = "Positive", "Negative", "Neutral"
NO_VERDICT = "No verdict: no known words"  # a model that knows none of the words read


def model_label(probability: float, band: float = NEUTRAL_BAND) -> str:
    """Positive / Negative, or Neutral when `probability` is within `band` of 0.5."""
    if not math.isfinite(probability):
        raise ValueError("The probability is not a number.")
    if 0.5 - band < probability < 0.5 + band:
        return NEUTRAL
    return POSITIVE if probability > 0.5 else NEGATIVE


def vader_label(compound: float) -> str:
    """The seed notes' rule: compound 0 is Neutral, above is Positive, below is Negative."""
    if compound > 0:
        return POSITIVE
    if compound < 0:
        return NEGATIVE
    return NEUTRAL
