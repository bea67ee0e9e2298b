"""Inside the cell: vanishing and exploding gradients, and LSTM/GRU gates, from real models."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import streamlit as st

from core import gradients
from core.charts import cell as charts
from core.config import ARCH_LABELS, SHIPPED_ARCHS, SHIPPED_MODELS
from core.events import Result
from core.jobs import DONE, Job
from core.verdict import model_label as verdict_of
from pages.common import (
    chart,
    dataset_missing_panel,
    format_seconds,
    identity,
    imdb_data,
    imdb_missing,
    job_panel,
    lesson_banner,
    publish_text,
    session_owner,
    setting,
    settings_box,
    share_panel,
    shared_text,
    submit_job,
)

CELLS = list(gradients.GRADIENT_ARCHS)
# The widgets start from the experiments' own defaults, which the tests and benchmark use.
LONG = gradients.LongRangeSettings()
REVIEWS = gradients.ReviewGradientSettings()
EXPLODING = gradients.ExplodingSettings()
LARGEST_REVIEWS = gradients.ReviewGradientSettings(train_size=25_000, seq_len=1000)
GATED_ARCHS = ("lstm", "gru", "bilstm", "stacked_bilstm")
STEP_KEY = "gates_step"
WORD_PARAM = "word"
PATH_KEY = "path_model"  # the model whose paths are drawn once asked
MEMORY_KEY = "memory_request"
MEMORY_TEXT = ("I expected to hate this film, and the first hour bored me, but the ending "
               "was wonderful.")
DEFAULT_REVIEW = (
    "The first hour was slow and I almost left, but the ending was so moving and "
    "beautifully acted that I forgot every flaw. Not perfect, yet I loved it."
)

st.title("🔬 Inside the cell")
lesson_banner()
st.markdown(
    "A plain recurrent network learns by sending an error signal backwards through every "
    "word it read, and each step multiplies that signal by the same weights. Over a long "
    "review it shrinks to nothing (**vanishing**) or blows up (**exploding**). LSTMs and "
    "GRUs add *gates* that decide what the memory keeps, so the signal can travel further. "
    "Everything below is computed from real Keras models, live."
)


# --- Jobs: submit, poll, stop ---------------------------------------------------------------

def job_status(key: str, draw: Callable[[list[dict[str, Any]], Job], None] | None = None) -> None:
    """The job's panel (`pages.common.job_panel`), with the experiments finished so far
    drawn by `draw(results, job)`; it refreshes every second while the job runs."""

    def draw_results(job: Job, events: list[Any]) -> None:
        results = [event.values for event in events if isinstance(event, Result)]
        if results and draw is not None:
            draw(results, job)

    job_panel(key, draw_results, every=1.0, endings={DONE: None})


def submit(key: str, name: str, experiment: str, settings: Any, data: Any = None) -> None:
    """Run one experiment (a key of `gradients.EXPERIMENTS`) as a job for this session."""
    submit_job(key, gradients.submit_experiment, experiment, name, settings, data, **identity())


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def load_run(root: str, run_id: str, _store: Any) -> Any:
    return _store.load(run_id)


def saved_models(archs: tuple[str, ...]) -> list[tuple[Any, Any]]:
    """Shipped and the user's usable sentiment runs of these architectures: the shipped
    ones in the catalog's order (SimpleRNN, LSTM, GRU, BiLSTM, LSTM (LM-pretrained)), then
    the user's, newest first."""
    from core.runs import run_store, shipped_store

    order = list(SHIPPED_MODELS)
    shipped = sorted(shipped_store().list(kind="sentiment"),
                     key=lambda info: order.index(info.run_id) if info.run_id in order
                     else len(order))
    mine = run_store(session_owner())
    return [(store, info) for store, infos in ((shipped_store(), shipped),
                                               (mine, mine.list(kind="sentiment")))
            for info in infos if not info.damaged and info.config.get("arch") in archs]


def model_label(store: Any, info: Any) -> str:
    arch = ARCH_LABELS.get(info.config.get("arch"), info.config.get("arch"))
    if store.read_only:  # the shipped runs are named "LSTM (shipped)" already
        return info.name if "shipped" in info.name else f"{info.name} (shipped)"
    return f"{info.name} (trained, {arch})"


@st.cache_data(max_entries=64, show_spinner=False)
def memory_of(root: str, run_id: str, text: str, _store: Any) -> Any:
    from core.gradients.memory import word_memory

    return word_memory(load_run(root, run_id, _store).model, text)


def memory_section() -> None:
    """Memory on your own sentence: each word's integrated-gradient share of the verdict,
    for SimpleRNN, LSTM and GRU side by side."""
    from core.gradients.memory import IG_STEPS, MAX_WORDS
    from core.runs import RunError

    st.subheader("Memory on your own sentence")
    st.markdown(
        "The same question on a sentence you write: **how much does each word still move "
        "the final verdict?** Each score is the word's share of the verdict's log-odds by "
        "*integrated gradients*: the gradient of the verdict with respect to the word's "
        "vector, averaged along a path from \"no words\" to your text, times the vector. "
        "Unlike a single gradient, it still credits the words that decided when the model "
        "is already sure, and the scores add up to the whole verdict (checked below).")
    options = {model_label(store, info): (store, info)
               for store, info in saved_models(gradients.GRADIENT_ARCHS)}
    # One shipped model per cell, trained alike from scratch: the cells side by side.
    default = [label for label, (store, info) in options.items()
               if store.read_only and info.run_id in SHIPPED_ARCHS]
    shared_text("memory_text", MEMORY_TEXT)
    with st.form("memory_form", border=True):
        text = st.text_area("Your sentence", height=80, max_chars=5000, key="memory_text")
        chosen = st.multiselect("Models", list(options), default=default, key="memory_models",
                                bind="query-params",
                                help="The shipped SimpleRNN, LSTM and GRU, and your own runs "
                                     "of those cells.")
        if st.form_submit_button("Score each word", icon="▶️"):
            st.session_state[MEMORY_KEY] = (text, chosen)
    publish_text("memory_text")
    if MEMORY_KEY not in st.session_state:
        return
    text, chosen = st.session_state[MEMORY_KEY]
    chosen = [label for label in chosen if label in options]  # a run may have been deleted
    if not chosen:
        st.info("Choose at least one model.")
        return
    memories, archs, gaps = {}, {}, []
    with st.spinner(f"Differentiating each model {IG_STEPS} times along the path…"):
        for label in chosen:
            store, info = options[label]
            try:
                memory = memory_of(str(store.root), info.run_id, text, store)
            except (ValueError, RunError) as exc:
                st.warning(f"{label}: {exc}")
                continue
            memories[label], archs[label] = memory, info.config.get("arch", "")
            gaps.append(memory.gap / max(abs(memory.logit - memory.baseline_logit), 1e-6))
    if not memories:
        return
    chart(st, charts.memory_heatmap(memories), key="memory_heatmap")
    left, right = st.columns([3, 2])
    chart(left, charts.memory_by_distance_chart(memories, archs), key="memory_distance")
    with right:
        st.markdown(
            "**Reading it.** A model that answers from its last state must carry every word "
            "to the end, and a plain RNN forgets on the way: its scores fade towards the "
            "start. The shipped models also read each unit's largest and mean value over all "
            "the words (*last, max, mean*), so an early word can still decide directly; "
            "train a model with review vector *last state* on the Train page and add it here "
            "to see memory fade. Long-range distances are measured exactly by the experiment "
            "above.")
    rows = [{"model": label, "P(positive)": m.probability,
             "most decisive word": m.tokens[int(abs(m.scores).argmax())],
             "scores add up to": m.scores.sum(),
             "verdict − no-words verdict": m.logit - m.baseline_logit}
            for label, m in memories.items()]
    st.dataframe(rows, hide_index=True, column_config={
        name: st.column_config.NumberColumn(format="%.3f")
        for name in ("P(positive)", "scores add up to", "verdict − no-words verdict")})
    truncated = max(m.truncated for m in memories.values())
    st.caption(
        f"Completeness: each model's scores add up to its verdict's change from the "
        f"no-words baseline within {max(gaps):.1%} ({IG_STEPS} points on the path)."
        + (f" Only the first {MAX_WORDS} words are scored ({truncated} more are not)."
           if truncated else ""))


@st.cache_resource(show_spinner=False, max_entries=8)
def state_space_of(root: str, run_id: str, _store: Any, _data: Any) -> Any:
    from core.state_space import FIT_REVIEWS, fit_state_space

    sample = _data.train.sample(FIT_REVIEWS, random_state=0)
    return fit_state_space(load_run(root, run_id, _store).model, sample["text"].tolist(),
                           sample["label"].astype(int).tolist())


def state_path(run: Any, review: str, store: Any, info: Any) -> None:
    """The hidden state's path over the review, on the plane of many reviews' states."""
    from core.state_space import FIT_REVIEWS, FIT_WORDS

    st.subheader("The hidden state's path")
    st.markdown(
        "Each word moves the hidden state, a point in a space with one axis per unit. "
        f"Here it is flattened onto the two directions along which the states of "
        f"{FIT_REVIEWS} training reviews vary most (PCA). Trained sentiment networks tend "
        "to move along nearly **one line**, and the read-out (the output layer) measures "
        "how far along it a review has got: watch your review travel word by word, beside "
        "short positive and negative reviews.")
    key = f"{store.root}/{info.run_id}"
    if st.session_state.get(PATH_KEY) != key:
        if not st.button("Draw the paths", key="path_draw", icon="▶️"):
            return
        st.session_state[PATH_KEY] = key
    data = imdb_data()
    if data is None:
        st.warning("Fitting the plane needs the IMDB training reviews, which are missing: "
                   "see **Real reviews** on the Vanishing gradients tab for how to get them.")
        return
    with st.spinner(f"Reading {FIT_REVIEWS} reviews' first {FIT_WORDS} words with the model "
                    "(a few seconds, once per model)…"):
        space = state_space_of(str(store.root), info.run_id, store, data)
    try:
        path = space.path(run.model, review)
    except ValueError as exc:
        st.warning(str(exc))
        return
    st.plotly_chart(charts.state_path_chart(space, path), key="path_chart")
    along = space.along_readout(path)
    st.caption(
        f"Your review ends {along[-1]:+.2f} along the read-out (P(positive) = "
        f"{path.probability:.2f}); the first direction holds {space.explained[0]:.0%} of the "
        f"states' variance, the second {space.explained[1]:.0%}; "
        f"{space.readout_in_plane:.0%} of the output layer's weights lie in this plane. "
        "Positive reviews: green solid lines; negative: orange dotted.")


def move_step(delta: int, last: int) -> None:
    st.session_state[STEP_KEY] = min(max(st.session_state.get(STEP_KEY, 0) + delta, 0), last)


def step_through(run: Any, review: str, direction: str, trace: Any, run_id: str) -> None:
    """One word's step of the cell in real numbers: the equations, a diagram, a table."""
    from core import cell_step

    st.subheader("One step, in real numbers")
    st.markdown(
        "Pick a word and a unit: these are the equations the cell computed there, with the "
        "numbers it used. *From the word* is x·W, *from the memory* is h·U (what the unit's "
        "previous state brings), then the bias; their sum goes through σ (a gate, 0 to 1) "
        "or tanh (a value, −1 to 1).")
    last = trace.steps - 1
    word = st.query_params.get(WORD_PARAM)  # a lesson's link may open at a given word
    if word and word != st.session_state.get("_word_applied"):
        st.session_state["_word_applied"] = word
        st.session_state[STEP_KEY] = max(int(word) - 1, 0) if word.isdigit() else 0
    if st.session_state.get(STEP_KEY, 0) > last:
        st.session_state[STEP_KEY] = last
    back, pick, forward = st.columns([1, 4, 1], vertical_alignment="bottom")
    back.button("◀ Previous", key="gates_step_back", on_click=move_step, args=(-1, last),
                disabled=st.session_state.get(STEP_KEY, 0) <= 0, width="stretch")
    forward.button("Next ▶", key="gates_step_next", on_click=move_step, args=(1, last),
                   disabled=st.session_state.get(STEP_KEY, 0) >= last, width="stretch")
    step = pick.select_slider("Word", options=list(range(trace.steps)), key=STEP_KEY,
                              format_func=lambda i: f"{i + 1}: {trace.tokens[i]}")
    default = [int(u) for u in trace.most_active_units(cell_step.MAX_UNITS - 1)]
    units = st.multiselect(
        "Units", list(range(trace.units)), default=default, max_selections=cell_step.MAX_UNITS,
        key=f"gates_step_units_{run_id}_{direction}",
        help="The cell has one of each gate per unit. These start as the units that swing "
             "most on this review.")
    if not units:
        st.info("Choose at least one unit.")
        return
    view = cell_step.step_through(run.model, review, step, units, direction)
    shown = st.radio("Unit in the diagram", view.units, horizontal=True,
                     key=f"gates_step_shown_{run_id}_{direction}",
                     format_func=lambda u: f"unit {u}") if len(view.units) > 1 else view.units[0]
    st.plotly_chart(charts.step_diagram(view, shown), key="gates_step_diagram")
    st.caption(view.summary(shown))
    for line in view.equations(shown):
        st.latex(line)
    numbers = st.column_config.NumberColumn(format="%.4f")
    left, right = st.columns([3, 2])
    left.dataframe(view.table(), hide_index=True, column_config={
        name: numbers for name in ("from the word", "from the memory", "bias", "sum", "value")})
    right.dataframe(view.state_table(), hide_index=True,
                    column_config={"before": numbers, "after": numbers})
    st.caption(
        f"Keras's own hidden state after “{view.token}” for these units: "
        + ", ".join(f"{view.keras_hidden[u]:+.6f}" for u in view.units)
        + f" (largest difference from the numbers above: {view.keras_max_diff:.1e}).")


# The open tab is in the URL (`?cell_tab=…`), so a link or a lesson can open any of them.
vanishing, exploding, gates_tab = st.tabs(
    ["📉 Vanishing gradients", "💥 Exploding gradients", "🚪 The gates"], key="cell_tab",
    bind="query-params")

# --- Vanishing gradients --------------------------------------------------------------------
with vanishing:
    st.subheader("The long-range task")
    st.markdown(
        "Each sequence starts with a **signal token** (A or B) followed by **L random "
        "distractor tokens**; the label is just which signal came first. To get it right, "
        "a model must carry one token across all L distractors. SimpleRNN, LSTM and GRU of "
        "the same size get the same training budget at each L."
    )
    with settings_box(), st.form("long_range_form", border=True):
        left, right = st.columns(2)
        values = {
            "lengths": setting(LONG, "lengths", "lr_lengths", left,
                               options=gradients.LENGTH_CHOICES),
            "archs": setting(LONG, "archs", "lr_archs", right),
        }
        for column, name in zip(st.columns(4), ("units", "train_size", "epochs",
                                                "learning_rate"), strict=True):
            values[name] = setting(LONG, name, f"lr_{name}", column, bounded=True)
        run_long = st.form_submit_button("Run the experiment", type="primary", icon="▶️")
    st.caption(f"With the starting settings this takes about "
               f"{format_seconds(gradients.long_range_expected_s(LONG))} on a 2-core CPU; "
               "longer distances, more sequences or epochs take longer in proportion (and "
               "units past 64), and the progress bar gives the time left once it runs.")
    if run_long:
        settings = dataclasses.replace(LONG, **values)
        submit("cell_long_range_job", "Long-range task", "long_range", settings)

    def draw_long_range(results: list[dict[str, Any]], job: Job) -> None:
        left, right = st.columns([3, 2])
        chart(left, charts.accuracy_vs_length_chart(results), key=f"acc_{len(results)}")
        right.markdown(
            "**Reading it.** 50% is guessing. With the default settings the plain RNN solves "
            "short distances but falls to chance as L grows: by the time the gradient gets "
            "back to the signal token, it has been multiplied by L Jacobians and is too "
            "small to teach anything. The "
            "gated cells hold on, because the path through their memory is an addition "
            "scaled by a gate that can learn to stay open. Push L to 30 or more and they "
            "need a bigger budget too (more sequences or epochs): gates make a long memory "
            "learnable, not free."
        )
        done_lengths = sorted({r["length"] for r in results})
        length = done_lengths[-1]
        if len(done_lengths) > 1:
            # Keyed by the job: a new run starts at its own longest distance, not at the
            # one picked for the run before.
            length = st.select_slider("Gradient through time at L =", done_lengths,
                                      value=done_lengths[-1], key=f"lr_show_length_{job.id}")
        when = st.radio("Weights", ["at initialization", "after training"], horizontal=True,
                        key="lr_when", help="At initialization is what the optimizer sees on "
                        "its very first step, before it can learn anything.")
        chosen = [r for r in results if r["length"] == length]
        field = "initial_grad_norms" if when == "at initialization" else "grad_norms"
        left, right = st.columns([3, 2])
        chart(left, charts.step_gradient_chart(
            chosen, "Error signal reaching each step", subtitle=f"L = {length}, {when}",
            key=field, first_label="← signal token"), key=f"steps_{len(results)}_{field}")
        ratios = ", ".join(
            f"{ARCH_LABELS[r['arch']]} {gradients.first_to_last_ratio(r[field]):.1e}"
            for r in chosen)
        right.markdown(
            "**Reading it.** Each line is |∂loss/∂xₜ|, the size of the gradient reaching "
            "the token at step t, divided by the one at the last step (log scale). A line "
            "that dives to the left means the first tokens get almost no learning signal: "
            f"the gradient has vanished.\n\nFirst step ÷ last step: {ratios}."
        )

    job_status("cell_long_range_job", draw_long_range)

    st.divider()
    memory_section()

    st.divider()
    st.subheader("Real reviews")
    st.markdown(
        "The same measurement on IMDB: three sentiment models of the same size, trained "
        "briefly on the same reviews, probed on test reviews long enough to fill the "
        "whole window."
    )
    # Checked before the form, not in the button's branch: the missing-dataset panel has a
    # Download button of its own, which must still exist when its click reruns the page.
    reviews_missing = imdb_missing()
    if reviews_missing:
        dataset_missing_panel(reviews_missing)
    with settings_box(), st.form("review_form", border=True):
        values = {name: setting(REVIEWS, name, f"rv_{name}", column, bounded=True)
                  for column, name in zip(st.columns(4), ("seq_len", "units", "embed_dim",
                                                          "train_size"), strict=True)}
        values["archs"] = setting(REVIEWS, "archs", "rv_archs")
        run_reviews = st.form_submit_button("Measure on reviews", icon="▶️",
                                            disabled=bool(reviews_missing))
    st.caption(f"With the starting settings this takes about "
               f"{format_seconds(gradients.reviews_expected_s(REVIEWS))} on a 2-core CPU; the "
               "time grows with the training reviews × tokens per review (all 25,000 reviews "
               "of 1,000 tokens: about "
               f"{format_seconds(gradients.reviews_expected_s(LARGEST_REVIEWS))}) and with "
               "units or embedding sizes past 64.")
    if run_reviews:
        data = imdb_data()
        settings = dataclasses.replace(REVIEWS, **values)
        if data is not None:
            submit("cell_reviews_job", "Gradients on reviews", "reviews", settings, data)

    def draw_reviews(results: list[dict[str, Any]], job: Job) -> None:
        left, right = st.columns([3, 2])
        chart(left, charts.step_gradient_chart(
            results, "Gradient reaching each word", subtitle="over long test reviews",
            x_title="word position"),
            key=f"reviews_{len(results)}")
        lines = "\n".join(
            f"- {ARCH_LABELS[r['arch']]}: first ÷ last {r['ratio']:.1e}, "
            f"{r['probe_accuracy']:.0%} right on the {r['reviews']} probed reviews"
            for r in results)
        right.markdown(
            "**Reading it.** A sentiment model reads the whole review and answers at the end, "
            "so a word's gradient says how much that word can change what the model learns. "
            f"Where a curve drops, the start of the review is hard to learn from.\n\n{lines}"
            "\n\nDo not be surprised if the gated cells drop *more* after a short training: "
            "Keras starts an LSTM's forget gate near 0.73 and a GRU's update gate near 0.5, "
            "so a fresh gated cell forgets quickly, while a fresh SimpleRNN's orthogonal "
            "weights pass small signals through almost unchanged. What the gates give is the "
            "ability to *learn* to hold on, which the long-range task above measures."
        )

    job_status("cell_reviews_job", draw_reviews)

# --- Exploding gradients --------------------------------------------------------------------
with exploding:
    st.markdown(
        "The opposite failure. A recurrent layer whose weights *stretch* its state (here a "
        "ReLU RNN with recurrent weights scaled by a gain above 1) multiplies the gradient "
        "by more than 1 at every step back. On the long-range task with plain SGD, the first "
        "gradient is enormous, one update throws the weights far away, and the loss turns "
        "into NaN. **Gradient clipping** (`clipnorm`) rescales any gradient longer than a "
        "threshold to that length: same direction, bounded step. Both runs below start "
        "from identical weights and see identical batches."
    )
    with settings_box(), st.form("exploding_form", border=True):
        values = {name: setting(EXPLODING, name, f"ex_{name}", column, bounded=True)
                  for column, name in zip(st.columns(5), ("recurrent_gain", "learning_rate",
                                                          "clipnorm", "length", "steps"),
                                          strict=True)}
        run_ex = st.form_submit_button("Train both", type="primary", icon="▶️")
    if run_ex:
        settings = dataclasses.replace(EXPLODING, **values)
        submit("cell_exploding_job", "Exploding gradients", "exploding", settings)

    def draw_exploding(results: list[dict[str, Any]], job: Job) -> None:
        chart(st, charts.exploding_chart(results), key=f"exploding_{len(results)}")
        for result in results:
            label = (f"With clipnorm={result['clipnorm']:g}" if result["clipnorm"]
                     else "Without clipping")
            if result["blew_up_at"]:
                st.error(f"**{label}, the NaN guard fired.** {result['message']}", icon="💥")
            else:
                final = result["loss"][-1] if result["loss"] else float("nan")
                st.success(f"**{label}, training stayed finite** for all "
                           f"{len(result['loss'])} steps (last loss {final:.3g}).", icon="✅")
        first = results[0]
        growth = gradients.first_to_last_ratio(first["initial_step_norms"])
        left, right = st.columns([3, 2])
        chart(left, charts.step_gradient_chart(
            [{"arch": "ReLU RNN", "norms": first["initial_step_norms"]}],
            "Gradient reaching each step", subtitle="before the first update", key="norms"),
            key=f"exploding_steps_{len(results)}")
        right.markdown(
            "**Why it explodes.** The mirror image of vanishing: going back from the last "
            f"step, every step multiplies the gradient by more than 1, so the first token "
            f"receives **{growth:,.0f}×** the gradient of the last. Summed over all steps, "
            "that is the enormous first gradient in the chart above."
        )
        st.caption(
            "The gradient norm is measured before clipping, which is why the clipped run "
            "still shows huge values at first: clipping does not make the gradient small, it "
            "makes the *step* small, and the weights settle into a range where the gradient "
            "shrinks on its own."
        )

    job_status("cell_exploding_job", draw_exploding)

# --- The gates ------------------------------------------------------------------------------
with gates_tab:
    st.markdown(
        "An LSTM keeps a **cell state** c, its long-term memory, next to its output h. At "
        "each word three gates, numbers between 0 (closed) and 1 (open) for every unit, "
        "decide what happens to it: the **forget gate** what to keep of the old memory, the "
        "**input gate** how much of the new word to write, the **output gate** how much of "
        "the memory to show the next layer. A GRU does the same with two gates: the "
        "**update gate** mixes old state and new candidate, the **reset gate** decides how "
        "much of the old state the candidate may look at."
    )
    from core.runs import RunError

    candidates = saved_models(GATED_ARCHS)

    # LSTMs first: the forget/input/output story is the one the page tells first.
    candidates.sort(key=lambda pair: pair[1].config.get("arch") != "lstm")
    if not candidates:
        st.info("No LSTM or GRU model is saved yet. Train one on the **Train** page, or "
                "train a small one here (about a minute).", icon="🧪")

        if reviews_missing:
            st.warning("Training it needs the IMDB reviews, which are missing: see **Real "
                       "reviews** on the Vanishing gradients tab for how to get them.")
        if st.button("Train a small LSTM for this page", key="gates_train",
                     disabled=bool(reviews_missing)):
            data = imdb_data()
            if data is not None:
                from core.config import ModelConfig
                from core.training import submit_training

                config = ModelConfig(arch="lstm", vocab_size=5000, seq_len=150, embed_dim=32,
                                     units=32, epochs=1, train_size=4000)
                submit_job("cell_gates_train_job", submit_training, config, data,
                           name="Small LSTM (Inside the cell)", **identity())
        job_status("cell_gates_train_job")
    else:
        labels = {model_label(store, info): (store, info) for store, info in candidates}
        choice = st.selectbox("Model", list(labels), key="gates_model", bind="query-params")
        store, info = labels[choice]

        shared_text("gates_text", DEFAULT_REVIEW)
        review = st.text_area("A review to look inside", height=100, max_chars=5000,
                              key="gates_text")
        publish_text("gates_text")
        try:
            run = load_run(str(store.root), info.run_id, store)
        except RunError as exc:
            st.error(str(exc))
            run = None
        if run is not None:
            from core import gates

            bidirectional = gates.is_bidirectional(run.model)
            c1, c2, c3 = st.columns(3) if bidirectional else (None, *st.columns(2))
            direction = "forward"
            if bidirectional:
                direction = c1.radio("Direction", ["forward", "backward"], horizontal=True,
                                     key="gates_direction",
                                     help="A BiLSTM has two LSTMs: one reads left to right, "
                                          "the other right to left.")
            top_k = c2.slider("Most active units", 2, 32, 8, key="gates_top_k")
            try:
                trace = gates.trace_text(run.model, review, direction)
            except (ValueError, gates.NotAGatedLayer) as exc:
                st.warning(str(exc))
                trace = None
            if trace is not None:
                probability = float(run.predict([review])[0])
                shown = c3.selectbox("Show per unit", list(trace.gates) + list(trace.states),
                                     format_func=gates.GATE_LABELS.get, key="gates_shown")
                verdict = verdict_of(probability).lower()  # the verdict every page uses
                st.caption(
                    f"{trace.steps} tokens · {trace.units} units · the model says "
                    f"**{verdict}** (P(positive) = {probability:.2f}) · recomputed from the "
                    f"layer's weights, matching Keras's own states to "
                    f"{trace.keras_max_diff:.1e}"
                    + (f" · {trace.truncated} tokens beyond the model's length not shown"
                       if trace.truncated else "")
                )
                if not trace.keras_max_diff <= gates.MATCH_TOLERANCE:
                    st.warning(
                        f"The recomputed hidden states differ from Keras's own by up to "
                        f"{trace.keras_max_diff:.1e}, more than {gates.MATCH_TOLERANCE:g}: this "
                        "layer computes something the recomputation does not model, so the "
                        "gates below may not be exactly the ones it used.", icon="⚠️")
                left, right = st.columns([3, 1])
                chart(left, charts.gate_overview_chart(trace), key="gates_overview")
                if trace.cell_type == "lstm":
                    right.markdown(
                        "**Forget** near 1: the memory is kept as it is. A dip: the cell "
                        "clears what it held, often at a *but* or a full stop.\n\n"
                        "**Input** high: this word is written into memory.\n\n"
                        "**Output** high: the memory is exposed to the rest of the network."
                    )
                else:
                    right.markdown(
                        "**Update** near 1: the old state passes through untouched, which is "
                        "how a GRU remembers across many words.\n\n"
                        "**Reset** near 0: the candidate ignores the old state and starts "
                        "from the word alone."
                    )
                left, right = st.columns([3, 1])
                chart(left, charts.state_overview_chart(trace), key="gates_states")
                right.markdown(
                    "The memory is what the gates produce: it changes where words matter "
                    "and stays flat across the words the model lets pass. "
                    + {"max": "The classifier reads each unit's largest hidden value over "
                              "all the words (max pooling), so a strong word anywhere can "
                              "decide.",
                       "concat": "The classifier reads each unit's hidden value after the "
                                 "last word, its largest and its mean over all the words, so "
                                 "a strong word anywhere can decide."}.get(
                        info.config.get("pooling"),
                        "Its value at the last word is all the classifier ever sees.")
                )
                left, right = st.columns([3, 1])
                units = trace.most_active_units(top_k, by=shown)
                chart(left, charts.unit_heatmap_chart(trace, shown, units), key="gates_units")
                right.markdown(
                    "Averages hide specialists. These are the units where the chosen gate "
                    "or state swings most on this review; some react to sentiment words, "
                    "others to *but*, *not* or the end of a sentence. Change one word and "
                    "watch which columns change."
                )
                step_through(run, review, direction, trace, info.run_id)
                state_path(run, review, store, info)

share_panel()
