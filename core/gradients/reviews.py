"""The same measurement on real reviews: three same-size sentiment models, one short
training, probed on long reviews."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from core.config import ARCH_LABELS
from core.events import Result
from core.gradients.measure import (
    CELL_LABELS,
    GRADIENT_ARCHS,
    first_to_last_ratio,
    step_gradient_norms,
    stop_requested,
)
from core.live import blended_eta, live_training
from core.schema import Settings, knob

if TYPE_CHECKING:

    from core.data import ImdbData
    from core.jobs import JobContext


@dataclass
class ReviewGradientSettings(Settings):
    """Three same-size sentiment models, same short training, probed on long reviews."""

    seq_len: int = knob(200, "Tokens per review",
                        "Reviews with at least this many tokens are probed, cut to it.",
                        low=10, high=1000, step=50)
    units: int = knob(32, "Units", "Size of each model's hidden state.", low=1, high=256)
    embed_dim: int = knob(32, "Embedding size", "The same for all three models, like the units.",
                          low=1, high=256)
    vocab_size: int = knob(5000, "Vocabulary size", low=100, high=50_000)
    train_size: int = knob(1000, "Training reviews", "0 keeps the random weights.",
                           low=0, high=25_000, step=500)
    epochs: int = knob(1, "Epochs", low=1, high=20)
    probe_reviews: int = knob(32, "Probed reviews", low=1, high=500)
    seed: int = knob(7, "Seed", low=0, high=2**31 - 1)
    archs: list[str] = knob(label="Architectures",
                            help="The cells measured, each of the same size and training.",
                            default_factory=lambda: list(GRADIENT_ARCHS),
                            many=True, item="architecture", choices=GRADIENT_ARCHS,
                            choice_labels=CELL_LABELS)


# The pace on the 2-core development machine (2026-12-02), for the estimate shown before a
# run: about 8 s to build the vocabulary and cut the reviews, about 2 s per cell (building,
# probing, scoring), and about 3 µs per token of training per cell at up to 64 units (the
# default settings: 14.8 s measured; 3,000 reviews of 400 tokens at 64 units: 23.9 s).
PREPARE_S = 8.0
CELL_OVERHEAD_S = 2.0
TOKEN_S = 3e-6
PACE_UNITS = 64


def reviews_expected_s(settings: ReviewGradientSettings) -> float:
    """Roughly how many seconds the measurement takes on a 2-core CPU, before it starts."""
    widen = max(1.0, settings.units / PACE_UNITS, settings.embed_dim / PACE_UNITS)
    tokens = settings.train_size * settings.epochs * settings.seq_len
    return float(PREPARE_S + len(settings.archs) * (CELL_OVERHEAD_S + TOKEN_S * widen * tokens))


def run_review_gradients(settings: ReviewGradientSettings, data: ImdbData,
                         job: JobContext | None = None) -> list[dict[str, Any]]:
    """Per-position gradient norms of real sentiment models on reviews of >= seq_len tokens.

    The models are the app's own (`core.models.build_model`) trained on a balanced sample
    (`train_size` 0 keeps the random initial weights). Only reviews that fill the whole
    window are probed, so every position holds a real word.
    """
    from core import text
    from core.config import ModelConfig
    from core.models import build_model

    rng = np.random.default_rng(settings.seed)
    train = data.train
    vocabulary = text.cached_vocabulary(train["text"].tolist(), settings.vocab_size,
                                        cache_key=str(getattr(data, "source", "imdb")))
    vectorizer = text.vectorizer_from_vocabulary(vocabulary, settings.seq_len)
    # The vectorizer splits on whitespace, so the word count is a close lower bound on
    # tokens; the exact check is done on the ids below.
    long_test = data.test[data.test["n_words"] >= settings.seq_len * 1.2]
    probe = long_test.sample(min(len(long_test), settings.probe_reviews * 2),
                             random_state=settings.seed)
    probe_ids = np.asarray(vectorizer(probe["text"].to_numpy(dtype=object)))
    full = (probe_ids != 0).all(axis=1)
    probe_ids = probe_ids[full][: settings.probe_reviews]
    probe_labels = probe["label"].to_numpy(dtype=np.float32)[full][: settings.probe_reviews]
    if len(probe_ids) == 0:
        raise ValueError(f"No test review has {settings.seq_len} tokens; lower the length.")
    if settings.train_size:
        picked = np.concatenate([
            rng.choice(np.flatnonzero(train["label"].to_numpy() == label),
                       settings.train_size // 2, replace=False)
            for label in (0, 1)
        ])
        rng.shuffle(picked)
        x_train = np.asarray(vectorizer(train["text"].to_numpy(dtype=object)[picked]))
        y_train = train["label"].to_numpy(dtype=np.float32)[picked]
    import keras

    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    expected = reviews_expected_s(settings) - PREPARE_S  # the data is ready by now
    for index, arch in enumerate(settings.archs):
        if stop_requested(job):
            break
        if job is not None:
            job.set_progress(index / len(settings.archs),
                             blended_eta(time.perf_counter() - started,
                                         index / len(settings.archs), expected),
                             f"Training {ARCH_LABELS[arch]} on {settings.train_size:,} reviews")
        config = ModelConfig(arch=arch, vocab_size=len(vocabulary), seq_len=settings.seq_len,
                             embed_dim=settings.embed_dim, units=settings.units, dropout=0.0,
                             epochs=settings.epochs, seed=settings.seed,
                             train_size=max(settings.train_size, 10))
        keras.utils.set_random_seed(settings.seed)
        network = build_model(config)
        if settings.train_size:
            callback = live_training(
                job, steps=math.ceil(len(x_train) / config.batch_size), epochs=settings.epochs,
                batch_size=config.batch_size, samples=len(x_train), every=0,
                start=index / len(settings.archs), span=1 / len(settings.archs),
                started=started, expected_s=expected, label=f"{ARCH_LABELS[arch]}: ")
            network.fit(x_train, y_train, epochs=settings.epochs, batch_size=config.batch_size,
                        verbose=0, callbacks=[callback])
            if callback.stopped:
                break
        norms = step_gradient_norms(network, probe_ids, probe_labels)
        accuracy = float(np.mean((network.predict(probe_ids, verbose=0)[:, 0] > 0.5)
                                 == probe_labels))
        result = {"arch": arch, "grad_norms": norms.tolist(), "ratio": first_to_last_ratio(norms),
                  "probe_accuracy": accuracy, "reviews": int(len(probe_ids))}
        results.append(result)
        if job is not None:
            job.publish(Result(values=result))
            fraction = (index + 1) / len(settings.archs)
            elapsed = time.perf_counter() - started
            job.set_progress(fraction, blended_eta(elapsed, fraction, expected),
                             f"{ARCH_LABELS[arch]} measured")
    return results
