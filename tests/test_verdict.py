"""The one verdict: Positive, Neutral or Negative."""


import pytest

from core import verdict


def test_vader_label_follows_the_seed_rule():
    assert verdict.vader_label(0.0) == "Neutral"
    assert verdict.vader_label(0.0001) == "Positive"
    assert verdict.vader_label(-0.0001) == "Negative"


def test_model_label_has_a_neutral_band_around_one_half():
    assert verdict.model_label(0.5) == "Neutral"
    assert verdict.model_label(0.41) == "Neutral" and verdict.model_label(0.59) == "Neutral"
    assert verdict.model_label(0.6) == "Positive" and verdict.model_label(0.97) == "Positive"
    assert verdict.model_label(0.4) == "Negative" and verdict.model_label(0.02) == "Negative"
    with pytest.raises(ValueError):
        verdict.model_label(float("nan"))
