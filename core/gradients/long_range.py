"""The long-range task: the label is the first token, followed by L random distractors;
one small model per (architecture, L), the same budget for each."""

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
    import keras

    from core.jobs import JobContext


SIGNAL_TOKENS = (1, 2)  # the first token is one of these; the label says which
FIRST_DISTRACTOR = 3


def long_range_data(length: int, n: int, vocab_size: int = 12,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` sequences of 1 + `length` tokens: a signal token, then `length` distractors.

    The label is 1 when the signal token is `SIGNAL_TOKENS[1]`: only the very first token
    matters, so a model must carry it across all the distractors. Classes are balanced.
    """
    if vocab_size <= FIRST_DISTRACTOR:
        raise ValueError(f"The task needs a vocabulary of at least {FIRST_DISTRACTOR + 1}.")
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    rng.shuffle(labels)
    ids = rng.integers(FIRST_DISTRACTOR, vocab_size, size=(n, length + 1), dtype=np.int32)
    ids[:, 0] = np.where(labels == 1, SIGNAL_TOKENS[1], SIGNAL_TOKENS[0])
    return ids, labels.astype(np.float32)


LENGTH_CHOICES = (2, 5, 10, 20, 30, 50, 75, 100, 150, 200)  # what the page offers


@dataclass
class LongRangeSettings(Settings):
    """One accuracy-versus-L experiment: every architecture at every length, same budget."""

    # On this budget the plain RNN solves L=10 and is at chance by L=20, while LSTM and GRU
    # still solve L=20 (about a minute on 2 CPU cores); from L=30 the gated cells need
    # more training too.
    lengths: list[int] = knob(
        label="Distances L", help="Number of distractor tokens between the signal and the end.",
        default_factory=lambda: [5, 10, 20], many=True, item="distance L", low=1, high=1000,
        whole=True)
    archs: list[str] = knob(label="Architectures",
                            help="The cells that take the test, each of the same size.",
                            default_factory=lambda: list(GRADIENT_ARCHS),
                            many=True, item="architecture", choices=GRADIENT_ARCHS,
                            choice_labels=CELL_LABELS)
    units: int = knob(16, "Units", "Size of each model's hidden state.", low=1, high=256)
    embed_dim: int = knob(8, "Embedding size", low=1, high=128)
    vocab_size: int = knob(12, "Vocabulary size", low=4, high=1000)
    train_size: int = knob(1000, "Training sequences",
                           "Sequences each model learns from, at every L.",
                           low=32, high=20_000, step=100)
    epochs: int = knob(4, "Epochs", "Passes over the training sequences.", low=1, high=50)
    batch_size: int = knob(32, "Batch size", low=1, high=1024)
    learning_rate: float = knob(0.03, "Learning rate", "Adam's step size, the same for all.",
                                low=1e-5, high=1.0, fmt="%.4f")
    test_size: int = knob(400, "Test sequences", low=10, high=10_000)
    input_scale: float = knob(1.0, "Input scale", low=1e-3, high=10.0)
    seed: int = knob(7, "Seed", low=0, high=2**31 - 1)


def long_range_model(arch: str, units: int, embed_dim: int, vocab_size: int,
                     learning_rate: float, seed: int, input_scale: float = 1.0) -> keras.Model:
    """Embedding -> one recurrent layer -> sigmoid, compiled with Adam.

    Deliberately bare (no normalisation, no dropout, no mask) so that the only thing that
    differs between architectures is the cell.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    cell = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}[arch]
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(
        vocab_size, embed_dim, name="embedding",
        embeddings_initializer=keras.initializers.RandomNormal(stddev=input_scale, seed=seed),
    )(tokens)
    x = cell(units, name="recurrent_1")(x)
    output = layers.Dense(1, activation="sigmoid", name="output")(x)
    model = keras.Model(tokens, output, name=f"long_range_{arch}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


# The pace of this task on the 2-core development machine (2026-12-02), for the estimate
# shown before a run: each (architecture, L) costs about 2 s whatever its size (building
# the model, measuring its gradients and testing it), plus about 0.25 ms for every step of
# every batch (0.12-0.25 ms by cell at 64 units and L = 200; a little less when smaller).
RUN_OVERHEAD_S = 2.0
BATCH_STEP_S = 0.25e-3
PACE_UNITS = 64  # the step cost grows with the units past this size


def long_range_expected_s(settings: LongRangeSettings) -> float:
    """Roughly how many seconds the experiment takes on a 2-core CPU, before it starts (the
    default settings: about 20 s)."""
    batches = math.ceil(settings.train_size / settings.batch_size) * settings.epochs
    widen = max(1.0, settings.units / PACE_UNITS)
    lengths = sorted({int(n) for n in settings.lengths})
    return float(sum(RUN_OVERHEAD_S + BATCH_STEP_S * widen * batches * (length + 1)
                     for length in lengths for _ in settings.archs))


def train_long_range(arch: str, length: int, settings: LongRangeSettings,
                     job: JobContext | None = None, start: float = 0.0,
                     span: float = 1.0, started: float | None = None,
                     expected_s: float | None = None) -> dict[str, Any]:
    """Train one model on the task at length L; its test accuracy and gradient norms.
    Its progress fills the share `span` of the job's bar from `start`."""
    x_train, y_train = long_range_data(length, settings.train_size, settings.vocab_size,
                                       seed=settings.seed)
    x_test, y_test = long_range_data(length, settings.test_size, settings.vocab_size,
                                     seed=settings.seed + 1)
    model = long_range_model(arch, settings.units, settings.embed_dim, settings.vocab_size,
                             settings.learning_rate, settings.seed, settings.input_scale)
    probe = slice(0, min(128, settings.test_size))
    initial_norms = step_gradient_norms(model, x_test[probe], y_test[probe])
    start_s = time.perf_counter()
    callback = live_training(job, steps=math.ceil(len(x_train) / settings.batch_size),
                             epochs=settings.epochs, batch_size=settings.batch_size,
                             samples=len(x_train), every=0, start=start, span=span,
                             started=started, expected_s=expected_s,
                             label=f"{ARCH_LABELS[arch]} at L={length}: ")
    history = model.fit(x_train, y_train, epochs=settings.epochs,
                        batch_size=settings.batch_size, verbose=0, callbacks=[callback])
    train_s = time.perf_counter() - start_s
    _, accuracy = model.evaluate(x_test, y_test, verbose=0, batch_size=256)
    norms = step_gradient_norms(model, x_test[probe], y_test[probe])
    return {
        "arch": arch,
        "length": int(length),
        "accuracy": float(accuracy),
        "loss": [float(v) for v in history.history.get("loss", [])],
        "grad_norms": norms.tolist(),
        "initial_grad_norms": initial_norms.tolist(),
        "ratio": first_to_last_ratio(norms),
        "train_s": train_s,
        "complete": not callback.stopped,
    }


def run_long_range(settings: LongRangeSettings,
                   job: JobContext | None = None) -> list[dict[str, Any]]:
    """Every (architecture, L), shortest L first; a "result" event as each one finishes."""
    lengths = sorted({int(n) for n in settings.lengths})
    pairs = [(length, arch) for length in lengths for arch in settings.archs]
    # Work grows with L, so progress is counted in time steps rather than in runs.
    weights = [length + 1 for length, _ in pairs]
    done_weight, started = 0, time.perf_counter()
    expected = long_range_expected_s(settings)
    results: list[dict[str, Any]] = []
    for (length, arch), weight in zip(pairs, weights, strict=True):
        if stop_requested(job):
            break
        if job is not None:
            job.set_progress(done_weight / sum(weights),
                             blended_eta(time.perf_counter() - started,
                                         done_weight / sum(weights), expected),
                             f"Training {ARCH_LABELS[arch]} at L={length}")
        result = train_long_range(arch, length, settings, job, done_weight / sum(weights),
                                  weight / sum(weights), started, expected)
        if not result["complete"]:
            break
        results.append(result)
        done_weight += weight
        if job is not None:
            elapsed = time.perf_counter() - started
            fraction = done_weight / sum(weights)
            job.publish(Result(values=result))
            job.set_progress(fraction, blended_eta(elapsed, fraction, expected),
                             f"{ARCH_LABELS[arch]} at L={length}: {result['accuracy']:.0%} right")
    return results
