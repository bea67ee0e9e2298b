"""One time step of an LSTM or GRU cell in real numbers: the step-through view.

For the word at step t and a few chosen units, every term of the cell's equations (see
`core.gates` for them): what the word brings (x_t W), what the previous state brings
(h_t-1 U), the bias, their sum (the pre-activation), the gate or candidate it becomes,
and the states that result. Everything comes from the layer's own weights, and the
hidden state is checked against Keras's own output for that step.

    view = step_through(model, "not good at all", step=1)    # the word "good"
    view.terms[unit]["forget"].pre, view.current[unit]["cell"], view.equations(unit)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from core import gates

if TYPE_CHECKING:
    import keras

MAX_UNITS = 4  # units shown at once: enough to compare, few enough to read
# The order a learner reads the equations in (Keras stores LSTM blocks as i, f, c, o and
# GRU blocks as z, r, h).
LSTM_TERMS = ("forget", "input", "candidate", "output")
GRU_TERMS = ("update", "reset", "candidate")
_BLOCK = {"lstm": {"input": 0, "forget": 1, "candidate": 2, "output": 3},
          "gru": {"update": 0, "reset": 1, "candidate": 2}}
SYMBOLS = {"forget": "f", "input": "i", "candidate": "g", "output": "o", "update": "z",
           "reset": "r", "cell": "c", "hidden": "h"}


@dataclass(frozen=True)
class Term:
    """One gate (or the candidate) of one unit at one step: pre = word + memory + bias."""

    word: float  # x_t W: what the current word brings
    memory: float  # h_t-1 U: what the previous hidden state brings (GRU candidate: r(hU + b'))
    bias: float
    pre: float  # the sum, before the activation
    value: float  # after it
    activation: str  # "sigmoid" or "tanh"


@dataclass
class CellStep:
    """Every number of one step of the cell, for the chosen units."""

    cell_type: str  # "lstm" or "gru"
    tokens: list[str]
    step: int  # 0-based position of the word among `tokens`
    units: list[int]
    terms: dict[int, dict[str, Term]]  # unit -> gate name -> its term
    previous: dict[int, dict[str, float]]  # unit -> "hidden" (and "cell") before this word
    current: dict[int, dict[str, float]]  # ... and after it
    keras_hidden: dict[int, float]  # Keras's own hidden state after this word
    direction: str = "forward"

    @property
    def token(self) -> str:
        return self.tokens[self.step]

    @property
    def term_names(self) -> tuple[str, ...]:
        return LSTM_TERMS if self.cell_type == "lstm" else GRU_TERMS

    def symbol(self, name: str) -> str:
        """The letter of a gate or state in the equations (a GRU's candidate is n)."""
        return "n" if self.cell_type == "gru" and name == "candidate" else SYMBOLS[name]

    def label(self, name: str) -> str:
        """A gate's or state's name in words, with its letter."""
        return f"Candidate {self.symbol(name)}" if name == "candidate" else gates.GATE_LABELS[name]

    @property
    def keras_max_diff(self) -> float:
        """The largest |recomputed h_t - Keras's h_t| over the chosen units."""
        return max(abs(self.current[u]["hidden"] - self.keras_hidden[u]) for u in self.units)

    def equations(self, unit: int) -> list[str]:
        """The cell's equations for `unit`, as LaTeX: each one in symbols, then filled with
        this step's numbers, then the result, a line each."""
        terms, before, after = self.terms[unit], self.previous[unit], self.current[unit]
        lines = []
        for name in self.term_names:
            term, symbol = terms[name], self.symbol(name)
            function = r"\sigma" if term.activation == "sigmoid" else r"\tanh"
            memory = (r"r_t\,(h_{t-1}U_n + b'_n)" if self.cell_type == "gru"
                      and name == "candidate" else rf"h_{{t-1}}U_{symbol}")
            lines.append(_lines(
                rf"{symbol}_t", rf"{function}(x_tW_{symbol} + {memory} + b_{symbol})",
                rf"{function}({_sum(term.word, term.memory, term.bias)})",
                rf"{function}({term.pre:.3f}) = {term.value:.3f}"))
        if self.cell_type == "lstm":
            f, i, g, o = (terms[n].value for n in LSTM_TERMS)
            lines.append(_lines(
                "c_t", r"f_t\,c_{t-1} + i_t\,g_t",
                rf"{_n(f)} \times {_n(before['cell'])} + {_n(i)} \times {_n(g)}",
                f"{after['cell']:.3f}"))
            lines.append(_lines(
                "h_t", r"o_t \tanh(c_t)",
                rf"{_n(o)} \times \tanh({after['cell']:.3f}) = {after['hidden']:.3f}"))
        else:
            z, n = terms["update"].value, terms["candidate"].value
            lines.append(_lines(
                "h_t", r"z_t\,h_{t-1} + (1 - z_t)\,n_t",
                rf"{_n(z)} \times {_n(before['hidden'])} + {_n(1 - z)} \times {_n(n)}",
                f"{after['hidden']:.3f}"))
        return lines

    def table(self) -> list[dict[str, Any]]:
        """One row per unit and gate: the equations' numbers as a data table."""
        return [{"unit": unit, "gate": self.label(name),
                 "from the word": term.word, "from the memory": term.memory,
                 "bias": term.bias, "sum": term.pre, "value": term.value}
                for unit in self.units for name in self.term_names
                for term in (self.terms[unit][name],)]

    def state_table(self) -> list[dict[str, Any]]:
        """One row per unit and state: before this word and after it."""
        return [{"unit": unit, "state": self.label(name),
                 "before": self.previous[unit][name], "after": self.current[unit][name]}
                for unit in self.units for name in self.previous[unit]]

    def summary(self, unit: int) -> str:
        """One sentence a screen reader can say instead of the diagram."""
        terms, before, after = self.terms[unit], self.previous[unit], self.current[unit]
        if self.cell_type == "lstm":
            return (f"At “{self.token}”, unit {unit} keeps {terms['forget'].value:.0%} of its "
                    f"memory ({before['cell']:+.3f}), writes {terms['input'].value:.0%} of "
                    f"the candidate {terms['candidate'].value:+.3f}, so its memory becomes "
                    f"{after['cell']:+.3f}; it shows {terms['output'].value:.0%} of it: "
                    f"h = {after['hidden']:+.3f}.")
        return (f"At “{self.token}”, unit {unit} keeps {terms['update'].value:.0%} of its old "
                f"state ({before['hidden']:+.3f}) and takes the rest from the candidate "
                f"{terms['candidate'].value:+.3f} (which saw {terms['reset'].value:.0%} of "
                f"the old state): h = {after['hidden']:+.3f}.")


def _n(value: float) -> str:
    """A number for an equation: three decimals, negatives in brackets after an operator."""
    text = f"{value:.3f}"
    return f"({text})" if value < 0 and text != "-0.000" else text.lstrip("-")


def _lines(left: str, *right: str) -> str:
    """`left = right[0] = right[1] ...`, one step per line (narrow screens keep it whole)."""
    steps = r" \\ &= ".join(right)
    return rf"\begin{{aligned}} {left} &= {steps} \end{{aligned}}"


def _sum(*values: float) -> str:
    """`a + b - c`: each term's sign written as the operator before it."""
    out = f"{values[0]:.3f}"
    for value in values[1:]:
        out += f" - {-value:.3f}" if value < 0 else f" + {value:.3f}"
    return out


def step_through(model: keras.Model, text: str, step: int, units: list[int] | None = None,
                 direction: str = "forward") -> CellStep:
    """The numbers of the model's first recurrent layer at the word `step` of `text`.

    `units` defaults to the most active ones (`GateTrace.most_active_units`); at most
    `MAX_UNITS`. A Bidirectional layer is read in `direction`: the backward one reads the
    review from its end, so its "previous" state is the one after the next word.
    Raises ValueError (no words) or `gates.NotAGatedLayer` with a message for the page.
    """
    from keras import layers

    read = gates.layer_input(model, text)
    inner = read.layer
    if isinstance(inner, layers.Bidirectional):
        inner = inner.forward_layer if direction == "forward" else inner.backward_layer
    else:
        direction = "forward"
    kind = gates.cell_type(inner)
    if kind not in ("lstm", "gru"):
        raise gates.NotAGatedLayer(
            f"This model's recurrent layer is a {type(inner).__name__}, which has no gates; "
            "choose an LSTM, BiLSTM or GRU model.")
    backward = direction == "backward"
    inputs = np.asarray(read.inputs, dtype=np.float64)
    ordered = inputs[::-1] if backward else inputs  # in the order the layer reads them
    values = (gates.lstm_gates if kind == "lstm" else gates.gru_gates)(inner, ordered)
    step = int(np.clip(step, 0, len(read.tokens) - 1))
    position = read.first + step  # among the steps the layer reads, in reading order
    k = len(inputs) - 1 - position if backward else position  # ... in the layer's order
    memory_name = "cell" if kind == "lstm" else "hidden"
    if units is None:
        shown = values[memory_name][::-1] if backward else values[memory_name]
        spread = shown[read.first:].std(axis=0)
        units = list(np.argsort(-spread, kind="stable")[:MAX_UNITS - 1])
    units = [int(u) for u in units][:MAX_UNITS]

    kernel, recurrent, bias = gates.layer_weights(inner)
    n_units = recurrent.shape[0]
    state_names = ("cell", "hidden") if kind == "lstm" else ("hidden",)
    zero = np.zeros(n_units)
    previous = {name: values[name][k - 1] if k > 0 else zero for name in state_names}
    x = ordered[k]
    act = gates.activation_of(inner, "activation")
    rec_act = gates.activation_of(inner, "recurrent_activation")
    if kind == "gru" and bias is not None and bool(inner.cell.reset_after):
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias = bias if bias is not None else np.zeros(recurrent.shape[1])
        recurrent_bias = np.zeros(recurrent.shape[1])
    word_part = x @ kernel
    memory_part = previous["hidden"] @ recurrent
    terms: dict[int, dict[str, Term]] = {}
    for unit in units:
        terms[unit] = {}
        for name, block in _BLOCK[kind].items():
            col = block * n_units + unit
            word, memory = float(word_part[col]), float(memory_part[col])
            b = float(input_bias[col] + recurrent_bias[col])
            if kind == "gru" and name == "candidate":
                r = float(values["reset"][k][unit])
                if inner.cell.reset_after:
                    memory, b = r * (memory + float(recurrent_bias[col])), float(input_bias[col])
                else:  # the reset gate scales the state before the product
                    memory = float((values["reset"][k] * previous["hidden"])
                                   @ recurrent[:, col])
            pre = word + memory + b
            function = act if name == "candidate" else rec_act
            terms[unit][name] = Term(word, memory, b, pre, float(function(np.array(pre))),
                                     "tanh" if name == "candidate" else "sigmoid")
    keras_h = _keras_hidden(inner, inputs, position, backward)
    return CellStep(
        cell_type=kind, tokens=read.tokens, step=step, units=units, terms=terms,
        previous={u: {n: float(previous[n][u]) for n in state_names} for u in units},
        current={u: {n: float(values[n][k][u]) for n in state_names} for u in units},
        keras_hidden={u: float(keras_h[u]) for u in units}, direction=direction)


def _keras_hidden(layer: Any, inputs: np.ndarray, position: int, backward: bool) -> np.ndarray:
    """Keras's own hidden state once the layer has read up to `position` (in its order)."""
    part = inputs[position:] if backward else inputs[:position + 1]
    out = np.asarray(layer(part[None].astype(np.float32), training=False))[0]
    return out if out.ndim == 1 else out[-1]
