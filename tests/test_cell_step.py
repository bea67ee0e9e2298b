"""One step of the cell in real numbers, on the shipped models: every term adds up, the
equations hold, each step starts where the last one ended, and the hidden state is
Keras's own."""

from __future__ import annotations

import math

import pytest

from core import cell_step, gates
from core.charts.cell import step_diagram
from core.runs import shipped_store

TEXT = "Not good at all, but the ending was <b>beautiful</b>."


@pytest.fixture(scope="module")
def models():
    store = shipped_store()
    return {arch: store.load(arch).model for arch in ("simple_rnn", "lstm", "gru", "bilstm")}


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@pytest.mark.parametrize(("arch", "direction"), [
    ("lstm", "forward"), ("gru", "forward"), ("bilstm", "forward"), ("bilstm", "backward")])
def test_every_step_adds_up_and_matches_keras(models, arch, direction):
    views = []
    trace = gates.trace_text(models[arch], TEXT, direction)
    for step in range(trace.steps):
        view = cell_step.step_through(models[arch], TEXT, step, direction=direction)
        assert view.token == trace.tokens[step]
        # Keras's own hidden state, from the layer run on the words up to this one
        assert view.keras_max_diff <= 1e-5
        for unit in view.units:
            terms, before, after = view.terms[unit], view.previous[unit], view.current[unit]
            for name, term in terms.items():
                assert term.pre == pytest.approx(term.word + term.memory + term.bias, abs=1e-12)
                function = math.tanh if name == "candidate" else sigmoid
                assert term.value == pytest.approx(function(term.pre), abs=1e-9)
                assert term.value == pytest.approx(trace.values[name][step][unit], abs=1e-9)
            if view.cell_type == "lstm":
                f, i, g, o = (terms[n].value for n in ("forget", "input", "candidate", "output"))
                assert after["cell"] == pytest.approx(f * before["cell"] + i * g, abs=1e-9)
                assert after["hidden"] == pytest.approx(o * math.tanh(after["cell"]), abs=1e-9)
            else:
                z, n = terms["update"].value, terms["candidate"].value
                assert after["hidden"] == pytest.approx(z * before["hidden"] + (1 - z) * n,
                                                        abs=1e-9)
        views.append(view)
    # Each step starts from the state the previous one (in the layer's reading order) left.
    order = views if direction == "forward" else views[::-1]
    first = order[0]
    assert all(value == 0 for state in first.previous.values() for value in state.values())
    for earlier, later in zip(order, order[1:], strict=False):
        for unit in first.units:
            assert later.previous[unit] == pytest.approx(earlier.current[unit], abs=1e-12)


def test_the_equations_and_tables_show_the_same_numbers(models):
    view = cell_step.step_through(models["lstm"], TEXT, 1, units=[0, 5])
    assert view.token == "good" and view.units == [0, 5]
    lines = view.equations(5)
    assert len(lines) == 6 and lines[0].startswith(r"\begin{aligned} f_t")
    forget = view.terms[5]["forget"]
    assert f"= {forget.value:.3f}" in lines[0]
    assert f"{view.current[5]['hidden']:.3f}" in lines[-1]
    assert [row["gate"] for row in view.table()[:4]] == [
        "Forget gate f", "Input gate i", "Candidate g", "Output gate o"]
    assert {row["unit"] for row in view.state_table()} == {0, 5}
    assert "“good”" in view.summary(5)
    gru = cell_step.step_through(models["gru"], TEXT, 0, units=[3])
    assert gru.symbol("candidate") == "n" and r"n_t &= \tanh" in gru.equations(3)[2]
    assert [row["gate"] for row in gru.table()] == ["Update gate z", "Reset gate r",
                                                    "Candidate n"]


def test_steps_and_units_are_kept_in_range(models):
    view = cell_step.step_through(models["lstm"], TEXT, 10_000, units=list(range(9)))
    assert view.step == len(view.tokens) - 1
    assert len(view.units) == cell_step.MAX_UNITS
    assert cell_step.step_through(models["lstm"], TEXT, -3).step == 0


def test_a_cell_without_gates_and_a_text_without_words_get_messages(models):
    with pytest.raises(gates.NotAGatedLayer, match="no gates"):
        cell_step.step_through(models["simple_rnn"], TEXT, 0)
    with pytest.raises(ValueError, match="no words"):
        cell_step.step_through(models["lstm"], "!!! ???", 0)


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_the_diagram_labels_each_path_with_its_number(models, arch):
    view = cell_step.step_through(models[arch], TEXT, len(TEXT.split()) - 1)
    unit = view.units[0]
    fig = step_diagram(view, unit)
    texts = " ".join(a.text or "" for a in fig.layout.annotations)
    assert f"{view.current[unit]['hidden']:+.3f}" in texts
    for term in view.terms[unit].values():
        assert f"{term.value:.3f}" in texts
    # The model's standardisation strips < and >, so a tag never reaches the figure as one.
    assert f"“{view.token}”" in fig.layout.title.text and "<b>" not in view.token
