"""Any chart in words: a one-line summary read from the figure's own data.

A chart that only colour and position explain is closed to a screen reader and hard to
read at a glance on a phone. Charts with a summary written for them (`length_summary`,
`curves_summary`, ...) show that; every other chart shows `describe_figure`, which reads
the figure's traces the way a chart library's accessibility module does: the title, then
per series its range and where it peaks (lines), its highest and lowest bars (bars), or
its largest cell (heatmaps). Pages show it under the chart (`pages.common.chart`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

MAX_SERIES = 4
# What a token axis appends to a repeated word to keep its columns apart
# (`core.charts.cell.token_labels`); it is never read out.
REPEAT_MARK = "\u200b"
_TAG = re.compile(r"<[^>]+>")


def describe_figure(fig: go.Figure) -> str:
    """One or two sentences on what `fig` shows, from its data alone."""
    title = _plain(getattr(fig.layout.title, "text", None) or "")
    parts = [part for trace in fig.data[:MAX_SERIES]
             if (part := _trace(trace, _Axes.of(fig, trace)))]
    if len(fig.data) > MAX_SERIES:
        parts.append(f"and {len(fig.data) - MAX_SERIES} more series")
    if not parts:
        body = "No data to show yet."
    else:
        body = "; ".join(parts) + "."
        if not title:  # after a title's colon the words keep their own case ("boring")
            body = body[0].upper() + body[1:]
    return f"{title}: {body}" if title else body


class _Axes:
    """How a trace's axes write their values: the tick format ("0.0%"), the words that
    stand for positions (a chart of a review's words has ticks 0, 1, 2 named by them), and
    a short axis title to say what a position is ("at epoch 3")."""

    def __init__(self, x: Any = None, y: Any = None) -> None:
        self.x, self.y = x, y

    @classmethod
    def of(cls, fig: go.Figure, trace: Any) -> _Axes:
        def axis(letter: str) -> Any:
            ref = getattr(trace, f"{letter}axis", None) or letter
            try:
                return fig.layout[f"{letter}axis{ref[1:]}"]
            except (KeyError, ValueError):
                return None
        if trace.type in ("heatmap", "scatter", "scattergl", "bar"):
            return cls(axis("x"), axis("y"))
        return cls()

    @staticmethod
    def value(axis: Any, value: Any) -> str:
        """A value as the axis writes it: its tick format when that is a percentage."""
        fmt = getattr(axis, "tickformat", None) or ""
        if fmt.endswith("%") and _is_number(value):
            try:
                return format(float(value), fmt.lstrip(",~"))
            except ValueError:
                pass
        return _number(value) + (getattr(axis, "ticksuffix", None) or "")

    @staticmethod
    def position(axis: Any, value: Any) -> str:
        """Where on the axis: the tick's own word when one names it, else the axis title
        (when short) and the value: "boring", "epoch 3", "16"."""
        vals, text = (_values(getattr(axis, "tickvals", None)),
                      _values(getattr(axis, "ticktext", None)))
        if vals and text:
            for tick, label in zip(vals, text, strict=False):
                if tick == value:
                    return f"“{_plain(str(label))}”"
        if not _is_number(value):  # a category ("16" on a category axis stays "16")
            label = _plain(str(value).replace(REPEAT_MARK, ""))
            # An axis that lists its categories in order names each one, like the words of
            # a review on a token axis: quoted, as a tick's own word is above.
            return f"“{label}”" if _values(getattr(axis, "categoryarray", None)) else label
        shown = _Axes.value(axis, value)
        title = _plain(getattr(getattr(axis, "title", None), "text", None) or "")
        if title and len(title) <= 20:
            if not title[1:2].isupper():  # "Epoch" -> "epoch", "LSTM units" stays
                title = title[0].lower() + title[1:]
            first = title.split()[0]
            if first.endswith("s") and not first.endswith("ss") and len(first) > 3:
                if shown == "1":  # "1 word before the end"
                    title = first[:-1] + title[len(first):]
                return f"{shown} {title}"  # a count: "3 words before the end", "2 seconds"
            return f"{title} {shown}"
        return shown


def _plain(text: str) -> str:
    """Markup-free text: a title's second line (after <br>) follows a dash."""
    text = re.sub(r"<br\s*/?>", " — ", str(text), flags=re.IGNORECASE)
    return " ".join(_TAG.sub(" ", text).split())


def _number(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
            return f"{int(value):,}"
        if isinstance(value, int):
            return f"{value:,}"
        magnitude = abs(value)
        if magnitude and (magnitude < 1e-3 or magnitude >= 1e6):
            return f"{value:.2e}"
        return f"{value:.3g}"
    return _plain(str(value))


def _values(array: Any) -> list[Any]:
    if array is None:
        return []
    try:
        return list(array)
    except TypeError:
        return []


def _is_number(value: Any) -> bool:
    """A finite int or float (numpy's too), not a string that reads as one."""
    return (not isinstance(value, (str, bytes, bool)) and hasattr(value, "__float__")
            and _finite(value))


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _pairs(xs: Sequence[Any], ys: Sequence[Any]) -> list[tuple[Any, float]]:
    if not xs:
        xs = list(range(len(ys)))
    return [(x, float(y)) for x, y in zip(xs, ys, strict=False) if _finite(y)]


def _trace(trace: Any, axes: _Axes) -> str:
    name = _plain(getattr(trace, "name", None) or "")
    kind = trace.type
    if kind == "heatmap":
        return _heatmap(trace, name, axes)
    if kind == "bar":
        horizontal = getattr(trace, "orientation", None) == "h"
        categories, values = ((_values(trace.y), _values(trace.x)) if horizontal
                              else (_values(trace.x), _values(trace.y)))
        return _bars(name, _pairs(categories, values),
                     axes.x if horizontal else axes.y, axes.y if horizontal else axes.x)
    if kind in ("scatter", "scattergl"):
        pairs = _pairs(_values(trace.x), _values(trace.y))
        mode = getattr(trace, "mode", None) or "lines"
        if "lines" not in mode and len(pairs) > 1:
            return _points(name, trace, pairs)
        return _line(name, pairs, axes)
    return f"{name} ({kind})" if name else ""


def _named(name: str, text: str) -> str:
    return f"{name}: {text}" if name else text


def _line(name: str, pairs: list[tuple[Any, float]], axes: _Axes | None = None) -> str:
    axes = axes or _Axes()

    def at(x: Any, y: float) -> str:
        return f"{_Axes.value(axes.y, y)} at {_Axes.position(axes.x, x)}"

    if not pairs:
        return _named(name, "no values yet")
    if len(pairs) == 1:
        return _named(name, at(*pairs[0]))
    (x0, y0), (x1, y1) = pairs[0], pairs[-1]
    top = max(pairs, key=lambda p: p[1])
    low = min(pairs, key=lambda p: p[1])
    text = f"from {at(x0, y0)} to {at(x1, y1)}"
    if top[1] > max(y0, y1):
        text += f", highest {at(*top)}"
    if low[1] < min(y0, y1):
        text += f", lowest {at(*low)}"
    return _named(name, text)


def _points(name: str, trace: Any, pairs: list[tuple[Any, float]]) -> str:
    xs = [x for x, _ in pairs if _finite(x)]
    ys = [y for _, y in pairs]
    text = f"{len(pairs):,} points"
    if xs:
        text += f", x from {_number(min(map(float, xs)))} to {_number(max(map(float, xs)))}"
    text += f", y from {_number(min(ys))} to {_number(max(ys))}"
    return _named(name, text)


def _bars(name: str, pairs: list[tuple[Any, float]], value_axis: Any = None,
          category_axis: Any = None) -> str:
    def value(v: float) -> str:
        return _Axes.value(value_axis, v)

    def category(c: Any) -> str:
        return _Axes.position(category_axis, c)

    if not pairs:
        return _named(name, "no values yet")
    if len(pairs) <= 5:
        return _named(name, ", ".join(f"{category(c)} {value(v)}" for c, v in pairs))
    top = max(pairs, key=lambda p: p[1])
    low = min(pairs, key=lambda p: p[1])
    return _named(name, f"{len(pairs)} bars, highest {category(top[0])} "
                        f"({value(top[1])}), lowest {category(low[0])} ({value(low[1])})")


def _heatmap(trace: Any, name: str, axes: _Axes | None = None) -> str:
    axes = axes or _Axes()
    rows = [_values(row) for row in _values(trace.z)]
    cells = [(i, j, float(v)) for i, row in enumerate(rows) for j, v in enumerate(row)
             if _finite(v)]
    if not cells:
        return _named(name, "no values yet")
    xs, ys = _values(trace.x), _values(trace.y)
    i, j, top = max(cells, key=lambda c: c[2])
    low = min(c[2] for c in cells)
    where = []
    if ys and i < len(ys):
        where.append(_Axes.position(axes.y, ys[i]))
    if xs and j < len(xs):
        where.append(_Axes.position(axes.x, xs[j]))
    at = f" at {', '.join(where)}" if where else ""
    return _named(name, f"{len(rows)} × {max(len(r) for r in rows)} cells from "
                        f"{_number(low)} to {_number(top)}, largest{at}")
