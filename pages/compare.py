"""Compare: SimpleRNN, LSTM, GRU and BiLSTM trained under one budget, next to VADER,
TF-IDF + logistic regression and NB-LR, with accuracy and time side by side."""

import dataclasses
import math

import streamlit as st

from core import compare
from core.charts import compare as charts
from core.compare.ablation import (
    ABLATION_COLUMNS,
    ablation_settings,
    ablation_table,
    shipped_ablation,
)
from core.config import QUICK_START
from core.jobs import DONE
from core.runs import shipped_store
from core.text import escape_markdown
from pages.common import (
    EMPTY_CELL,
    chart,
    current_job,
    format_seconds,
    identity,
    imdb_data,
    job_events,
    job_panel,
    lesson_banner,
    my_runs,
    remember_job,
    setting,
    settings_box,
    share_panel,
)

JOB_KEY, PROGRESS_KEY = "compare_job", "compare_progress"
COMPARE_EMBEDDINGS = ("learned", "imdb")  # a GloVe file is a Train page experiment

st.title("⚖️ Compare architectures")
lesson_banner()
st.markdown(
    "Train every architecture on **the same reviews, settings and seed**, one after another, "
    "and see what each one buys: accuracy against time per epoch, training time and "
    "inference latency. In the course notebook RNN Lab grew out of, the BiLSTM took "
    "**2.49 times** as long to train (3,731 s vs 1,497 s): measure it on your own "
    "settings. Models already trained with identical settings are reused, not trained again."
)
imdb = imdb_data()
if imdb is None:
    st.stop()
store = my_runs()


def field(column, name: str) -> None:
    """A shared setting's widget, its starting value the Train page's."""
    values[name] = setting(start, name, f"cmp_{name}", column, bounded=True)


# The Train page's start, on at most the reviews there are; the BiLSTMs read both ways anyway.
start = dataclasses.replace(QUICK_START,
                            train_size=min(QUICK_START.train_size, len(imdb.train)))
plan_start = compare.ComparePlan(start)
values: dict[str, object] = {}
with settings_box("Comparison settings"), st.container(border=True):
    st.subheader("What to compare")
    a1, a2 = st.container(), st.container()  # side by side, one box always cut its chips
    archs = setting(plan_start, "archs", "cmp_archs", a1)
    baselines = setting(plan_start, "baselines", "cmp_baselines", a2)
    st.caption("The shared settings (the same for every architecture; the BiLSTMs read both "
               "ways, the stacked one has at least 2 layers), starting where the Train "
               "page does:")
    for column, name in zip(st.columns(5), ("train_size", "epochs", "vocab_size", "seq_len",
                                            "batch_size"), strict=True):
        field(column, name)
    for column, name in zip(st.columns(5), ("embed_dim", "units", "layers", "dropout", "seed"),
                            strict=True):
        field(column, name)
    with st.expander("Optimiser and validation"):
        for column, name in zip(st.columns(4), ("optimizer", "learning_rate", "clipnorm",
                                                "val_share"), strict=True):
            field(column, name)
    with st.expander("Review vector and word vectors"):
        r = st.columns(4)
        field(r[0], "pooling")
        field(r[1], "embed_dropout")
        values["embeddings"] = setting(start, "embeddings", "cmp_embeddings", r[2],
                                       options=COMPARE_EMBEDDINGS)
        field(r[3], "freeze_embeddings")

base = dataclasses.replace(start, **values)
plan = compare.ComparePlan(base, archs=tuple(archs), baselines=tuple(baselines))
problems = plan.check(imdb)
for message in dict.fromkeys(problems.values()):
    st.error(escape_markdown(message), icon="⚠️")

job = current_job(JOB_KEY)
busy = job is not None and not job.finished
if not problems and archs:
    steps = compare.preview(plan, imdb, [store, shipped_store()])
    reused = [s for s in steps if s["action"] == "reuse"]
    st.caption(
        f"▶ Compare trains {len(steps) - len(reused)} of the {len(steps)} models"
        + (" — reused with identical settings: "
           + ", ".join(escape_markdown(s["model"]) for s in reused) if reused else "")
        + f". The {len(imdb.test):,} test reviews score every model and baseline: about "
        + format_seconds(compare.expected_s(plan, imdb, steps))
        + " in all on two CPU cores (a rough estimate; the progress bar corrects it)."
    )
clicked = st.button("▶ Compare", type="primary", disabled=bool(problems) or busy,
                    key="cmp_start")
if clicked and not busy:
    try:
        job = compare.submit_comparison(plan, imdb, **identity())
    except ValueError as exc:
        st.error(str(exc))
    else:
        remember_job(JOB_KEY, job)
        busy = True


def progress_of(current) -> compare.CompareProgress:
    """The session's gathered events for `current`, brought up to date."""
    job_id, progress = st.session_state.get(PROGRESS_KEY, (None, None))
    if job_id != current.id or progress is None:
        progress = compare.CompareProgress()
    progress.update(job_events(current)[progress.seen:])
    st.session_state[PROGRESS_KEY] = (current.id, progress)
    return progress


def draw_live(current, events) -> None:
    """The models' states and their live curves, under the job's progress and Stop."""
    progress = progress_of(current)
    # Each finished model redraws the whole page, so the table grows row by row.
    marker = (current.id, len(progress.rows))
    if st.session_state.get("cmp_drawn") != marker:
        st.session_state["cmp_drawn"] = marker
        if progress.rows and not current.finished:
            st.rerun(scope="app")
    if current.finished:
        return
    icons = {"waiting": "⏸️", "running": "🏃", compare.DONE: "✅", compare.FAILED: "❌",
             compare.STOPPED: "⏹️", compare.SKIPPED: "⏭️"}
    st.markdown(" · ".join(f"{icons.get(progress.status(m), '•')} {escape_markdown(m)}"
                           for m in progress.models))
    left, right = st.columns(2)
    chart(left, charts.live_figure(progress.curves), width="stretch", key="cmp_live_loss")
    chart(right, charts.history_figure(progress.live_entries(), "val_accuracy"),
          width="stretch", key="cmp_live_val")


with st.container(border=True) if busy else st.container():
    job_panel(JOB_KEY, draw_live, every=1.0, prefix="cmp",
              endings={DONE: None, compare.STOPPED: "Stopped: the table shows the models "
                       "that finished, and the stopped one as far as it got."},
              stop_help="Ends the model in training within one batch (its run is saved "
                        "if an epoch finished) and skips the rest.")

# --- results -----------------------------------------------------------------------------------
entries: list[compare.Entry] = []
if job is not None:
    result = compare.CompareResult.from_json(job.result) if job.finished else None
    entries = list(result.entries) if result else list(progress_of(job).rows)
    if job.state == DONE:
        st.success(f"Comparison finished in {format_seconds(job.elapsed_s)}.", icon="✅")

stores = {"yours": store, "shipped": shipped_store()}
choices = {(origin, r.run_id): r for origin, source in stores.items()
           for r in source.list(kind="sentiment")
           if not r.damaged and r.run_id not in {e.run_id for e in entries}}


def describe_run(key: tuple[str, str]) -> str:
    info = choices[key]
    accuracy = info.metrics.get("test_accuracy")
    scored = (f"{accuracy:.1%}" if isinstance(accuracy, (int, float)) and math.isfinite(accuracy)
              else "no test accuracy")
    return (f"{info.name} · {info.config.get('arch', '?')} · {scored}"
            + (" · shipped" if key[0] == "shipped" else ""))


added = st.multiselect(
    "Add saved runs to the comparison", list(choices), key="cmp_added", format_func=describe_run,
    help="Any run from the Train page, e.g. one with other settings. Its latency is "
         "measured now so that every row is measured the same way.",
)


@st.cache_data(show_spinner="Measuring the saved run's latency…", max_entries=64)
def saved_entry(origin: str, run_id: str, created: float) -> compare.Entry:
    texts = compare.labelled_test(imdb)["text"].head(512).tolist()
    return compare.saved_entry(stores[origin], run_id, texts)


def draw_ablation() -> None:
    """The measured ablation of where an LSTM's weights start (`core.compare.ablation`)."""
    ablation = shipped_ablation()
    if not ablation:
        return
    with st.expander("Measured: an LSTM started from scratch, from IMDB word vectors, or from "
                     "the language model"):
        st.caption("The same network and budget each time; only where its weights start "
                   f"changes: {escape_markdown(ablation_settings(ablation))}. Validation on "
                   "held-back training reviews, test accuracy on every test review. The Train "
                   "page's Embeddings setting offers all three.")
        st.dataframe(ablation_table(ablation), hide_index=True, placeholder=EMPTY_CELL,
                     width="stretch", key="cmp_ablation", column_config={
                         name: st.column_config.NumberColumn(
                             label, format="percent" if "accuracy" in name else "%.0f")
                         if name != "embeddings" else st.column_config.Column(label)
                         for name, label in ABLATION_COLUMNS.items()})


entries += [saved_entry(*k, choices[k].created) for k in added if k in choices]
if not entries:
    st.info("Press **Compare** to train the architectures, or add saved runs above.")
    draw_ablation()
    share_panel()
    st.stop()

rows = compare.ordered(entries)
table = compare.comparison_table(rows)
st.subheader("Results")
for line in compare.findings(table):
    st.markdown(f"- {line}")
for entry in entries:
    if entry.status in (compare.FAILED, compare.STOPPED, compare.SKIPPED):
        st.warning(f"**{escape_markdown(entry.label)}** — {entry.status}: "
                   f"{escape_markdown(entry.note)}", icon="⚠️")

st.dataframe(
    table, hide_index=True, placeholder=EMPTY_CELL, width="stretch", key="cmp_table",
    column_order=[c for c in compare.COLUMNS if c not in ("arch",)],
    column_config={
        **{name: st.column_config.Column(label) for name, label in compare.COLUMNS.items()},
        "params": st.column_config.NumberColumn(compare.COLUMNS["params"], format="localized"),
        "epoch_s": st.column_config.NumberColumn(compare.COLUMNS["epoch_s"], format="%.1f"),
        "train_s": st.column_config.NumberColumn(compare.COLUMNS["train_s"], format="%.1f"),
        "samples_per_s": st.column_config.NumberColumn(compare.COLUMNS["samples_per_s"],
                                                       format="%.0f"),
        "latency_one_ms": st.column_config.NumberColumn(compare.COLUMNS["latency_one_ms"],
                                                        format="%.2f"),
        "latency_batch_ms": st.column_config.NumberColumn(compare.COLUMNS["latency_batch_ms"],
                                                          format="%.3f"),
        "test_accuracy": st.column_config.NumberColumn(compare.COLUMNS["test_accuracy"],
                                                       format="percent"),
        "best_val_accuracy": st.column_config.NumberColumn(
            compare.COLUMNS["best_val_accuracy"], format="percent"),
        "test_loss": st.column_config.NumberColumn(compare.COLUMNS["test_loss"], format="%.3f"),
        **{name: st.column_config.NumberColumn(compare.COLUMNS[name], format="%.2f×")
           for name in compare.RATIOS},
    },
)
st.download_button("⬇ Download the table (CSV)", compare.table_csv(table),
                   file_name="rnnlab-comparison.csv", mime="text/csv", key="cmp_csv")
st.caption("Empty cells do not apply: VADER is not trained and has no loss; the baselines "
           "have no epochs. An empty latency means the model could not be loaded to measure "
           "it (the Note says why). Ratios divide by the LSTM's figure in this table.")

left, right = st.columns(2)
chart(left, charts.learning_figure(rows, "accuracy"), width="stretch", key="cmp_val_acc")
chart(right, charts.learning_figure(rows, "loss"), width="stretch", key="cmp_val_loss")
st.caption("Lines: each model's training figure per batch, smoothed, as it read the training "
           "reviews. Diamonds: its figure on the held-back validation reviews at the end of "
           "each epoch.")
left, right = st.columns(2)
chart(left, charts.accuracy_time_figure(table), width="stretch", key="cmp_acc_time")
chart(right, charts.epoch_time_figure(table), width="stretch", key="cmp_epoch_time")
draw_ablation()

share_panel()
