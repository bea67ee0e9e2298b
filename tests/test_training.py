"""Training through the job API on tiny configs: events, stop, NaN guard, queue, reloading."""

import dataclasses
import json
import os
import time

import numpy as np
import pytest

from core import curves, scoring, training
from core.config import ModelConfig
from core.events import Epoch
from core.jobs import DONE, FAILED, STOPPED, JobContext, engine
from core.runs import RunStore, run_evaluation

pytestmark = pytest.mark.slow  # trains models or runs jobs on Ray


def tiny(**changes) -> ModelConfig:
    values = dict(vocab_size=400, seq_len=32, embed_dim=8, units=8, batch_size=32, epochs=2,
                  train_size=240, val_share=0.2, seed=7)
    values.update(changes)
    return ModelConfig(**values)


@pytest.fixture(scope="module")
def small(imdb):
    """The real reviews, with the test set cut to 200 so that evaluation is quick."""
    test = imdb.test.sample(200, random_state=1).reset_index(drop=True)
    return dataclasses.replace(imdb, test=test)


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


def test_job_publishes_ordered_events_and_the_saved_run_predicts_as_before(small, store):
    job = training.submit_training(tiny(), small, name="tiny <b>LSTM</b>", owner="alice",
                                   store=store)
    assert job.wait(300) and job.state == DONE, job.error
    events = job.events()
    kinds = [e.KIND for e in events]
    assert kinds[:2] == ["config", "stage"] and kinds[-1] == "saved"
    batches = [(e.epoch, e.step) for e in events if e.KIND == "batch"]
    assert batches == [(epoch, step) for epoch in range(2) for step in range(6)]
    epoch_at = [i for i, k in enumerate(kinds) if k == "epoch"]
    assert len(epoch_at) == 2 and kinds[epoch_at[0] - 1] == "batch"
    first = next(e for e in events if e.KIND == "batch")
    assert first.samples_per_s > 0 and 0 <= first.batch_accuracy <= 1
    assert [e.t for e in events] == sorted(e.t for e in events)
    assert job in engine().jobs("alice", kind=training.JOB_KIND)
    assert job not in engine().jobs("bob", kind=training.JOB_KIND)

    [info] = store.list()
    assert info.run_id == job.result and info.status == "done"
    assert info.name == "tiny <b>LSTM</b>" and info.key == tiny().key()
    metrics = info.metrics
    assert metrics["train_reviews"] == 192 and metrics["val_reviews"] == 48
    assert metrics["test_reviews"] == 200 and metrics["epochs_run"] == 2
    assert metrics["latency_one_ms"] > 0 and metrics["epoch_s"] > 0

    loaded = store.load(job.result)
    assert len(loaded.history["epoch_s"]) == 2
    probabilities = loaded.predict(small.test["text"].tolist())
    labels = small.test["label"].to_numpy()
    assert np.mean((probabilities >= 0.5) == (labels == 1)) == metrics["test_accuracy"]
    evaluation = json.loads((store.root / job.result / "evaluation.json").read_text())
    assert np.sum(evaluation["confusion"]) == 200
    by_id = dict(zip(small.test["id"].astype(str), probabilities, strict=True))
    for mistake in evaluation["mistakes"]:
        assert mistake["p_positive"] == pytest.approx(by_id[mistake["id"]], abs=1e-5)
        assert (mistake["p_positive"] >= 0.5) != bool(mistake["label"])
    assert len(loaded.history["val_accuracy"]) == 2
    assert len(loaded.history["batches"]["batch_loss"]) == 12


def test_same_seed_and_settings_give_the_same_curve(small, store):
    config = tiny(epochs=1, arch="gru", dropout=0.3)
    first = store.load(training.train_sentiment(config, small, store=store))
    second = store.load(training.train_sentiment(config, small, store=store))
    assert first.history["batches"] == second.history["batches"]
    assert first.metrics["test_accuracy"] == second.metrics["test_accuracy"]
    other = store.load(training.train_sentiment(tiny(epochs=1, arch="gru", dropout=0.3,
                                                     seed=8), small, store=store))
    assert other.history["batches"]["loss"] != first.history["batches"]["loss"]


def stop_after(job, kind: str) -> float:
    """Stop `job` as soon as it published an event of `kind`; when it was asked."""
    deadline = time.monotonic() + 120
    while not any(e.KIND == kind for e in job.events()):
        assert time.monotonic() < deadline and not job.finished, job.error
        time.sleep(0.02)
    job.stop()
    return time.time()


def test_stop_is_honoured_within_a_batch_and_saves_a_stopped_run(small, store):
    job = training.submit_training(tiny(epochs=50, train_size=400), small, store=store)
    assert job.pid != os.getpid() or job.state == "queued"  # trained in a Ray worker
    stopped_at = stop_after(job, "epoch")
    assert job.wait(120) and job.state == STOPPED, job.error
    late = [e for e in job.events() if e.KIND == "batch" and e.t > stopped_at]
    assert len(late) <= 1
    info = store.info(job.result)
    assert info.status == "stopped" and "(stopped)" in info.name
    assert 1 <= info.metrics["epochs_run"] < 50
    assert store.load(job.result).predict(["a fine film"]).shape == (1,)


def test_a_run_stopped_inside_its_first_epoch_keeps_what_it_learnt(small, store):
    job = training.submit_training(tiny(epochs=50, train_size=400, batch_size=8), small,
                                   store=store)
    stopped_at = stop_after(job, "batch")
    assert job.wait(120) and job.state == STOPPED, job.error
    assert len([e for e in job.events() if e.KIND == "batch" and e.t > stopped_at]) <= 1
    info = store.info(job.result)
    assert info.status == "stopped" and info.metrics["val_accuracy"] is not None
    assert 0 < info.metrics["epochs_run"] < 1  # the share of the first epoch it read
    assert store.load(job.result).history["complete"] == [False]


def test_a_crashed_job_resumes_from_its_last_finished_epoch(small, store):
    import signal

    from core.jobs import engine

    job = training.submit_training(tiny(epochs=12, train_size=400), small, store=store)
    deadline = time.monotonic() + 120
    while not any(e.KIND == "batch" and e.epoch == 2 for e in job.events()):
        assert time.monotonic() < deadline and not job.finished, job.error
        time.sleep(0.01)
    os.kill(job.pid, signal.SIGKILL)  # mid-epoch 3, after two finished epochs
    assert job.wait(60) and job.state == FAILED and job.resumable
    assert store.list() == []  # nothing half-written
    resumed = engine().resume(job, data=small, store=store)
    assert resumed.wait(300) and resumed.state == DONE, resumed.error
    [resume] = [e for e in resumed.events() if e.KIND == "resume"]
    assert resume.epoch >= 2
    run = store.load(resumed.result)
    assert run.metrics["epochs_run"] == 12 and run.history["complete"] == [True] * 12
    steps = len(run.history["batches"]["step"]) // 12
    assert run.history["batches"]["epoch"] == [e for e in range(12) for _ in range(steps)]
    view = curves.live_view(resumed.events())
    assert view.batches["epoch"] == run.history["batches"]["epoch"]


def test_a_stopped_run_is_ready_at_once_and_can_be_scored_in_full_later(small, store,
                                                                        monkeypatch):
    class StopAfterTheFirstEpoch(JobContext):
        def publish(self, event):
            super().publish(event)
            if isinstance(event, Epoch):
                self.stop()

    monkeypatch.setattr(scoring, "QUICK_TEST_REVIEWS", 50)
    run_id = training.train_sentiment(tiny(epochs=5), small, job=StopAfterTheFirstEpoch(),
                                      store=store)
    quick = store.info(run_id).metrics
    assert quick["test_sample"] is True and quick["test_reviews"] == 50
    assert 1 <= quick["epochs_run"] < 2  # and part of the second, until the stop landed
    job = scoring.submit_scoring(run_id, small, store=store)  # as the Train page does
    assert job.wait(timeout=600) and job.state == "done", job.error
    accuracy = job.result
    full = store.info(run_id).metrics
    assert full["test_sample"] is False and full["test_reviews"] == 200
    probabilities = store.load(run_id).predict(small.test["text"].tolist())
    labels = small.test["label"].to_numpy()
    assert full["test_accuracy"] == accuracy == np.mean((probabilities >= 0.5) == (labels == 1))
    assert np.sum(run_evaluation(store, run_id)["confusion"]) == 200


def test_a_stopped_run_is_scored_on_the_same_quick_sample_every_time():
    rows = scoring.quick_test_rows(25_000)
    assert len(rows) == scoring.QUICK_TEST_REVIEWS and list(rows) == sorted(set(rows))
    assert (rows == scoring.quick_test_rows(25_000)).all()
    assert list(scoring.quick_test_rows(300)) == list(range(300))


def test_a_stop_after_training_ended_leaves_a_done_job_and_a_done_run(small, store):
    job = training.submit_training(tiny(epochs=1), small, store=store)
    deadline = time.monotonic() + 300
    while not any(e.KIND == "stage" and e.stage == "evaluating" for e in job.events()):
        assert time.monotonic() < deadline and not job.finished, job.error
        time.sleep(0.02)
    job.stop()  # while testing (or, on a fast machine, saving): training is complete
    assert job.wait(120) and job.state == DONE, job.error
    info = store.info(job.result)
    assert info.status == "done" and "(stopped)" not in info.name
    assert info.metrics["epochs_run"] == 1
    assert store.load(job.result).history["complete"] == [True]


def test_exploding_loss_fails_the_job_with_advice_and_saves_nothing(small, store, tmp_path):
    # Enormous pretrained vectors overflow float32 in the first step: batch normalisation
    # of them divides infinity by infinity, a NaN loss for sure.
    words = small.train["text"].str.lower().str.split().explode().value_counts().index[:300]
    glove = tmp_path / "huge.txt"
    glove.write_text("".join(f"{w} 3e38 3e38 3e38 3e38\n" for w in words), encoding="utf-8")
    config = tiny(arch="simple_rnn", embeddings="glove", glove_path=str(glove))
    job = training.submit_training(config, small, store=store)
    assert job.wait(300) and job.state == FAILED
    assert "exploding" in job.error and "learning rate" in job.error
    assert store.list() == []


def test_a_runaway_loss_is_drawn_as_it_was_never_below_zero(small, store):
    """SimpleRNN, RMSprop at learning rate 1: the loss grows large but stays finite. Each
    batch's own loss is undone from Keras's running mean; a short batch in the middle of
    an epoch once made that go below zero."""
    config = tiny(epochs=1, arch="simple_rnn", optimizer="rmsprop", learning_rate=1.0,
                  clipnorm=0.0, train_size=300, embeddings="learned")
    job = JobContext()
    training.train_sentiment(config, small, job=job, store=store)
    losses = [e.batch_loss for e in job.events() if e.KIND == "batch"]
    assert len(losses) == 8 and all(loss >= 0 for loss in losses), losses


def test_two_jobs_from_two_users_queue_and_run_one_at_a_time(small, store):
    first = training.submit_training(tiny(epochs=1), small, owner="ann", store=store)
    second = training.submit_training(tiny(epochs=1, arch="simple_rnn"), small, owner="ben",
                                      store=store)
    from core.jobs import engine

    assert engine().position(second) >= 1  # waits while the first prepares and trains
    assert second.wait(300) and first.state == DONE and second.state == DONE, second.error
    assert second.started_at >= first.finished_at
    assert engine().jobs("ben", kind=training.JOB_KIND) == [second]
    assert {r.run_id for r in store.list()} == {first.result, second.result}


def test_settings_that_do_not_fit_the_data_are_refused_before_anything_starts(small):
    problems = training.check_against_data(tiny(train_size=999_999), small)
    assert "train_size" in problems and "25,000" in problems["train_size"]
    no_test = dataclasses.replace(small, test=small.test.iloc[:0])
    problems = training.check_against_data(tiny(), no_test)
    assert problems == {training.DATASET_PROBLEM: "The dataset has no test reviews to "
                                                  "evaluate on."}
    with pytest.raises(ValueError, match="Learning rate"):
        training.submit_training(tiny(learning_rate=1e6), small)


def test_binary_scores_match_keras():
    import keras

    labels = np.array([0, 1, 1, 0], dtype=np.float32)
    probabilities = np.array([0.1, 0.8, 0.3, 0.0])
    loss, accuracy = scoring.binary_scores(labels, probabilities)
    expected = float(keras.losses.binary_crossentropy(labels, probabilities.astype("float32")))
    assert loss == pytest.approx(expected, rel=1e-4) and accuracy == 0.75
