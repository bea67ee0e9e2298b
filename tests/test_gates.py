"""Gates recomputed from real Keras weights reproduce Keras's own hidden states."""

from __future__ import annotations

import numpy as np
import pytest

from core import gates, text
from core.config import ModelConfig
from core.models import build_model, end_to_end


def _randomise(layer, seed: int) -> None:
    """Large random weights and biases, so a wrong gate order could not go unnoticed."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.6, w.shape).astype("float32") for w in layer.get_weights()])


@pytest.mark.parametrize("kind, options", [
    ("lstm", {}),
    ("gru", {}),  # reset_after=True, the Keras default
    ("gru", {"reset_after": False}),
])
def test_recomputed_states_match_keras_sequence_output(kind, options):
    import keras

    cls = keras.layers.LSTM if kind == "lstm" else keras.layers.GRU
    layer = cls(6, return_sequences=True, **options)
    inputs = np.random.default_rng(0).normal(size=(15, 4)).astype("float32")
    layer(inputs[None])  # builds the weights
    _randomise(layer, 1)
    trace = gates.trace_layer(layer, inputs)
    keras_states = np.asarray(layer(inputs[None]))[0]
    assert np.abs(trace.values["hidden"] - keras_states).max() < 1e-5
    assert trace.keras_max_diff < 1e-5
    for name in trace.gates:  # gates are sigmoids: strictly between 0 and 1
        assert ((trace.values[name] > 0) & (trace.values[name] < 1)).all()
    assert trace.values["hidden"].shape == (15, 6) and trace.cell_type == kind


def test_lstm_gate_order_is_i_f_c_o():
    """A big bias on the second block (f) must show up as the forget gate, nowhere else."""
    import keras

    layer = keras.layers.LSTM(3)
    inputs = np.zeros((5, 2), dtype="float32")
    layer(inputs[None])
    kernel, recurrent, bias = layer.get_weights()
    bias = np.zeros_like(bias)
    bias[3:6] = 8.0  # block 2 of i, f, c, o
    layer.set_weights([kernel * 0, recurrent * 0, bias])
    trace = gates.trace_layer(layer, inputs)
    assert (trace.values["forget"] > 0.99).all()
    assert np.allclose(trace.values["input"], 0.5) and np.allclose(trace.values["output"], 0.5)


def _tiny_sentiment_model(arch: str) -> tuple:
    texts = ["a great great film", "an awful boring film", "great acting", "boring plot"] * 5
    vectorizer = text.make_vectorizer(texts, vocab_size=30, seq_len=12)
    config = ModelConfig(arch=arch, vocab_size=30, seq_len=12, embed_dim=5, units=4,
                         dropout=0.0, train_size=20, epochs=1)
    network = build_model(config)
    _randomise(network.get_layer("recurrent_1"), 2)
    return end_to_end(vectorizer, network), network


@pytest.mark.parametrize("arch", ["lstm", "gru", "bilstm"])
def test_trace_text_follows_the_end_to_end_model(arch):
    import keras

    model, network = _tiny_sentiment_model(arch)
    review = "A great film, <b>great</b> acting"
    directions = ["forward", "backward"] if arch == "bilstm" else ["forward"]
    assert gates.is_bidirectional(model) is (arch == "bilstm")
    for direction in directions:
        trace = gates.trace_text(model, review, direction)
        assert trace.tokens == ["a", "great", "film", "bgreatb", "acting"]
        assert trace.keras_max_diff < 1e-5
        assert trace.steps == 5 and trace.direction == direction
    # The recomputed last state is the one Keras feeds the output layer, whatever the
    # network does with padding.
    layer = network.get_layer("recurrent_1")
    ids = np.asarray(model.layers[1]([review]))
    final = np.asarray(keras.Model(network.inputs, layer.output)(ids))[0]
    trace = gates.trace_text(model, review)
    # (A backward layer ends on the padding the network puts in front, so only the forward
    # half of a BiLSTM's output is the state after the last word.)
    assert np.abs(final[:4] - trace.values["hidden"][-1]).max() < 1e-5


def test_long_text_is_cut_at_the_model_length_and_units_ranked():
    model, _ = _tiny_sentiment_model("lstm")
    trace = gates.trace_text(model, " ".join(["great"] * 20))
    assert trace.steps == 12 and trace.truncated == 8
    top = trace.most_active_units(2)
    spread = trace.values["cell"].std(axis=0)
    assert len(top) == 2 and spread[top[0]] == spread.max()
    assert trace.mean("forget").shape == (12,)


def test_models_without_gates_or_words_get_clear_errors():
    model, _ = _tiny_sentiment_model("simple_rnn")
    with pytest.raises(gates.NotAGatedLayer, match="no gates"):
        gates.trace_text(model, "great film")
    lstm, _ = _tiny_sentiment_model("lstm")
    with pytest.raises(ValueError, match="no words"):
        gates.trace_text(lstm, "   !!! ")
    trace = gates.trace_text(lstm, "😀 ελληνικά 映画 great")  # unknown words are still steps
    assert trace.steps == 4
