"""Compare: SimpleRNN, LSTM, GRU and BiLSTM trained under one budget, next to VADER,
TF-IDF + logistic regression and NB-LR, with accuracy and time side by side."""

import math

import streamlit as st

from core import compare
from core.baselines import BASELINE_NAMES, BASELINES
from core.charts import compare as charts
from core.jobs import DONE
from core.models import (
    ARCH_LABELS,
    ARCHITECTURES,
    EMBEDDING_LABELS,
    FIELD_HELP,
    FIELD_LABELS,
    OPTIMIZERS,
    POOLING_LABELS,
    POOLINGS,
    ModelConfig,
)
from core.runs import RunStore, shipped_store
from core.text import escape_markdown
from pages.common import (
    EMPTY_CELL,
    current_job,
    format_seconds,
    identity,
    imdb_data,
    job_events,
    job_panel,
    kept,
    remember_job,
)

JOB_KEY, PROGRESS_KEY = "compare_job", "compare_progress"
DEFAULTS = ModelConfig()
COMPARE_EMBEDDINGS = ("learned", "imdb")  # a GloVe file is a Train page experiment

st.title("⚖️ Compare architectures")
st.markdown(
    "Train every architecture on **the same reviews, settings and seed**, one after another, "
    "and see what each one buys: accuracy against time per epoch, training time and "
    "inference latency. In the seed notebook the BiLSTM took **2.49 times** as long to train "
    "(3,731 s vs 1,497 s): measure it on your own settings. Models already "
    "trained with identical settings are reused, not trained again."
)
imdb = imdb_data()
if imdb is None:
    st.stop()
store = RunStore()


def field(column, name: str, low, high, step=None, fmt=None, value=None):
    value = getattr(DEFAULTS, name) if value is None else value
    return column.number_input(FIELD_LABELS[name], low, high, value, step=step, format=fmt,
                               help=FIELD_HELP[name], key=kept(f"cmp_{name}"))


with st.container(border=True):
    st.subheader("What to compare")
    a1, a2 = st.columns([3, 2])
    archs = a1.multiselect("Architectures", ARCHITECTURES, default=list(compare.DEFAULT_ARCHS),
                           format_func=ARCH_LABELS.get, key=kept("cmp_archs"),
                           help="Trained in this order. The stacked BiLSTM is the slowest.")
    baselines = a2.multiselect("Baselines", BASELINES, default=list(BASELINES),
                               format_func=BASELINE_NAMES.get, key=kept("cmp_baselines"),
                               help=("Scored on the same test reviews; no recurrent network. "
                                     "The trained ones (TF-IDF, NB-LR) learn from the same "
                                     "training reviews as the networks. NB-LR, the "
                                     "strongest, takes about a minute on 25,000 reviews."))
    st.caption("The shared settings (the same for every architecture; the BiLSTMs read both "
               "ways, the stacked one has at least 2 layers):")
    c = st.columns(5)
    train_size = field(c[0], "train_size", 10, 1_000_000, step=1000,
                       value=min(DEFAULTS.train_size, len(imdb.train)))
    epochs = field(c[1], "epochs", 1, 100)
    vocab_size = field(c[2], "vocab_size", 3, 200_000, step=1000)
    seq_len = field(c[3], "seq_len", 1, 5_000, step=10)
    batch_size = field(c[4], "batch_size", 1, 4096, step=32)
    c = st.columns(5)
    embed_dim = field(c[0], "embed_dim", 1, 1024, step=8)
    units = field(c[1], "units", 1, 1024, step=8)
    layers = field(c[2], "layers", 1, 4)
    dropout = field(c[3], "dropout", 0.0, 0.9, step=0.05, fmt="%.2f")
    seed = field(c[4], "seed", 0, 2**31 - 1)
    with st.expander("Optimiser and validation"):
        o = st.columns(4)
        optimizer = o[0].selectbox(FIELD_LABELS["optimizer"], OPTIMIZERS,
                                   index=OPTIMIZERS.index(DEFAULTS.optimizer),
                                   help=FIELD_HELP["optimizer"], key=kept("cmp_optimizer"))
        learning_rate = field(o[1], "learning_rate", 1e-6, 1.0, step=0.0005, fmt="%.4f")
        clipnorm = field(o[2], "clipnorm", 0.0, 1000.0, step=0.5, fmt="%.2f")
        val_share = field(o[3], "val_share", 0.01, 0.5, step=0.05, fmt="%.2f")
    with st.expander("Review vector and word vectors (the shipped models' recipe: max, "
                     "0.3, IMDB word vectors, fine-tuned)"):
        r = st.columns(4)
        pooling = r[0].selectbox(FIELD_LABELS["pooling"], POOLINGS, help=FIELD_HELP["pooling"],
                                 format_func=POOLING_LABELS.get, key=kept("cmp_pooling"))
        embed_dropout = field(r[1], "embed_dropout", 0.0, 0.9, step=0.05, fmt="%.2f")
        embeddings = r[2].selectbox(FIELD_LABELS["embeddings"], COMPARE_EMBEDDINGS,
                                    format_func=EMBEDDING_LABELS.get, key=kept("cmp_embeddings"),
                                    help=FIELD_HELP["embeddings"])
        freeze = r[3].checkbox(FIELD_LABELS["freeze_embeddings"], key=kept("cmp_freeze"),
                               value=DEFAULTS.freeze_embeddings,
                               help=FIELD_HELP["freeze_embeddings"])

base = ModelConfig(
    vocab_size=int(vocab_size), seq_len=int(seq_len), embed_dim=int(embed_dim), units=int(units),
    layers=int(layers), dropout=float(dropout), optimizer=optimizer,
    learning_rate=float(learning_rate), clipnorm=float(clipnorm), batch_size=int(batch_size),
    epochs=int(epochs), train_size=int(train_size), val_share=float(val_share), seed=int(seed),
    pooling=pooling, embed_dropout=float(embed_dropout), embeddings=embeddings,
    freeze_embeddings=bool(freeze),
)
plan = compare.ComparePlan(base, archs=tuple(archs), baselines=tuple(baselines))
problems = plan.check(imdb)
for name, message in problems.items():
    st.error(f"**{FIELD_LABELS.get(name, name.capitalize())}:** {message}")

job = current_job(JOB_KEY)
busy = job is not None and not job.finished
if not problems and archs:
    steps = compare.preview(plan, imdb, [store, shipped_store()])
    reused = [s for s in steps if s["action"] == "reuse"]
    st.caption(
        f"One click trains {len(steps) - len(reused)} model(s) of {len(steps)}"
        + (" — reused with identical settings: "
           + ", ".join(escape_markdown(s["model"]) for s in reused) if reused else "")
        + f". The {len(imdb.test):,} test reviews score every model and baseline."
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
    left.plotly_chart(charts.live_figure(progress.curves), width="stretch",
                      key="cmp_live_loss")
    right.plotly_chart(charts.history_figure(progress.live_entries(), "val_accuracy"),
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


entries += [saved_entry(*k, choices[k].created) for k in added if k in choices]
if not entries:
    st.info("Press **Compare** to train the architectures, or add saved runs above.")
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
left.plotly_chart(charts.learning_figure(rows, "accuracy"), width="stretch",
                  key="cmp_val_acc")
right.plotly_chart(charts.learning_figure(rows, "loss"), width="stretch",
                   key="cmp_val_loss")
st.caption("Lines: each model's training figure per batch, smoothed, as it read the training "
           "reviews. Diamonds: its figure on the held-back validation reviews at the end of "
           "each epoch.")
left, right = st.columns(2)
left.plotly_chart(charts.accuracy_time_figure(table), width="stretch", key="cmp_acc_time")
right.plotly_chart(charts.epoch_time_figure(table), width="stretch", key="cmp_epoch_time")
