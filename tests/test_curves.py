"""A run's curves read back from history.json, and drawn."""

import pytest

from core import curves

BATCHES = {"epoch": [0, 0, 1], "step": [0, 1, 0], "loss": [0.7, 0.6, 0.5],
           "accuracy": [0.5, 0.6, 0.7], "batch_loss": [0.7, 0.5, 0.5],
           "batch_accuracy": [0.5, 0.7, 0.7]}
HISTORY = {"loss": [0.6, 0.5], "accuracy": [0.6, 0.7], "val_loss": [0.55, 0.5],
           "val_accuracy": [0.7, 0.72], "epoch_s": [3.0, 1.0], "complete": [True, False],
           "steps_per_epoch": 2, "batches": BATCHES}


def test_saved_curves_read_a_history_and_mark_the_epoch_cut_short():
    saved = curves.saved_curves(HISTORY)
    assert saved.steps_per_epoch == 2 and saved.batches == BATCHES
    assert [row["complete"] for row in saved.epochs] == [True, False]
    assert saved.epoch_times == ([3.0, 1.0], [True, False])
    older = {k: v for k, v in HISTORY.items() if k != "complete"}  # saved before the flag
    assert [row["complete"] for row in curves.saved_curves(older).epochs] == [True, True]


@pytest.mark.parametrize("history", [
    None, [], "text", {}, {"batches": []}, {"batches": {"epoch": [0]}},
    {**HISTORY, "batches": {**BATCHES, "batch_loss": ["a", "b", "c"]}},
    {**HISTORY, "batches": {**BATCHES, "step": [0, 1]}},
    {**HISTORY, "batches": {**BATCHES, "loss": [0.7, None, 0.5]}},
])
def test_malformed_histories_give_no_curves(history):
    assert curves.saved_curves(history) is None


def test_malformed_epoch_lists_are_dropped_or_cut_to_the_shortest():
    assert curves.history_epochs({**HISTORY, "val_loss": "x"}) == []
    short = curves.history_epochs({**HISTORY, "accuracy": [0.6], "epoch_s": None,
                                     "complete": "yes"})
    assert len(short) == 1 and short[0]["epoch_s"] is None and short[0]["complete"]


def test_curves_draw_an_epoch_cut_short_apart_from_the_validation_line():
    from core.charts import training as charts

    epochs = curves.history_epochs(HISTORY)
    figure = charts.curves_figure(BATCHES, epochs, steps_per_epoch=2)
    by_name = {}
    for trace in figure.data:
        by_name.setdefault(trace.name, []).append(trace)
    line = by_name["validation, per epoch"][0]
    assert list(line.x) == [1] and list(line.y) == [0.55]  # only the complete epoch
    [cut_loss, cut_accuracy] = by_name["validation when stopped (epoch not finished)"]
    assert list(cut_loss.x) == [1.5] and list(cut_accuracy.y) == [0.72]  # at its last batch
    times = charts.epoch_times_figure([3.0, 1.0], [True, False])
    assert times.data[0].marker.color[0] != times.data[0].marker.color[1]
    whole = charts.curves_figure(BATCHES, epochs[:1], steps_per_epoch=2)
    assert "validation when stopped (epoch not finished)" not in {t.name for t in whole.data}
