"""Accuracy per slice of the test reviews, LIT-style: where a model is right and where it
is not, by review length, by whether the review has a negation, and by star rating.

The test reviews only report here (nothing is chosen on them): `core.pretrain` scores all
25,000 with each shipped model once and keeps the figures in `assets/models/slices.json`,
which the Classify page shows under "How good are these models?".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

SLICES_FILE = "slices.json"
NEGATION = re.compile(r"\b(?:not|no|never|nothing|nobody|none|neither|nor|hardly|barely)\b"
                      r"|n't\b", re.IGNORECASE)
LENGTHS = (("under 120 words", 0, 119), ("120 to 300 words", 120, 300),
           ("over 300 words", 301, 10**9))  # bounds included
STARS = (("1-2 stars", 1, 2), ("3-4 stars", 3, 4), ("7-8 stars", 7, 8), ("9-10 stars", 9, 10))


def slice_masks(frame: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(slice, group) -> which rows of `frame` (columns text, n_words, stars) belong."""
    words = frame["n_words"].to_numpy()
    stars = frame["stars"].to_numpy(dtype=float)
    negated = frame["text"].str.contains(NEGATION).to_numpy(dtype=bool)
    masks = {("all", "all reviews"): np.ones(len(frame), dtype=bool)}
    for name, low, high in LENGTHS:
        masks[("length", name)] = (words >= low) & (words <= high)
    masks[("negation", "with a negation")] = negated
    masks[("negation", "without one")] = ~negated
    for name, low, high in STARS:
        masks[("stars", name)] = (stars >= low) & (stars <= high)
    return masks


def slice_accuracy(frame: pd.DataFrame, probabilities: np.ndarray) -> list[dict[str, Any]]:
    """One row per slice group: how many reviews, and the accuracy at P = 0.5."""
    labels = frame["label"].to_numpy(dtype=int)
    right = (np.asarray(probabilities) >= 0.5) == (labels == 1)
    return [{"slice": name, "group": group, "reviews": int(mask.sum()),
             "accuracy": float(right[mask].mean()) if mask.any() else None}
            for (name, group), mask in slice_masks(frame).items()]


def slice_table(measured: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rows for the page: one per group, a column of accuracy per model."""
    models = list(measured)
    if not models:
        return []
    table = []
    for i, row in enumerate(measured[models[0]]):
        table.append({"slice": row["group"], "reviews": row["reviews"],
                      **{model: measured[model][i]["accuracy"] for model in models}})
    return table


def shipped_slices(folder: Any = None) -> dict[str, Any] | None:
    """The shipped models' figures per slice (`core.pretrain.slice_metrics`), or None."""
    import json

    from core.runs import SHIPPED_DIR

    try:
        value = json.loads(((folder or SHIPPED_DIR) / SLICES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and isinstance(value.get("models"), dict) else None
