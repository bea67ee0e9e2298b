"""Exploding gradients: a ReLU RNN whose recurrent weights stretch its state, trained by
plain SGD without and with gradient clipping, from the same weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.events import Result
from core.gradients.long_range import long_range_data
from core.gradients.measure import step_gradient_norms, stop_requested
from core.live import live_training
from core.schema import Settings, knob

if TYPE_CHECKING:
    import keras

    from core.jobs import JobContext


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
        if stop_requested(job):
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
