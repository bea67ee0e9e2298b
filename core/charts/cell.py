"""Charts for "Inside the cell": gradients through time, accuracy against distance, the
exploding-gradient runs and gate heatmaps over a review's tokens.

Tokens come from users, and Plotly renders a few HTML tags in tick labels and hover text,
so every token is passed through `html.escape` before it reaches a figure.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts import ARCH_COLORS, NEGATIVE_COLOR, base_layout
from core.config import ARCH_LABELS
from core.gates import GATE_LABELS, GateTrace

NO_CLIP_COLOR = NEGATIVE_COLOR
CLIP_COLOR = ARCH_COLORS["lstm"]
MAX_TICK_LABELS = 60


def safe_token(token: str, limit: int = 24) -> str:
    """A token as plain text for Plotly: HTML-escaped, and shortened if very long."""
    token = token if len(token) <= limit else token[: limit - 1] + "…"
    return html.escape(token, quote=True)


def _token_axis(fig: go.Figure, tokens: Sequence[str], row: int | None = None) -> None:
    """Tokens as tick labels on a numeric axis (repeated words stay separate columns)."""
    every = max(1, math.ceil(len(tokens) / MAX_TICK_LABELS))
    positions = list(range(0, len(tokens), every))
    options = dict(tickmode="array", tickvals=positions,
                   ticktext=[safe_token(tokens[i]) for i in positions], tickangle=-55)
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
                        first_label: str | None = None) -> go.Figure:
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
    base_layout(fig, title, x_title, "gradient norm ÷ last step's (log)")
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
    base_layout(fig, "Accuracy on the long-range task after the same training budget",
                "distractor tokens L between the signal and the end", "test accuracy")
    fig.update_yaxes(range=[0.3, 1.05], tickformat=".0%")
    fig.update_xaxes(rangemode="tozero")
    return fig


def _run_label(result: dict[str, Any]) -> str:
    return f"clipnorm={result['clipnorm']:g}" if result.get("clipnorm") else "no clipping"


def exploding_chart(results: Sequence[dict[str, Any]]) -> go.Figure:
    """Loss and gradient norm per training step, without and with clipping, side by side."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "Loss per training step", "Gradient norm per training step (before clipping)"))
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
                      legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="center",
                                  x=0.5))
    fig.update_yaxes(type="log", exponentformat="power", dtick=1)
    fig.update_xaxes(title_text="training step (batch)")
    return fig


def _heatmap(z: np.ndarray, tokens: Sequence[str], rows: Sequence[str], colorscale: Any,
             zmin: float, zmax: float, colorbar: str, hover_name: str) -> go.Heatmap:
    safe = [safe_token(t) for t in tokens]
    custom = np.array([safe] * len(rows), dtype=object)
    return go.Heatmap(
        z=z, x=np.arange(len(tokens)), y=list(rows), customdata=custom,
        colorscale=colorscale, zmin=zmin, zmax=zmax, xgap=1, ygap=1,
        colorbar=dict(title=dict(text=colorbar, side="right"), thickness=12),
        hovertemplate=f"%{{customdata}} (step %{{x}})<br>%{{y}}: %{{z:.3f}}<extra>{hover_name}"
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
    base_layout(fig, f"Gates averaged over all units (colours span {low:.2f} to {high:.2f})",
                "", "", height=170 + 45 * len(rows))
    _token_axis(fig, trace.tokens)
    fig.update_yaxes(autorange="reversed")
    return fig


def state_overview_chart(trace: GateTrace) -> go.Figure:
    """The average state (cell state for LSTM, hidden state) along the tokens."""
    fig = go.Figure()
    colors = {"cell": "#6a3d9a", "hidden": "#ff7f00"}
    safe = [safe_token(t) for t in trace.tokens]
    for name in trace.states:
        fig.add_trace(go.Scatter(
            x=np.arange(trace.steps), y=trace.mean(name), mode="lines+markers",
            name=GATE_LABELS[name], customdata=safe, line=dict(color=colors[name], width=2),
            hovertemplate="%{customdata} (step %{x}): %{y:.3f}<extra>%{fullData.name}</extra>",
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
    base_layout(fig, f"{GATE_LABELS[name]}: the {len(units)} units where it moves most", "",
                "", height=170 + 26 * len(units))
    _token_axis(fig, trace.tokens)
    fig.update_yaxes(autorange="reversed")
    return fig
