"""Compare architectures under one budget: SimpleRNN, LSTM, GRU and BiLSTM trained on the
same data with the same settings and seed, next to the baselines a practitioner would try
first (VADER, TF-IDF + logistic regression, NB-LR), in one table with every time also given as
a ratio to the LSTM.

    plan = ComparePlan(ModelConfig(epochs=1), archs=("simple_rnn", "lstm", "gru", "bilstm"))
    job = submit_comparison(plan, imdb)            # trains one model after another
    progress = CompareProgress.from_events(job.events())   # what the page draws live
    table = comparison_table(job.result.entries)   # one row per model, ratios to the LSTM

A model already trained with identical settings (same `ModelConfig.key()`) on as many
reviews as this comparison would use is reused from the run store rather than trained again,
so re-running a comparison only trains what is new.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.baselines import BASELINE_NAMES, BASELINES
from core.events import Batch, Epoch, Event, ModelStart, Note, Plan, Row, Stage
from core.models import ARCH_LABELS, ARCHITECTURES, ModelConfig
from core.training import split_reviews

if TYPE_CHECKING:
    from core.data import ImdbData
    from core.jobs import Job, JobContext
    from core.runs import RunInfo, RunStore

DEFAULT_ARCHS = ("simple_rnn", "lstm", "gru", "bilstm")
REFERENCE_ARCH = "lstm"

# Row statuses. A failed or stopped model keeps its row, so the table shows what happened.
DONE, FAILED, STOPPED, SKIPPED = "done", "failed", "stopped", "not run"
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
class ComparePlan:
    """What one click of "Compare" trains: `base`'s settings for every architecture."""

    base: ModelConfig
    archs: tuple[str, ...] = DEFAULT_ARCHS
    baselines: tuple[str, ...] = BASELINES

    def configs(self) -> list[ModelConfig]:
        """`base` with each architecture and nothing else changed (the fair comparison).

        Only the BiLSTMs read both ways, whatever `base` says; `ModelConfig` wires them.
        """
        return [dataclasses.replace(self.base, arch=arch, bidirectional=False)
                for arch in self.archs]

    def validate(self) -> dict[str, str]:
        """Field-level problems ({} when the plan can run); checked for every architecture."""
        problems: dict[str, str] = {}
        if not self.archs:
            problems["archs"] = "Choose at least one architecture to compare."
        unknown = [a for a in self.archs if a not in ARCHITECTURES]
        if unknown:
            problems["archs"] = f"Unknown architecture(s): {', '.join(map(str, unknown))}."
            return problems
        if len(set(self.archs)) != len(self.archs):
            problems["archs"] = "Each architecture can appear only once."
        unknown_baselines = [b for b in self.baselines if b not in BASELINES]
        if unknown_baselines:
            problems["baselines"] = f"Unknown baseline(s): {', '.join(unknown_baselines)}."
        for config in self.configs():
            for name, message in config.validate().items():
                problems.setdefault(name, message)
        return problems

    def check(self, data: ImdbData) -> dict[str, str]:
        """`validate` plus what depends on the dataset (enough reviews, a test set)."""
        from core.training import check_against_data

        problems = self.validate()
        if "archs" not in problems and self.archs:
            for name, message in check_against_data(self.configs()[0], data).items():
                problems.setdefault(name, message)
        return problems


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
    epoch_times = [t for t in _series(history, "epoch_s") if t is not None]
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
    for name in ("params", "epochs_run", "best_epoch"):
        if out[name] is not None:
            out[name] = int(out[name])
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

def run_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """A saved sentiment run's metrics under the table's names (see `core.training`).

    The latency training saved is left out: it was measured another way (Keras's predict
    step, right after training), so it would not compare with the latencies measured here.
    """
    return {
        "params": metrics.get("params"),
        "epochs_run": metrics.get("epochs_done"),
        "epoch_s": metrics.get("time_per_epoch_s"),
        "train_s": metrics.get("train_s"),
        "samples_per_s": metrics.get("samples_per_s"),
        "test_accuracy": metrics.get("test_accuracy"),
        "test_loss": metrics.get("test_loss"),
    }


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


def measure_latency(store: RunStore, run_id: str, texts: Sequence[str]) -> tuple[float, float]:
    """Median ms per review for one review and within a batch of 256, as Classify serves it.

    Every model in a comparison is measured here, by the same code, one after another, so
    the latencies compare like with like (training measured only the single review).
    """
    from core.baselines import median_latency_ms
    from core.sentiment import FastPredictor

    loaded = store.load(run_id)
    return median_latency_ms(FastPredictor(loaded.model), texts)


def saved_entry(store: RunStore, run_id: str, texts: Sequence[str]) -> Entry:
    """A row for a saved run added to the comparison, its latency measured now.

    When its model cannot be loaded or run, the latency cells stay empty and the note says
    why; the rest of its row still comes from its saved metrics.
    """
    try:
        latency = measure_latency(store, run_id, texts)
        problem = ""
    except Exception as exc:  # a damaged model file must not hide the run's saved numbers
        latency, problem = None, f"latency not measured: {exc}"
    entry = run_entry(store.info(run_id), latency=latency)
    if problem:
        entry.note = f"{entry.note}; {problem}" if entry.note else problem
    return entry


def _settings_key(config: dict[str, Any]) -> str | None:
    """The run's settings hashed as today's `ModelConfig` would hash them.

    A run saved before a field was added lacks it, and `from_dict` fills in the default it
    was trained with; the key stored at training time would never match again.
    """
    try:
        return ModelConfig.from_dict(config).key()
    except (TypeError, ValueError, AttributeError):
        return None


def data_sizes(config: ModelConfig, data: ImdbData) -> dict[str, int]:
    """How many reviews a run with `config` trains, validates and tests on with `data`
    (the names `core.training` saves them under in a run's metrics)."""
    train, val = split_reviews(config, data)
    return {"train_reviews": len(train), "val_reviews": len(val),
            "test_reviews": len(labelled_test(data))}


def find_reusable(config: ModelConfig, stores: Sequence[RunStore], sizes: dict[str, int]
                  ) -> tuple[RunStore, RunInfo] | None:
    """The newest finished run with exactly `config`'s settings that was trained, validated
    and tested on as many reviews as `sizes` (see `data_sizes`), in the first store that
    has one. A run trained on a smaller copy of IMDB is not the same experiment."""
    wanted = config.key()
    for store in stores:
        for info in store.list(kind=KIND):
            if (info.status == DONE and _settings_key(info.config) == wanted
                    and all(info.metrics.get(name) == n for name, n in sizes.items())):
                return store, info
    return None


def preview(plan: ComparePlan, data: ImdbData, stores: Sequence[RunStore]
            ) -> list[dict[str, Any]]:
    """What a click would do per architecture: reuse which run, or train."""
    sizes = data_sizes(plan.base, data)
    rows = []
    for config in plan.configs():
        found = find_reusable(config, stores, sizes)
        rows.append({"model": config.label, "arch": config.arch,
                     "action": "reuse" if found else "train",
                     "run_id": found[1].run_id if found else None,
                     "run_name": found[1].name if found else None})
    return rows


# --- the comparison job ----------------------------------------------------------------------

JOB_KIND = "compare"
KIND = "sentiment"  # the run kind `core.training` saves
# A baseline counts as a quarter of a model in the overall progress: it takes seconds.
BASELINE_WEIGHT = 0.25


def labelled_test(data: ImdbData) -> pd.DataFrame:
    return data.test[data.test["label"].notna()].reset_index(drop=True)


# Rough seconds per unit of work on a 2-core CPU, to size each stage of a comparison before
# it runs (measured here: VADER scores 25,000 reviews in about a minute; TF-IDF and NB-LR
# fit and score 50,000 in 30-45 s; an LSTM of 64 units reads about 500 reviews of 200
# tokens a second while training, three times that while testing). Only the proportions
# matter: as stages finish, their measured times rescale the estimates of the rest.
STAGE_COST = {"vader": 2.4e-3, "tfidf_logreg": 0.6e-3, "nblr": 0.9e-3}
TOKEN_STEP_S = 1e-5  # one LSTM-64 step for one review while training
# Batches are padded only to their longest review, so a review costs its own length in
# steps (up to seq_len): 230 tokens on average in IMDB.
MEAN_REVIEW_TOKENS = 230
ARCH_COST = {"simple_rnn": 0.5, "lstm": 1.0, "gru": 1.0, "bilstm": 2.0, "stacked_bilstm": 2.0}
REUSE_S = 3.0  # loading a reused run and timing its latency


def stage_estimates(plan: ComparePlan, sizes: dict[str, int],
                    reused: Sequence[str] = ()) -> list[float]:
    """Seconds each stage (the baselines, then each architecture) is expected to take; a
    model in `reused` (labels) is only loaded."""
    train, test = sizes["train_reviews"], sizes["test_reviews"]
    estimates = [STAGE_COST.get(key, 1e-3) * (test if key == "vader" else train + test)
                 for key in plan.baselines]
    for config in plan.configs():
        if config.label in reused:
            estimates.append(REUSE_S)
            continue
        steps = ARCH_COST.get(config.arch, 1.0) * config.layers * max(1.0, config.units / 64)
        reading = steps * min(config.seq_len, MEAN_REVIEW_TOKENS) * TOKEN_STEP_S
        estimates.append(reading * (train * config.epochs + (sizes["val_reviews"]
                                    * config.epochs + test) / 3) + 5.0)
    return estimates


class _Schedule:
    """The time left in a comparison: what the running stage says it needs (or its estimate),
    plus the estimates of the stages after it, rescaled by how the finished models' real
    times compared with their estimates (only trained models count: a baseline read from
    the cache takes no time, which says nothing about the networks)."""

    def __init__(self, estimates: list[float]) -> None:
        self.estimates = estimates
        self.index = 0
        self.began = time.monotonic()
        self.spent = self.expected = 0.0

    def start(self, index: int) -> None:
        self.index, self.began = index, time.monotonic()

    def finish(self, skipped: bool = False) -> None:
        if not skipped and self.estimates[self.index] >= 5.0:
            self.spent += time.monotonic() - self.began
            self.expected += self.estimates[self.index]

    @property
    def pace(self) -> float:
        """Real seconds per estimated second so far (1 until a stage of note has finished)."""
        return min(10.0, max(0.1, self.spent / self.expected)) if self.expected else 1.0

    def eta(self, current_left: float | None = None) -> float:
        if current_left is None:
            current_left = max(0.0, self.estimates[self.index] * self.pace
                               - (time.monotonic() - self.began))
        return current_left + sum(self.estimates[self.index + 1:]) * self.pace


class _ModelJob:
    """The view of the comparison job that one model's training gets.

    `train_sentiment` reports progress from 0 to 1 for its own model; this scales it into
    the model's slice of the overall bar and tags every event with the model, so the page
    can draw one live curve per model from the single job's event list.
    """

    def __init__(self, job: JobContext, label: str, arch: str, start: float, weight: float,
                 schedule: _Schedule | None = None) -> None:
        self._job, self.label, self.arch = job, label, arch
        self._start, self._weight = start, weight
        self._schedule = schedule
        self.progress, self.eta_s = 0.0, None

    def publish(self, event: Event) -> None:
        self._job.publish(event.tagged(self.label))

    def set_progress(self, fraction: float, eta_s: float | None = None, message: str = "") -> None:
        self.progress, self.eta_s = fraction, eta_s
        # The model's own ETA (from its batches) for what is left of it, the schedule for
        # the models after it.
        overall = (self._schedule.eta(eta_s) if self._schedule is not None else None)
        self._job.set_progress(self._start + self._weight * fraction, overall,
                               f"{self.label}: {message}" if message else "")

    @property
    def stop_requested(self) -> bool:
        return self._job.stop_requested


@dataclass
class CompareResult:
    entries: list[Entry]

    @classmethod
    def from_json(cls, value: Any) -> CompareResult | None:
        """The result a finished job stored (as JSON), or None when it has none."""
        if not isinstance(value, dict) or not isinstance(value.get("entries"), list):
            return None
        return cls([Entry(**entry) for entry in value["entries"]])


def _publish_row(job: JobContext, entry: Entry) -> None:
    job.publish(Row(entry=dataclasses.asdict(entry), model=entry.label))


def _baseline_rows(plan: ComparePlan, data: ImdbData, job: JobContext, position: float,
                   weight: float, use_cache: bool, schedule: _Schedule) -> list[Entry]:
    from core import baselines

    test = labelled_test(data)
    test_texts, test_labels = test["text"].tolist(), test["label"].astype(int).tolist()
    rows = []
    for index, key in enumerate(plan.baselines):
        if job.stop_requested:
            break
        name = BASELINE_NAMES[key]
        schedule.start(index)
        job.set_progress(position, schedule.eta(),
                         f"{name}: scoring {len(test_texts):,} test reviews…")
        job.publish(ModelStart(model=name, arch=key))
        try:
            if key == "vader":
                result = baselines.vader_baseline(test_texts, test_labels, use_cache=use_cache)
            elif key == "nblr":
                train, _ = split_reviews(plan.base, data)
                result = baselines.nblr_baseline(
                    train["text"].tolist(), train["label"].astype(int).tolist(),
                    test_texts, test_labels, use_cache=use_cache)
            else:
                train, _ = split_reviews(plan.base, data)
                result = baselines.tfidf_logreg_baseline(
                    train["text"].tolist(), train["label"].astype(int).tolist(),
                    test_texts, test_labels, max_features=plan.base.vocab_size,
                    seed=plan.base.seed, use_cache=use_cache)
            entry = baseline_entry(result)
        except Exception as exc:  # one baseline failing must not sink the comparison
            entry = failed_entry(name, key, f"{type(exc).__name__}: {exc}")
            entry.source = BASELINE
        rows.append(entry)
        _publish_row(job, entry)
        # No finish(): a baseline read from the cache takes no time, which says nothing
        # about how fast the networks will train.
        position += weight
        schedule.start(min(index + 1, len(schedule.estimates) - 1))
        job.set_progress(position, schedule.eta(), f"{name}: done")
    return rows


def run_comparison(plan: ComparePlan, data: ImdbData, job: JobContext,
                   store: RunStore | None = None,
                   reuse_from: Sequence[RunStore] | None = None,
                   cached_baselines: bool = True) -> CompareResult:
    """The work of a comparison job: baselines, then each architecture in turn.

    A run with identical settings and data sizes already in `reuse_from` (default: `store`
    and the shipped models) is reused. A model that fails (e.g. its loss turns NaN) gets a
    failed row with the reason and the next one still trains. Stop ends the current model
    (its partial run is saved, as on the Train page) and skips the rest. Baseline results
    come from the disk cache when they can, unless `cached_baselines` is False.
    """
    from core.jobs import JobFailed
    from core.runs import RunError, RunStore, shipped_store
    from core.training import train_sentiment

    problems = plan.validate()
    if problems:
        raise JobFailed(" ".join(problems.values()))
    store = store or RunStore()
    stores = list(reuse_from) if reuse_from is not None else [store, shipped_store()]
    configs = plan.configs()
    sizes = data_sizes(plan.base, data)
    total = BASELINE_WEIGHT * len(plan.baselines) + len(configs)
    rows = preview(plan, data, stores)
    job.publish(Plan(models=[c.label for c in configs], archs=[c.arch for c in configs],
                     baselines=list(plan.baselines), preview=rows,
                     settings=plan.base.to_dict()))
    schedule = _Schedule(stage_estimates(
        plan, sizes, reused=[row["model"] for row in rows if row["action"] == "reuse"]))
    entries = _baseline_rows(plan, data, job, 0.0, BASELINE_WEIGHT / total, cached_baselines,
                             schedule)
    texts = labelled_test(data)["text"].head(512).tolist()
    position = BASELINE_WEIGHT * len(plan.baselines) / total
    for number, config in enumerate(configs):
        label = config.label
        schedule.start(len(plan.baselines) + number)
        if job.stop_requested:
            entry = failed_entry(label, config.arch, "Not trained: the comparison was stopped.",
                                 status=SKIPPED, config=config.to_dict())
            entries.append(entry)
            _publish_row(job, entry)
            continue
        job.publish(ModelStart(model=label, arch=config.arch))
        found = find_reusable(config, stores, sizes)
        try:
            entry = _reused_row(job, label, found, texts, position) if found else None
            if entry is None:
                view = _ModelJob(job, label, config.arch, position, 1 / total, schedule)
                run_id = train_sentiment(config, data, job=view, store=store,
                                         name=f"{label} · comparison")
                if run_id is None:
                    raise JobFailed("Stopped before the first batch finished: nothing saved.")
                job.set_progress(position + 0.98 / total, None, f"{label}: measuring latency…")
                notes = []
                if found:
                    notes.append(f"run “{found[1].name}” had identical settings but could not "
                                 "be loaded, so this model was trained again")
                try:
                    latency = measure_latency(store, run_id, texts)
                except RunError as exc:
                    latency = None
                    notes.append(f"latency not measured: {exc}")
                    job.publish(Note(model=label, message=str(exc)))
                entry = run_entry(store.info(run_id), source=TRAINED, label=label,
                                  latency=latency)
                entry.note = "; ".join([n for n in (entry.note, *notes) if n])
        except JobFailed as exc:
            status = STOPPED if job.stop_requested else FAILED
            entry = failed_entry(label, config.arch, str(exc), status=status,
                                 config=config.to_dict(), history=_live_history(job, label))
        except Exception as exc:  # e.g. out of memory: report it in the row, go on
            entry = failed_entry(label, config.arch, f"{type(exc).__name__}: {exc}",
                                 config=config.to_dict(), history=_live_history(job, label))
        entries.append(entry)
        _publish_row(job, entry)
        schedule.finish(skipped=entry.source != TRAINED or entry.status != DONE)
        position += 1 / total
        job.set_progress(position, schedule.eta(0.0), f"{label}: {entry.status}")
    job.set_progress(1.0, 0.0, "Comparison finished." if not job.stop_requested
                     else "Comparison stopped.")
    return CompareResult(entries=entries)


def _reused_row(job: JobContext, label: str, found: tuple[RunStore, RunInfo], texts: list[str],
                position: float) -> Entry | None:
    """The row of a run with identical settings, or None if its model cannot be loaded."""
    from core.runs import RunError

    run_store, info = found
    job.set_progress(position, None, f"{label}: reusing run “{info.name}”")
    try:
        latency = measure_latency(run_store, info.run_id, texts)
    except RunError as exc:
        job.publish(Note(model=label, message=f"{exc} Training it again."))
        return None
    entry = run_entry(info, source=REUSED, label=label, latency=latency)
    entry.note = f"reused run “{info.name}” (identical settings and data sizes)"
    return entry


def _live_history(job: JobContext, label: str) -> dict[str, list[float]]:
    """Per-epoch history of a model from the job's events (for rows of failed models)."""
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [],
                                       "val_accuracy": [], "epoch_s": []}
    for event in job.events():
        if isinstance(event, Epoch) and event.model == label:
            for name in history:
                history[name].append(getattr(event, name))
    return history if history["loss"] else {}


def submit_comparison(plan: ComparePlan, data: ImdbData, owner: str | None = None,
                      store: RunStore | None = None, user: str | None = None) -> Job:
    """Queue a comparison (one job; it waits behind other training, like any job)."""
    from core.jobs import JobSpec, engine

    problems = plan.check(data)
    if problems:
        raise ValueError(" ".join(dict.fromkeys(problems.values())))
    title = "Compare " + ", ".join(model_label(a) for a in plan.archs)
    config = {"base": plan.base.to_dict(), "archs": list(plan.archs),
              "baselines": list(plan.baselines)}
    return engine().submit(JobSpec(JOB_KIND, title, config, owner, user), data=data, store=store)


def compare_job(job: JobContext, config: dict[str, Any], data: ImdbData,
                store: RunStore | None = None) -> dict[str, Any]:
    """The "compare" job's runner, in a Ray worker; its result is the table's rows."""
    plan = ComparePlan(ModelConfig.from_dict(config["base"]), archs=tuple(config["archs"]),
                       baselines=tuple(config["baselines"]))
    result = run_comparison(plan, data, job, store=store)
    return {"entries": [dataclasses.asdict(entry) for entry in result.entries]}


# --- following a comparison live ------------------------------------------------------------

@dataclass
class CompareProgress:
    """What the page draws while a comparison runs, gathered from the job's events."""

    models: list[str] = field(default_factory=list)
    archs: dict[str, str] = field(default_factory=dict)
    rows: list[Entry] = field(default_factory=list)
    curves: dict[str, dict[str, Any]] = field(default_factory=dict)
    epochs: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    current: str | None = None
    stage: str = ""
    seen: int = 0  # events consumed so far

    # Exponential smoothing of the per-batch loss: single batches are too noisy to read.
    SMOOTHING = 0.1

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> CompareProgress:
        progress = cls()
        progress.update(events)
        return progress

    def update(self, events: Iterable[Event]) -> CompareProgress:
        """Fold in new events (pass `job.events(self.seen)`)."""
        for event in events:
            self.seen += 1
            model = event.model
            if isinstance(event, Plan):
                self.models = [BASELINE_NAMES.get(b, b) for b in event.baselines]
                self.models += list(event.models)
                self.archs.update(zip(event.models, event.archs, strict=False))
            elif isinstance(event, ModelStart):
                self.current, self.stage = model, ""
                self.archs.setdefault(model, event.arch)
            elif isinstance(event, Stage):
                self.stage = event.message
            elif isinstance(event, Batch) and model:
                self._add_batch(model, event)
            elif isinstance(event, Epoch) and model:
                epochs = self.epochs.setdefault(model, {})
                for name in ("loss", "accuracy", "val_loss", "val_accuracy", "epoch_s"):
                    epochs.setdefault(name, []).append(getattr(event, name))
            elif isinstance(event, Row):
                entry = Entry(**event.entry)
                self.rows = [r for r in self.rows if r.label != entry.label] + [entry]
        return self

    def _add_batch(self, model: str, event: Batch) -> None:
        curve = self.curves.setdefault(model, {"arch": self.archs.get(model, ""), "x": [],
                                               "loss": []})
        loss = _number(event.batch_loss)
        if loss is None:
            return
        if curve["loss"]:
            loss = self.SMOOTHING * loss + (1 - self.SMOOTHING) * curve["loss"][-1]
        curve["x"].append(event.epoch + (event.step + 1) / max(1, event.steps))
        curve["loss"].append(loss)

    def status(self, model: str) -> str:
        """"waiting", "running", or the finished row's status."""
        row = next((r for r in self.rows if r.label == model), None)
        if row is not None:
            return row.status
        return "running" if model == self.current else "waiting"

    def live_entries(self) -> list[Entry]:
        """Finished rows, plus the running model with its epochs so far (for the curves)."""
        entries = list(self.rows)
        if self.current and all(r.label != self.current for r in self.rows):
            entries.append(Entry(label=self.current, arch=self.archs.get(self.current, ""),
                                 status="running", history=self.epochs.get(self.current, {})))
        return entries


# --- reading the table ------------------------------------------------------------------------

def findings(table: pd.DataFrame) -> list[str]:
    """A few sentences that read the table for the user (Markdown, names escaped)."""
    from core.text import escape_markdown

    done = table[table["status"] == DONE]
    lines = []
    ref = done[done["arch"] == REFERENCE_ARCH]
    if not ref.empty and pd.notna(ref["epoch_s"].iloc[0]):
        ref_row = ref.iloc[0]
        for _, row in done.iterrows():
            if row["arch"] == "bilstm" and pd.notna(row["epoch_s_vs_lstm"]):
                lines.append(
                    f"The **BiLSTM** took **{row['epoch_s_vs_lstm']:.2f}×** as long per epoch as "
                    f"the LSTM ({row['epoch_s']:.1f} s vs {ref_row['epoch_s']:.1f} s); in the seed "
                    "notebook it took 2.49 times as long (3,731 s vs 1,497 s)."
                )
    scored = done[done["test_accuracy"].notna()]
    if not scored.empty:
        best = scored.loc[scored["test_accuracy"].idxmax()]
        lines.append(f"Most accurate: **{escape_markdown(str(best['model']))}** with "
                     f"{best['test_accuracy']:.1%} test accuracy.")
        recurrent = scored[~scored["arch"].isin(BASELINES)]
        # The strongest trained baseline is the bar (VADER is not trained on the reviews).
        trained = scored[scored["arch"].isin(("tfidf_logreg", "nblr"))]
        if not recurrent.empty and not trained.empty:
            top = recurrent.loc[recurrent["test_accuracy"].idxmax()]
            bar = trained.loc[trained["test_accuracy"].idxmax()]
            gap = (top["test_accuracy"] - bar["test_accuracy"]) * 100
            where = "above" if gap >= 0 else "below"
            lines.append(
                f"The best recurrent model ({escape_markdown(str(top['model']))}) is "
                f"{abs(gap):.1f} points {where} {escape_markdown(str(bar['model']))}, the "
                f"strongest trained baseline, which trained in {bar['train_s']:.1f} s."
            )
        timed = scored[scored["train_s"] > 0]
        if len(timed) > 1:
            rate = timed["test_accuracy"] / timed["train_s"]
            fastest = timed.loc[rate.idxmax()]
            lines.append(f"Most accuracy per second of training: "
                         f"**{escape_markdown(str(fastest['model']))}**.")
    return lines

