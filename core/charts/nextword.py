"""Charts of the Next word page: suggestion probabilities, model quality, training curves.

Words come from users' texts, and Plotly renders a few HTML tags in labels, so every word
is passed through `html.escape` before it reaches a figure.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts import ARCH_COLORS, base_layout

LSTM_COLOR = ARCH_COLORS["lstm"]
NGRAM_COLOR = ARCH_COLORS["ngram"]
VALIDATION_COLOR = "#d62728"


def suggestion_bars(words: Sequence[str], probabilities: Sequence[float],
                    title: str = "Next-word probabilities") -> go.Figure:
    """Horizontal bars, most probable word on top."""
    fig = go.Figure(go.Bar(
        x=list(probabilities)[::-1],
        # a trailing space keeps labels off the axis line
        y=[f"{html.escape(w)} " for w in words][::-1],
        orientation="h",
        marker_color=LSTM_COLOR,
        text=[f"{p:.1%}" for p in probabilities][::-1],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.2%}<extra></extra>",
    ))
    base_layout(fig, title, "probability", "", height=max(220, 60 + 34 * len(words)))
    top = max(list(probabilities) or [0.01])
    fig.update_xaxes(range=[0, top * 1.25], tickformat=".1%")
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


def _epoch_end_steps(batches: Sequence[Mapping[str, Any]],
                     epochs: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """The training step at which each epoch row was taken.

    Rows carry it as `step`; runs saved before that have only the epoch number, and then
    the last recorded batch of that epoch stands in.
    """
    last_batch: dict[Any, int] = {}
    for b in batches:
        last_batch[b["epoch"]] = max(b["step"], last_batch.get(b["epoch"], 0))
    return [e.get("step", last_batch.get(e["epoch"])) for e in epochs]


def training_curves(batches: Sequence[Mapping[str, Any]],
                    epochs: Sequence[Mapping[str, Any]] = ()) -> go.Figure:
    """Loss, perplexity (log scale) and top-1/top-3 accuracy per training step, side by side.

    Lines: the training loss Keras reports (mean so far this epoch; with sampled softmax an
    estimate below the true cross-entropy), and the held-out figures of a fixed sample of
    validation windows taken during training. Markers: all validation windows at the step
    where each epoch ended. Held-out figures use the full softmax and never count `<unk>`
    as a hit, as the quality panel does.
    """
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08, subplot_titles=(
        "Loss (lower is better)", "Perplexity (lower is better)", "Next-word accuracy"))
    train = [b for b in batches if "loss" in b]
    sampled = any(b.get("sampled_words") for b in train)
    fig.add_trace(go.Scatter(
        x=[b["step"] for b in train], y=[b["loss"] for b in train],
        name="training loss" + (" (sampled-softmax estimate)" if sampled else ""),
        line=dict(color=LSTM_COLOR, width=1.5), opacity=0.7,
        hovertemplate="step %{x}<br>loss %{y:.3f}<extra></extra>",
    ), row=1, col=1)
    probes = [b for b in batches if "val_perplexity" in b]
    if probes:
        steps = [b["step"] for b in probes]
        line = dict(color=VALIDATION_COLOR)
        fig.add_trace(go.Scatter(
            x=steps, y=[b["val_loss"] for b in probes], name="held-out sample",
            legendgroup="probe", line=line,
            hovertemplate="step %{x}<br>held-out loss %{y:.3f}<extra></extra>",
        ), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=steps, y=[b["val_perplexity"] for b in probes], name="held-out perplexity",
            legendgroup="probe", showlegend=False, line=line,
            hovertemplate="step %{x}<br>perplexity %{y:.0f}<extra></extra>",
        ), row=1, col=2)
        for key, dash in (("val_top1", "dot"), ("val_top3", "solid")):
            fig.add_trace(go.Scatter(
                x=steps, y=[b[key] * 100 for b in probes],
                name=f"held-out {key[4:].replace('top', 'top-')}",
                line={**line, "dash": dash},
                hovertemplate="step %{x}<br>%{y:.1f}%<extra></extra>",
            ), row=1, col=3)
    val = [(step, e) for step, e in zip(_epoch_end_steps(batches, epochs), epochs, strict=True)
           if step is not None and "val_perplexity" in e]
    if val:
        at = [step for step, _ in val]
        marker = dict(color=VALIDATION_COLOR, size=11, symbol="diamond",
                      line=dict(color="white", width=1))
        fig.add_trace(go.Scatter(
            x=at, y=[e["val_loss"] for _, e in val], name="validation (end of epoch)",
            legendgroup="val", mode="markers", marker=marker,
        ), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=at, y=[e["val_perplexity"] for _, e in val], name="validation perplexity",
            legendgroup="val", showlegend=False, mode="markers", marker=marker,
        ), row=1, col=2)
        fig.add_trace(go.Scatter(
            x=at, y=[e["val_top3"] * 100 for _, e in val], name="validation top-3",
            legendgroup="val", showlegend=False, mode="markers", marker=marker,
        ), row=1, col=3)
    base_layout(fig, "", "training step", "", height=380)
    fig.update_yaxes(title_text="cross-entropy (nats)", row=1, col=1)
    fig.update_yaxes(type="log", title_text="e^loss (log scale)", row=1, col=2)
    fig.update_yaxes(title_text="%", row=1, col=3)
    for col in (2, 3):
        fig.update_xaxes(title_text="training step", row=1, col=col)
    fig.update_layout(margin=dict(l=50, r=20, t=40, b=90), legend=dict(
        orientation="h", yref="paper", yanchor="top", y=-0.25, xanchor="center", x=0.5))
    return fig
