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
