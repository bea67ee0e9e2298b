"""Plotly figure builders: pure functions from data to `go.Figure`, shown by pages.

One module per topic (data, training, compare, classify, nextword, cell). The shared
look lives here so every chart names and colours the architectures the same way.
"""

from __future__ import annotations

import plotly.graph_objects as go

# The Okabe-Ito palette (Okabe and Ito, 2008), told apart with every common colour-vision
# deficiency. Its green and vermillion stay off the classifiers that sit beside verdicts:
# those colours mean Positive and Negative (the BiLSTM's bar used to be red beside the
# "Negative" red). Vermillion marks TF-IDF, shown only among Compare's models.
ARCH_COLORS = {
    "simple_rnn": "#999999",
    "lstm": "#0072B2",
    # The LSTM started from the language model: the LSTM's blue, darker, so the two read as
    # one family and still stand apart in lightness (which every colour vision sees).
    "lstm_lm": "#003A66",
    "gru": "#E69F00",
    "bilstm": "#CC79A7",
    "stacked_bilstm": "#F0E442",
    "vader": "#000000",
    "tfidf_logreg": "#D55E00",  # never beside a verdict colour (Compare only)
    "nblr": "#56B4E9",
    "ngram": "#000000",
}
# Verdicts: Okabe-Ito's bluish green and vermillion, which stay apart with every common
# colour-vision deficiency (the red and green used before did not), and every chart that
# uses them also says the sign in text (+/−, "Positive"/"Negative").
POSITIVE_COLOR = "#009E73"
NEGATIVE_COLOR = "#D55E00"
NEUTRAL_COLOR = "#757575"


def base_layout(fig: go.Figure, title: str, x: str, y: str, height: int = 360,
                subtitle: str = "") -> go.Figure:
    """The shared look: a title, axis names, a compact margin, the legend at the bottom.

    Plotly never wraps a title, and a long one is cut at a phone's width: keep `title`
    short and put the rest in `subtitle`, a smaller second line. The legend sits under
    everything else (its rows make room for themselves): beside the title, at a phone's
    width, its rows ran over the title."""
    if subtitle:
        title = f"{title}<br><span style='font-size:12px;color:#616161'>{subtitle}</span>"
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        height=height,
        margin=dict(l=50, r=20, t=60, b=45),
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left",
                    x=0),
        template="plotly_white",
    )
    return fig
