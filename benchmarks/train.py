"""Training speed and memory: the app's training path against a bare `model.fit`.

Same model (LSTM, vocabulary 10,000, 200 tokens, embedding 64, 64 units, batch 128) and
the same 25,000 training reviews for both; each is timed on its second epoch, so that
graph tracing is not counted. The app path runs with its live callback and a thread that,
like an open Train page, rebuilds the live figure from the job's events every second.
Then the app trains for 60 s through a real job and is stopped, and the saved run's
accuracy on the 25,000 test reviews is reported.
"""

from __future__ import annotations

import resource
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from core import batching, curves, data, scoring, training
from core.charts import training as charts
from core.config import QUICK_START, ModelConfig
from core.events import Batch
from core.jobs import JobContext
from core.live import live_training
from core.models import build_model
from core.runs import RunStore

TRAIN_BUDGET_S = 60.0


def _epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.times.append(time.perf_counter() - self.start)

    return EpochTimer()


def _padded_network(config: ModelConfig):
    """The network as shipped before length-aware batching, for the before/after figure:
    every review padded to `seq_len`, the padding moved in front of the words and read by
    the recurrent layer, max pooling over every step (padding included)."""
    import keras
    from keras import layers

    from core.layers import pad_first_layer
    from core.models import make_optimizer

    tokens = keras.Input(shape=(config.seq_len,), dtype="int32")
    x = layers.Embedding(config.vocab_size, config.embed_dim)(pad_first_layer()(tokens))
    x = layers.SpatialDropout1D(config.embed_dropout)(x)
    cell = {"lstm": layers.LSTM, "gru": layers.GRU}[config.cell](config.units,
                                                                  return_sequences=True)
    x = layers.Bidirectional(cell)(x) if config.bidirectional else cell(x)
    x = layers.Dropout(config.dropout)(layers.GlobalMaxPooling1D()(x))
    model = keras.Model(tokens, layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer=make_optimizer(config), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def epoch_s_before_and_after(config: ModelConfig, x, y, batches: int = 30) -> dict[str, float]:
    """Seconds per epoch of `len(x)` reviews with the shipped recipe, from `batches` timed
    batches after two warm-up ones: padded to `seq_len` as before, and length-batched
    (each batch padded to its longest review, the padding masked)."""
    import keras
    import numpy as np
    import tensorflow as tf

    n = config.batch_size * batches
    rows = np.random.default_rng(0).choice(len(x), n, replace=False)
    xs, ys = x[rows], y[rows]
    result = {}
    for name in ("padded", "length_batched"):
        keras.utils.set_random_seed(0)
        if name == "padded":
            model = _padded_network(config)
            dataset = tf.data.Dataset.from_tensor_slices((xs, ys)).batch(config.batch_size)
        else:
            model = build_model(config)
            dataset = batching.train_dataset(xs, ys, config.batch_size, config.seed)
        model.fit(dataset.take(2), verbose=0)
        start = time.perf_counter()
        model.fit(dataset, verbose=0)
        result[name] = (time.perf_counter() - start) / n * len(x)
    return result


def run(emit: Callable[..., None]) -> None:
    import keras
    import numpy as np

    imdb = data.load_imdb()
    config = ModelConfig(arch="lstm", vocab_size=10_000, seq_len=200, embed_dim=64, units=64,
                         batch_size=128, epochs=2, train_size=25_000, val_share=0.1)
    prepared = training.prepare_data(config, imdb)
    # The full 25,000 reviews for the throughput comparison (the app holds 10% back for
    # validation; that split does not change the speed per review).
    x = np.concatenate([prepared.x_train, prepared.x_val])
    y = np.concatenate([prepared.y_train, prepared.y_val])

    keras.utils.set_random_seed(0)
    bare = build_model(config)
    timer = _epoch_timer()
    bare.fit(x, y, batch_size=config.batch_size, epochs=2, verbose=0, callbacks=[timer])
    fit_sps = len(x) / timer.times[-1]
    emit("train_fit_sps", fit_sps, "reviews/s")

    keras.utils.set_random_seed(0)
    app = build_model(config)
    job = JobContext("benchmark")
    steps = -(-len(x) // config.batch_size)
    live = live_training(job, steps=steps, epochs=2, batch_size=config.batch_size,
                         samples=len(x))
    # What an open Train page costs: once a second it folds the job's events and builds
    # the live figure (drawing it is the browser's work, not this process's).
    watching = threading.Event()

    def watch_like_the_page() -> None:
        while not watching.wait(1.0):
            view = curves.live_view(job.events())
            if view.batches["step"]:
                charts.curves_figure(view.batches, view.epochs, view.steps_per_epoch,
                                     total_epochs=2).to_json()

    watcher = threading.Thread(target=watch_like_the_page, daemon=True)
    watcher.start()
    app.fit(batching.train_dataset(x, y, config.batch_size, config.seed), epochs=2, verbose=0,
            shuffle=False, callbacks=[live])
    watching.set()
    watcher.join()
    app_epoch_s = live.epoch_events[-1].epoch_s
    app_sps = len(x) / app_epoch_s
    emit("train_app_sps", app_sps, "reviews/s")
    emit("train_app_over_fit", app_sps / fit_sps, "x")
    emit("lstm_epoch_s", app_epoch_s, "s")
    del bare, app

    # Length-aware batching on the shipped recipe (500 tokens): an epoch's time before
    # (every review padded to 500) and after (each batch padded to its longest review).
    from core.pretrain import SHIPPED_CONFIGS

    shipped = replace(SHIPPED_CONFIGS["lstm"], embeddings="learned")
    long = training.prepare_data(shipped, imdb)
    times = epoch_s_before_and_after(shipped, long.x_train, long.y_train)
    emit("shipped_lstm_epoch_s_padded", times["padded"], "s")
    emit("shipped_lstm_epoch_s_length_batched", times["length_batched"], "s")
    emit("length_batching_speedup", times["padded"] / times["length_batched"], "x")
    del long

    # Accuracy after 60 s of training through the real job path (stop, evaluate, save).
    store = RunStore(tempfile.mkdtemp(prefix="rnnlab-bench-runs-"))
    # With the Train page's starting settings.
    job = training.submit_training(replace(QUICK_START, epochs=20), imdb,
                                   name="benchmark 60 s", store=store)
    started = threading.Event()
    while not job.finished and not started.is_set():
        if any(isinstance(e, Batch) for e in job.events()[-5:]):
            started.set()
        time.sleep(0.05)
    first_batch = time.time()
    while not job.finished and time.time() - first_batch < TRAIN_BUDGET_S:
        time.sleep(0.1)
    asked = time.perf_counter()
    job.stop()
    job.wait()
    # What a user waits after Stop until the saved run is shown (target: 5 s).
    emit("stop_to_saved_s", time.perf_counter() - asked, "s")
    if job.result is None:
        print(f"# lstm_acc_at_60s: the training job failed: {job.error}", flush=True)
        emit("lstm_acc_at_60s", float("nan"), "fraction")
    else:
        # A stopped run is scored on a quick sample at once; the figure is on all reviews.
        scoring.score_run(store, job.result, imdb)
        metrics = store.info(job.result).metrics
        emit("lstm_acc_at_60s", metrics["test_accuracy"], "fraction")
        emit("lstm_test_reviews", metrics["test_reviews"], "reviews")
        emit("lstm_latency_one_ms", metrics["latency_one_ms"], "ms")
        store.delete(job.result)
    emit("train_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")
