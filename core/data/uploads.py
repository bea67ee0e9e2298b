"""Users' own labelled reviews: an uploaded CSV/TSV read into a frame, its label column
found and read as two classes, with a message the page can show for every way it fails."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.data.imdb import clean_review

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class UploadError(ValueError):
    """A user's upload cannot be used; the message says why, in words for the UI."""


# How a two-class label may be spelt in a user's file (compared lower-cased).
POSITIVE_LABELS = {"1", "pos", "positive", "true", "yes", "good", "+", "1.0"}
NEGATIVE_LABELS = {"0", "neg", "negative", "false", "no", "bad", "-", "0.0", "-1"}
LABEL_COLUMN_NAMES = ("label", "labels", "sentiment", "polarity", "class", "target", "y")


def read_table(data: bytes, filename: str, max_bytes: int = MAX_UPLOAD_BYTES,
               min_columns: int = 2) -> pd.DataFrame:
    """Parse an uploaded CSV/TSV into a frame of strings, with errors a user can act on.

    The one parser of uploads: labelled data on the Data page needs two columns (text and
    label), reviews to score on Classify one (`min_columns=1`).
    """
    import pandas as pd
    if len(data) == 0:
        raise UploadError("The file is empty.")
    if len(data) > max_bytes:
        raise UploadError(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(
            f"The file is not UTF-8 text (byte {exc.start} cannot be decoded). "
            "Save it as UTF-8 and upload it again."
        ) from exc
    if not text.strip():
        raise UploadError("The file holds only blank space.")
    if filename.lower().endswith((".tsv", ".tab")):
        sep = "\t"
    else:
        try:
            sep = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
        except csv.Error:
            sep = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise UploadError(f"The file could not be read as a table: {exc}") from exc
    if min_columns > 1 and (frame.empty or len(frame.columns) < min_columns):
        raise UploadError("The table needs a header row and at least two columns (text and label).")
    if frame.empty:
        raise UploadError("The table has a header but no reviews.")
    return frame


def label_values(values: Sequence[Any]) -> np.ndarray | None:
    """1 (positive), 0 (negative) or NaN (empty) per row of a column spelt with the known
    label words; None when the column holds anything else (a star rating, free text...)."""
    import numpy as np

    mapped, seen = [], set()
    for value in values:
        key = "" if value is None else str(value).strip().lower()
        if key in ("", "nan"):
            mapped.append(np.nan)
            continue
        if key not in POSITIVE_LABELS and key not in NEGATIVE_LABELS:
            return None
        mapped.append(1.0 if key in POSITIVE_LABELS else 0.0)
        seen.add(mapped[-1])
    return np.array(mapped, dtype=np.float64) if seen else None


def label_columns(frame: pd.DataFrame, text_column: str) -> list[str]:
    """The columns (other than the text) that hold two-class labels, likeliest first."""
    found = [c for c in frame.columns
             if c != text_column and label_values(frame[c].tolist()) is not None]
    return sorted(found, key=lambda c: str(c).strip().lower() not in LABEL_COLUMN_NAMES)


def _positive_class(first: str, second: str) -> str:
    """Which of two label values means positive: known names win, else the later one."""
    a, b = first.lower(), second.lower()
    if a in POSITIVE_LABELS and b not in POSITIVE_LABELS:
        return first
    if b in POSITIVE_LABELS and a not in POSITIVE_LABELS:
        return second
    if a in NEGATIVE_LABELS and b not in NEGATIVE_LABELS:
        return second
    if b in NEGATIVE_LABELS and a not in NEGATIVE_LABELS:
        return first
    return second  # unknown names: the later one in sort order; the UI says which


@dataclass(frozen=True)
class LabelledReviews:
    frame: pd.DataFrame  # columns text, label (0/1)
    positive: str  # the label value read as positive
    negative: str
    dropped_empty: int


def labelled_reviews(table: pd.DataFrame, text_col: str, label_col: str) -> LabelledReviews:
    """Pick the text and label columns of an uploaded table and map labels to 0/1."""
    import pandas as pd
    for column in (text_col, label_col):
        if column not in table.columns:
            raise UploadError(f"There is no column named {column!r}.")
    if text_col == label_col:
        raise UploadError("Choose different columns for the text and the label.")
    texts = table[text_col].astype(str).map(clean_review)
    labels = table[label_col].astype(str).str.strip()
    keep = (texts.str.len() > 0) & (labels.str.len() > 0)
    texts, labels = texts[keep], labels[keep]
    if texts.empty:
        raise UploadError("No row has both a text and a label.")
    classes = sorted(labels.unique())
    if len(classes) != 2:
        shown = ", ".join(repr(c) for c in classes[:6]) + (" …" if len(classes) > 6 else "")
        raise UploadError(
            f"The label column must hold exactly two classes; it holds {len(classes)}: {shown}."
        )
    positive = _positive_class(classes[0], classes[1])
    negative = classes[1] if positive == classes[0] else classes[0]
    frame = pd.DataFrame({
        "text": texts.to_numpy(),
        "label": (labels == positive).astype("int8").to_numpy(),
    })
    return LabelledReviews(frame, positive, negative, int((~keep).sum()))

