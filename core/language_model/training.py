"""Training a language model as a job for `core.jobs`: the data, the windows, the live
curves, then evaluation against the n-gram baseline on the same held-out words, and saving.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from core.jobs import Job, JobContext, JobFailed
from core.language_model.config import LMConfig
from core.language_model.evaluation import scoring_windows
from core.language_model.inference import LATENCY_PREFIXES, LanguageModel, measure_latency
from core.language_model.model import _export_copy, build_network, make_trainer
from core.language_model.ngram import KneserNeyModel
from core.language_model.store import KIND
from core.language_model.tokens import prepare_corpus
from core.language_model.user_text import check_user_text, corpus_problem, split_user_text

if TYPE_CHECKING:
    from core.runs import RunStore

PROBE_WINDOWS = 64  # validation windows scored during training for the live curves
VALIDATION_WINDOWS = 2_000  # ... and at the end of each epoch
PROBES_PER_RUN = 150


def training_windows(documents: Sequence[np.ndarray], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-token targets, both (n, window), cut from the documents end to end.

    Documents are joined (each starts with `<s>`, which doubles as an end-of-review
    marker), so no window needs padding.
    """
    if not documents:
        return np.zeros((0, window), np.int32), np.zeros((0, window), np.int32)
    stream = np.concatenate(documents)
    n = (len(stream) - 1) // window
    x = stream[: n * window].reshape(n, window)
    y = stream[1: n * window + 1].reshape(n, window)
    return x, y


@dataclass
class LMTrainingData:
    """What a language model trains on: documents, optional held-out ones, and a label."""

    documents: list[str]
    held_out: list[str] | None = None
    source: str = "text"
    notes: dict[str, Any] = field(default_factory=dict)


def imdb_training_data(imdb: Any, max_reviews: int = 8_000, held_out_reviews: int = 1_000,
                       seed: int = 0) -> LMTrainingData:
    """Unlabelled + training reviews (shuffled with `seed`) to learn from; test reviews
    held out for evaluation only, never seen in training."""
    import pandas as pd

    pool = pd.concat([imdb.unsup["text"], imdb.train["text"]], ignore_index=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pool))[:max_reviews]
    test = imdb.test["text"]
    held = rng.permutation(len(test))[:held_out_reviews]
    return LMTrainingData(
        documents=[str(pool.iloc[i]) for i in order],
        held_out=[str(test.iloc[i]) for i in held],
        source="IMDB reviews (unlabelled + train; test reviews held out)",
        notes={"pool_reviews": int(len(pool)), "sampled_reviews": int(len(order)),
               "held_out_reviews": int(len(held))},
    )


def user_training_data(text: str) -> LMTrainingData:
    problem = check_user_text(text)
    if problem:
        raise ValueError(problem)
    return LMTrainingData(documents=split_user_text(text), held_out=None, source="your text")


def live_callback(job: JobContext | None, steps: int, epochs: int, batch_size: int,
                  every: int = 5, scorer: LanguageModel | None = None,
                  validation: tuple[np.ndarray, np.ndarray] | None = None) -> Any:
    """The live callback (`core.live.live_training`) set up for a language model.

    A `Batch` event every `every` batches carries the training `loss`. With a `scorer` (a
    `LanguageModel` around the network being trained) and `validation` windows, about
    `PROBES_PER_RUN` of them also carry, in `extra`, `val_loss`, `val_perplexity`,
    `val_top1` and `val_top3` of the first `PROBE_WINDOWS` validation windows, and each
    `Epoch` the same figures over up to `VALIDATION_WINDOWS` of them: full softmax,
    `<unk>` never a hit, exactly as the held-out evaluation counts.
    """
    from core.live import live_training

    has_validation = scorer is not None and validation is not None and len(validation[0]) > 0
    probe = validate = None
    if has_validation:
        full = (validation[0][:VALIDATION_WINDOWS], validation[1][:VALIDATION_WINDOWS])
        sample = (full[0][:PROBE_WINDOWS], full[1][:PROBE_WINDOWS])

        def held_out(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
            result = scorer.evaluate_windows(x, y)
            return {"val_loss": math.log(result.perplexity),
                    "val_perplexity": result.perplexity,
                    "val_top1": result.top1, "val_top3": result.top3}

        def probe() -> dict[str, float]:
            return held_out(*sample)

        def validate() -> dict[str, float]:
            return held_out(*full)

    return live_training(job, steps=steps, epochs=epochs, batch_size=batch_size,
                         every=every, span=0.9, probe=probe,
                         probe_every=max(1, steps * epochs // PROBES_PER_RUN),
                         validate=validate)


def curve_rows(events: Sequence[Any], sampled_words: int = 0
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Batch and epoch events as the rows the curves chart reads and history.json keeps:
    `epoch` 1-based, `step` the training step over the whole run (so an epoch's validation
    figures sit where that epoch really ended, after a stop mid-epoch too)."""
    from core.events import Batch, Epoch

    batches, epochs = [], []
    for event in events:
        if isinstance(event, Batch):
            batches.append({"epoch": event.epoch + 1, "step": event.global_step,
                            "loss": event.loss, "sampled_words": sampled_words,
                            **event.extra})
        elif isinstance(event, Epoch):
            row = {"epoch": event.epoch + 1, "step": event.step, "complete": event.complete,
                   "epoch_s": event.epoch_s, **event.extra}
            if event.loss is not None:
                row["loss"] = event.loss
            epochs.append(row)
    return batches, epochs


def train_language_model(
    config: LMConfig,
    data: LMTrainingData,
    job: JobContext | None = None,
    store: RunStore | None = None,
    name: str | None = None,
    extra_files: dict[str, str] | None = None,
) -> str | None:
    """Train, evaluate against the n-gram baseline on the same held-out words, save.

    Returns the run id, or None when the job was stopped before its first batch was done
    (nothing is saved then); a run stopped later is saved with status "stopped". Raises `JobFailed`
    with a message for the user on bad settings, too little text or a diverging loss.
    """
    from core.runs import DONE, STOPPED, RunStore

    problems = config.validate()
    if problems:
        raise JobFailed(" ".join(problems.values()))
    store = store or RunStore(owner=job.owner if job is not None else None)

    def progress(fraction: float, message: str) -> None:
        if job is not None:
            job.set_progress(fraction, None, message)

    progress(0.0, "Reading and tokenising the text…")
    corpus = prepare_corpus(data.documents, config, data.held_out)
    problem = corpus_problem(corpus, config)
    if problem:
        raise JobFailed(problem)
    config = LMConfig(**{**config.to_dict(), "vocab_size": len(corpus.vocabulary)})
    x, y = training_windows(corpus.train, config.window)
    xv, yv = training_windows(corpus.val, config.window)
    if len(x) < 2:
        raise JobFailed("The text is too short for this context window; shorten the window.")
    if job is not None and job.stop_requested:
        return None  # stopped while the text was being prepared: nothing trained or saved

    network = build_network(config)
    steps = math.ceil(len(x) / config.batch_size)
    trainer = make_trainer(network, config, steps * config.epochs)
    scorer = LanguageModel(network, corpus.vocabulary, config)
    curves = live_callback(job, steps, config.epochs, config.batch_size, scorer=scorer,
                           validation=scoring_windows(corpus.val, config.window))
    start = time.time()
    trainer.fit(x, y, batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
                callbacks=[curves], verbose=0)
    train_s = time.time() - start
    if curves.blow_up is not None:
        raise JobFailed(curves.blow_up.message("Training was stopped and nothing was saved."))
    stopped = curves.stopped
    if stopped and curves.done_steps <= 1:
        return None  # Keras always finishes the batch it is in: one update is not a model

    progress(0.9, "Evaluating on held-out text…")
    model = LanguageModel(_export_copy(network, config), corpus.vocabulary, config)
    lm_eval = model.evaluate(corpus.held_out)
    progress(0.95, "Evaluating the n-gram baseline on the same words…")
    ngram = KneserNeyModel.fit(corpus.train, len(corpus.vocabulary))
    ngram_eval = ngram.evaluate(corpus.held_out, model.suggestable)

    metrics: dict[str, Any] = {
        **lm_eval.as_dict("lm_"),
        **ngram_eval.as_dict("ngram_"),
        "ngram_order": ngram.order,
        "ngram_discount": ngram.discount,
        "suggest_ms_p50": measure_latency(model, LATENCY_PREFIXES),
        "train_s": train_s,
        "sampled_words": trainer.sampled,
        "epochs_run": sum(1 for event in curves.epoch_events if event.complete),
        "source": data.source,
        **corpus.summary(),
        **data.notes,
    }
    batch_rows, epoch_rows = curve_rows(curves.batch_events + curves.epoch_events,
                                        trainer.sampled)
    history = {"epochs": epoch_rows, "batches": batch_rows}
    run_id = store.save(
        model=model.model, kind=KIND, config=config.to_dict(),
        name=name or f"LSTM LM on {data.source}", status=STOPPED if stopped else DONE,
        history=history, metrics=metrics, vocabulary=corpus.vocabulary,
        extra_files=extra_files,
    )
    progress(1.0, "Saved.")
    return run_id


def submit_lm_training(config: LMConfig, data: LMTrainingData, name: str | None = None,
                       owner: str | None = None, store: RunStore | None = None,
                       user: str | None = None) -> Job:
    """Queue a language-model training job; its result is the saved run's id (None when
    it was stopped before training began)."""
    from core.jobs import JobSpec, engine

    spec = JobSpec(KIND, name or "LSTM language model",
                   {"model": config.to_dict(), "name": name}, owner, user)
    return engine().submit(spec, data=data, store=store)


def lm_job(job: JobContext, config: dict[str, Any], data: LMTrainingData,
           store: RunStore | None = None) -> str | None:
    """The "language_model" job's runner, in a Ray worker."""
    return train_language_model(LMConfig.from_dict(config["model"]), data, job=job,
                                store=store, name=config.get("name"))
