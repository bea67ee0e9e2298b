"""Figures for the Train page: live learning curves, the confusion matrix, time per epoch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.charts import ARCH_COLORS, base_layout

TRAIN_COLOR = ARCH_COLORS["lstm"]
VAL_COLOR = "#ff7f0e"


def smooth(values: Sequence[float], weight: float = 0.9) -> list[float]:
    """Exponential moving average with TensorBoard's bias correction (no dip at the start)."""
    result, average = [], 0.0
    for count, value in enumerate(values, start=1):
        average = weight * average + (1 - weight) * float(value)
        result.append(average / (1 - weight**count))
    return result


MAX_POINTS = 400  # per line: a browser redraws a live chart every second


def thin(count: int, limit: int = MAX_POINTS) -> list[int]:
    """Evenly spread indices of at most `limit` points out of `count`, the last included,
    so a long run's curves stay small to send and quick to draw."""
    if count <= limit:
        return list(range(count))
    step = count / limit
    picked = [int(i * step) for i in range(limit - 1)]
    return [*picked, count - 1]


def curves_figure(batches: dict[str, list[float]], epochs: Sequence[dict[str, Any]],
                  steps_per_epoch: int, total_epochs: int | None = None,
                  smoothing: float = 0.9, title: str = "Learning curves") -> go.Figure:
    """Loss and accuracy side by side: per batch (faint), smoothed, and validation per epoch.

    The x axis counts epochs, so a batch halfway through the second epoch sits at 1.5
    and each validation point at the end of its epoch. An epoch cut short by Stop
    (`complete` False) is not an end-of-epoch point: its validation is drawn apart, as
    an open marker where training stopped.

    Built as one figure from plain trace and layout dicts (no `make_subplots`, no figure
    updates): the live panel rebuilds it while a run trains, and this way it costs about
    a tenth of the time.
    """
    steps = max(1, int(steps_per_epoch))
    x = [e + (s + 1) / steps for e, s in zip(batches.get("epoch", []), batches.get("step", []),
                                             strict=False)]
    stopped_at = dict(zip(batches.get("epoch", []), x, strict=False))  # an epoch's last batch
    full = [row for row in epochs if row.get("complete", True)]
    cut = [row for row in epochs if not row.get("complete", True)]
    val_x = [row["epoch"] + 1 for row in full]
    keep = thin(len(x))
    x_shown = [x[i] for i in keep]
    traces: list[dict[str, Any]] = []
    for axis, metric in (("", "loss"), ("2", "accuracy")):
        raw = batches.get(f"batch_{metric}", [])
        smoothed = smooth(raw, smoothing)
        on = {"xaxis": f"x{axis}", "yaxis": f"y{axis}", "showlegend": not axis}
        traces.append(dict(type="scatter", x=x_shown, y=[raw[i] for i in keep], mode="lines",
                           name="training, per batch", line=dict(color=TRAIN_COLOR, width=1),
                           opacity=0.25, legendgroup="raw", hoverinfo="skip", **on))
        traces.append(dict(type="scatter", x=x_shown, y=[smoothed[i] for i in keep],
                           mode="lines", name="training, smoothed",
                           line=dict(color=TRAIN_COLOR, width=2.5), legendgroup="smooth",
                           hovertemplate=f"epoch %{{x:.2f}}<br>{metric} %{{y:.3f}}<extra></extra>",
                           **on))
        traces.append(dict(type="scatter", x=val_x, y=[row.get(f"val_{metric}") for row in full],
                           mode="lines+markers", name="validation, per epoch",
                           line=dict(color=VAL_COLOR, width=2), marker=dict(size=9),
                           legendgroup="val",
                           hovertemplate=f"end of epoch %{{x}}<br>validation {metric} "
                                         "%{y:.3f}<extra></extra>", **on))
        if cut:
            traces.append(dict(
                type="scatter", x=[stopped_at.get(row["epoch"], row["epoch"] + 1) for row in cut],
                y=[row.get(f"val_{metric}") for row in cut], mode="markers",
                name="validation when stopped (epoch not finished)", legendgroup="val_cut",
                marker=dict(size=10, color=VAL_COLOR, symbol="circle-open", line_width=2),
                hovertemplate=f"stopped at epoch %{{x:.2f}}<br>validation {metric} "
                              "%{y:.3f}<extra></extra>", **on))
    end = total_epochs or max([1, *val_x, *(np.ceil(x[-1:]) if x else [])])
    epoch_axis = dict(title_text="epoch", range=[0, end], **(dict(dtick=1) if end <= 20 else {}))
    losses = [v for v in [*batches.get("batch_loss", []), *(r.get("val_loss") for r in epochs)]
              if v is not None and np.isfinite(v)]
    # Per-batch losses can spike; scale to the bulk of them so the trend stays readable.
    top = float(np.percentile(losses, 98)) * 1.15 if losses else 1.0
    accuracies = [v for v in batches.get("batch_accuracy", []) if v is not None]
    bottom = min(0.4, float(np.percentile(accuracies, 2)) - 0.02) if accuracies else 0.4
    gap = 0.08  # between the two panels, as a share of the width
    left, right = [0.0, (1 - gap) / 2], [(1 + gap) / 2, 1.0]
    titles = [dict(text=text, x=sum(domain) / 2, y=1.0, xref="paper", yref="paper",
                   xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=16))
              for text, domain in (("Loss", left), ("Accuracy", right))]
    layout = dict(
        title=title, height=400, annotations=titles,
        margin=dict(l=50, r=20, t=60, b=70),
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="center", x=0.5),
        xaxis=dict(domain=left, anchor="y", **epoch_axis),
        xaxis2=dict(domain=right, anchor="y2", **epoch_axis),
        yaxis=dict(anchor="x", title_text="loss", range=[0, max(top, 0.1)]),
        yaxis2=dict(anchor="x2", title_text="accuracy", range=[max(0.0, bottom), 1.0],
                    tickformat=".0%"),
    )
    return go.Figure(data=traces, layout=layout)


def confusion_figure(confusion: Sequence[Sequence[int]],
                     labels: Sequence[str] = ("negative", "positive")) -> go.Figure:
    """Counts of true label (rows) against predicted label (columns), with shares of each row."""
    counts = np.asarray(confusion, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    text = [[f"{int(counts[i, j]):,}<br>{shares[i, j]:.0%} of {labels[i]}"
             for j in range(len(labels))] for i in range(len(labels))]
    fig = go.Figure(go.Heatmap(
        z=shares, x=[f"predicted {label}" for label in labels],
        y=[f"truly {label}" for label in labels], text=text, texttemplate="%{text}",
        colorscale=[[0, "#f5f5f5"], [1, "#3f51b5"]], zmin=0, zmax=1, showscale=False,
        hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    return base_layout(fig, "Confusion matrix on the test reviews", "", "", height=320)


def epoch_times_figure(epoch_s: Sequence[float],
                       complete: Sequence[bool] | None = None) -> go.Figure:
    """Seconds per epoch (the first includes building the graph); an epoch cut short by
    Stop is grey and says so, since its time is not an epoch's."""
    complete = list(complete) if complete is not None else [True] * len(epoch_s)
    fig = go.Figure(go.Bar(
        x=[i + 1 for i in range(len(epoch_s))], y=list(epoch_s),
        marker_color=[TRAIN_COLOR if whole else "#bdbdbd" for whole in complete],
        customdata=["" if whole else " (stopped partway)" for whole in complete],
        hovertemplate="epoch %{x}: %{y:.1f} s%{customdata}<extra></extra>"))
    fig.update_xaxes(dtick=1)
    return base_layout(fig, "Time per epoch (incl. validation)", "epoch", "seconds", height=320)



def curves_summary(epochs: Sequence[dict[str, Any]]) -> str:
    """The learning curves in one sentence: where the last full epoch ended, and the best."""
    done = [e for e in epochs if e.get("complete", True) and e.get("val_accuracy") is not None]
    if not done:
        return "No full epoch was validated yet."
    last = done[-1]
    best = max(done, key=lambda e: e["val_accuracy"])
    text = (f"After epoch {len(done)}: validation accuracy {last['val_accuracy']:.1%}, "
            f"validation loss {last.get('val_loss', float('nan')):.3f}.")
    if best is not last:
        text += f" The best was epoch {done.index(best) + 1} ({best['val_accuracy']:.1%})."
    return text


def live_curves_summary(batches: dict[str, list[float]], epochs: Sequence[dict[str, Any]],
                        steps_per_epoch: int, total_epochs: int | None = None) -> str:
    """The growing curves in one sentence: where training is, its smoothed batch figures,
    then the validated epochs (`curves_summary`)."""
    loss, accuracy = batches.get("loss", []), batches.get("accuracy", [])
    if not loss:
        return "No batch has finished yet."
    epoch = int(batches["epoch"][-1]) + 1 if batches.get("epoch") else 1
    step = int(batches["step"][-1]) + 1 if batches.get("step") else len(loss)
    of = f" of {total_epochs}" if total_epochs else ""
    text = (f"Epoch {epoch}{of}, batch {step:,} of {max(1, int(steps_per_epoch)):,}: "
            f"training loss {smooth(loss)[-1]:.3f}")
    if accuracy:
        text += f", accuracy {smooth(accuracy)[-1]:.1%}"
    text += " (smoothed)."
    if any(e.get("complete", True) and e.get("val_accuracy") is not None for e in epochs):
        text += " " + curves_summary(epochs)
    return text


def epoch_times_summary(epoch_s: Sequence[float], complete: Sequence[bool] | None = None) -> str:
    """The time-per-epoch bars in one sentence."""
    complete = list(complete) if complete is not None else [True] * len(epoch_s)
    whole = [t for t, done in zip(epoch_s, complete, strict=False) if done]
    if not whole:
        return "No epoch ran to its end."
    text = (f"{len(whole)} full epoch{'s' if len(whole) != 1 else ''}, "
            f"{sum(whole) / len(whole):.1f} s on average")
    if len(whole) > 1:
        text += f" (the first {whole[0]:.1f} s, the last {whole[-1]:.1f} s)"
    cut = len(epoch_s) - len(whole)
    return text + (f"; {cut} cut short by Stop." if cut else ".")


def confusion_summary(confusion: Sequence[Sequence[int]]) -> str:
    """The confusion matrix in one sentence."""
    (tn, fp), (fn, tp) = np.asarray(confusion, dtype=int)
    total = tn + fp + fn + tp
    if not total:
        return "No test reviews were scored."
    return (f"{tn + tp:,} of {total:,} test reviews right ({(tn + tp) / total:.1%}): "
            f"{fp:,} negative reviews called positive, {fn:,} positive ones called negative.")
