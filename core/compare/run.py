"""The comparison job: the baselines, then each architecture trained (or reused) in turn,
one row per model published as it finishes, and the time left kept by a schedule.

    job = submit_comparison(plan, imdb)   # queued like any training job
    entries = CompareResult.from_json(job.result).entries
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.baselines import BASELINE_NAMES
from core.compare.plan import (
    ComparePlan,
    data_sizes,
    find_reusable,
    labelled_test,
    preview,
    stage_estimates,
)
from core.compare.table import (
    BASELINE,
    DONE,
    FAILED,
    REUSED,
    SKIPPED,
    STOPPED,
    TRAINED,
    Entry,
    baseline_entry,
    failed_entry,
    model_label,
    run_entry,
)
from core.events import Epoch, Event, ModelStart, Note, Plan, Row
from core.predict import median_latency_ms
from core.training import split_reviews

if TYPE_CHECKING:
    from core.data import ImdbData
    from core.jobs import Job, JobContext
    from core.runs import RunInfo, RunStore

JOB_KIND = "compare"
# A baseline counts as a quarter of a model in the overall progress: it takes seconds.
BASELINE_WEIGHT = 0.25


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
        self.owner = job.owner
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
    store = store or RunStore(owner=job.owner)
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
                    latency = median_latency_ms(store.load(run_id).predictor, texts)
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
        latency = median_latency_ms(run_store.load(info.run_id).predictor, texts)
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
    return engine().submit(JobSpec(JOB_KIND, title, plan.to_dict(), owner, user), data=data,
                           store=store)


def compare_job(job: JobContext, config: dict[str, Any], data: ImdbData,
                store: RunStore | None = None) -> dict[str, Any]:
    """The "compare" job's runner, in a Ray worker; its result is the table's rows."""
    plan = ComparePlan.from_dict(config)
    result = run_comparison(plan, data, job, store=store)
    return {"entries": [dataclasses.asdict(entry) for entry in result.entries]}
