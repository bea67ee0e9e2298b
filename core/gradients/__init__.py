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
- `word_memory` (not a job: one typed sentence takes about a second): how much each word of
  a text still moves a trained model's verdict, by integrated gradients.

Each experiment runs as a job's work (`core.jobs`): it publishes one event per finished
piece, reports progress and honours stop at the next batch.

One concern per file:

    measure.py      per-step gradient norms and their first-to-last ratio
    long_range.py   the long-range task and its settings
    reviews.py      the same measurement on real sentiment models and reviews
    exploding.py    a stretching ReLU RNN trained with and without clipping
    memory.py       memory on your own sentence: each word's integrated-gradient share
    experiments.py  the three as jobs: `submit_experiment`, `cell_job`
"""

from core.gradients.experiments import EXPERIMENTS, cell_job, submit_experiment
from core.gradients.exploding import ExplodingSettings, run_exploding, train_exploding
from core.gradients.long_range import (
    FIRST_DISTRACTOR,
    LENGTH_CHOICES,
    SIGNAL_TOKENS,
    LongRangeSettings,
    long_range_data,
    long_range_expected_s,
    long_range_model,
    run_long_range,
    train_long_range,
)
from core.gradients.measure import (
    CELL_LABELS,
    GRADIENT_ARCHS,
    first_to_last_ratio,
    step_gradient_norms,
)
from core.gradients.reviews import (
    ReviewGradientSettings,
    reviews_expected_s,
    run_review_gradients,
)

__all__ = [
    "CELL_LABELS", "EXPERIMENTS", "FIRST_DISTRACTOR", "GRADIENT_ARCHS", "LENGTH_CHOICES",
    "SIGNAL_TOKENS", "ExplodingSettings", "LongRangeSettings", "ReviewGradientSettings",
    "cell_job", "first_to_last_ratio", "long_range_data", "long_range_expected_s",
    "long_range_model", "reviews_expected_s", "run_exploding", "run_long_range",
    "run_review_gradients", "step_gradient_norms", "submit_experiment",
    "train_exploding", "train_long_range",
]
