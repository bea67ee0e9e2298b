"""Figures for the Compare page: curves overlaid, accuracy against training time, epoch times.

Each takes `core.compare.Entry` rows or the table from `core.compare.comparison_table`,
so what the page draws is exactly what the table says.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core.charts import ARCH_COLORS, NEUTRAL_COLOR, base_layout

# Dashes tell apart two saved runs of the same architecture (same colour).
_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
METRIC_TITLES = {
    "val_accuracy": ("Validation accuracy per epoch", "validation accuracy"),
    "val_loss": ("Validation loss per epoch", "validation loss"),
}


def _color(arch: str) -> str:
    return ARCH_COLORS.get(arch, NEUTRAL_COLOR)


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(color=NEUTRAL_COLOR))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def history_figure(entries: Sequence[Any], metric: str = "val_accuracy") -> go.Figure:
    """One line per model of `metric` by epoch (recurrent models only; baselines have none)."""
    title, axis = METRIC_TITLES.get(metric, (metric, metric))
    fig = go.Figure()
    seen: dict[str, int] = {}
    for entry in entries:
        values = entry.history.get(metric) or []
        points = [(i + 1, float(v)) for i, v in enumerate(values) if _finite(v)]
        if not points:
            continue
        dash = _DASHES[seen.get(entry.arch, 0) % len(_DASHES)]
        seen[entry.arch] = seen.get(entry.arch, 0) + 1
        fig.add_scatter(
            x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers",
            name=html.escape(entry.label), line=dict(color=_color(entry.arch), dash=dash),
            hovertemplate=f"{html.escape(entry.label)}<br>epoch %{{x}}: %{{y:.4f}}<extra></extra>",
        )
    fig = base_layout(fig, title, "epoch", axis, height=340)
    if not fig.data:
        return _empty(fig, "No per-epoch history yet")
    fig.update_xaxes(tickmode="linear", dtick=1, rangemode="tozero")
    return fig


def learning_figure(entries: Sequence[Any], metric: str = "accuracy") -> go.Figure:
    """One colour per model: its training `metric` per batch (smoothed) as it read the
    training reviews, and its validation `metric` at the end of each epoch (markers).

    The x axis counts epochs of reading, as on the Train page (1.5 = halfway through the
    second pass), so a one-epoch comparison still shows each model learning."""
    from core.charts.training import smooth, thin

    fig = go.Figure()
    seen: dict[str, int] = {}
    for entry in entries:
        batches = entry.history.get("batches") or {}
        steps = entry.history.get("steps_per_epoch")
        raw = batches.get(f"batch_{metric}") or []
        validation = [(i + 1, float(v)) for i, v in enumerate(entry.history.get(f"val_{metric}")
                                                              or []) if _finite(v)]
        if not (raw and isinstance(steps, int) and steps > 0) and not validation:
            continue
        dash = _DASHES[seen.get(entry.arch, 0) % len(_DASHES)]
        seen[entry.arch] = seen.get(entry.arch, 0) + 1
        name, color = html.escape(entry.label), _color(entry.arch)
        if raw and isinstance(steps, int) and steps > 0:
            x = [e + (s + 1) / steps for e, s in zip(batches.get("epoch", []),
                                                     batches.get("step", []), strict=False)]
            smoothed = smooth([v if _finite(v) else float("nan") for v in raw])
            keep = thin(min(len(x), len(smoothed)))
            fig.add_scatter(
                x=[x[i] for i in keep], y=[smoothed[i] for i in keep], mode="lines",
                name=f"{name}, training", legendgroup=name,
                line=dict(color=color, dash=dash, width=2),
                hovertemplate=f"{name}<br>epoch %{{x:.2f}}: training {metric} "
                              "%{y:.3f}<extra></extra>")
        if validation:
            fig.add_scatter(
                x=[v[0] for v in validation], y=[v[1] for v in validation], mode="markers",
                name=f"{name}, validation", legendgroup=name,
                marker=dict(color=color, size=11, symbol="diamond",
                            line=dict(color="white", width=1)),
                hovertemplate=f"{name}<br>end of epoch %{{x}}: validation {metric} "
                              "%{y:.3f}<extra></extra>")
    title = f"{metric.capitalize()} while learning"
    fig = base_layout(fig, title, "epochs of training reviews read", metric, height=360)
    if not fig.data:
        return _empty(fig, "No learning curves yet")
    fig.update_xaxes(rangemode="tozero")
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%")
    return fig


def accuracy_time_figure(table: pd.DataFrame) -> go.Figure:
    """Test accuracy against training time: the best models sit top-left.

    A baseline that needs no training (VADER) is a dashed horizontal line, since it has no
    training time to place it at.
    """
    fig = go.Figure()
    rows = table[table["test_accuracy"].notna()]
    timed = [t for t in rows["train_s"] if _finite(t) and t > 0]
    longest = max(timed, default=1.0)
    for _, row in rows.iterrows():
        name = html.escape(str(row["model"]))
        if _finite(row["train_s"]) and row["train_s"] > 0:
            per_min = row["test_accuracy"] / (row["train_s"] / 60)
            # A name near either edge reads inwards, so the edge does not cut it.
            share = row["train_s"] / longest
            side = "right" if share < 0.3 else "left" if share > 0.7 else "center"
            fig.add_scatter(
                x=[row["train_s"]], y=[row["test_accuracy"]], mode="markers+text",
                name=name, text=[name], textposition=f"top {side}", cliponaxis=False,
                marker=dict(size=14, color=_color(row["arch"]), line=dict(width=1,
                            color="white")),
                hovertemplate=(f"{name}<br>training %{{x:.1f}} s<br>test accuracy "
                               f"%{{y:.2%}}<br>{per_min:.3f} accuracy per minute"
                               "<extra></extra>"),
            )
        else:
            fig.add_hline(y=row["test_accuracy"], line_dash="dash",
                          line_color=_color(row["arch"]),
                          annotation_text=f"{name} (no training): {row['test_accuracy']:.1%}",
                          annotation_position="bottom right")
    fig = base_layout(fig, "Test accuracy against training time (top-left is best)",
                      "training time (s)", "test accuracy", height=380)
    if rows.empty:
        return _empty(fig, "No finished model yet")
    fig.update_layout(showlegend=False)
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(tickformat=".0%")
    return fig


def epoch_time_figure(table: pd.DataFrame) -> go.Figure:
    """Seconds per epoch, one bar per trained model, labelled with its ratio to the LSTM."""
    rows = table[table["epoch_s"].notna()]
    fig = go.Figure()
    if not rows.empty:
        labels = [
            f"{s:.1f} s" + (f" · ×{r:.2f} LSTM" if _finite(r) else "")
            for s, r in zip(rows["epoch_s"], rows["epoch_s_vs_lstm"], strict=True)
        ]
        fig.add_bar(
            x=[html.escape(str(m)) for m in rows["model"]], y=rows["epoch_s"],
            marker_color=[_color(a) for a in rows["arch"]], text=labels,
            textposition="outside", cliponaxis=False,
            hovertemplate="%{x}<br>%{y:.2f} s per epoch<extra></extra>",
        )
    fig = base_layout(fig, "Time per epoch", "", "seconds per epoch", height=380)
    if rows.empty:
        return _empty(fig, "No trained model yet")
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(showlegend=False)
    return fig


def live_figure(curves: dict[str, dict[str, Any]]) -> go.Figure:
    """Training loss as it comes in, one line per model, x in epochs (1.5 = half of epoch 2).

    `curves` maps a model label to {"arch", "x", "loss"} as `CompareProgress` gathers them.
    """
    fig = go.Figure()
    for label, curve in curves.items():
        if not curve.get("x"):
            continue
        fig.add_scatter(x=curve["x"], y=curve["loss"], mode="lines", name=html.escape(label),
                        line=dict(color=_color(curve.get("arch", "")), width=2),
                        hovertemplate=f"{html.escape(label)}<br>epoch %{{x:.2f}}: loss "
                                      "%{y:.4f}<extra></extra>")
    fig = base_layout(fig, "Training loss, live", "epochs", "training loss (batch)", height=320)
    if not fig.data:
        return _empty(fig, "Waiting for the first batch…")
    fig.update_xaxes(rangemode="tozero")
    return fig
