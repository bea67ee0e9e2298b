"""Reliability, expected calibration error and temperature scaling, on numbers whose answer
is known, and on a real shipped model's held-back predictions."""

import numpy as np
import pytest

from core import calibration


def test_a_calibrated_model_has_a_small_ece_and_an_overconfident_one_a_large_one():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20_000)
    labels = (rng.uniform(0, 1, p.size) < p).astype(int)  # P(positive) is the truth
    honest = calibration.reliability(p, labels)
    assert honest.ece < 0.02 and sum(honest.count) == honest.reviews == p.size
    for c, a in zip(honest.confidence, honest.accuracy, strict=True):
        assert a == pytest.approx(c, abs=0.05)
    sharp = calibration.with_temperature(p, 0.3)  # the same verdicts, far more confident
    assert np.array_equal(sharp >= 0.5, p >= 0.5)
    assert calibration.reliability(sharp, labels).ece > 0.1
    # Temperature scaling finds the softening back (T near 1 / 0.3).
    assert calibration.fit_temperature(sharp, labels) == pytest.approx(1 / 0.3, rel=0.1)
    assert calibration.fit_temperature(p, labels) == pytest.approx(1.0, rel=0.1)


def test_the_neutral_band_of_a_calibrated_model_is_close_to_a_coin_toss():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 20_000)
    labels = (rng.uniform(0, 1, p.size) < p).astype(int)
    count, accuracy = calibration.neutral_accuracy(p, labels, band=0.1)
    assert count == pytest.approx(4_000, rel=0.1)
    assert accuracy == pytest.approx(0.55, abs=0.03)  # leaning 50-60% is right ~55%
    assert calibration.neutral_accuracy([0.9, 0.1], [1, 0], band=0.1) == (0, None)


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="one label per prediction"):
        calibration.reliability([0.5], [1, 0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        calibration.reliability([1.5], [1])
    with pytest.raises(ValueError, match="0 .negative. or 1"):
        calibration.reliability([0.5], [2])
    with pytest.raises(ValueError, match="positive number"):
        calibration.with_temperature([0.5], 0.0)
    back = calibration.Reliability.from_dict(calibration.reliability([0.9, 0.2], [1, 1]).to_dict())
    assert back.reviews == 2 and back.ece == pytest.approx((0.1 + 0.8) / 2)


def test_the_reliability_chart_shows_a_bin_far_below_the_diagonal():
    from core.charts.classify import reliability_chart

    # Two reviews at 55-60% confidence, both wrong: that bin is right 0% of the time.
    curve = calibration.reliability([0.57, 0.42, 0.95, 0.97], [0, 1, 1, 1])
    fig = reliability_chart({"LSTM": ("lstm", curve)})
    assert min(y for y in fig.data[1].y if y is not None) == 0.0
    assert fig.layout.yaxis.range[0] <= 0.0
