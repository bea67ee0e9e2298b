"""Scoring a trained sentiment model on the IMDB test reviews: loss and accuracy, the
confusion matrix and the most confidently wrong reviews.

A finished run is scored on every test review as it is saved; a run stopped early is
scored on a fixed sample (`quick_test_rows`) and can be scored on all of them later, as a
"score" job (`submit_scoring`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.jobs import Job, JobContext, JobSpec, engine
from core.runs import RunError, RunStore

if TYPE_CHECKING:
    from core.data import ImdbData

QUICK_TEST_REVIEWS = 2_000
MISTAKES_SHOWN = 10
MISTAKE_TEXT_CHARS = 1200


def quick_test_rows(count: int, size: int | None = None) -> np.ndarray:
    """The test rows a stopped run is scored on: a fixed random sample (seed 0), sorted."""
    size = size or QUICK_TEST_REVIEWS
    if count <= size:
        return np.arange(count)
    return np.sort(np.random.default_rng(0).choice(count, size, replace=False))


def binary_scores(labels: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    """Binary cross-entropy (clipped as Keras clips it) and accuracy at the 0.5 threshold."""
    p = np.clip(probabilities, 1e-7, 1 - 1e-7)
    y = labels.astype(np.float64)
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return loss, float(np.mean((probabilities >= 0.5) == (y == 1)))


def evaluate_predictions(test: pd.DataFrame, probabilities: np.ndarray,
                         shown: int = MISTAKES_SHOWN) -> dict[str, Any]:
    """Confusion matrix and the most confidently wrong reviews, for the results panel."""
    labels = test["label"].to_numpy(dtype=np.int64)
    predicted = (probabilities >= 0.5).astype(np.int64)
    confusion = [[int(np.sum((labels == t) & (predicted == p))) for p in (0, 1)] for t in (0, 1)]
    wrong = np.flatnonzero(predicted != labels)
    confidence = np.abs(probabilities[wrong] - 0.5)
    order = wrong[np.argsort(-confidence, kind="stable")][:shown]
    mistakes = [
        {"id": str(test["id"].iloc[i]), "label": int(labels[i]),
         "p_positive": float(probabilities[i]),
         "text": str(test["text"].iloc[i])[:MISTAKE_TEXT_CHARS]}
        for i in order
    ]
    return {"confusion": confusion, "labels": ["negative", "positive"], "mistakes": mistakes}


def score_run(store: RunStore, run_id: str, data: ImdbData,
              job: JobContext | None = None) -> float:
    """Score a saved run on every labelled test review (a stopped run was scored on a
    quick sample), and record the figures with it; returns the test accuracy."""
    run = store.load(run_id)
    test = data.test[data.test["label"].notna()].reset_index(drop=True)
    texts, chunk, parts = test["text"].tolist(), 1024, []
    for start in range(0, len(texts), chunk):
        if job is not None:
            job.set_progress(start / len(texts), None,
                             f"Scoring test reviews {start:,}–{min(start + chunk, len(texts)):,}"
                             f" of {len(texts):,}…")
        parts.append(run.predict(texts[start:start + chunk]))
    probabilities = np.concatenate(parts).astype(np.float64)
    loss, accuracy = binary_scores(test["label"].to_numpy(dtype=np.float32), probabilities)
    store.update_json(run_id, "metrics.json", {
        "test_accuracy": accuracy, "test_loss": loss, "test_reviews": len(texts),
        "test_sample": False})
    store.update_json(run_id, "evaluation.json", evaluate_predictions(test, probabilities))
    return accuracy


def submit_scoring(run_id: str, data: ImdbData, owner: str | None = None,
                   store: RunStore | None = None, user: str | None = None) -> Job:
    """Score a saved run on the whole test set, as a job: only its owner's own run
    (`JobRejected` otherwise)."""
    from core.jobs import JobRejected

    try:
        (store or RunStore(owner=owner)).check_changeable(run_id)
    except RunError as exc:
        raise JobRejected(str(exc)) from exc
    spec = JobSpec("score", f"Score {run_id} on every test review", {"run_id": run_id},
                   owner, user)
    return engine().submit(spec, data=data, store=store)


def score_job(job: JobContext, config: dict[str, Any], data: ImdbData,
              store: RunStore | None = None) -> float:
    """The "score" job's runner, in a Ray worker."""
    return score_run(store or RunStore(owner=job.owner), config["run_id"], data, job)
