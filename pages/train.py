"""Train: choose an architecture and its settings, watch it learn live, keep the result."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from core import scoring, training
from core.charts import training as charts
from core.config import (
    FIELD_LABELS,
    QUICK_START,
    ModelConfig,
)
from core.curves import live_view, saved_curves
from core.glove import GloveError, save_upload
from core.jobs import CANCELLED, DONE, FAILED, INTERRUPTED, QUEUED, RUNNING, STOPPED, engine
from core.runs import RunError, run_evaluation, runs_table
from core.schema import SettingsError
from core.text import escape_markdown
from pages.common import (
    EMPTY_CELL,
    chart,
    current_job,
    format_seconds,
    identity,
    imdb_data,
    job_panel,
    kept,
    lesson_banner,
    my_runs,
    remember_job,
    setting,
    settings_box,
    share_panel,
    submit_job,
)

JOB_KEY, PROBLEMS_KEY, SELECTED_KEY, CHOICE_KEY, SCORE_KEY = (
    "train_job_id", "train_problems", "train_selected_run", "train_run_choice", "train_score_job")
SCROLL_KEY = "train_scroll_to_panel"
DEFAULTS = QUICK_START
# Labels for the form; an option without one shows under its own name, never breaks it.
STATE_LABELS = {QUEUED: "⏳ queued", RUNNING: "🏃 training", DONE: "✅ done",
                STOPPED: "⏹️ stopped", FAILED: "❌ failed", CANCELLED: "🚫 cancelled",
                INTERRUPTED: "⚡ interrupted"}

st.title("🏋️ Train a recurrent network")
lesson_banner()
st.caption(
    "Pick an architecture and its settings, then watch it learn the IMDB reviews live. "
    "Training runs in the background: you can leave this page and come back. Every finished "
    "or stopped run is saved for the Classify, Compare and Inside-the-cell pages."
)

data = imdb_data()
if data is None:
    st.stop()

store = my_runs()
problems: dict[str, str] = st.session_state.get(PROBLEMS_KEY, {})


def field_problem(name: str) -> None:
    if name in problems:  # messages may quote the user's GloVe file: text, not markup
        st.error(escape_markdown(problems[name]), icon="⚠️")


def widget(name: str, column=None, **options):
    """One setting: the config field's widget (`pages.common.setting`), its problem below."""
    value = setting(DEFAULTS, name, f"train_{name}", column, **options)
    if column is None:
        field_problem(name)
    else:
        with column:
            field_problem(name)
    return value


seconds = format_seconds


def shown(value: float | None, spec: str) -> str:
    """A saved metric as text; runs may lack one (null), which shows as a dash."""
    return "–" if value is None else format(value, spec)


# --- the form ------------------------------------------------------------------------------
form_column, live_column = st.columns([1, 1.6], gap="large")
with form_column, settings_box("Training settings"), st.form("train_form", border=True):
    st.markdown("**Model**")
    a, b = st.columns(2)
    widget("arch", a)
    widget("units", b)
    widget("layers", a)
    widget("dropout", b)
    widget("embed_dropout", a)
    widget("bidirectional", a)
    widget("pooling", b)

    st.markdown("**Text**")
    a, b = st.columns(2)
    widget("vocab_size", a)
    widget("seq_len", b)
    widget("embed_dim", a)
    widget("embeddings", b)
    # Full width: in half a column its label was cut to "Freeze pretrai…".
    widget("freeze_embeddings")
    with st.expander("GloVe file (for glove embeddings)"):
        widget("glove_path", placeholder="/path/to/glove.6B.100d.txt")
        glove_upload = st.file_uploader(
            "…or upload a GloVe file", type=["txt", "zip"], key="train_glove_upload",
            help="A text file with a word and its numbers on each line (the embedding size "
                 "is taken from the file).")

    st.markdown("**Optimisation**")
    a, b = st.columns(2)
    widget("optimizer", a)
    widget("learning_rate", b)
    widget("clipnorm", a)
    widget("batch_size", b)
    widget("epochs", a)

    st.markdown("**Data**")
    a, b = st.columns(2)
    widget("train_size", a)
    widget("val_share", b)
    widget("seed", a)
    run_name = b.text_input("Run name (optional)", key=kept("train_name"), max_chars=80,
                            placeholder="e.g. LSTM baseline")
    widget("sentences")
    widget("negations")
    submitted = st.form_submit_button("Start training", type="primary",
                                      width="stretch")

if submitted:
    values = {name: st.session_state[f"train_{name}"] for name in FIELD_LABELS}
    problems = {}
    if glove_upload is not None:
        try:
            values["glove_path"] = str(save_upload(glove_upload.name, glove_upload.getvalue()))
        except GloveError as exc:
            problems["glove_path"] = f"The uploaded file cannot be used: {exc}"
    if not problems:
        try:
            job = training.submit_training(ModelConfig(**values), data,
                                           name=run_name.strip() or None, **identity())
        except SettingsError as exc:
            problems = exc.problems
        except ValueError as exc:  # refused by the engine, e.g. too many jobs at once
            problems["engine"] = str(exc)
        else:
            remember_job(JOB_KEY, job)
            st.session_state.pop(SELECTED_KEY, None)
            st.session_state[SCROLL_KEY] = True
    st.session_state[PROBLEMS_KEY] = problems
    st.rerun()
if problems:
    with form_column:
        if any(name in FIELD_LABELS for name in problems):
            st.error("Some settings need changing before training can start (see the "
                     "messages under each field).", icon="⚠️")
        for name, message in problems.items():
            if name not in FIELD_LABELS:  # about the dataset, not one setting
                st.error(escape_markdown(message), icon="⚠️")


# --- the live panel ------------------------------------------------------------------------
def live_panel() -> None:
    """The current job's panel (`pages.common.job_panel`): while the job waits or trains,
    its numbers refresh every 2 s and its curves every 6 s; a redraw costs the browser
    and the server CPU that the training would rather have."""
    if current_job(JOB_KEY) is None:
        st.info("Choose the settings and press **Start training**. The defaults train an LSTM "
                "to about 85% test accuracy in two to three minutes on two CPU cores (the "
                "first run also counts the words for the IMDB word vectors: about a minute "
                "more, once).", icon="⚙️")
        busy = [j for j in engine().jobs() if not j.finished]
        if busy:
            st.caption(f"{len(busy)} job(s) from other pages or users are waiting or running; "
                       "a new job may wait for a free worker.")
        return
    job_panel(
        JOB_KEY, draw_training, every=2.0, prefix="train", chart=draw_curves, chart_every=6.0,
        endings={DONE: None, STOPPED: None},
        stop_help="Stops within one batch and saves what was trained so far (if a whole "
                  "epoch finished), marked as stopped.",
        stopping="Stopping: saving what was trained so far…",
        on_finish=preselect_result,
        resume=lambda job: engine().resume(job, data=data))


def draw_training(job, events) -> None:
    """What only a training job shows: its figures, the live curves, how it was saved."""
    state = job.state
    view = live_view(events)
    st.subheader(f"{STATE_LABELS.get(state, state)} · {escape_markdown(job.name)}",
                 anchor=False)
    if state == QUEUED:
        st.caption("Each training gets a worker's CPU cores to itself.")
    elif state == RUNNING:
        # Two by two: in four columns of the live panel "Validation accuracy" and an
        # elapsed "12 min 34 s" were cut.
        a, b = st.columns(2)
        c, d = st.columns(2)
        last = view.last_batch
        a.metric("Epoch", f"{last.epoch + 1}" if last else "–")
        b.metric("Reviews per second", f"{last.samples_per_s:,.0f}" if last else "–")
        epochs = view.complete_epochs
        c.metric("Validation accuracy", f"{epochs[-1]['val_accuracy']:.1%}" if epochs else "–",
                 help="Measured on the held-back reviews at the end of every epoch.")
        d.metric("Elapsed", seconds(job.elapsed_s))
        if job.stop_asked:
            st.caption("Stopping after this batch; the model is then scored on a quick sample "
                       "of the test reviews and saved.")
    if view.glove:
        g = view.glove
        source = {"imdb": "IMDB word vectors", "lm": "The language model's word vectors"
                  }.get(view.config.get("embeddings"), "GloVe vectors")
        st.caption(f"{source} ({g.dim} numbers each) found for {g.coverage:.0%} of "
                   f"the vocabulary ({g.found:,} of {g.words:,} words).")
    result = job.result if state in (DONE, STOPPED) else None
    if result:
        st.success(f"Saved. Test accuracy {view.test_accuracy:.1%}; the results are below."
                   if view.test_accuracy is not None else "Saved.", icon="💾")
    if state == STOPPED and not result:
        st.info("Stopped before the first batch finished, so nothing was learnt and "
                "nothing was saved.")


def draw_curves(job, events) -> None:
    """The live learning curves (the saved run's own are in its results below)."""
    view = live_view(events)
    if view.batches["step"] and not (job.finished and job.result):
        figure = charts.curves_figure(view.batches, view.epochs, view.steps_per_epoch,
                                      total_epochs=view.config.get("epochs"))
        chart(st, figure, width="stretch", key="train_live_curves",
              summary=charts.live_curves_summary(view.batches, view.epochs,
                                                 view.steps_per_epoch,
                                                 view.config.get("epochs")))


def preselect_result(job) -> None:
    """A finished run is shown below and preselected in the saved-runs picker."""
    if job.state in (DONE, STOPPED) and job.result:
        st.session_state[SELECTED_KEY] = job.result
        st.session_state[CHOICE_KEY] = job.result


# --- results of one run --------------------------------------------------------------------
def score_panel(run_id: str, reviews: int) -> None:
    """A stopped run was scored on a quick sample; the whole test set is a job away."""
    st.info(f"Scored on a quick sample of {reviews:,} test reviews, so that a stopped run "
            f"is ready at once. Scoring it on all {len(data.test):,} takes a minute or two.",
            icon="⏱️")
    job = current_job(SCORE_KEY)
    if job is not None and job.config.get("run_id") == run_id and not job.finished:
        job_panel(SCORE_KEY, every=1.0, endings={DONE: None}, prefix="train_score")
    elif st.button("Score on every test review", key="train_score"):
        if submit_job(SCORE_KEY, scoring.submit_scoring, run_id, data, **identity()):
            st.rerun()


def results_panel(run_id: str) -> None:
    try:
        info = store.info(run_id)
    except RunError as exc:
        st.warning(escape_markdown(str(exc)))
        return
    st.subheader(f"Results: {escape_markdown(info.name)}", anchor=False)
    if info.damaged:
        st.error(f"This run is damaged ({escape_markdown(info.problem)}); it cannot be used. "
                 "You can delete it below.", icon="🩹")
        return
    m = info.metrics  # the store checked that these are numbers (or null)
    if info.status == STOPPED:
        st.warning(f"Stopped early, after {shown(m.get('epochs_run'), 'g')} epoch(s) of "
                   "training: the figures are for the model as it was when stopped.", icon="⏹️")
    if m.get("test_sample") and not info.read_only:
        score_panel(run_id, int(m.get("test_reviews") or 0))
    cols = st.columns(3) + st.columns(3)
    cols[0].metric("Test accuracy", shown(m.get("test_accuracy"), ".1%"),
                   help=f"On {shown(m.get('test_reviews'), ',.0f')} held-out test reviews.")
    cols[1].metric("Test loss", shown(m.get("test_loss"), ".3f"))
    cols[2].metric("Time per epoch", seconds(m.get("epoch_s")))
    cols[3].metric("Total time", seconds(m.get("total_s")),
                   help="Preparing the data, training, testing and saving.")
    cols[4].metric("Latency", shown(m.get("latency_one_ms"), ".1f") + " ms",
                   help="Time to classify one review with the saved model.")
    cols[5].metric("Weights", shown(m.get("params"), ",.0f"))
    saved = saved_curves(store.read_json(run_id, "history.json"))
    evaluation = run_evaluation(store, run_id)
    curves, confusion, mistakes, timing, settings = st.tabs(
        ["Learning curves", "Confusion matrix", "Most confident mistakes", "Time per epoch",
         "Settings"])
    with curves:
        if saved:
            chart(st, charts.curves_figure(saved.batches, saved.epochs, saved.steps_per_epoch),
                  width="stretch", key=f"train_curves_{run_id}",
                  summary=charts.curves_summary(saved.epochs))
        else:
            st.info("No learning curves were saved with this run.")
    with confusion:
        if evaluation:
            chart(st, charts.confusion_figure(evaluation["confusion"]),
                  width="stretch", key=f"train_confusion_{run_id}",
                  summary=charts.confusion_summary(evaluation["confusion"]))
        else:
            st.info("No confusion matrix was saved with this run.")
    with mistakes:
        if evaluation and evaluation["mistakes"]:
            st.caption("Test reviews the model got wrong while being most sure of itself. "
                       "Sarcasm, mixed opinions and plot summaries are the usual suspects.")
            for item in evaluation["mistakes"]:
                truth = "positive" if item["label"] else "negative"
                title = (f"Truly {truth}, but the model said {item['p_positive']:.0%} "
                         "positive")
                with st.expander(title):
                    st.markdown(escape_markdown(item["text"]))
        else:
            st.info("No mistakes recorded for this run.")
    with timing:
        epoch_s, complete = saved.epoch_times if saved else ([], [])
        if epoch_s:
            chart(st, charts.epoch_times_figure(epoch_s, complete), width="stretch",
                  key=f"train_times_{run_id}",
                  summary=charts.epoch_times_summary(epoch_s, complete))
            st.caption("The first epoch also builds the computation graph, so it is slower."
                       + ("" if all(complete) else " A grey bar is an epoch cut short by Stop."))
    with settings:
        st.dataframe(
            [{"Setting": FIELD_LABELS.get(k, k), "Value": str(v)} for k, v in info.config.items()],
            hide_index=True, placeholder=EMPTY_CELL, width="stretch")


with live_column:
    if st.session_state.pop(SCROLL_KEY, False):
        # Start sits at the foot of a long form: bring the new job's panel into view.
        st.html('<div id="rnnlab-live"></div><script>document.getElementById("rnnlab-live")'
                '?.scrollIntoView({behavior: "smooth", block: "start"});</script>',
                unsafe_allow_javascript=True)
    live_panel()
    runs = store.list(kind=training.KIND)
    selected = st.session_state.get(SELECTED_KEY)
    if selected and selected in {r.run_id for r in runs}:
        results_panel(selected)

def run_labels(runs) -> dict[str, str]:
    """Each run as the picker names it: its name, how it ended (unless the name says so
    already) and a lock on what is not this person's to change. A picked option is known
    by its text, so two runs of one name get their ids too (else picking the first would
    pick, and delete, the second)."""
    labels = {}
    for info in runs:
        status = "" if info.name.endswith(f"({info.status})") else f" ({info.status})"
        labels[info.run_id] = f"{'🔒 ' if info.read_only else ''}{info.name}{status}"
    counts = Counter(labels.values())
    return {run_id: label if counts[label] == 1 else f"{label} · {run_id}"
            for run_id, label in labels.items()}


# --- saved runs ----------------------------------------------------------------------------
st.divider()
st.subheader("Saved runs", anchor=False)
if not runs:
    st.caption(f"No runs yet. They are kept in `{store.root}`.")
else:
    st.dataframe(
        runs_table(runs), hide_index=True, placeholder=EMPTY_CELL, width="stretch",
        column_config={
            "Test accuracy": st.column_config.NumberColumn(format="percent"),
            "Time per epoch (s)": st.column_config.NumberColumn(format="%.1f"),
            "Trained": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        })
    ids = [r.run_id for r in runs]
    by_id = {r.run_id: r for r in runs}
    # A finished job preselects its run by writing CHOICE_KEY (see live_panel); a value
    # that is no longer listed falls back to the newest run.
    choice = st.selectbox(
        "Run", ids, key=CHOICE_KEY, format_func=run_labels(runs).__getitem__)
    locked = by_id[choice].read_only
    if locked:
        st.caption("🔒 This run was saved on this server without an owner (by a script, or "
                   "before runs had owners): anyone can use it, no one can rename or delete "
                   "it here.")
    a, b, c, d = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    new_name = a.text_input("New name", key="train_rename_text", max_chars=80,
                            placeholder=by_id[choice].name, disabled=locked)
    if b.button("Rename", key="train_rename", width="stretch", disabled=locked):
        try:
            store.rename(choice, new_name)
        except RunError as exc:
            st.error(escape_markdown(str(exc)))
        else:
            st.rerun()
    if c.button("Show results", key="train_show", width="stretch",
                disabled=by_id[choice].damaged):
        st.session_state[SELECTED_KEY] = choice
        st.rerun()
    with d.popover("Delete", width="stretch", disabled=locked):
        st.write("Delete this run and its model for good?")
        if st.button("Delete permanently", key="train_delete", type="primary"):
            try:
                store.delete(choice)
            except RunError as exc:
                st.error(escape_markdown(str(exc)))
            else:
                if st.session_state.get(SELECTED_KEY) == choice:
                    st.session_state.pop(SELECTED_KEY)
                st.rerun()
    if not by_id[choice].damaged:
        try:
            model_bytes = store.model_path(choice).read_bytes()
        except (RunError, OSError) as exc:  # deleted or damaged since the list was read
            st.warning(f"The model file cannot be read ({escape_markdown(str(exc))}).")
        else:
            st.download_button(
                "⬇️ Download the model (.keras, takes raw text)", data=model_bytes,
                file_name=f"{choice}.keras", mime="application/octet-stream",
                key="train_download")
            st.caption("It takes raw review strings. Load it from this project with "
                       "`core.runs.load_model_file(path)`, or call "
                       "`core.layers.register_layers()` (it registers RNN Lab's "
                       "padding and pooling layers) before `keras.saving.load_model(path)`.")

share_panel()
