"""Every chart also says what it shows in one sentence (for screen readers, and for anyone
who cannot tell its colours apart): the summaries are computed from the same data."""

from __future__ import annotations

from core import data
from core.charts import data as data_charts
from core.charts import training as training_charts


def test_the_data_charts_in_words(imdb):
    lengths = imdb.train["n_words"]
    text = data_charts.length_summary(lengths, 200)
    assert f"{int(lengths.median()):,} words" in text
    assert f"{(lengths > 200).mean():.0%} are longer than 200" in text
    balance = data_charts.class_balance_summary(data.dataset_summary(imdb))
    assert "train: 12,500 positive, 12,500 negative" in balance
    assert "test: 12,500 positive, 12,500 negative" in balance
    stars = data_charts.stars_summary(imdb.train)
    assert stars.startswith(f"{int(imdb.train['stars'].value_counts().idxmax())} star")


def test_the_training_charts_in_words():
    assert training_charts.confusion_summary([[90, 10], [5, 95]]) == (
        "185 of 200 test reviews right (92.5%): 10 negative reviews called positive, "
        "5 positive ones called negative.")
    epochs = [{"val_accuracy": 0.81, "val_loss": 0.45, "complete": True},
              {"val_accuracy": 0.84, "val_loss": 0.39, "complete": True},
              {"val_accuracy": 0.83, "val_loss": 0.41, "complete": True},
              {"val_accuracy": 0.70, "val_loss": 0.60, "complete": False}]
    assert training_charts.curves_summary(epochs) == (
        "After epoch 3: validation accuracy 83.0%, validation loss 0.410. "
        "The best was epoch 2 (84.0%).")
    assert training_charts.curves_summary([]) == "No full epoch was validated yet."
