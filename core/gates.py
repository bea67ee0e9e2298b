"""LSTM and GRU gates recomputed step by step from a trained layer's own weights.

Keras runs a recurrent layer as one fused kernel and only returns hidden states; the gates
are internal. Here they are recomputed in NumPy from `kernel`, `recurrent_kernel` and
`bias`, following the equations in the Keras source (keras/src/layers/rnn/lstm.py, gru.py):

LSTM (gate blocks in the weight matrices are ordered i, f, c, o):
    i = σ(x W_i + h U_i + b_i)          input gate: how much of the candidate to write
    f = σ(x W_f + h U_f + b_f)          forget gate: how much of the old cell to keep
    g = tanh(x W_c + h U_c + b_c)       candidate values
    c = f * c_prev + i * g              cell state
    o = σ(x W_o + h U_o + b_o)          output gate: how much of the cell to expose
    h = o * tanh(c)

GRU (blocks ordered z, r, h; Keras default `reset_after=True`, bias has two rows:
input bias and recurrent bias):
    z = σ(x W_z + b_z + h U_z + b'_z)   update gate: how much of the old state to keep
    r = σ(x W_r + b_r + h U_r + b'_r)   reset gate: how much of the old state the
    n = tanh(x W_h + b_h + r * (h U_h + b'_h))      candidate may look at
    h = z * h_prev + (1 - z) * n

`trace_layer` checks its own result against the layer's Keras output, so the page can say
how closely the recomputation matches (`MATCH_TOLERANCE`; the tests require it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

GATE_LABELS = {
    "forget": "Forget gate f",
    "input": "Input gate i",
    "output": "Output gate o",
    "candidate": "Candidate g",
    "cell": "Cell state c",
    "hidden": "Hidden state h",
    "update": "Update gate z",
    "reset": "Reset gate r",
}
# float32 Keras against float64 NumPy agree to ~1e-7; more than this means a layer setting
# the recomputation does not model.
MATCH_TOLERANCE = 1e-5
LSTM_GATES = ("forget", "input", "output")
GRU_GATES = ("update", "reset")


class NotAGatedLayer(ValueError):
    """The chosen model's first recurrent layer is not an LSTM or a GRU."""


@dataclass
class GateTrace:
    """Every gate and state of one recurrent layer over one sequence: arrays (steps, units)."""

    cell_type: str  # "lstm" or "gru"
    values: dict[str, np.ndarray]
    tokens: list[str] = field(default_factory=list)
    direction: str = "forward"
    keras_max_diff: float = float("nan")  # largest |recomputed h - Keras h|
    truncated: int = 0  # tokens beyond the model's sequence length, not shown

    @property
    def gates(self) -> tuple[str, ...]:
        return LSTM_GATES if self.cell_type == "lstm" else GRU_GATES

    @property
    def states(self) -> tuple[str, ...]:
        return ("cell", "hidden") if self.cell_type == "lstm" else ("hidden",)

    @property
    def steps(self) -> int:
        return int(self.values["hidden"].shape[0])

    @property
    def units(self) -> int:
        return int(self.values["hidden"].shape[1])

    def mean(self, name: str) -> np.ndarray:
        """The average over units at every step."""
        return self.values[name].mean(axis=1)

    def most_active_units(self, k: int, by: str | None = None) -> np.ndarray:
        """The `k` units whose `by` (default: the memory) changes most over the sequence.

        Units that barely move are the ones the text does not touch; the ones that swing
        (largest standard deviation over steps) react to words, which is what a reader
        wants to look at.
        """
        name = by or ("cell" if self.cell_type == "lstm" else "hidden")
        spread = self.values[name].std(axis=0)
        return np.argsort(-spread, kind="stable")[: max(1, min(k, self.units))]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


_ACTIVATIONS = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
}


def activation_of(layer: Any, which: str) -> Any:
    function = getattr(layer.cell if hasattr(layer, "cell") else layer, which)
    name = getattr(function, "__name__", str(function))
    if name not in _ACTIVATIONS:
        raise NotAGatedLayer(f"The layer uses the activation {name!r}, which is not supported.")
    return _ACTIVATIONS[name]


def layer_weights(layer: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    cell = layer.cell
    bias = np.asarray(cell.bias, dtype=np.float64) if cell.use_bias else None
    return (np.asarray(cell.kernel, dtype=np.float64),
            np.asarray(cell.recurrent_kernel, dtype=np.float64), bias)


def lstm_gates(layer: keras.layers.LSTM, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Gates and states of a Keras LSTM on `inputs` (steps, features), from zero state."""
    kernel, recurrent, bias = layer_weights(layer)
    units = recurrent.shape[0]
    act, rec_act = activation_of(layer, "activation"), activation_of(layer, "recurrent_activation")
    # One matrix product for all steps' input contributions; only the recurrence is a loop.
    projected = np.asarray(inputs, dtype=np.float64) @ kernel
    if bias is not None:
        projected = projected + bias
    h, c = np.zeros(units), np.zeros(units)
    names = ("input", "forget", "candidate", "cell", "output", "hidden")
    out: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for z in projected:
        z = z + h @ recurrent
        i = rec_act(z[:units])
        f = rec_act(z[units:2 * units])
        g = act(z[2 * units:3 * units])
        o = rec_act(z[3 * units:])
        c = f * c + i * g
        h = o * act(c)
        for name, value in zip(names, (i, f, g, c, o, h), strict=True):
            out[name].append(value)
    return {name: np.array(values).reshape(-1, units) for name, values in out.items()}


def gru_gates(layer: keras.layers.GRU, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Gates and state of a Keras GRU on `inputs` (steps, features), from zero state."""
    kernel, recurrent, bias = layer_weights(layer)
    units = recurrent.shape[0]
    act, rec_act = activation_of(layer, "activation"), activation_of(layer, "recurrent_activation")
    reset_after = bool(layer.cell.reset_after)
    input_bias = recurrent_bias = np.zeros(3 * units)
    if bias is not None:
        if reset_after:
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            input_bias = bias
    projected = np.asarray(inputs, dtype=np.float64) @ kernel + input_bias
    h = np.zeros(units)
    names = ("update", "reset", "candidate", "hidden")
    out: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for x in projected:
        if reset_after:
            inner = h @ recurrent + recurrent_bias
            z = rec_act(x[:units] + inner[:units])
            r = rec_act(x[units:2 * units] + inner[units:2 * units])
            n = act(x[2 * units:] + r * inner[2 * units:])
        else:
            inner = h @ recurrent[:, :2 * units]
            z = rec_act(x[:units] + inner[:units])
            r = rec_act(x[units:2 * units] + inner[units:])
            n = act(x[2 * units:] + (r * h) @ recurrent[:, 2 * units:])
        h = z * h + (1.0 - z) * n
        for name, value in zip(names, (z, r, n, h), strict=True):
            out[name].append(value)
    return {name: np.array(values).reshape(-1, units) for name, values in out.items()}


def cell_type(layer: Any) -> str:
    """"lstm", "gru" or the lower-case class name of another recurrent layer."""
    from keras import layers

    inner = layer.forward_layer if isinstance(layer, layers.Bidirectional) else layer
    if isinstance(inner, layers.LSTM):
        return "lstm"
    if isinstance(inner, layers.GRU):
        return "gru"
    return type(inner).__name__.lower()


def trace_layer(layer: Any, inputs: np.ndarray, direction: str = "forward") -> GateTrace:
    """Recompute the gates of an LSTM/GRU (or one direction of a Bidirectional one).

    `inputs` is what the layer receives, (steps, features), without padding. The result's
    `keras_max_diff` compares the recomputed hidden states with the layer's own output.
    """
    from keras import layers

    if isinstance(layer, layers.Bidirectional):
        inner = layer.forward_layer if direction == "forward" else layer.backward_layer
    else:
        inner, direction = layer, "forward"
    kind = cell_type(inner)
    if kind not in ("lstm", "gru"):
        raise NotAGatedLayer(
            f"This model's recurrent layer is a {type(inner).__name__}, which has no gates; "
            "choose an LSTM, BiLSTM or GRU model."
        )
    inputs = np.asarray(inputs, dtype=np.float32)
    # A backward layer reads the sequence from its end; its step k is token T-1-k.
    steps_in = inputs[::-1] if direction == "backward" else inputs
    values = (lstm_gates if kind == "lstm" else gru_gates)(inner, steps_in)
    keras_out = np.asarray(inner(inputs[None, ...]))[0]
    if keras_out.ndim == 1:
        diff = np.abs(keras_out - values["hidden"][-1]).max()
    else:
        # A backward layer with return_sequences returns its outputs in reading order.
        diff = np.abs(keras_out - values["hidden"]).max()
    if direction == "backward":
        values = {name: value[::-1] for name, value in values.items()}
    return GateTrace(cell_type=kind, values=values, direction=direction,
                     keras_max_diff=float(diff))


# --- Whole models -------------------------------------------------------------------------

def recurrent_layer(network: keras.Model) -> Any:
    """The first recurrent layer: `recurrent_1` by name, else the first RNN/Bidirectional."""
    from keras import layers

    try:
        return network.get_layer("recurrent_1")
    except ValueError:
        for layer in network.layers:
            if isinstance(layer, (layers.RNN, layers.Bidirectional)):
                return layer
    raise NotAGatedLayer("This model has no recurrent layer.")


def is_bidirectional(model: keras.Model) -> bool:
    from keras import layers

    from core.models import network_of

    return isinstance(recurrent_layer(network_of(model)), layers.Bidirectional)


@dataclass
class LayerInput:
    """What a sentiment model's first recurrent layer reads for one text."""

    layer: Any  # the layer (an LSTM, GRU, Bidirectional, ...)
    inputs: np.ndarray  # (steps, features), exactly what the layer receives
    tokens: list[str]  # the words it reads, at most the model's sequence length
    first: int  # the step of the first word: networks of old runs put padding first
    truncated: int  # tokens beyond the model's sequence length, not read


def layer_input(model: keras.Model, text: str) -> LayerInput:
    """Run the model's own vectorizer and every layer before the recurrent one (padding,
    embedding, normalisation) on `text`: the vectors the recurrent layer reads."""
    import keras

    from core.models import network_of, vectorizer_of
    from core.text import tokenize

    vectorizer = vectorizer_of(model)
    if vectorizer is None:
        raise ValueError("This model has no TextVectorization layer, so it cannot read text.")
    network = network_of(model)
    layer = recurrent_layer(network)
    tokens = tokenize(text, vectorizer)
    if not tokens:
        raise ValueError("The text has no words the model can read; type a sentence.")
    ids = np.asarray(vectorizer([text]))
    steps = min(len(tokens), ids.shape[1])
    # A layer fed a masked tensor records the mask as a second input: take the vectors.
    source = layer.input[0] if isinstance(layer.input, (list, tuple)) else layer.input
    feeder = keras.Model(network.inputs[0], source)
    inputs = np.asarray(feeder(ids, training=False))[0]
    if _pads_in_front(network):
        # The network moves the padding before the words, so the layer reads the padding
        # first and the words last.
        first = len(inputs) - steps
    else:
        # Padding after the words is masked (or comes after them), so the first steps are
        # exactly what the layer computes for the words.
        inputs, first = inputs[:steps], 0
    return LayerInput(layer, inputs, tokens[:steps], first, len(tokens) - steps)


def trace_text(model: keras.Model, text: str, direction: str = "forward") -> GateTrace:
    """Gates of an end-to-end sentiment model's first recurrent layer over `text`'s tokens.

    The vectorizer and every layer before the recurrent one are the model's own, run by
    Keras (`layer_input`); only the recurrent layer is recomputed.
    """
    read = layer_input(model, text)
    trace = trace_layer(read.layer, read.inputs, direction)
    trace.values = {name: value[read.first:] for name, value in trace.values.items()}
    trace.tokens = read.tokens
    trace.truncated = read.truncated
    return trace


def _pads_in_front(network: keras.Model) -> bool:
    return any(layer.name.startswith("pad_first") for layer in network.layers)
