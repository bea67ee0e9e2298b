"""Which models can score, listed even when missing."""

import shutil

import pytest

from core import catalog
from core.runs import SHIPPED_DIR, RunError, RunStore


def test_every_shipped_architecture_is_listed_even_when_missing(tmp_path):
    root = tmp_path / "models"
    shutil.copytree(SHIPPED_DIR / "lstm", root / "lstm")
    (root / "bilstm").mkdir()  # a damaged folder: no files at all
    choices = catalog.model_choices({catalog.SHIPPED: RunStore(root, read_only=True)})
    assert [c.arch for c in choices] == ["simple_rnn", "lstm", "gru", "bilstm", "lstm_lm",
                                         "nblr"]
    assert choices[4].name == "LSTM (LM-pretrained)"
    problems = {c.arch: c.problem for c in choices}
    assert problems["lstm"] == ""
    assert "not shipped" in problems["nblr"] and "nblr.npz" in problems["nblr"]
    assert "not shipped" in problems["gru"] and "missing file" in problems["simple_rnn"]
    assert "missing" in problems["bilstm"] and "--arch lstm_lm" in problems["lstm_lm"]
    with pytest.raises(RunError, match="GRU cannot be used: not shipped"):
        catalog.load_scoring_model(choices[2], {catalog.SHIPPED: RunStore(root)})


def test_a_verdict_is_first_explained_by_the_best_shipped_network():
    def choice(source, run_id, accuracy, problem=""):
        return catalog.ModelChoice(source=source, run_id=run_id, name=run_id, arch="lstm",
                                   seq_len=500, test_accuracy=accuracy, problem=problem)

    choices = [choice(catalog.SHIPPED, "lstm", 0.88), choice(catalog.SHIPPED, "bilstm", 0.89),
               choice(catalog.SHIPPED, "gru", 0.95, problem="damaged"),
               choice(catalog.BASELINE, "nblr", 0.92), choice(catalog.YOURS, "mine", 0.99)]
    assert catalog.best_network(choices) == 1
    assert catalog.best_network(choices[2:]) == 0  # no usable shipped network: the first
