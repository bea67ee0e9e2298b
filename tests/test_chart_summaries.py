"""Every chart also says what it shows in one sentence (for screen readers, and for anyone
who cannot tell its colours apart): the summaries are computed from the same data."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from core import data
from core.charts import data as data_charts
from core.charts import training as training_charts
from core.charts.describe import describe_figure


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


def test_the_live_curves_and_epoch_times_in_words():
    batches = {"epoch": [0, 0, 1], "step": [0, 1, 0], "loss": [0.7, 0.6, 0.5],
               "accuracy": [0.5, 0.6, 0.7]}
    epochs = [{"val_accuracy": 0.8, "val_loss": 0.44, "complete": True}]
    text = training_charts.live_curves_summary(batches, epochs, 2, 3)
    assert text.startswith("Epoch 2 of 3, batch 1 of 2: training loss ")
    assert f"{training_charts.smooth([0.7, 0.6, 0.5])[-1]:.3f}" in text
    assert text.endswith("After epoch 1: validation accuracy 80.0%, validation loss 0.440.")
    assert training_charts.live_curves_summary({}, [], 5) == "No batch has finished yet."
    assert training_charts.epoch_times_summary([12.0, 8.0, 3.0], [True, True, False]) == (
        "2 full epochs, 10.0 s on average (the first 12.0 s, the last 8.0 s); "
        "1 cut short by Stop.")


def test_any_chart_is_described_from_its_own_data():
    fig = go.Figure([
        go.Scatter(x=[1, 2, 3], y=[0.5, 0.9, 0.7], name="val accuracy", mode="lines"),
        go.Bar(x=["LSTM", "GRU"], y=[0.88, 0.87], name="accuracy"),
        go.Bar(y=[f"w{i}" for i in range(8)], x=list(range(8)), orientation="h"),
        go.Heatmap(z=[[0.1, 0.2], [0.9, float("nan")]], x=["a", "b"], y=["r1", "r2"]),
    ])
    fig.update_layout(title="Curves<br><span>per epoch</span>")
    assert describe_figure(fig) == (
        "Curves — per epoch: val accuracy: from 0.5 at 1 to 0.7 at 3, highest 0.9 at 2; "
        "accuracy: LSTM 0.88, GRU 0.87; 8 bars, highest w7 (7), lowest w0 (0); "
        "2 × 2 cells from 0.1 to 0.9, largest at r2, a.")
    assert describe_figure(go.Figure()) == "No data to show yet."
    assert describe_figure(go.Figure(go.Bar(x=["boring"], y=[-2.6]))) == "Boring -2.6."


def test_a_described_chart_writes_values_and_positions_as_its_axes_do():
    words = go.Figure(go.Scatter(x=[0, 1, 2], y=[0.02, -0.0963, 0.5], mode="lines",
                                 name="share"))
    words.update_layout(title="Memory", yaxis_tickformat=".0%",
                        xaxis={"tickvals": [0, 1, 2], "ticktext": ["not", "<b>bad</b>", "!"]})
    assert describe_figure(words) == (
        "Memory: share: from 2% at “not” to 50% at “!”, lowest -10% at “bad”.")
    epochs = go.Figure(go.Scatter(x=[1, 2, 3], y=[0.81, 0.86, 0.84], mode="lines"))
    epochs.update_layout(xaxis_title="Epoch", yaxis_tickformat=".1%")
    assert describe_figure(epochs) == (
        "From 81.0% at epoch 1 to 84.0% at epoch 3, highest 86.0% at epoch 2.")
    times = go.Figure(go.Bar(x=["LSTM", "GRU"], y=[12.5, 9.0]))
    times.update_layout(title="Time per epoch", yaxis_ticksuffix=" s")
    assert describe_figure(times) == "Time per epoch: LSTM 12.5 s, GRU 9 s."
    grid = go.Figure(go.Heatmap(z=[[0.1, 0.7]], x=[0, 16], y=["LSTM"]))
    grid.update_layout(xaxis_title="distance")
    assert describe_figure(grid).endswith("largest at LSTM, distance 16.")
    sizes = go.Figure(go.Bar(x=["16", "32"], y=[0.8, 0.85]))
    sizes.update_layout(xaxis_title="LSTM units", yaxis_tickformat=".0%")
    assert describe_figure(sizes) == "16 80%, 32 85%."  # categories are not numbers
    many = go.Figure([go.Scatter(y=[i], name=f"s{i}") for i in range(6)])
    assert describe_figure(many).endswith("and 2 more series.")


def test_an_axis_that_counts_things_puts_the_count_first():
    from core.charts import base_layout

    fig = base_layout(go.Figure(go.Scatter(x=[0, 1, 2], y=[0.4, 0.1, 0.2], name="LSTM")),
                      "Share", "words before the end", "share")
    assert describe_figure(fig) == ("Share: LSTM: from 0.4 at 0 words before the end to 0.2 at "
                                    "2 words before the end, lowest 0.1 at 1 word before the "
                                    "end.")


def test_every_chart_on_a_page_is_drawn_with_words_or_a_table_beside_it():
    pages = sorted(Path(__file__).resolve().parents[1].joinpath("pages").glob("*.py"))
    bare = [f"{page.name}: {line.strip()}" for page in pages
            for line in page.read_text().splitlines() if ".plotly_chart(" in line
            and "where.plotly_chart" not in line]
    # These sit beside a table of the same numbers, or a caption written for them.
    beside = ("charts.edit_chart", "charts.quality_bars", "charts.step_diagram",
              "charts.state_path_chart")
    assert [b for b in bare if not any(name in b for name in beside)] == []
