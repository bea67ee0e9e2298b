"""The comparison table: one `Entry` per model (a recurrent run or a baseline, finished or
not), the figures derived from what each run saved, and every time also given as a ratio to
the LSTM's.

    table = comparison_table(ordered(entries))   # one row per model, ratios to the LSTM
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.baselines import BASELINE_NAMES, BASELINES
from core.config import ARCH_LABELS, ARCHITECTURES
from core.jobs import DONE, FAILED, STOPPED
from core.predict import median_latency_ms

if TYPE_CHECKING:
    from core.runs import RunInfo, RunStore

REFERENCE_ARCH = "lstm"

# Row statuses. A failed or stopped model keeps its row, so the table shows what happened.
SKIPPED = "not run"  # a row's status beside the job endings DONE, FAILED and STOPPED
# Where a row's numbers come from.
TRAINED, REUSED, SAVED, BASELINE = "trained now", "reused run", "saved run", "baseline"

# The comparison table's columns, in order, with the labels the page shows. The names
# match a run's metrics, so a CSV export reads like the run store.
COLUMNS: dict[str, str] = {
    "model": "Model",
    "status": "Status",
    "source": "Source",
    "params": "Parameters",
    "epochs_run": "Epochs",
    "epoch_s": "Time per epoch (s)",
    "train_s": "Training time (s)",
    "samples_per_s": "Training reviews/s",
    "latency_one_ms": "Latency, 1 review (ms)",
    "latency_batch_ms": "Latency per review, batch of 256 (ms)",
    "test_accuracy": "Test accuracy",
    "test_loss": "Test loss",
    "best_epoch": "Best epoch",
    "best_val_accuracy": "Best validation accuracy",
    "epoch_s_vs_lstm": "Time per epoch ÷ LSTM",
    "train_s_vs_lstm": "Training time ÷ LSTM",
    "latency_one_vs_lstm": "Latency (1 review) ÷ LSTM",
    "latency_batch_vs_lstm": "Latency (batch) ÷ LSTM",
    "arch": "Architecture",
    "note": "Note",
    "run_id": "Run",
}
METRICS = ("params", "epochs_run", "epoch_s", "train_s", "samples_per_s", "latency_one_ms",
           "latency_batch_ms", "test_accuracy", "test_loss", "best_epoch", "best_val_accuracy")
RATIOS = {"epoch_s_vs_lstm": "epoch_s", "train_s_vs_lstm": "train_s",
          "latency_one_vs_lstm": "latency_one_ms", "latency_batch_vs_lstm": "latency_batch_ms"}


@dataclass
class Entry:
    """One row of the comparison: a recurrent run or a baseline, finished or not."""

    label: str
    arch: str  # an architecture, or a baseline key ("vader", "tfidf_logreg", "nblr")
    status: str = DONE
    source: str = TRAINED
    metrics: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    note: str = ""


def _number(value: Any) -> float | None:
    """A finite float, or None for missing / NaN / infinite / not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _series(history: dict[str, Any], name: str) -> list[float | None]:
    values = history.get(name) or []
    return [_number(v) for v in values] if isinstance(values, (list, tuple)) else []


def derived_metrics(metrics: dict[str, Any], history: dict[str, Any],
                    config: dict[str, Any]) -> dict[str, Any]:
    """Every table metric for a run, from what it saved: its metrics first, else its history.

    Older or partial runs may lack a figure the table wants (e.g. best epoch); it is worked
    out from the per-epoch history when that is there.
    """
    out: dict[str, Any] = {name: _number(metrics.get(name)) for name in METRICS}
    complete = history.get("complete")
    complete = complete if isinstance(complete, (list, tuple)) else []
    # A stopped run's cut-short epoch is not a time per epoch.
    epoch_times = [t for i, t in enumerate(_series(history, "epoch_s")) if t is not None
                   and (i >= len(complete) or complete[i] is not False)]
    val_acc = _series(history, "val_accuracy")
    if out["epochs_run"] is None:
        epochs = max(len(epoch_times), len(val_acc), len(_series(history, "loss")))
        out["epochs_run"] = epochs or None
    if out["epoch_s"] is None and epoch_times:
        out["epoch_s"] = statistics.fmean(epoch_times)
    if out["train_s"] is None and epoch_times:
        out["train_s"] = sum(epoch_times)
    if out["samples_per_s"] is None and out["epoch_s"]:
        train_size = _number(config.get("train_size"))
        val_share = _number(config.get("val_share")) or 0.0
        if train_size:
            out["samples_per_s"] = train_size * (1 - val_share) / out["epoch_s"]
    valid = [(v, i) for i, v in enumerate(val_acc) if v is not None]
    if valid:
        best, index = max(valid, key=lambda pair: (pair[0], -pair[1]))
        if out["best_val_accuracy"] is None:
            out["best_val_accuracy"] = best
        if out["best_epoch"] is None:
            out["best_epoch"] = index + 1
    for name in ("params", "best_epoch"):
        if out[name] is not None:
            out[name] = int(out[name])
    if out["epochs_run"] is not None:  # a stopped run's last epoch counts in part: 1.4
        out["epochs_run"] = round(float(out["epochs_run"]), 2)
    return out


def reference_entry(entries: Sequence[Entry], arch: str = REFERENCE_ARCH) -> Entry | None:
    """The row the ratios divide by: the first finished LSTM in the comparison."""
    return next((e for e in entries if e.arch == arch and e.status == DONE), None)


def comparison_table(entries: Sequence[Entry], reference: str = REFERENCE_ARCH) -> pd.DataFrame:
    """One row per entry with every column of `COLUMNS`; missing figures are NaN.

    Ratios divide each time by the reference LSTM's (so the LSTM reads 1.00 and a BiLSTM
    twice as slow reads 2.00); they are NaN when there is no finished LSTM to divide by.
    """
    ref = reference_entry(entries, reference)
    ref_metrics = derived_metrics(ref.metrics, ref.history, ref.config) if ref else {}
    rows = []
    for entry in entries:
        values = derived_metrics(entry.metrics, entry.history, entry.config)
        row: dict[str, Any] = {"model": entry.label, "status": entry.status,
                               "source": entry.source, **values}
        for ratio, name in RATIOS.items():
            numerator, denominator = values.get(name), ref_metrics.get(name)
            row[ratio] = (numerator / denominator
                          if numerator is not None and denominator else None)
        row.update(arch=entry.arch, note=entry.note, run_id=entry.run_id or "")
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    for name in COLUMNS:
        if name not in ("model", "status", "source", "arch", "note", "run_id"):
            table[name] = pd.to_numeric(table[name], errors="coerce").astype("float64")
    return table


def table_csv(table: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV, column names as in `COLUMNS` (machine-friendly)."""
    return table.to_csv(index=False, float_format="%.6g").encode("utf-8")


def baseline_entry(result: Any) -> Entry:
    """A row from a `core.baselines.BaselineResult`."""
    return Entry(label=result.name, arch=result.key, status=DONE, source=BASELINE,
                 metrics=dict(result.metrics), config=dict(result.settings), note=result.notes)


def failed_entry(label: str, arch: str, message: str, status: str = FAILED,
                 config: dict[str, Any] | None = None,
                 history: dict[str, list[float]] | None = None) -> Entry:
    return Entry(label=label, arch=arch, status=status, source=TRAINED, config=config or {},
                 history=history or {}, note=message)


def model_label(arch: str) -> str:
    return ARCH_LABELS.get(arch) or BASELINE_NAMES.get(arch) or arch


def ordered(entries: Iterable[Entry]) -> list[Entry]:
    """Recurrent models in the usual order (simplest first), then baselines, then the rest."""
    order = {arch: i for i, arch in enumerate((*ARCHITECTURES, *BASELINES))}
    return sorted(entries, key=lambda e: order.get(e.arch, len(order)))


# --- runs as rows ----------------------------------------------------------------------------

TABLE_RUN_METRICS = ("params", "epochs_run", "epoch_s", "train_s", "samples_per_s",
                     "test_accuracy", "test_loss")


def run_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The saved run's metrics the table shows (the same names). The latency is measured
    again, here, for every model one after another on the same texts, so the column
    compares like with like on a busy machine."""
    return {name: metrics.get(name) for name in TABLE_RUN_METRICS}


def read_history(info: RunInfo) -> dict[str, Any]:
    """The run's per-epoch history without loading its model ({} if unreadable)."""
    import json

    if info.path is None:
        return {}
    try:
        history = json.loads((info.path / "history.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return history if isinstance(history, dict) else {}


def run_entry(info: RunInfo, source: str = SAVED, label: str | None = None,
              latency: tuple[float, float] | None = None) -> Entry:
    """A row for a saved run; `latency` (one review, per review in a batch) if measured,
    else the latency cells stay empty."""
    metrics = run_metrics(info.metrics)
    if latency is not None:
        metrics["latency_one_ms"], metrics["latency_batch_ms"] = latency
    arch = str(info.config.get("arch", ""))
    note = "" if info.status == DONE else f"run status: {info.status}"
    if source == SAVED:
        note = (note + "; " if note else "") + f"saved run “{info.name}”"
    return Entry(label=label or info.name, arch=arch,
                 status=DONE if info.status == DONE else STOPPED,
                 source=source, metrics=metrics, history=read_history(info),
                 config=dict(info.config), run_id=info.run_id, note=note)


def saved_entry(store: RunStore, run_id: str, texts: Sequence[str]) -> Entry:
    """A row for a saved run added to the comparison, its latency measured now.

    When its model cannot be loaded or run, the latency cells stay empty and the note says
    why; the rest of its row still comes from its saved metrics.
    """
    try:
        latency = median_latency_ms(store.load(run_id).predictor, texts)
        problem = ""
    except Exception as exc:  # a damaged model file must not hide the run's saved numbers
        latency, problem = None, f"latency not measured: {exc}"
    entry = run_entry(store.info(run_id), latency=latency)
    if problem:
        entry.note = f"{entry.note}; {problem}" if entry.note else problem
    return entry

