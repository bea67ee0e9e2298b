"""Training a sentiment model: data preparation, `model.fit` with a live callback, evaluation
on the test set, and saving the run.

    job = submit_training(ModelConfig(arch="gru"), imdb)   # from a page: queued, one at a time
    run_id = train_sentiment(config, imdb)                  # or directly (scripts, benchmarks)

The page follows a job through its events (`core.events`), in order: `Config` first;
`Stage` (preparing, training, evaluating, saving, saved); `Glove` only with pretrained
vectors; a `Batch` per batch and an `Epoch` per epoch (from `core.live.live_training`);
`Saved` last, once the run is in the store. An epoch cut short by Stop still gets an
`Epoch` (Keras validates after a stop) with `complete` False: its numbers are not an
end-of-epoch point. `core.curves.live_view` folds the events into what the live panel draws.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core import text
from core.batching import eval_dataset, predict_ids, train_dataset
from core.config import FIELD_LABELS, ModelConfig
from core.curves import EPOCH_SERIES, batch_series
from core.events import Config, Glove, Resume, Saved, Stage
from core.jobs import DONE, STOPPED, Job, JobContext, JobFailed, JobSpec, engine
from core.live import live_training
from core.models import build_model, end_to_end
from core.predict import Predictor, median_latency_ms
from core.runs import RunStore
from core.schema import SettingsError
from core.scoring import binary_scores, evaluate_predictions, quick_test_rows

if TYPE_CHECKING:

    from core.data import ImdbData

KIND = "sentiment"
JOB_KIND = "train"
# The key of problems that are about the dataset rather than one setting of the form.
DATASET_PROBLEM = "dataset"
VECTORIZE_CHUNK = 2048
# With `sentences`, at most this many verdict sentences of each training review join the
# training examples.
SENTENCES_PER_REVIEW = 1


# --- data ----------------------------------------------------------------------------------

@dataclass
class PreparedData:
    """Everything fit and evaluate need, vectorized once up front as int32 arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test: pd.DataFrame  # the test reviews (id, label, text) in x_test's order
    vocabulary: list[str]
    vectorizer: Any = field(repr=False)
    train_sentences: int = 0  # sentences at the end of x_train (`training_sentences`)

    @property
    def train_reviews(self) -> int:
        return len(self.x_train) - self.train_sentences

    def describe_training(self) -> str:
        extra = (f" and {self.train_sentences:,} sentences cut from them"
                 if self.train_sentences else "")
        return f"{self.train_reviews:,} reviews{extra}"


def check_against_data(config: ModelConfig, data: ImdbData) -> dict[str, str]:
    """Problems that depend on the dataset as well as the settings ({} when fine)."""
    problems = config.validate()
    labelled = data.train[data.train["label"].notna()]
    if "train_size" not in problems and config.train_size > len(labelled):
        problems["train_size"] = (
            f"{FIELD_LABELS['train_size']} is at most {len(labelled):,}, "
            "the number of labelled training reviews."
        )
    if len(data.test) == 0:
        problems[DATASET_PROBLEM] = "The dataset has no test reviews to evaluate on."
    return problems


def sample_reviews(frame: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """A balanced random sample of labelled reviews, in a seeded random order."""
    labelled = frame[frame["label"].notna()]
    rng = np.random.default_rng(seed)
    if size >= len(labelled):
        chosen = labelled
    else:
        parts = []
        for label, group in labelled.groupby("label", sort=True):
            share = size // 2 if label == 0 else size - size // 2
            take = min(share, len(group))
            parts.append(group.iloc[rng.choice(len(group), take, replace=False)])
        chosen = pd.concat(parts)
    return chosen.iloc[rng.permutation(len(chosen))].reset_index(drop=True)


def vectorize(vectorizer: Any, texts: list[str]) -> np.ndarray:
    """Token ids for all texts as one int32 array, computed in chunks (bounded memory)."""
    import tensorflow as tf

    chunks = [
        np.asarray(vectorizer(tf.constant(texts[i:i + VECTORIZE_CHUNK])), dtype=np.int32)
        for i in range(0, len(texts), VECTORIZE_CHUNK)
    ]
    width = int(vectorizer.get_config()["output_sequence_length"])
    return np.concatenate(chunks) if chunks else np.zeros((0, width), dtype=np.int32)


def split_reviews(config: ModelConfig, data: ImdbData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The labelled training reviews a run fits on and those it validates on (seeded)."""
    sample = sample_reviews(data.train, config.train_size, config.seed)
    n_val = max(1, int(round(len(sample) * config.val_share)))
    return sample.iloc[n_val:], sample.iloc[:n_val]


def imdb_vector_texts(data: ImdbData) -> list[str]:
    """What `embeddings="imdb"` learns word vectors from: every review but the test ones."""
    return data.train["text"].tolist() + data.unsup["text"].tolist()


def training_sentences(config: ModelConfig, train: pd.DataFrame) -> pd.DataFrame:
    """The sentences added to a run's training examples (`config.sentences`: one verdict
    sentence per clear review; `config.negations`: every negated opinion of those reviews,
    each sentence once), cut from its training reviews `train` only."""
    from core import short_texts

    parts = []
    if config.sentences:
        parts.append(short_texts.verdict_sentences(train, per_review=SENTENCES_PER_REVIEW,
                                                   seed=config.seed))
    if config.negations:
        parts.append(short_texts.negation_sentences(train))
    if not parts:
        return pd.DataFrame(columns=short_texts.COLUMNS)
    every = pd.concat(parts, ignore_index=True)
    return every[~every.duplicated(["review_id", "text"])].reset_index(drop=True)


def prepare_data(config: ModelConfig, data: ImdbData) -> PreparedData:
    """Sample, split, build the vocabulary on the training part only, and vectorize.

    With `config.sentences` or `config.negations`, sentences cut from the training part
    follow its reviews in `x_train` (`training_sentences`); the vocabulary is the reviews'.
    """
    train, val = split_reviews(config, data)
    train_texts = train["text"].tolist()
    # Adapting the vocabulary takes seconds on 25,000 reviews; the cached word list gives
    # the identical vectorizer, keyed by exactly which reviews were used.
    ids = hashlib.sha1(np.asarray(train["id"].astype(str)).astype("U").tobytes()).hexdigest()
    vocabulary = text.cached_vocabulary(train_texts, config.vocab_size, f"imdb-train-{ids}")
    vectorizer = text.vectorizer_from_vocabulary(vocabulary, config.seq_len)
    test = data.test[data.test["label"].notna()].reset_index(drop=True)
    y_train = train["label"].to_numpy(dtype=np.float32)
    extra = train.iloc[:0]
    if config.sentences or config.negations:
        extra = training_sentences(config, train)
        train_texts = train_texts + extra["text"].tolist()
        y_train = np.concatenate([y_train, extra["label"].to_numpy(dtype=np.float32)])
    return PreparedData(
        x_train=vectorize(vectorizer, train_texts),
        y_train=y_train,
        x_val=vectorize(vectorizer, val["text"].tolist()),
        y_val=val["label"].to_numpy(dtype=np.float32),
        x_test=vectorize(vectorizer, test["text"].tolist()),
        y_test=test["label"].to_numpy(dtype=np.float32),
        test=test[["id", "label", "text"]],
        vocabulary=list(vectorizer.get_vocabulary()),
        vectorizer=vectorizer,
        train_sentences=len(extra),
    )


# --- the whole run -------------------------------------------------------------------------

def _stage(job: JobContext | None, stage: str, message: str) -> None:
    if job is not None:
        job.publish(Stage(stage=stage, message=message))
        job.set_progress(job.progress, job.eta_s, message)


def train_sentiment(config: ModelConfig, data: ImdbData, job: JobContext | None = None,
                    store: RunStore | None = None, name: str | None = None) -> str | None:
    """Train, evaluate and save one sentiment model; returns the saved run's id.

    Stopped jobs still save what was trained (status "stopped"), even inside the first
    epoch, unless stopped before the first batch finished. A NaN/infinite loss raises
    `JobFailed` with advice. The settings are trusted: `submit_training` checked them
    (`check_against_data`).
    """
    import keras

    start = time.perf_counter()
    if job is not None:
        job.publish(Config(settings=config.to_dict()))
    _stage(job, "preparing", "Preparing the data (vocabulary and token ids)…")
    prepared = prepare_data(config, data)

    embedding_matrix, notes = None, {}
    if config.embeddings in ("glove", "imdb"):
        from core.glove import GloveError, match_vocabulary

        vectors_path = config.glove_path
        if config.embeddings == "imdb":
            from core.word_vectors import vectors_file

            _stage(job, "preparing", "Learning word vectors from the training and unlabelled "
                   "reviews (about 30 s the first time, then cached)…")
            vectors_path = str(vectors_file(prepared.vocabulary, imdb_vector_texts(data),
                                            config.embed_dim, seed=config.seed))
        _stage(job, "preparing", "Matching the pretrained vectors to the vocabulary…")
        try:
            match = match_vocabulary(vectors_path, prepared.vocabulary, seed=config.seed)
        except GloveError as exc:
            raise JobFailed(f"Pretrained vectors: {exc}") from exc
        config = replace(config, embed_dim=match.dim)  # the file decides the vector size
        embedding_matrix = match.matrix
        notes = {"glove_coverage": match.coverage, "glove_dim": match.dim,
                 "glove_missing": match.missing[:10]}
        if job is not None:
            job.publish(Glove(coverage=match.coverage, found=match.found,
                              words=match.words, dim=match.dim, missing=match.missing[:10]))
    lm = None
    if config.embeddings == "lm":
        from core.language_model.transfer import LMStartError, lm_start

        _stage(job, "preparing", "Reading the language model's word vectors and LSTM…")
        try:
            lm = lm_start(prepared.vocabulary, seed=config.seed)
        except LMStartError as exc:
            raise JobFailed(str(exc)) from exc
        embedding_matrix = lm.match.matrix
        notes = {"glove_coverage": lm.match.coverage, "glove_dim": lm.match.dim,
                 "glove_missing": lm.match.missing[:10]}
        if job is not None:
            job.publish(Glove(coverage=lm.match.coverage, found=lm.match.found,
                              words=lm.match.words, dim=lm.match.dim,
                              missing=lm.match.missing[:10]))

    # Same seed and settings, same curve: seeds Python, NumPy and TF, and the shuffle order
    # is drawn from the same seed. (On CPU the kernels used here are deterministic already;
    # tests/test_training.py checks two runs match exactly.)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, embedding_matrix)
    if lm is not None:
        from core.language_model.transfer import LMStartError, apply_lm_start

        try:
            apply_lm_start(model, lm)
        except LMStartError as exc:
            raise JobFailed(str(exc)) from exc
    steps = math.ceil(len(prepared.x_train) / config.batch_size)
    callback = live_training(job, steps=steps, epochs=config.epochs,
                             batch_size=config.batch_size, samples=len(prepared.x_train))
    callbacks = [callback]
    folder = getattr(job, "folder", None)
    if folder is not None:
        # Every finished epoch is backed up in the job's folder, so a job cut short by a
        # crash or a restart can resume from there (`JobEngine.resume`).
        from core.jobs import BACKUP_DIR

        backup = folder / BACKUP_DIR
        restored = _backed_up_epoch(backup)
        if restored:
            callback.restore(job.events(), restored)
            job.publish(Resume(epoch=restored))
        callbacks.insert(0, keras.callbacks.BackupAndRestore(str(backup),
                                                             double_checkpoint=True))
    if job is not None and job.stop_requested:
        return None
    _stage(job, "training", f"Training on {prepared.describe_training()}…")
    fit_start = time.perf_counter()
    model.fit(
        train_dataset(prepared.x_train, prepared.y_train, config.batch_size, config.seed),
        validation_data=eval_dataset(prepared.x_val, prepared.y_val, 512),
        epochs=config.epochs, callbacks=callbacks, verbose=0, shuffle=False,
    )
    fit_s = time.perf_counter() - fit_start
    if callback.blow_up:
        raise JobFailed(callback.blow_up.message(
            "Training was stopped there and nothing was saved."))
    epochs = [event.row() for event in callback.epoch_events]
    if callback.stopped and not epochs:
        return None  # stopped before its first batch ended: nothing was learnt
    # A run stopped inside its first epoch is kept too: Keras measured it on the held-back
    # reviews when it stopped, so its figures say how far it got (a user who stops when
    # the validation curve turns must not lose the model).
    partial = callback.epoch_events[-1] if callback.stopped else None
    epochs_run = sum(1 for row in epochs if row["complete"])
    if partial is not None and not partial.complete:
        epochs_run += round(min(1.0, max(0.01, partial.step / steps - epochs_run)), 2)

    # A stopped run is wanted now: it is scored on a quick sample of the test reviews
    # (the same sample for every run), and the full score is its own job.
    test = slice(None) if not callback.stopped else quick_test_rows(len(prepared.x_test))
    x_test, y_test = prepared.x_test[test], prepared.y_test[test]
    test_frame = prepared.test.iloc[test].reset_index(drop=True)
    _stage(job, "evaluating", f"Testing on {len(x_test):,} held-out reviews…")
    probabilities = predict_ids(model, x_test)
    test_loss, test_accuracy = binary_scores(y_test, probabilities)
    exported = end_to_end(prepared.vectorizer, model)
    evaluation = evaluate_predictions(test_frame, probabilities)
    metrics = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "val_accuracy": epochs[-1]["val_accuracy"] if epochs else None,
        # The mean of the epochs; each epoch's own time is in history.json.
        "epoch_s": float(np.mean(callback.epoch_times)) if callback.epoch_times else None,
        "train_s": fit_s,
        "total_s": 0.0,  # filled in below, after the latency measurement
        "samples_per_s": callback.samples_per_s,
        "latency_one_ms": median_latency_ms(Predictor(exported),
                                            test_frame["text"].iloc[:20].tolist(), batch=False)[0],
        "params": int(model.count_params()),
        "epochs_run": epochs_run,  # a stopped run's last epoch counts in part
        "train_reviews": prepared.train_reviews,
        "train_sentences": prepared.train_sentences,
        "val_reviews": len(prepared.x_val),
        "test_reviews": len(x_test),
        "test_sample": bool(callback.stopped and len(x_test) < len(prepared.x_test)),
        **notes,
    }
    metrics["total_s"] = time.perf_counter() - start
    history = {
        **{key: [row[key] for row in epochs] for key in (*EPOCH_SERIES, "epoch_s", "complete")},
        "steps_per_epoch": steps,
        "batches": batch_series(callback.batch_events),
    }
    # Only a stop that cut training short counts: one that arrives while testing or saving
    # leaves a fully trained model, saved as done.
    stopped = callback.stopped
    _stage(job, "saving", "Saving the run…")
    store = store or RunStore(owner=job.owner if job is not None else None)
    run_id = store.save(
        model=exported, kind=KIND, config=config.to_dict(), key=config.key(),
        name=name or default_name(config, stopped), status=STOPPED if stopped else DONE,
        history=history, metrics=metrics, vocabulary=prepared.vocabulary,
        extra_files={"evaluation.json": _json(evaluation)},
    )
    _stage(job, "saved", f"Saved as run {run_id}.")
    if job is not None:
        job.publish(Saved(run_id=run_id, test_accuracy=float(test_accuracy)))
    return run_id


def _backed_up_epoch(backup: Any) -> int:
    """How many epochs a job's backup holds (0 when there is none)."""
    import json

    try:
        return int(json.loads((backup / "training_metadata.json").read_text())["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def default_name(config: ModelConfig, stopped: bool = False) -> str:
    stamp = time.strftime("%H:%M", time.localtime())
    return f"{config.label} · {stamp}" + (" (stopped)" if stopped else "")


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=1)


# --- jobs ----------------------------------------------------------------------------------

def submit_training(config: ModelConfig, data: ImdbData, name: str | None = None,
                    owner: str | None = None, store: RunStore | None = None,
                    user: str | None = None) -> Job:
    """Queue a training job on the job engine (a Ray worker with a node's CPUs); raises
    `core.schema.SettingsError` (field -> message) for settings it cannot train with."""
    problems = check_against_data(config, data)
    if problems:
        raise SettingsError(problems)
    spec = JobSpec(JOB_KIND, name or config.label, {"model": config.to_dict(), "name": name},
                   owner, user)
    return engine().submit(spec, data=data, store=store)


def train_job(job: JobContext, config: dict[str, Any], data: ImdbData,
              store: RunStore | None = None) -> str | None:
    """The "train" job's runner, in a Ray worker."""
    return train_sentiment(ModelConfig.from_dict(config["model"]), data, job=job, store=store,
                           name=config.get("name"))
