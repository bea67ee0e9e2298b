"""Charts of the Next word page: suggestion probabilities, model quality, training curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts import ARCH_COLORS, base_layout

LSTM_COLOR = ARCH_COLORS["lstm"]
NGRAM_COLOR = ARCH_COLORS["ngram"]


def suggestion_bars(words: Sequence[str], probabilities: Sequence[float],
                    title: str = "Next-word probabilities") -> go.Figure:
    """Horizontal bars, most probable word on top."""
    fig = go.Figure(go.Bar(
        x=[p * 100 for p in probabilities][::-1],
        y=[f"{w} " for w in words][::-1],  # a trailing space keeps labels off the axis line
        orientation="h",
        marker_color=LSTM_COLOR,
        text=[f"{p:.1%}" for p in probabilities][::-1],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.2f}%<extra></extra>",
    ))
    base_layout(fig, title, "probability (%)", "", height=max(220, 60 + 34 * len(words)))
    top = max([p * 100 for p in probabilities] or [1])
    fig.update_xaxes(range=[0, top * 1.25])
    fig.update_layout(margin=dict(l=10, r=20, t=50, b=40))
    return fig


def quality_bars(metrics: Mapping[str, Any]) -> go.Figure:
    """Top-1/3/5 accuracy of the LSTM and the n-gram baseline on the same held-out words."""
    labels = ["top-1", "top-3", "top-5"]
    fig = go.Figure()
    for prefix, name, color in (("lm_", "LSTM", LSTM_COLOR),
                                ("ngram_", "Kneser-Ney trigram", NGRAM_COLOR)):
        values = [metrics.get(f"{prefix}top{k}") for k in (1, 3, 5)]
        if any(v is None for v in values):
            continue
        fig.add_trace(go.Bar(
            name=name, x=labels, y=[v * 100 for v in values], marker_color=color,
            text=[f"{v:.1%}" for v in values], textposition="outside", cliponaxis=False,
        ))
    base_layout(fig, "Next-word accuracy on held-out text", "suggestions shown",
                "true next word among them (%)", height=340)
    fig.update_layout(barmode="group")
    return fig


def training_curves(batches: Sequence[Mapping[str, Any]],
                    epochs: Sequence[Mapping[str, Any]] = ()) -> go.Figure:
    """Perplexity (log scale) and top-1/top-3 accuracy per training step; validation
    figures at each epoch's end as markers. Keras reports batch figures as the mean so far
    in the epoch, which is what the training lines show."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Perplexity (lower is better)",
                                                        "Next-word accuracy"))
    steps = [b["step"] for b in batches]
    fig.add_trace(go.Scatter(
        x=steps, y=[b["perplexity"] for b in batches], name="training (mean so far this epoch)",
        customdata=[b["loss"] for b in batches], line=dict(color=LSTM_COLOR),
        hovertemplate="step %{x}<br>perplexity %{y:.0f}<br>loss %{customdata:.3f}<extra></extra>",
    ), row=1, col=1)
    for key, dash in (("top1", "dot"), ("top3", "solid")):
        fig.add_trace(go.Scatter(
            x=steps, y=[b[key] * 100 for b in batches],
            name=f"training {key.replace('top', 'top-')}",
            line=dict(color=LSTM_COLOR, dash=dash),
        ), row=1, col=2)
    per_epoch = max(steps) / max(len(epochs), 1) if steps and epochs else 0
    val = [(round(per_epoch * e["epoch"]), e) for e in epochs if "val_perplexity" in e]
    if val:
        fig.add_trace(go.Scatter(
            x=[s for s, _ in val], y=[e["val_perplexity"] for _, e in val],
            name="validation", mode="markers", marker=dict(color="#d62728", size=10),
        ), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=[s for s, _ in val], y=[e.get("val_top3", 0) * 100 for _, e in val],
            name="validation top-3", mode="markers",
            marker=dict(color="#d62728", size=10, symbol="diamond"),
        ), row=1, col=2)
    base_layout(fig, "", "training step", "", height=340)
    fig.update_yaxes(type="log", title_text="perplexity = e^loss (log scale)", row=1, col=1)
    fig.update_yaxes(title_text="%", row=1, col=2)
    fig.update_xaxes(title_text="training step", row=1, col=2)
    fig.update_layout(margin=dict(l=50, r=20, t=40, b=45))
    return fig
