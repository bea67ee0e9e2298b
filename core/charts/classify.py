"""Figures for the Classify page: each model's P(positive), VADER's scores, word contributions."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from core.charts import (
    ARCH_COLORS,
    NEGATIVE_COLOR,
    NEUTRAL_COLOR,
    POSITIVE_COLOR,
    base_layout,
)
from core.verdict import NEUTRAL_BAND


def probability_chart(names: Sequence[str], archs: Sequence[str],
                      probabilities: Sequence[float], band: float = NEUTRAL_BAND) -> go.Figure:
    """One horizontal bar per model from 0 to P(positive), with the neutral band shaded."""
    # Plotly reads a subset of HTML in labels; run names come from users.
    names = [html.escape(n) for n in names]
    colours = [ARCH_COLORS.get(a, NEUTRAL_COLOR) for a in archs]
    fig = go.Figure(go.Bar(
        x=list(probabilities), y=list(names), orientation="h", marker_color=colours,
        text=[f"{p:.1%}" for p in probabilities], textposition="outside",
        hovertemplate="%{y}: P(positive) = %{x:.3f}<extra></extra>",
    ))
    fig.add_vrect(x0=0.5 - band, x1=0.5 + band, fillcolor=NEUTRAL_COLOR, opacity=0.15,
                  line_width=0, annotation_text="neutral", annotation_position="top",
                  annotation_yanchor="bottom")  # above the bars, not over the first one
    fig.add_vline(x=0.5, line_dash="dot", line_color=NEUTRAL_COLOR)
    base_layout(fig, "P(positive) per model", "probability the review is positive", "",
                height=max(180, 70 + 42 * len(names)))
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(showlegend=False, margin=dict(l=10, r=20, t=60, b=45))
    return fig


def vader_chart(neg: float, neu: float, pos: float, compound: float) -> go.Figure:
    """VADER's three proportions (they sum to 1) and its compound score in [-1, 1]."""
    fig = go.Figure(go.Bar(
        x=["neg", "neu", "pos", "compound"], y=[neg, neu, pos, compound],
        marker_color=[NEGATIVE_COLOR, NEUTRAL_COLOR, POSITIVE_COLOR,
                      POSITIVE_COLOR if compound > 0 else
                      NEGATIVE_COLOR if compound < 0 else NEUTRAL_COLOR],
        text=[f"{v:+.3f}" if k == "compound" else f"{v:.3f}"
              for k, v in zip(["neg", "neu", "pos", "compound"], [neg, neu, pos, compound],
                              strict=True)],
        textposition="outside",
        hovertemplate="%{x}: %{y:.3f}<extra></extra>",
    ))
    base_layout(fig, "VADER scores", "", "score", height=280)
    fig.update_yaxes(range=[-1.15, 1.15], zeroline=True)
    fig.update_layout(showlegend=False)
    return fig


def contribution_chart(positive: Sequence[tuple[str, float]],
                       negative: Sequence[tuple[str, float]], model_name: str) -> go.Figure:
    """The words that pushed hardest each way, as signed horizontal bars."""
    items = sorted([*positive, *negative], key=lambda item: item[1])
    words = [html.escape(w) for w, _ in items]
    values = [v for _, v in items]
    fig = go.Figure(go.Bar(
        x=values, y=words, orientation="h",
        marker_color=[POSITIVE_COLOR if v > 0 else NEGATIVE_COLOR for v in values],
        hovertemplate="%{y}: %{x:+.3f} log-odds<extra></extra>",
    ))
    base_layout(fig, f"Strongest words for {html.escape(model_name)}",
                "contribution to the log-odds of Positive<br>(with the word minus without it)",
                "",
                height=max(220, 80 + 24 * len(words)))
    fig.update_layout(showlegend=False, margin=dict(b=75))  # room for the axis's 2 lines
    fig.add_vline(x=0, line_color=NEUTRAL_COLOR)
    return fig


def reliability_chart(curves: dict[str, tuple[str, Any]]) -> go.Figure:
    """Accuracy against confidence per model (`curves`: name -> (arch, a
    `core.calibration.Reliability`)): on the diagonal, a model's 80% means right 80% of the
    time; below it, the model is over-confident."""
    fig = go.Figure()
    lowest = 0.4  # the axis reaches down to the worst bin (a small bin can be far off)
    fig.add_scatter(x=[0.5, 1.0], y=[0.5, 1.0], mode="lines", name="calibrated",
                    line=dict(color=NEUTRAL_COLOR, dash="dot"), hoverinfo="skip")
    for name, (arch, curve) in curves.items():
        points = [(c, a, n) for c, a, n in zip(curve.confidence, curve.accuracy, curve.count,
                                               strict=True) if c is not None]
        label = html.escape(name)
        lowest = min([lowest, *(a - 0.05 for _, a, _ in points if a is not None)])
        fig.add_scatter(
            x=[c for c, _, _ in points], y=[a for _, a, _ in points], mode="lines+markers",
            name=f"{label} (ECE {curve.ece:.3f})",
            line=dict(color=ARCH_COLORS.get(arch, NEUTRAL_COLOR)),
            customdata=[n for _, _, n in points],
            hovertemplate=f"{label}<br>confidence %{{x:.0%}}: right %{{y:.0%}} "
                          "(%{customdata} reviews)<extra></extra>")
    base_layout(fig, "Reliability on held-back reviews", "confidence (mean, per bin)",
                "share right", height=380,
                subtitle="on the dotted line, a model's 80% is right 80% of the time")
    fig.update_xaxes(range=[0.5, 1.0], tickformat=".0%")
    fig.update_yaxes(range=[max(0.0, lowest), 1.02], tickformat=".0%")
    fig.update_layout(legend=dict(orientation="h", yref="paper", yanchor="top", y=-0.25, x=0))
    return fig


def edit_chart(rows: Sequence[Any], archs: Sequence[str]) -> go.Figure:
    """Each model's P(positive) before (circle) and after (diamond) an edit, joined by an
    arrow-like line in the model's colour, over the Neutral band."""
    fig = go.Figure()
    fig.add_vrect(x0=0.5 - NEUTRAL_BAND, x1=0.5 + NEUTRAL_BAND, fillcolor=NEUTRAL_COLOR,
                  opacity=0.15, line_width=0)
    for row, arch in zip(rows, archs, strict=True):
        name = html.escape(row.model)
        colour = ARCH_COLORS.get(arch, NEUTRAL_COLOR)
        fig.add_trace(go.Scatter(
            x=[row.before, row.after], y=[name, name], mode="lines+markers",
            line=dict(color=colour, width=3), showlegend=False,
            marker=dict(size=[10, 14], symbol=["circle", "diamond"], color=colour),
            hovertemplate=f"{name}: %{{x:.1%}}<extra></extra>"))
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(autorange="reversed")  # the models in the cards' order
    base_layout(fig, "Before (circle) and after (diamond) the edit", "P(positive)", "",
                height=max(200, 90 + 38 * len(rows)))
    return fig
