"""Vanishing and exploding gradients measured on real (tiny) Keras models."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import gradients
from core.jobs import JobContext


def test_long_range_labels_depend_only_on_the_first_token():
    ids, labels = gradients.long_range_data(length=12, n=200, seed=1)
    assert ids.shape == (200, 13) and labels.mean() == 0.5
    assert set(ids[:, 0]) == set(gradients.SIGNAL_TOKENS)
    assert np.array_equal(labels == 1, ids[:, 0] == gradients.SIGNAL_TOKENS[1])
    assert ids[:, 1:].min() >= gradients.FIRST_DISTRACTOR  # distractors never look like a signal
    again, _ = gradients.long_range_data(length=12, n=200, seed=1)
    assert np.array_equal(ids, again)


def test_gradient_vanishes_faster_through_simple_rnn_than_lstm():
    settings = gradients.LongRangeSettings()
    ids, labels = gradients.long_range_data(20, 128, settings.vocab_size, seed=settings.seed)
    ratios = {}
    for arch in ("simple_rnn", "lstm"):
        model = gradients.long_range_model(arch, settings.units, settings.embed_dim,
                                           settings.vocab_size, settings.learning_rate,
                                           settings.seed, settings.input_scale)
        norms = gradients.step_gradient_norms(model, ids, labels)
        assert norms.shape == (21,) and np.isfinite(norms).all() and (norms > 0).all()
        ratios[arch] = gradients.first_to_last_ratio(norms)
    assert ratios["simple_rnn"] < ratios["lstm"] < 1.0


@pytest.mark.slow
def test_long_range_experiment_publishes_each_run_and_honours_stop():
    settings = gradients.LongRangeSettings(lengths=[4, 2], archs=["simple_rnn", "gru"],
                                           train_size=64, epochs=1, test_size=32)
    job = JobContext("test")
    results = gradients.run_long_range(settings, job)
    assert [(r["length"], r["arch"]) for r in results] == [
        (2, "simple_rnn"), (2, "gru"), (4, "simple_rnn"), (4, "gru")]
    events = [e for e in job.events() if e.KIND == "result"]
    assert len(events) == 4 and job.progress == 1.0
    for result in results:
        assert 0.0 <= result["accuracy"] <= 1.0
        assert len(result["grad_norms"]) == result["length"] + 1

    stopped = JobContext("stopped")
    stopped.stop()
    assert gradients.run_long_range(settings, stopped) == []


def test_the_time_estimates_grow_with_the_work_from_the_measured_defaults():
    import dataclasses

    base = gradients.LongRangeSettings()
    assert 10 < gradients.long_range_expected_s(base) < 60  # about 20 s measured here
    longer = dataclasses.replace(base, lengths=[100, 200], epochs=8)
    assert gradients.long_range_expected_s(longer) > 2 * gradients.long_range_expected_s(base)
    fewer = dataclasses.replace(base, archs=["lstm"])
    assert gradients.long_range_expected_s(fewer) < gradients.long_range_expected_s(base)
    reviews = gradients.ReviewGradientSettings()
    assert 8 < gradients.reviews_expected_s(reviews) < 60  # 14.8 s measured here
    largest = dataclasses.replace(reviews, train_size=25_000, seq_len=1000)
    assert gradients.reviews_expected_s(largest) > 10 * gradients.reviews_expected_s(reviews)


def test_the_time_left_starts_from_the_estimate_and_ends_on_the_pace():
    from core.live import blended_eta

    # Two seconds of fixed costs paid for 0.1% of the bar: the pace alone says an hour.
    assert blended_eta(2.0, 0.001, None) == pytest.approx(1998.0)
    assert blended_eta(2.0, 0.001, 22.0) == pytest.approx(22.0, abs=2.5)
    assert blended_eta(0.0, 0.0, 22.0) == 22.0 and blended_eta(0.0, 0.0, None) is None
    # Near the end the measured pace decides.
    assert blended_eta(30.0, 0.9, 22.0) == pytest.approx(0.9 * 30 / 0.9 * 0.1, abs=0.1)


def test_settings_reject_absurd_values():
    bad = gradients.LongRangeSettings(lengths=[0, 5000], archs=["transformer"], units=0,
                                      learning_rate=float("nan"))
    assert {"lengths", "archs", "units", "learning_rate"} <= set(bad.validate())
    assert gradients.LongRangeSettings().validate() == {}
    assert "recurrent_gain" in gradients.ExplodingSettings(recurrent_gain=1e9).validate()
    assert "seq_len" in gradients.ReviewGradientSettings(seq_len=5).validate()


@pytest.mark.slow
def test_training_without_clipping_blows_up_and_with_clipping_does_not():
    results = gradients.run_exploding(gradients.ExplodingSettings())
    unclipped, clipped = results
    assert unclipped["clipnorm"] is None and clipped["clipnorm"] == 1.0
    assert unclipped["blew_up_at"] is not None
    assert math.isnan(unclipped["loss"][-1])
    assert len(unclipped["loss"]) == unclipped["blew_up_at"]  # the guard stopped training
    assert "exploded" in unclipped["message"] and "clip" in unclipped["message"]
    # The advice quotes the optimizer's own learning rate, read from the model.
    assert "learning rate (it is 0.05; try 0.005)" in unclipped["message"]
    assert clipped["blew_up_at"] is None
    assert len(clipped["loss"]) == gradients.ExplodingSettings().steps
    assert np.isfinite(clipped["loss"]).all() and np.isfinite(clipped["grad_norm"]).all()
    # Same weights, same first batch: the runs differ only from the first update on.
    assert clipped["loss"][0] == unclipped["loss"][0]
    # The gradient grows going back in time: the mirror image of vanishing.
    assert gradients.first_to_last_ratio(unclipped["initial_step_norms"]) > 10


def test_the_shared_nan_guard_explains_the_blow_up_and_advises():
    from core.live import BlowUp

    unclipped = BlowUp(epoch=0, batch=4, step=5, loss=float("nan"), learning_rate=0.05)
    text = unclipped.message("Nothing was saved.")
    assert "NaN at epoch 1, batch 5 (training step 5)" in text
    assert "exploding-gradient" in text and "Nothing was saved." in text
    assert "lower the learning rate (it is 0.05; try 0.005)" in text
    assert "clip the gradient norm (clipnorm, e.g. 1.0)" in text
    clipped = BlowUp(epoch=2, batch=0, step=31, loss=float("inf"), clipnorm=1.0).message()
    assert "infinite at epoch 3" in clipped and "clipnorm is 1; try 0.5" in clipped


@pytest.mark.slow
def test_gradients_on_real_reviews(imdb):
    settings = gradients.ReviewGradientSettings(seq_len=40, units=8, embed_dim=8,
                                                vocab_size=1000, train_size=100,
                                                probe_reviews=6, archs=["simple_rnn", "lstm"])
    job = JobContext("reviews")
    results = gradients.run_review_gradients(settings, imdb, job)
    assert [r["arch"] for r in results] == ["simple_rnn", "lstm"]
    for result in results:
        assert len(result["grad_norms"]) == 40 and result["reviews"] == 6
        assert np.isfinite(result["grad_norms"]).all()
    assert len([e for e in job.events() if e.KIND == "result"]) == 2
