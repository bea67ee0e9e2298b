"""Vanishing and exploding gradients, measured on real Keras models.

Three experiments back the "Inside the cell" page:

- `step_gradient_norms`: how strongly the loss reacts to each time step's input, i.e. the
  norm of d(loss)/d(x_t) for every position t. Backpropagation through time multiplies one
  Jacobian per step, so in a plain RNN this norm shrinks (or grows) geometrically with the
  distance from the output; gated cells add a path (the LSTM cell state, the GRU's
  interpolation) along which it can survive.
- `run_long_range`: the long-range task (the label is a token at the start, followed by
  L random distractors), one small model per (architecture, L), same training budget;
  accuracy and gradient norms per step for each. The plain RNN falls to chance as L grows.
- `run_exploding`: a ReLU RNN with large recurrent weights trained with plain SGD, once
  without and once with gradient clipping; one blows up to NaN, the other does not.

Each experiment runs as a job's work (`core.jobs`): it publishes one event per finished
piece, reports progress and honours stop at the next batch.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from core.config import ARCH_LABELS
from core.events import Result
from core.live import live_training
from core.schema import Settings, knob

if TYPE_CHECKING:
    import keras

    from core.data import ImdbData
    from core.jobs import Job, JobContext

GRADIENT_ARCHS = ("simple_rnn", "lstm", "gru")
SIGNAL_TOKENS = (1, 2)  # the first token is one of these; the label says which
FIRST_DISTRACTOR = 3


# --- Per-step gradient norms -------------------------------------------------------------

def _forward_from_embedding(network: keras.Model, embedded: Any, mask: Any) -> Any:
    """Run the layers after `embedding` on embedded inputs, carrying the padding mask.

    Keras cannot cut a functional model at an intermediate tensor that carries a mask, so
    the layers are applied one by one; every RNN Lab network is a plain stack.
    """
    layers = network.layers
    start = layers.index(network.get_layer("embedding")) + 1
    x = embedded
    for layer in layers[start:]:
        if mask is not None and "mask" in inspect.signature(layer.call).parameters:
            x = layer(x, mask=mask, training=False)
            if getattr(layer, "return_sequences", True) is False:
                mask = None
        else:
            x = layer(x, training=False)
    return x


def step_gradient_norms(network: keras.Model, ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean over examples of |d loss / d x_t| for every time step t (x_t: the embedded token).

    `network` maps integer ids (batch, T) to P(positive) and has a layer named
    `embedding`. The loss is each example's own binary cross-entropy (summed, not averaged,
    so the scale does not depend on the batch size). Padding positions get NaN.
    """
    import keras
    import tensorflow as tf

    ids = np.asarray(ids, dtype=np.int32)
    labels = np.asarray(labels, dtype=np.float32).reshape(-1, 1)
    embedding = network.get_layer("embedding")
    masked = bool(getattr(embedding, "mask_zero", False))
    embedded = tf.convert_to_tensor(embedding(ids))
    mask = tf.constant(ids != 0) if masked else None
    with tf.GradientTape() as tape:
        tape.watch(embedded)
        probability = _forward_from_embedding(network, embedded, mask)
        loss = tf.reduce_sum(keras.losses.binary_crossentropy(labels, probability))
    gradient = tape.gradient(loss, embedded).numpy()
    norms = np.linalg.norm(gradient, axis=-1)
    if masked:
        norms = np.where(ids != 0, norms, np.nan)
    with np.errstate(invalid="ignore"):
        return np.nanmean(norms, axis=0) if masked else norms.mean(axis=0)


def first_to_last_ratio(norms: Sequence[float]) -> float:
    """How much of the last step's gradient reaches the first step (1 = all of it)."""
    values = np.asarray(norms, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) < 2 or values[-1] <= 0:
        return float("nan")
    return float(values[0] / values[-1])


# --- Stopping from the page ---------------------------------------------------------------

def _stopped(job: JobContext | None) -> bool:
    return job is not None and job.stop_requested


# --- The long-range task -----------------------------------------------------------------

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
CELL_LABELS = {arch: ARCH_LABELS[arch] for arch in GRADIENT_ARCHS}


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


def train_long_range(arch: str, length: int, settings: LongRangeSettings,
                     job: JobContext | None = None, start: float = 0.0,
                     span: float = 1.0, started: float | None = None) -> dict[str, Any]:
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
                             started=started, label=f"{ARCH_LABELS[arch]} at L={length}: ")
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
    results: list[dict[str, Any]] = []
    for (length, arch), weight in zip(pairs, weights, strict=True):
        if _stopped(job):
            break
        if job is not None:
            job.set_progress(done_weight / sum(weights), job.eta_s,
                             f"Training {ARCH_LABELS[arch]} at L={length}")
        result = train_long_range(arch, length, settings, job, done_weight / sum(weights),
                                  weight / sum(weights), started)
        if not result["complete"]:
            break
        results.append(result)
        done_weight += weight
        if job is not None:
            elapsed = time.perf_counter() - started
            fraction = done_weight / sum(weights)
            job.publish(Result(values=result))
            job.set_progress(fraction, elapsed / fraction * (1 - fraction),
                             f"{ARCH_LABELS[arch]} at L={length}: {result['accuracy']:.0%} right")
    return results


# --- Real reviews -------------------------------------------------------------------------

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
    for index, arch in enumerate(settings.archs):
        if _stopped(job):
            break
        if job is not None:
            job.set_progress(index / len(settings.archs), job.eta_s,
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
                started=started, label=f"{ARCH_LABELS[arch]}: ")
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
            job.set_progress(fraction, elapsed / fraction * (1 - fraction),
                             f"{ARCH_LABELS[arch]} measured")
    return results


# --- Exploding gradients ------------------------------------------------------------------

@dataclass
class ExplodingSettings(Settings):
    """A ReLU RNN whose recurrent weights amplify the signal at every step, trained by SGD."""

    length: int = knob(30, "Sequence length L",
                       "Steps the gradient travels back through: each multiplies it again.",
                       low=2, high=500)
    units: int = knob(32, "Units", low=1, high=256)
    recurrent_gain: float = knob(
        2.0, "Recurrent weight gain",
        "How much the recurrent weights stretch the state at each step; above 1 the "
        "gradient grows on its way back.", low=0.1, high=10.0, step=0.25)
    learning_rate: float = knob(0.05, "Learning rate (SGD)", "Plain SGD's step size.",
                                low=1e-5, high=10.0, fmt="%.4f")
    clipnorm: float = knob(1.0, "clipnorm",
                           "The clipped run rescales any gradient longer than this to this "
                           "length.", low=1e-3, high=1000.0)
    steps: int = knob(60, "Training steps", "Updates of each run (one batch each).",
                      low=1, high=2000)
    batch_size: int = knob(32, "Batch size", low=1, high=1024)
    seed: int = knob(3, "Seed", low=0, high=2**31 - 1)


def _exploding_model(settings: ExplodingSettings, clipnorm: float | None) -> keras.Model:
    import keras
    import tensorflow as tf
    from keras import layers

    class GradientNormModel(keras.Model):
        """`fit` as usual, but each batch also reports the raw loss and gradient norm."""

        def train_step(self, data: Any) -> dict[str, Any]:
            x, y = data
            with tf.GradientTape() as tape:
                prediction = self(x, training=True)
                loss = self.compute_loss(x=x, y=y, y_pred=prediction)
            gradients = tape.gradient(loss, self.trainable_variables)
            norm = tf.linalg.global_norm(gradients)  # before clipping: what clipping sees
            self.optimizer.apply(gradients, self.trainable_variables)
            return {"loss": loss, "grad_norm": norm}

    keras.utils.set_random_seed(settings.seed)
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(
        12, 8, name="embedding",
        embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0, seed=settings.seed),
    )(tokens)
    # ReLU does not squash the state the way tanh does, and an orthogonal matrix scaled by
    # `recurrent_gain` > 1 stretches it at every step: both forward values and backward
    # gradients grow like gain ** length.
    x = layers.SimpleRNN(
        settings.units, activation="relu", name="recurrent_1",
        recurrent_initializer=keras.initializers.Orthogonal(gain=settings.recurrent_gain,
                                                            seed=settings.seed),
    )(x)
    output = layers.Dense(1, activation="sigmoid", name="output")(x)
    model = GradientNormModel(tokens, output, name="exploding")
    options: dict[str, Any] = {"learning_rate": settings.learning_rate}
    if clipnorm:
        options["clipnorm"] = clipnorm
    model.compile(optimizer=keras.optimizers.SGD(**options), loss="binary_crossentropy")
    return model


def train_exploding(settings: ExplodingSettings, clipnorm: float | None,
                    job: JobContext | None = None, start: float = 0.0, span: float = 1.0,
                    label: str = "") -> dict[str, Any]:
    """One SGD run; per-batch loss and gradient norm, and where it blew up (if it did)."""
    x, y = long_range_data(settings.length, settings.steps * settings.batch_size,
                           seed=settings.seed)
    model = _exploding_model(settings, clipnorm)
    initial = step_gradient_norms(model, x[:64], y[:64])
    callback = live_training(job, steps=settings.steps, epochs=1,
                             batch_size=settings.batch_size, every=0, start=start, span=span,
                             record=("loss", "grad_norm"), label=label)
    model.fit(x, y, epochs=1, batch_size=settings.batch_size, shuffle=False, verbose=0,
              callbacks=[callback])
    blow_up = callback.blow_up
    return {
        "clipnorm": clipnorm,
        "initial_step_norms": initial.tolist(),
        "complete": not callback.stopped,
        "loss": callback.recorded["loss"],
        "grad_norm": callback.recorded["grad_norm"],
        "blew_up_at": blow_up.step if blow_up else None,
        "message": blow_up.message() if blow_up else "",
    }


def run_exploding(settings: ExplodingSettings,
                  job: JobContext | None = None) -> list[dict[str, Any]]:
    """The same run twice, without and with clipping; a "result" event after each."""
    results = []
    for index, clipnorm in enumerate((None, settings.clipnorm)):
        if _stopped(job):
            break
        label = f"clipnorm={clipnorm:g}" if clipnorm else "no clipping"
        if job is not None:
            job.set_progress(index / 2, None, f"Training with {label}")
        result = train_exploding(settings, clipnorm, job, index / 2, 1 / 2,
                                 f"With {label}: ")
        if not result["complete"]:
            break
        results.append(result)
        if job is not None:
            job.publish(Result(values=result))
            job.set_progress((index + 1) / 2)
    return results


EXPERIMENTS = {"long_range": (LongRangeSettings, run_long_range),
               "reviews": (ReviewGradientSettings, run_review_gradients),
               "exploding": (ExplodingSettings, run_exploding)}


def cell_job(job: JobContext, config: dict[str, Any], data: ImdbData | None = None
             ) -> list[dict[str, Any]]:
    """The "cell" job's runner, in a Ray worker: one experiment of Inside the cell.

    `config` is {"experiment": a key of EXPERIMENTS, "settings": its settings as a dict}."""
    settings_class, run = EXPERIMENTS[config["experiment"]]
    settings = settings_class.from_dict(config["settings"])
    if config["experiment"] == "reviews":
        return run(settings, data, job)
    return run(settings, job)


def submit_experiment(experiment: str, title: str, settings: Settings,
                      data: ImdbData | None = None, owner: str | None = None,
                      user: str | None = None) -> Job:
    """Queue one experiment of Inside the cell; `core.schema.SettingsError` if its
    settings cannot run (the one check: the worker trusts them)."""
    from core.jobs import JobSpec, engine

    settings.check()
    spec = JobSpec("cell", title, {"experiment": experiment, "settings": settings.to_dict()},
                   owner, user)
    return engine().submit(spec, data=data)
