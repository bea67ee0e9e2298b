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
_TAG = re.compile(r"<[^>]+>")


def describe_figure(fig: go.Figure) -> str:
    """One or two sentences on what `fig` shows, from its data alone."""
    title = _plain(getattr(fig.layout.title, "text", None) or "")
    parts = [part for trace in fig.data[:MAX_SERIES] if (part := _trace(trace))]
    if len(fig.data) > MAX_SERIES:
        parts.append(f"and {len(fig.data) - MAX_SERIES} more series")
    if not parts:
        body = "No data to show yet."
    else:
        body = "; ".join(parts) + "."
        body = body[0].upper() + body[1:]
    return f"{title}: {body}" if title else body


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


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _pairs(xs: Sequence[Any], ys: Sequence[Any]) -> list[tuple[Any, float]]:
    if not xs:
        xs = list(range(len(ys)))
    return [(x, float(y)) for x, y in zip(xs, ys, strict=False) if _finite(y)]


def _trace(trace: Any) -> str:
    name = _plain(getattr(trace, "name", None) or "")
    kind = trace.type
    if kind == "heatmap":
        return _heatmap(trace, name)
    if kind == "bar":
        horizontal = getattr(trace, "orientation", None) == "h"
        categories, values = ((_values(trace.y), _values(trace.x)) if horizontal
                              else (_values(trace.x), _values(trace.y)))
        return _bars(name, _pairs(categories, values))
    if kind in ("scatter", "scattergl"):
        pairs = _pairs(_values(trace.x), _values(trace.y))
        mode = getattr(trace, "mode", None) or "lines"
        if "lines" not in mode and len(pairs) > 1:
            return _points(name, trace, pairs)
        return _line(name, pairs)
    return f"{name} ({kind})" if name else ""


def _named(name: str, text: str) -> str:
    return f"{name}: {text}" if name else text


def _line(name: str, pairs: list[tuple[Any, float]]) -> str:
    if not pairs:
        return _named(name, "no values yet")
    if len(pairs) == 1:
        (x, y), = pairs
        return _named(name, f"{_number(y)} at {_number(x)}")
    (x0, y0), (x1, y1) = pairs[0], pairs[-1]
    top = max(pairs, key=lambda p: p[1])
    low = min(pairs, key=lambda p: p[1])
    text = f"from {_number(y0)} at {_number(x0)} to {_number(y1)} at {_number(x1)}"
    if top[1] > max(y0, y1):
        text += f", highest {_number(top[1])} at {_number(top[0])}"
    if low[1] < min(y0, y1):
        text += f", lowest {_number(low[1])} at {_number(low[0])}"
    return _named(name, text)


def _points(name: str, trace: Any, pairs: list[tuple[Any, float]]) -> str:
    xs = [x for x, _ in pairs if _finite(x)]
    ys = [y for _, y in pairs]
    text = f"{len(pairs):,} points"
    if xs:
        text += f", x from {_number(min(map(float, xs)))} to {_number(max(map(float, xs)))}"
    text += f", y from {_number(min(ys))} to {_number(max(ys))}"
    return _named(name, text)


def _bars(name: str, pairs: list[tuple[Any, float]]) -> str:
    if not pairs:
        return _named(name, "no values yet")
    if len(pairs) <= 5:
        return _named(name, ", ".join(f"{_plain(str(c))} {_number(v)}" for c, v in pairs))
    top = max(pairs, key=lambda p: p[1])
    low = min(pairs, key=lambda p: p[1])
    return _named(name, f"{len(pairs)} bars, highest {_plain(str(top[0]))} "
                        f"({_number(top[1])}), lowest {_plain(str(low[0]))} ({_number(low[1])})")


def _heatmap(trace: Any, name: str) -> str:
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
        where.append(_plain(str(ys[i])))
    if xs and j < len(xs):
        where.append(_plain(str(xs[j])))
    at = f" at {' / '.join(where)}" if where else ""
    return _named(name, f"{len(rows)} × {max(len(r) for r in rows)} cells from "
                        f"{_number(low)} to {_number(top)}, largest{at}")
