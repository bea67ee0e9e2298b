"""Whether a model's P(positive) means what it says: reliability and temperature scaling.

A model is calibrated when, of the reviews it gives 70%, about 70% are positive. The
Classify page's Neutral band (P(positive) between 40% and 60%) only means "unsure" if the
probabilities are calibrated, so they are measured on reviews the model never trained on:
the held-back validation reviews of the training split, never the test set (Guo et al.,
2017, "On Calibration of Modern Neural Networks").

- `reliability` bins the predictions by their confidence and compares each bin's mean
  confidence with its accuracy; the expected calibration error (ECE) is the bins'
  size-weighted gap.
- `fit_temperature` finds the one number T that divides every logit so the held-back
  reviews' log loss is lowest: T > 1 softens an over-confident model, T < 1 sharpens an
  under-confident one. The verdict (which side of 50%) never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BINS = 10
CALIBRATION_FILE = "calibration.json"  # beside a run's model (`core.pretrain.calibrate`)
EPSILON = 1e-7


@dataclass(frozen=True)
class Reliability:
    """Predictions grouped by confidence (the probability of the predicted class)."""

    lower: list[float]  # each bin's bounds, from 0.5 to 1
    upper: list[float]
    count: list[int]
    confidence: list[float | None]  # mean confidence in the bin (None when it is empty)
    accuracy: list[float | None]  # share of the bin's predictions that are right
    ece: float  # expected calibration error: mean |confidence - accuracy|, by bin size
    reviews: int

    def to_dict(self) -> dict:
        return {"lower": self.lower, "upper": self.upper, "count": self.count,
                "confidence": self.confidence, "accuracy": self.accuracy, "ece": self.ece,
                "reviews": self.reviews}

    @classmethod
    def from_dict(cls, value: dict) -> Reliability:
        return cls(lower=list(value["lower"]), upper=list(value["upper"]),
                   count=[int(c) for c in value["count"]], confidence=list(value["confidence"]),
                   accuracy=list(value["accuracy"]), ece=float(value["ece"]),
                   reviews=int(value["reviews"]))


def _checked(probabilities: Sequence[float], labels: Sequence[int]) -> tuple[np.ndarray, ...]:
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    y = np.asarray(labels, dtype=np.float64).reshape(-1)
    if len(p) == 0 or len(p) != len(y):
        raise ValueError("Calibration needs one label per prediction, and at least one.")
    if not (np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()):
        raise ValueError("Probabilities must be numbers between 0 and 1.")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("Labels must be 0 (negative) or 1 (positive).")
    return p, y


def reliability(probabilities: Sequence[float], labels: Sequence[int],
                bins: int = BINS) -> Reliability:
    """Bin P(positive) by confidence, max(p, 1 - p), into `bins` equal bins from 0.5 to 1."""
    p, y = _checked(probabilities, labels)
    confidence = np.maximum(p, 1 - p)
    right = (p >= 0.5) == (y == 1)
    edges = np.linspace(0.5, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    count, mean_conf, acc = [], [], []
    gap = 0.0
    for b in range(bins):
        members = index == b
        n = int(members.sum())
        count.append(n)
        if n:
            c, a = float(confidence[members].mean()), float(right[members].mean())
            gap += n * abs(c - a)
            mean_conf.append(c)
            acc.append(a)
        else:
            mean_conf.append(None)
            acc.append(None)
    return Reliability(lower=edges[:-1].tolist(), upper=edges[1:].tolist(), count=count,
                       confidence=mean_conf, accuracy=acc, ece=gap / len(p), reviews=len(p))


def logits(probabilities: Sequence[float]) -> np.ndarray:
    p = np.clip(np.asarray(probabilities, dtype=np.float64), EPSILON, 1 - EPSILON)
    return np.log(p) - np.log1p(-p)


def with_temperature(probabilities: Sequence[float], temperature: float) -> np.ndarray:
    """P(positive) with every logit divided by `temperature`."""
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError("The temperature must be a positive number.")
    return 1.0 / (1.0 + np.exp(-logits(probabilities) / temperature))


def log_loss(probabilities: Sequence[float], labels: Sequence[int]) -> float:
    p, y = _checked(probabilities, labels)
    p = np.clip(p, EPSILON, 1 - EPSILON)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def fit_temperature(probabilities: Sequence[float], labels: Sequence[int]) -> float:
    """The temperature (between 0.05 and 20) that minimises the log loss of `labels`."""
    from scipy.optimize import minimize_scalar

    p, y = _checked(probabilities, labels)
    z = logits(p)

    def loss(log_t: float) -> float:
        q = np.clip(1.0 / (1.0 + np.exp(-z / np.exp(log_t))), EPSILON, 1 - EPSILON)
        return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))

    found = minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(found.x))


def neutral_accuracy(probabilities: Sequence[float], labels: Sequence[int],
                     band: float) -> tuple[int, float | None]:
    """How many predictions fall in the Neutral band, and how often their lean is right
    (near 50% means Neutral really is "unsure")."""
    p, y = _checked(probabilities, labels)
    inside = (p > 0.5 - band) & (p < 0.5 + band)
    if not inside.any():
        return 0, None
    return int(inside.sum()), float(((p[inside] >= 0.5) == (y[inside] == 1)).mean())
