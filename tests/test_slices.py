"""Accuracy per slice of the test reviews, and the shipped figures beside the models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import catalog, slices
from core.runs import SHIPPED_DIR


def test_each_review_falls_in_the_slices_it_should():
    frame = pd.DataFrame({
        "text": ["I did not like it", "Great fun", "Nothing works", "I can't say", "Fine"],
        "n_words": [5, 150, 400, 119, 300],
        "stars": [1, 10, 3, 8, 7],
        "label": [0, 1, 0, 1, 1],
    })
    masks = slices.slice_masks(frame)
    assert list(masks[("negation", "with a negation")]) == [True, False, True, True, False]
    assert list(masks[("length", "under 120 words")]) == [True, False, False, True, False]
    assert list(masks[("length", "over 300 words")]) == [False, False, True, False, False]
    assert list(masks[("stars", "7-8 stars")]) == [False, False, False, True, True]
    rows = {r["group"]: r for r in slices.slice_accuracy(
        frame, np.array([0.2, 0.9, 0.7, 0.4, 0.8]))}
    assert rows["all reviews"]["accuracy"] == pytest.approx(3 / 5)
    assert rows["with a negation"] == {"slice": "negation", "group": "with a negation",
                                       "reviews": 3, "accuracy": pytest.approx(1 / 3)}
    assert rows["3-4 stars"]["accuracy"] == 0.0


def test_the_shipped_slices_describe_the_shipped_models():
    measured = slices.shipped_slices()
    assert measured is not None and "25,000" in measured["measured_on"]
    names = {c.name for c in catalog.model_choices() if c.source != catalog.YOURS}
    assert set(measured["models"]) == names
    for choice in catalog.model_choices():
        if choice.source == catalog.YOURS:
            continue
        rows = {r["group"]: r for r in measured["models"][choice.name]}
        # The whole-test-set slice is the model's own stored test accuracy.
        assert rows["all reviews"]["reviews"] == 25_000
        assert rows["all reviews"]["accuracy"] == pytest.approx(choice.test_accuracy, abs=2e-3)
        length_total = sum(rows[g]["reviews"] for g, _, _ in slices.LENGTHS)
        assert length_total == 25_000
    table = slices.slice_table(measured["models"])
    assert table[0]["slice"] == "all reviews" and set(names) <= set(table[0])
    json.dumps(table)  # plain data for the page
    assert (SHIPPED_DIR / slices.SLICES_FILE).stat().st_size < 50_000
