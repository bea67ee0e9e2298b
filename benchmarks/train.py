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

from core import data, training
from core.charts import training as charts
from core.events import Batch
from core.jobs import JobContext
from core.live import live_training
from core.models import TRAIN_PAGE_OVERRIDES, ModelConfig, build_model, uses_xla
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


def _quick_sps(config: ModelConfig, x, y, masked: bool, batches: int = 40) -> float:
    """Training throughput over `batches` batches, after one warm-up batch."""
    import keras
    from keras import layers

    if masked:
        tokens = keras.Input(shape=(config.seq_len,), dtype="int32")
        h = layers.Embedding(config.vocab_size, config.embed_dim, mask_zero=True)(tokens)
        h = layers.LSTM(config.units)(h)
        model = keras.Model(tokens, layers.Dense(1, activation="sigmoid")(h))
        # Compiled as `build_model` compiles the unmasked one (XLA or not), for a fair race.
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"],
                      jit_compile=True if uses_xla(config) else "auto")
    else:
        model = build_model(config)
    n = config.batch_size * batches
    model.fit(x[:config.batch_size], y[:config.batch_size], batch_size=config.batch_size,
              verbose=0)
    start = time.perf_counter()
    model.fit(x[:n], y[:n], batch_size=config.batch_size, epochs=1, verbose=0)
    return n / (time.perf_counter() - start)


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
            view = training.live_view(job.events())
            if view.batches["step"]:
                charts.curves_figure(view.batches, view.epochs, view.steps_per_epoch,
                                     total_epochs=2).to_json()

    watcher = threading.Thread(target=watch_like_the_page, daemon=True)
    watcher.start()
    app.fit(training.train_dataset(x, y, config.batch_size, config.seed), epochs=2, verbose=0,
            shuffle=False, callbacks=[live])
    watching.set()
    watcher.join()
    app_epoch_s = live.epoch_events[-1].epoch_s
    app_sps = len(x) / app_epoch_s
    emit("train_app_sps", app_sps, "reviews/s")
    emit("train_app_over_fit", app_sps / fit_sps, "x")
    emit("lstm_epoch_s", app_epoch_s, "s")
    del bare, app

    # Moving the padding to the front (what the models do) against masking it: the masked
    # LSTM on the same batches (the vectorizer pads at the end).
    emit("lstm_pad_first_sps", _quick_sps(config, x, y, masked=False), "reviews/s")
    emit("lstm_masked_sps", _quick_sps(config, x, y, masked=True), "reviews/s")

    # Accuracy after 60 s of training through the real job path (stop, evaluate, save).
    store = RunStore(tempfile.mkdtemp(prefix="rnnlab-bench-runs-"))
    # With the Train page's starting settings (max pooling, embedding dropout).
    job = training.submit_training(ModelConfig(**{**config.to_dict(), "epochs": 20,
                                                  **TRAIN_PAGE_OVERRIDES}), imdb,
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
        training.score_run(store, job.result, imdb)
        metrics = store.info(job.result).metrics
        emit("lstm_acc_at_60s", metrics["test_accuracy"], "fraction")
        emit("lstm_test_reviews", metrics["test_reviews"], "reviews")
        emit("lstm_latency_ms", metrics["latency_ms"], "ms")
        store.delete(job.result)
    emit("train_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")
