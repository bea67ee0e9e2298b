"""Figures for the Data page: class balance, review lengths, star ratings, token encodings."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts import NEGATIVE_COLOR, POSITIVE_COLOR, base_layout
from core.text import TokenView


def truncated_share(n_words: pd.Series, seq_len: int) -> float:
    """Share of reviews longer than `seq_len` words, i.e. cut by the vectorizer."""
    if len(n_words) == 0:
        return 0.0
    return float((n_words > seq_len).mean())


def class_balance_figure(summary: pd.DataFrame) -> go.Figure:
    """Positive and negative reviews per labelled split, stacked."""
    labelled = summary[summary["positive"] + summary["negative"] > 0]
    fig = go.Figure()
    fig.add_bar(x=labelled["split"], y=labelled["positive"], name="positive",
                marker_color=POSITIVE_COLOR)
    fig.add_bar(x=labelled["split"], y=labelled["negative"], name="negative",
                marker_color=NEGATIVE_COLOR)
    fig.update_layout(barmode="stack")
    return base_layout(fig, "Class balance", "split", "reviews", height=320)


def length_figure(n_words: pd.Series, seq_len: int, max_words: int = 1500) -> go.Figure:
    """Histogram of review lengths with the chosen sequence length marked."""
    share = truncated_share(n_words, seq_len)
    clipped = n_words.clip(upper=max_words)
    fig = go.Figure(go.Histogram(x=clipped, nbinsx=75, marker_color="#5c6bc0", name="reviews"))
    fig.add_vline(x=seq_len, line_dash="dash", line_color="#d62728")
    fig.add_annotation(
        x=seq_len, y=1, yref="paper", showarrow=False, xanchor="left", xshift=6,
        text=f"sequence length {seq_len}: {share:.0%} of reviews are cut",
        font=dict(color="#d62728"),
    )
    return base_layout(fig, f"Review length in words (median {n_words.median():.0f})",
                       "words per review", "reviews", height=340,
                       subtitle=f"longer than {max_words} drawn at {max_words}")


def stars_figure(frame: pd.DataFrame) -> go.Figure:
    """How many reviews gave each star rating; 5 and 6 stars are absent by design."""
    counts = frame["stars"].dropna().astype(int).value_counts().reindex(range(1, 11), fill_value=0)
    colors = [NEGATIVE_COLOR if s <= 4 else POSITIVE_COLOR if s >= 7 else "#bdbdbd"
              for s in counts.index]
    fig = go.Figure(go.Bar(x=counts.index, y=counts.values, marker_color=colors))
    fig.update_xaxes(tickmode="linear", dtick=1)
    return base_layout(fig, "Star ratings (≤ 4 negative, ≥ 7 positive)", "stars", "reviews",
                       height=320)


def _token_labels(view: TokenView, n: int) -> list[str]:
    labels = []
    for position in range(n):
        if position < len(view.tokens):
            word = view.tokens[position][:14]
        else:
            word = "[pad]"
        # Tokens come from the user; Plotly reads some tags in labels, so escape them.
        labels.append(f"{position}: {html.escape(word)}")
    return labels


def one_hot_figure(view: TokenView, max_positions: int = 20) -> go.Figure:
    """The one-hot rows, showing only the vocabulary columns that are used (the rest are 0)."""
    n = min(view.seq_len, max_positions, max(len(view.tokens), 1) + 2)
    ids = view.sequence[:n]
    columns = sorted(set(int(i) for i in ids))
    matrix = view.one_hot(n)[:, columns]
    fig = go.Figure(go.Heatmap(
        z=matrix, x=[f"id {c}" for c in columns], y=_token_labels(view, n),
        colorscale=[[0, "#f5f5f5"], [1, "#1f77b4"]], showscale=False, xgap=1, ygap=1,
    ))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    hidden = view.vocab_size - len(columns)
    return base_layout(fig, f"One-hot: {n} of {view.seq_len} rows", "vocabulary column",
                       "position: token", height=120 + 22 * n,
                       subtitle=f"{hidden:,} more all-zero columns not drawn")


def embedding_figure(
    view: TokenView, dim: int, seed: int = 0, max_positions: int = 20
) -> go.Figure:
    """What an (untrained, randomly initialised) embedding gives each position: dense vectors."""
    n = min(view.seq_len, max_positions, max(len(view.tokens), 1) + 2)
    rng = np.random.default_rng(seed)
    # Keras's default embedding initialiser is uniform(-0.05, 0.05); the same spirit here.
    table = {int(i): rng.uniform(-0.05, 0.05, size=dim) for i in sorted(set(view.sequence[:n]))}
    matrix = np.stack([table[int(i)] for i in view.sequence[:n]])
    fig = go.Figure(go.Heatmap(
        z=matrix, x=list(range(dim)), y=_token_labels(view, n), colorscale="RdBu", zmid=0,
        colorbar=dict(title="value"),
    ))
    fig.update_yaxes(autorange="reversed", type="category")
    return base_layout(fig, f"Embedding: {dim} numbers per id", "embedding dimension",
                       "position: token", height=120 + 22 * n,
                       subtitle="each id looks up its row (random before training)")


def length_summary(n_words: pd.Series, seq_len: int) -> str:
    """The length histogram in one sentence."""
    return (f"The median review has {int(n_words.median()):,} words; "
            f"{truncated_share(n_words, seq_len):.0%} are longer than {seq_len:,} and are cut.")


def class_balance_summary(summary: pd.DataFrame) -> str:
    """The class balance in one sentence."""
    labelled = summary[summary["positive"] + summary["negative"] > 0]
    return "; ".join(f"{row.split}: {int(row.positive):,} positive, {int(row.negative):,} "
                     "negative" for row in labelled.itertuples()) + "."


def stars_summary(frame: pd.DataFrame) -> str:
    """The star ratings in one sentence."""
    counts = frame["stars"].dropna().astype(int).value_counts()
    top = int(counts.idxmax()) if len(counts) else 0
    return (f"{top} star{'s' if top != 1 else ''} is the most common rating "
            f"({int(counts.max()) if len(counts) else 0:,} reviews); there are no 5- or 6-star "
            "reviews: the dataset leaves out the neutral ones.")
