"""Scoring reviews with several models at once: what to tell a user about a review before
the verdicts (its length, the words the models do not know), a table of verdicts for an
uploaded file with its spreadsheet-safe CSV, the report on a labelled upload, and the
example reviews. The verdict itself is `core.verdict`; VADER is `core.vader`; which models
can score is `core.catalog`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.predict import Predict
from core.text import tokenize, tokenize_all, without_markup
from core.vader import MAX_VADER_CHARS, vader_compounds
from core.verdict import NEGATIVE, NEUTRAL_BAND, POSITIVE, model_label, vader_label

# A note is shown when more than this share of the review's words are unknown to a model.
OOV_NOTE_SHARE = 0.5


@dataclass
class ReviewCheck:
    """What a user should know about a review before reading the models' verdicts."""

    n_tokens: int
    read_tokens: int
    oov_shares: dict[str, float] = field(default_factory=dict)  # model name -> unknown share
    notes: list[str] = field(default_factory=list)
    text: str = ""  # what the models and VADER read: HTML tags and joining dashes as spaces

    @property
    def empty(self) -> bool:
        return self.n_tokens == 0

    @property
    def knows_none(self) -> set[str]:
        """The models that know none of the words they read: their output is no verdict
        (emoji, another script, markup only), as VADER's 0 is none."""
        return {name for name, share in self.oov_shares.items() if share >= 1.0}


def check_review(text: str, seq_len: int,
                 vocabularies: dict[str, frozenset[str] | set[str]] | None = None) -> ReviewCheck:
    """Token count, truncation and each model's unknown-word share of `text`, with notes,
    and the text the models are to read (`core.text.without_markup`).

    `vocabularies` maps a model's name to the words it knows; the names appear in the
    notes as given.
    """
    text, had_markup = without_markup(text)
    tokens = tokenize(text)  # the models' own words (a megabyte takes ~0.1 s)
    notes = []
    if had_markup:
        notes.append("HTML tags such as <b> or <br /> are read as spaces: the words "
                     "between them are scored, the tags are not.")
    if len(tokens) > seq_len:
        notes.append(
            f"The review has {len(tokens):,} words; the models read only the first "
            f"{seq_len:,} (their sequence length), so the rest does not count."
        )
    if len(text) > MAX_VADER_CHARS:
        notes.append(f"VADER reads the first {MAX_VADER_CHARS:,} characters.")
    read = tokens[:seq_len]
    oov_shares = {}
    if read:
        oov_shares = {name: sum(t not in vocabulary for t in read) / len(read)
                      for name, vocabulary in (vocabularies or {}).items()}
    unknown = {name: share for name, share in oov_shares.items() if share > OOV_NOTE_SHARE}
    if unknown:
        who = ", ".join(f"{name} ({share:.0%})" for name, share in unknown.items())
        notes.append(
            f"Most of the words are unknown to {who}: the models learned English movie "
            "reviews, so a score here is close to a guess."
        )
    return ReviewCheck(n_tokens=len(tokens), read_tokens=len(read), oov_shares=oov_shares,
                       notes=notes, text=text)


def score_table(texts: Sequence[str], predictors: dict[str, Predict],
                band: float = NEUTRAL_BAND) -> pd.DataFrame:
    """One row per review: each model's P(positive) and label, VADER's compound and label.

    A review with no words gets empty cells from every model and VADER. A model that fails
    on the batch gets empty probabilities and the label "unusable"; the others are still
    filled.
    """
    texts = ["" if t is None or (isinstance(t, float) and math.isnan(t)) else str(t)
             for t in texts]
    table = pd.DataFrame({"review": texts})
    texts = [without_markup(t)[0] for t in texts]  # the table shows them as uploaded
    empty = np.array([not tokens for tokens in tokenize_all([t[:1000] for t in texts])],
                     dtype=bool)
    for name, predict in predictors.items():
        try:
            probs = np.asarray(predict(texts), dtype=np.float64)
        except Exception:  # noqa: BLE001 - one broken model must not sink the batch
            table[f"{name} P(positive)"] = np.nan
            table[f"{name} label"] = "unusable"
            continue
        probs[empty] = np.nan
        table[f"{name} P(positive)"] = probs.round(4)
        table[f"{name} label"] = ["" if math.isnan(p) else model_label(p, band) for p in probs]
    compounds = vader_compounds(texts)
    compounds[empty] = np.nan
    table["VADER compound"] = compounds.round(4)
    table["VADER label"] = ["" if math.isnan(c) else vader_label(c) for c in compounds]
    return table


# A cell starting with one of these runs as a formula when the CSV is opened in a
# spreadsheet (CSV injection); a leading apostrophe makes it plain text there.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe_csv(table: pd.DataFrame) -> bytes:
    """`table` as UTF-8 CSV in which no text cell can run as a spreadsheet formula."""
    safe = table.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = [f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_START)
                            else v for v in safe[column]]
    return safe.to_csv(index=False).encode("utf-8")


def disagreements(model_labels: dict[str, str], vader: str) -> list[str]:
    """Names of the models whose label differs from VADER's (Neutral counts as a label)."""
    return [name for name, label in model_labels.items() if label != vader]


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Share of reviews where P(positive) >= 0.5 matches the 0/1 label (as training counts)."""
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1).astype(int)
    return float(np.mean((probabilities >= 0.5).astype(int) == labels))


def read_reviews_upload(data: bytes, filename: str, max_rows: int) -> tuple[pd.DataFrame, int]:
    """An uploaded CSV/TSV of reviews (one column or more) and how many rows were dropped.

    Raises `core.data.UploadError` with a message for the user.
    """
    from core.data import read_table

    frame = read_table(data, filename, min_columns=1)
    dropped = max(0, len(frame) - max_rows)
    return frame.head(max_rows), dropped


def guess_text_column(frame: pd.DataFrame) -> str:
    """The column that most looks like review text: a known name, else the longest on average."""
    for column in frame.columns:
        if str(column).strip().lower() in ("review", "text", "reviews", "comment", "body"):
            return column
    lengths = {c: frame[c].astype(str).str.len().mean() for c in frame.columns}
    return max(lengths, key=lengths.get)


# --- Labelled uploads -------------------------------------------------------------------------

MAX_MISTAKES_SHOWN = 200


@dataclass
class LabelledReport:
    """How each model and VADER did on an uploaded file with true labels."""

    summary: pd.DataFrame  # one row per model: reviews, accuracy and the confusion counts
    mistakes: pd.DataFrame  # the reviews at least one of them got wrong, most-missed first
    labelled: int  # rows with a label and words to read


def labelled_report(scored: pd.DataFrame, labels: np.ndarray) -> LabelledReport:
    """Accuracy, a confusion table and the misclassified reviews, from `score_table`'s
    output and the 0/1 labels (NaN where a row has none).

    The rule is the test accuracy's: P(positive) >= 0.5 says positive (so a Neutral
    verdict still leans one way); VADER says positive above 0 and negative below, and a
    compound of exactly 0 is "no verdict", counted wrong.
    """
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    if len(labels) != len(scored):
        raise ValueError("one label per scored review is needed")
    names = [c[: -len(" label")] for c in scored.columns if c.endswith(" label")]
    truth_positive, truth_negative = labels == 1, labels == 0
    rows, wrong = [], {}
    usable_any = np.zeros(len(scored), dtype=bool)
    for name in names:
        value_column = "VADER compound" if name == "VADER" else f"{name} P(positive)"
        values = pd.to_numeric(scored[value_column], errors="coerce").to_numpy(np.float64)
        usable = ~np.isnan(labels) & ~np.isnan(values)
        if not usable.any():
            continue
        usable_any |= usable
        said_positive = values > 0 if name == "VADER" else values >= 0.5
        said_negative = values < 0 if name == "VADER" else values < 0.5
        correct = (said_positive & truth_positive) | (said_negative & truth_negative)
        wrong[name] = usable & ~correct
        rows.append({
            "model": name,
            "reviews": int(usable.sum()),
            "accuracy": float(correct[usable].mean()),
            "positive, said positive": int((usable & truth_positive & said_positive).sum()),
            "positive, said negative": int((usable & truth_positive & said_negative).sum()),
            "negative, said negative": int((usable & truth_negative & said_negative).sum()),
            "negative, said positive": int((usable & truth_negative & said_positive).sum()),
            "no verdict": int((usable & ~said_positive & ~said_negative).sum()),
        })
    summary = pd.DataFrame(rows, columns=[
        "model", "reviews", "accuracy", "positive, said positive", "positive, said negative",
        "negative, said negative", "negative, said positive", "no verdict"])
    missed = sum(wrong.values(), np.zeros(len(scored), dtype=int))
    order = [i for i in np.argsort(-missed, kind="stable") if missed[i] > 0]
    mistakes = pd.DataFrame({
        "review": scored["review"].to_numpy()[order],
        "true label": [POSITIVE if labels[i] == 1 else NEGATIVE for i in order],
        "missed by": [int(missed[i]) for i in order],
        **{f"{name} label": scored[f"{name} label"].to_numpy()[order] for name in wrong},
    }).head(MAX_MISTAKES_SHOWN)
    return LabelledReport(summary=summary, mistakes=mistakes, labelled=int(usable_any.sum()))


# --- Shipped material ------------------------------------------------------------------------

ASSETS = Path(__file__).resolve().parents[1] / "assets"
EXAMPLES_FILE = ASSETS / "examples" / "reviews.json"


@dataclass(frozen=True)
class ExampleReview:
    """An example on the Classify page. `why` is its hint, and states what the shipped
    models say: `says` (model name or "VADER" -> the label it gives) and `never_says`
    (-> a label it does not give) are those claims, checked by the tests against the
    models as shipped, so a retrained model cannot leave a hint that is no longer true."""

    title: str
    kind: str
    why: str
    text: str
    says: dict[str, str] = field(default_factory=dict)
    never_says: dict[str, str] = field(default_factory=dict)


def example_reviews(path: Path = EXAMPLES_FILE) -> list[ExampleReview]:
    """The example reviews shipped in assets/examples (empty if the file is unreadable)."""
    import json

    try:
        items = json.loads(path.read_text(encoding="utf-8"))
        return [ExampleReview(str(i["title"]), str(i.get("kind", "")), str(i.get("why", "")),
                              str(i["text"]), dict(i.get("says") or {}),
                              dict(i.get("never_says") or {})) for i in items]
    except (OSError, ValueError, KeyError, TypeError):
        return []
