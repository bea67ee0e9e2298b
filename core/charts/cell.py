"""Charts for "Inside the cell": gradients through time, accuracy against distance, the
exploding-gradient runs and gate heatmaps over a review's tokens.

Tokens come from users, and Plotly renders a few HTML tags in tick labels and hover text,
so every token is passed through `html.escape` before it reaches a figure.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts import ARCH_COLORS, NEGATIVE_COLOR, POSITIVE_COLOR, base_layout
from core.charts.describe import REPEAT_MARK
from core.config import ARCH_LABELS
from core.gates import GATE_LABELS, GateTrace

NO_CLIP_COLOR = NEGATIVE_COLOR
CLIP_COLOR = ARCH_COLORS["lstm"]
# `REPEAT_MARK` is appended to a repeated word so that each of its places on a token axis
# stays a column of its own; it takes no space on screen and the summaries drop it.


def safe_token(token: str, limit: int = 24) -> str:
    """A token as plain text for Plotly: HTML-escaped, and shortened if very long."""
    token = token.replace(REPEAT_MARK, "")  # pasted text can carry it; labels add their own
    token = token if len(token) <= limit else token[: limit - 1] + "…"
    return html.escape(token, quote=True)


def token_labels(tokens: Sequence[str]) -> list[str]:
    """One label per token, in order, each different (a repeated word gets `REPEAT_MARK`s)."""
    used: set[str] = set()
    labels = []
    for token in tokens:
        label = safe_token(token)
        while label in used:
            label += REPEAT_MARK
        used.add(label)
        labels.append(label)
    return labels


def _token_axis(fig: go.Figure, tokens: Sequence[str], row: int | None = None) -> None:
    """The tokens as the x axis's categories, in reading order. Plotly then labels as
    many of them as fit the chart's width: every word on a laptop, every second or third
    on a phone, where forced labels would overprint each other."""
    options = dict(type="category", categoryorder="array", categoryarray=token_labels(tokens),
                   tickangle=-55)
    if row is None:
        fig.update_xaxes(**options)
    else:
        fig.update_xaxes(row=row, col=1, **options)


def _relative(norms: Sequence[float]) -> np.ndarray:
    values = np.asarray(norms, dtype=np.float64)
    last = values[np.isfinite(values)][-1] if np.isfinite(values).any() else np.nan
    return values / last if last and np.isfinite(last) else values


def step_gradient_chart(results: Sequence[dict[str, Any]], title: str, key: str = "grad_norms",
                        x_title: str = "time step t (0 = first token)",
                        first_label: str | None = None, subtitle: str = "") -> go.Figure:
    """|d loss / d x_t| per time step, one line per architecture, relative to the last step.

    Dividing by the last step's norm puts every architecture on the same footing: the
    curve reads "what share of the error signal at the end still reaches step t".
    """
    fig = go.Figure()
    for result in results:
        relative = _relative(result[key])
        arch = result["arch"]
        fig.add_trace(go.Scatter(
            x=np.arange(len(relative)), y=relative, mode="lines",
            name=ARCH_LABELS.get(arch, arch), line=dict(color=ARCH_COLORS.get(arch), width=2.5),
            hovertemplate="step %{x}: %{y:.2e} of the last step's gradient<extra>%{fullData.name}"
                          "</extra>",
        ))
    fig.add_hline(y=1.0, line=dict(color="#bbbbbb", dash="dot"))
    if first_label:
        fig.add_annotation(x=0, y=0, xref="x", yref="paper", text=first_label, showarrow=False,
                           yanchor="bottom", xanchor="left", font=dict(size=11, color="#555"))
    base_layout(fig, title, x_title, "gradient norm ÷ last step's (log)", subtitle=subtitle)
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def accuracy_vs_length_chart(results: Sequence[dict[str, Any]],
                             archs: Sequence[str] = ("simple_rnn", "lstm", "gru")) -> go.Figure:
    """Test accuracy against the number of distractors L, one line per architecture."""
    fig = go.Figure()
    for arch in archs:
        points = sorted((r["length"], r["accuracy"]) for r in results if r["arch"] == arch)
        if not points:
            continue
        lengths, accuracy = zip(*points, strict=True)
        fig.add_trace(go.Scatter(
            x=lengths, y=accuracy, mode="lines+markers", name=ARCH_LABELS.get(arch, arch),
            line=dict(color=ARCH_COLORS.get(arch), width=2.5), marker=dict(size=9),
            hovertemplate="L=%{x}: %{y:.1%}<extra>%{fullData.name}</extra>",
        ))
    fig.add_hline(y=0.5, line=dict(color="#888", dash="dash"), annotation_text="chance (50%)",
                  annotation_position="bottom right")
    base_layout(fig, "Accuracy against distance L", "distractor tokens L between the signal "
                "and the end", "test accuracy", subtitle="the same training budget for each")
    fig.update_yaxes(range=[0.3, 1.05], tickformat=".0%")
    fig.update_xaxes(rangemode="tozero")
    return fig


def _run_label(result: dict[str, Any]) -> str:
    return f"clipnorm={result['clipnorm']:g}" if result.get("clipnorm") else "no clipping"


def exploding_chart(results: Sequence[dict[str, Any]]) -> go.Figure:
    """Loss and gradient norm per training step, without and with clipping, side by side."""
    # Short titles (the x axes say "training step"): side by side at a phone's width,
    # the longer ones ran into each other.
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "Loss", "Gradient norm<br><span style='font-size:11px'>before clipping</span>"))
    for result in results:
        clipped = bool(result.get("clipnorm"))
        color = CLIP_COLOR if clipped else NO_CLIP_COLOR
        name = _run_label(result)
        for col, key in ((1, "loss"), (2, "grad_norm")):
            values = np.asarray(result[key], dtype=np.float64)
            steps = np.arange(1, len(values) + 1)
            finite = np.isfinite(values)
            fig.add_trace(go.Scatter(
                x=steps[finite], y=values[finite], mode="lines+markers", name=name,
                legendgroup=name, showlegend=col == 1, marker=dict(size=4 if clipped else 9),
                line=dict(color=color, width=2.5),
                hovertemplate=f"step %{{x}}: %{{y:.3g}}<extra>{name}</extra>",
            ), row=1, col=col)
            if result.get("blew_up_at"):
                fig.add_vline(
                    x=result["blew_up_at"], row=1, col=col,
                    line=dict(color=color, dash="dash", width=2),
                    annotation_text=f"NaN at step {result['blew_up_at']}: stopped",
                    annotation_position="top right", annotation_font_color=color,
                )
    base_layout(fig, "", "", "", height=400)
    fig.update_layout(margin=dict(l=50, r=20, t=40, b=45),
                      legend=dict(orientation="h", yref="paper", yanchor="top", y=-0.2,
                                  xanchor="center", x=0.5))
    fig.update_yaxes(type="log", exponentformat="power", dtick=1)
    fig.update_xaxes(title_text="training step (batch)")
    return fig


def _heatmap(z: np.ndarray, tokens: Sequence[str], rows: Sequence[str], colorscale: Any,
             zmin: float, zmax: float, colorbar: str, hover_name: str) -> go.Heatmap:
    steps = np.array([list(range(len(tokens)))] * len(rows))
    return go.Heatmap(
        z=z, x=token_labels(tokens), y=list(rows), customdata=steps,
        colorscale=colorscale, zmin=zmin, zmax=zmax, xgap=1, ygap=1,
        colorbar=dict(title=dict(text=colorbar, side="right"), thickness=12),
        hovertemplate=f"%{{x}} (step %{{customdata}})<br>%{{y}}: %{{z:.3f}}<extra>{hover_name}"
                      "</extra>",
    )


def gate_overview_chart(trace: GateTrace) -> go.Figure:
    """Each gate averaged over all units, one row per gate, one column per token."""
    rows = [GATE_LABELS[g] for g in trace.gates]
    z = np.vstack([trace.mean(g) for g in trace.gates])
    # Averages over many units sit in a narrow band; stretching the colours to this
    # review's own range makes the words where the gates move stand out.
    low, high = float(z.min()), float(z.max())
    if high - low < 1e-6:
        low, high = 0.0, 1.0
    fig = go.Figure(_heatmap(z, trace.tokens, rows, "Viridis", low, high, "mean gate",
                             "mean over units"))
    base_layout(fig, "Gates, averaged over all units", "", "", height=170 + 45 * len(rows),
                subtitle=f"colours span {low:.2f} to {high:.2f}")
    _token_axis(fig, trace.tokens)
    fig.update_yaxes(autorange="reversed")
    return fig


def state_overview_chart(trace: GateTrace) -> go.Figure:
    """The average state (cell state for LSTM, hidden state) along the tokens."""
    fig = go.Figure()
    colors = {"cell": "#6a3d9a", "hidden": "#ff7f00"}
    for name in trace.states:
        fig.add_trace(go.Scatter(
            x=token_labels(trace.tokens), y=trace.mean(name), mode="lines+markers",
            name=GATE_LABELS[name], customdata=list(range(trace.steps)),
            line=dict(color=colors[name], width=2),
            hovertemplate="%{x} (step %{customdata}): %{y:.3f}<extra>%{fullData.name}</extra>",
        ))
    fig.add_hline(y=0, line=dict(color="#bbb", dash="dot"))
    base_layout(fig, "The memory, averaged over all units", "", "mean value", height=300)
    _token_axis(fig, trace.tokens)
    return fig


def unit_heatmap_chart(trace: GateTrace, name: str, units: Sequence[int]) -> go.Figure:
    """One gate or state for chosen units (rows) over the tokens (columns)."""
    units = list(units)
    z = trace.values[name][:, units].T
    rows = [f"unit {u}" for u in units]
    if name in trace.gates:
        # Gates keep their absolute 0-1 scale: "half open" must look the same everywhere.
        colorscale, zmin, zmax, bar = "Viridis", 0.0, 1.0, "gate value"
    else:
        bound = float(np.abs(z).max()) or 1.0
        colorscale, zmin, zmax, bar = "RdBu", -bound, bound, "value"
    fig = go.Figure(_heatmap(z, trace.tokens, rows, colorscale, zmin, zmax, bar,
                             GATE_LABELS[name]))
    base_layout(fig, f"{GATE_LABELS[name]}, unit by unit", "", "",
                height=170 + 26 * len(units),
                subtitle=f"the {len(units)} units where it moves most")
    _token_axis(fig, trace.tokens)
    fig.update_yaxes(autorange="reversed")
    return fig


# --- One step of the cell ------------------------------------------------------------------

MEMORY_COLOR = ARCH_COLORS["lstm"]  # the path the memory takes
GATE_COLOR = ARCH_COLORS["gru"]  # gates and their products
OUTPUT_COLOR = ARCH_COLORS["bilstm"]  # what the cell shows the next layer
INPUT_COLOR = "#616161"


def _node(fig: go.Figure, x: float, y: float, text: str, color: str, size: int = 13) -> None:
    fig.add_annotation(x=x, y=y, text=text, showarrow=False, bgcolor="white",
                       bordercolor=color, borderwidth=2, borderpad=5,
                       font=dict(size=size, color="#212121"))


def _flow(fig: go.Figure, start: tuple[float, float], end: tuple[float, float], value: float,
          color: str, label: str = "", shift: tuple[float, float] = (0.0, 0.3),
          from_line: bool = False) -> None:
    """An arrow from `start` to `end` as wide as the number it carries (|value|, up to 1);
    `from_line`: it starts on a line, not at a box."""
    fig.add_annotation(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y",
                       axref="x", ayref="y", showarrow=True, arrowhead=2, arrowsize=0.8,
                       arrowwidth=1.5 + 4 * min(1.0, abs(value)), arrowcolor=color,
                       standoff=22, startstandoff=0 if from_line else 22, text="")
    if label:
        fig.add_annotation(x=(start[0] + end[0]) / 2 + shift[0],
                           y=(start[1] + end[1]) / 2 + shift[1], text=label,
                           showarrow=False, font=dict(size=11, color=color))


def step_diagram(view: Any, unit: int) -> go.Figure:
    """The cell of `view` (a `core.cell_step.CellStep`) for one unit, each path labelled
    with the number it carries and drawn as wide as that number: the memory's path in
    blue, the gates in orange, what the cell outputs in pink."""
    terms, before, after = view.terms[unit], view.previous[unit], view.current[unit]
    fig = go.Figure()
    word = safe_token(view.token)

    def gate(x: float, name: str, symbol: str, function: str) -> None:
        term = terms[name]
        # Short enough to stay apart at a phone's width; the sums are in the equations.
        _node(fig, x, 1.6, f"<b>{symbol}</b> {function}<br><b>{term.value:.3f}</b>",
              GATE_COLOR, 12)
        _flow(fig, (x, 0.2), (x, 1.6), term.pre / 4, INPUT_COLOR, from_line=True)

    # Every gate reads the word and the previous hidden state: one line feeds them all.
    last_gate = 10.3 if view.cell_type == "lstm" else 8.9
    fig.add_shape(type="line", x0=0.9, y0=0.2, x1=last_gate, y1=0.2,
                  line=dict(color=INPUT_COLOR, width=1.5), layer="below")
    _node(fig, 0.9, 0.2, f"x<sub>t</sub> “{word}”, h<sub>t−1</sub>", INPUT_COLOR, 12)
    if view.cell_type == "lstm":
        f, i, g, o = (terms[n].value for n in ("forget", "input", "candidate", "output"))
        _node(fig, 0.9, 6, f"c<sub>t−1</sub><br><b>{before['cell']:+.3f}</b>", MEMORY_COLOR)
        _node(fig, 3.6, 6, "×", MEMORY_COLOR, 16)
        _node(fig, 7.0, 6, "+", MEMORY_COLOR, 16)
        _node(fig, 11.2, 6, f"c<sub>t</sub><br><b>{after['cell']:+.3f}</b>", MEMORY_COLOR)
        _node(fig, 7.0, 4.1, "×", GATE_COLOR, 16)
        _node(fig, 9.8, 4.6, "tanh", OUTPUT_COLOR)
        _node(fig, 9.8, 3.0, "×", OUTPUT_COLOR, 16)
        _node(fig, 11.8, 3.0, f"h<sub>t</sub><br><b>{after['hidden']:+.3f}</b>", OUTPUT_COLOR)
        gate(3.6, "forget", "f", "σ")
        gate(5.9, "input", "i", "σ")
        gate(8.1, "candidate", "g", "tanh")
        gate(10.3, "output", "o", "σ")
        _flow(fig, (0.9, 6), (3.6, 6), before["cell"], MEMORY_COLOR, f"{before['cell']:+.3f}")
        _flow(fig, (3.6, 6), (7.0, 6), f * before["cell"], MEMORY_COLOR,
              f"keeps {f * before['cell']:+.3f}")
        _flow(fig, (7.0, 6), (11.2, 6), after["cell"], MEMORY_COLOR, f"{after['cell']:+.3f}")
        _flow(fig, (3.6, 1.6), (3.6, 6), f, GATE_COLOR, f"f {f:.2f}", (0.45, 0))
        _flow(fig, (5.9, 1.6), (7.0, 4.1), i, GATE_COLOR, f"i {i:.2f}", (-0.45, 0))
        _flow(fig, (8.1, 1.6), (7.0, 4.1), g, GATE_COLOR, f"g {g:+.2f}", (0.5, 0))
        _flow(fig, (7.0, 4.1), (7.0, 6), i * g, GATE_COLOR, f"writes {i * g:+.3f}", (0.8, 0))
        fig.add_trace(go.Scatter(x=[9.8], y=[6], mode="markers", hoverinfo="skip",
                                 marker=dict(size=9, color=MEMORY_COLOR)))
        _flow(fig, (9.8, 6), (9.8, 4.6), after["cell"], OUTPUT_COLOR, from_line=True)
        tanh_c = float(np.tanh(after["cell"]))
        _flow(fig, (9.8, 4.6), (9.8, 3.0), tanh_c, OUTPUT_COLOR, f"{tanh_c:+.3f}", (-0.6, 0))
        _flow(fig, (10.3, 1.6), (9.8, 3.0), o, OUTPUT_COLOR, f"o {o:.2f}", (0.5, 0))
        _flow(fig, (9.8, 3.0), (11.8, 3.0), after["hidden"], OUTPUT_COLOR)
    else:
        z, r, n = (terms[k].value for k in ("update", "reset", "candidate"))
        h0 = before["hidden"]
        _node(fig, 0.9, 6, f"h<sub>t−1</sub><br><b>{h0:+.3f}</b>", MEMORY_COLOR)
        _node(fig, 4.0, 6, "×", MEMORY_COLOR, 16)
        _node(fig, 8.2, 6, "+", MEMORY_COLOR, 16)
        _node(fig, 11.4, 6, f"h<sub>t</sub><br><b>{after['hidden']:+.3f}</b>", MEMORY_COLOR)
        _node(fig, 8.2, 4.1, "×", GATE_COLOR, 16)
        gate(4.0, "update", "z", "σ")
        gate(6.1, "reset", "r", "σ")
        gate(8.9, "candidate", "n", "tanh")
        _flow(fig, (0.9, 6), (4.0, 6), h0, MEMORY_COLOR, f"{h0:+.3f}")
        _flow(fig, (4.0, 6), (8.2, 6), z * h0, MEMORY_COLOR, f"keeps {z * h0:+.3f}")
        _flow(fig, (8.2, 6), (11.4, 6), after["hidden"], MEMORY_COLOR)
        _flow(fig, (4.0, 1.6), (4.0, 6), z, GATE_COLOR, f"z {z:.2f}", (0.45, 0))
        _flow(fig, (4.0, 1.6), (8.2, 4.1), 1 - z, GATE_COLOR, f"1 − z = {1 - z:.2f}", (-0.6, 0.2))
        _flow(fig, (6.1, 1.6), (8.9, 1.6), r, GATE_COLOR, f"r {r:.2f}", (0, 0.45))
        _flow(fig, (8.9, 1.6), (8.2, 4.1), n, GATE_COLOR, f"n {n:+.2f}", (0.6, 0))
        _flow(fig, (8.2, 4.1), (8.2, 6), (1 - z) * n, GATE_COLOR,
              f"writes {(1 - z) * n:+.3f}", (0.9, 0))
    fig.update_xaxes(visible=False, range=[-0.3, 12.8], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-0.4, 6.8], fixedrange=True)
    title = "LSTM" if view.cell_type == "lstm" else "GRU"
    base_layout(fig, f"{title} unit {unit} at “{word}” (word {view.step + 1})", "", "",
                height=420, subtitle="arrows as wide as the number they carry")
    fig.update_layout(showlegend=False, plot_bgcolor="white", dragmode=False)
    return fig


# --- Memory on your own sentence ------------------------------------------------------------

MAX_SCORE_LABELS = 40  # words up to which every cell carries its signed number


def memory_heatmap(memories: dict[str, Any]) -> go.Figure:
    """Each word's integrated-gradient score for each model (rows): green pushed towards
    Positive, orange towards Negative, and every cell says its sign (+/−) in text too."""
    labels = list(memories)
    words = max(len(m.tokens) for m in memories.values())
    z = np.full((len(labels), words), np.nan)
    for row, label in enumerate(labels):
        z[row, : len(memories[label].scores)] = memories[label].scores
    tokens = max((m.tokens for m in memories.values()), key=len)
    bound = float(np.nanmax(np.abs(z))) or 1.0
    text = [[("" if np.isnan(v) else f"{v:+.2f}".replace("-", "−")) for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=token_labels(tokens), y=[html.escape(label) for label in labels],
        zmin=-bound, zmax=bound, zmid=0,
        # The verdict colours on either side of white, and the sign in every cell.
        colorscale=[[0, NEGATIVE_COLOR], [0.5, "#f7f7f7"], [1, POSITIVE_COLOR]],
        text=text, texttemplate="%{text}" if words <= MAX_SCORE_LABELS else None,
        hovertemplate="%{y} · “%{x}”: %{z:+.3f} log-odds<extra></extra>",
        colorbar=dict(title=dict(text="log-odds", side="right"), thickness=12), xgap=1, ygap=1,
    ))
    _token_axis(fig, tokens)
    fig.update_yaxes(autorange="reversed")  # the models in the order they were chosen
    base_layout(fig, "How much each word moves the verdict", "", "",
                height=160 + 45 * len(labels),
                subtitle="integrated gradients · + towards Positive, − towards Negative")
    return fig


def memory_by_distance_chart(memories: dict[str, Any], archs: dict[str, str]) -> go.Figure:
    """Each word's share of a model's verdict, by how many words before the end it came."""
    fig = go.Figure()
    for label, memory in memories.items():
        shares = memory.distance_profile()
        arch = archs.get(label, "")
        fig.add_trace(go.Scatter(
            x=list(range(len(shares))), y=shares, mode="lines+markers",
            name=html.escape(label), line=dict(color=ARCH_COLORS.get(arch), width=2),
            marker=dict(size=5, symbol={"simple_rnn": "circle", "lstm": "square",
                                        "gru": "diamond"}.get(arch, "circle")),
            customdata=[safe_token(t) for t in memory.tokens[::-1]],
            hovertemplate="“%{customdata}”, %{x} words before the end: %{y:.1%}<extra></extra>",
        ))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    base_layout(fig, "Share by distance from the end", "words before the end",
                "share of |scores|", subtitle="of the verdict · 0 is the last word")
    return fig


# --- The hidden state's path ----------------------------------------------------------------

def _end_markers(n: int, size: int, start: int, end: int) -> dict[str, Any]:
    """A circle where a path starts, a diamond where it ends, small dots between."""
    if n == 1:
        return dict(size=[end], symbol=["diamond"])
    return dict(size=[start] + [size] * (n - 2) + [end],
                symbol=["circle"] * (n - 1) + ["diamond"])


def state_path_chart(space: Any, path: Any, max_labels: int = 30) -> go.Figure:
    """Reference reviews' paths (green solid positive, orange dotted negative; a circle
    where each starts, a diamond where it ends), the typed text's path in black with its
    words, and the read-out's direction as an arrow from the centre of all the states."""
    fig = go.Figure()
    shown = set()
    for ref in space.references:
        positive = ref.label == 1
        name = "positive reviews" if positive else "negative reviews"
        fig.add_trace(go.Scatter(
            x=ref.points[:, 0], y=ref.points[:, 1], mode="lines+markers", name=name,
            legendgroup=name, showlegend=name not in shown, opacity=0.75,
            line=dict(color=POSITIVE_COLOR if positive else NEGATIVE_COLOR, width=1.5,
                      dash="solid" if positive else "dot"),
            marker=_end_markers(len(ref.points), 3, 8, 11),
            customdata=[safe_token(t) for t in ref.tokens],
            hovertemplate=f"{name[:-1]} (P(positive) {ref.probability:.2f}): "
                          "“%{customdata}”<extra></extra>"))
        shown.add(name)
    labels = len(path.tokens) <= max_labels
    fig.add_trace(go.Scatter(
        x=path.points[:, 0], y=path.points[:, 1],
        mode="lines+markers+text" if labels else "lines+markers", name="your text",
        line=dict(color="#000000", width=3),
        marker=_end_markers(len(path.points), 6, 10, 14),
        text=[safe_token(t) for t in path.tokens] if labels else None,
        textposition="top center", textfont=dict(size=11),
        customdata=[safe_token(t) for t in path.tokens],
        hovertemplate="your text: “%{customdata}”<extra></extra>"))
    every = np.concatenate([p.points for p in [*space.references, path]])
    reach = float(np.abs(every).max()) or 1.0
    tip = space.readout * reach * 0.9
    fig.add_annotation(x=tip[0], y=tip[1], ax=0, ay=0, xref="x", yref="y", axref="x",
                       ayref="y", showarrow=True, arrowhead=2, arrowwidth=2.5,
                       arrowcolor="#616161", text="")
    fig.add_annotation(x=tip[0], y=tip[1], text="read-out: more positive →", showarrow=False,
                       font=dict(color="#424242", size=11), xanchor="left", yanchor="bottom")
    fig.update_yaxes(scaleanchor="x", scaleratio=1, zeroline=False)
    fig.update_xaxes(zeroline=False)
    first, second = space.explained
    base_layout(fig, "The hidden state's path, word by word",
                f"first direction ({first:.0%} of the variance)",
                f"second ({second:.0%})", height=520,
                subtitle="circle: first word · diamond: last word")
    return fig
