"""Next word: an LSTM language model suggests the next words as you type."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from core import language_model as lm
from core.charts import nextword as charts
from core.runs import RunError, RunStore
from core.text import escape_markdown
from pages.common import (
    EMPTY_CELL,
    chart,
    current_job,
    dataset_missing_panel,
    identity,
    imdb_data,
    imdb_missing,
    job_panel,
    kept,
    lesson_banner,
    my_runs,
    publish_text,
    setting,
    share_panel,
    shared_text,
    submit_job,
    typed_text,
)

TEXT_KEY = "nw_text"
TEXT_LABEL = "Your text"
JOB_KEY = "nw_job"
MODEL_KEY = "nw_model"
SHIPPED = "shipped"
USER = "user"
# Smaller than the shipped model (10k words, embedding 128, 256 units, 2M words): a user's
# text is far shorter than the IMDB pool, and a 2-core CPU should train it in minutes.
USER_DEFAULTS = lm.LMConfig(vocab_size=5_000, embed_dim=64, units=128,
                            max_train_words=200_000, epochs=2)
LIVE_TOPK_NOTE = (
    "The lines are measured while training on a fixed sample of held-back validation text "
    "(full softmax, `<unk>` never a hit, as under **Quality**); the diamonds use all the "
    "validation text at the end of each epoch. With a large vocabulary the training loss "
    "is a sampled-softmax estimate (1,024 words scored per step instead of all), which "
    "trains about four times faster and reads lower than the true loss."
)


@st.cache_resource(show_spinner="Loading the language model…", max_entries=4)
def load_model(where: str, run_id: str, root: str) -> lm.LanguageModel:
    """A model from `available_models`, which lists only the runs this person may see."""
    return lm.load_language_model(RunStore(root, read_only=where == SHIPPED), run_id)


def available_models() -> dict[str, tuple[str, str, str]]:
    """Label -> (where, run id, store root) for the shipped model and the user's own."""
    choices = {}
    for where, store in ((SHIPPED, lm.shipped_store()), (USER, my_runs())):
        for info in lm.list_language_models(store):
            label = info.name if where == SHIPPED else f"{info.name} (yours)"
            choices[label] = (where, info.run_id, str(store.root))
    return choices


@st.cache_data(max_entries=4, show_spinner="Checking the text…")
def user_text_problem(text: str, config: dict) -> str | None:
    """`lm.check_user_text`, once per text and settings (it tokenises the whole text)."""
    return lm.check_user_text(text, lm.LMConfig.from_dict(config))


def append_word(word: str, suggested_for: str) -> None:
    """A suggestion's click: `word` goes after the text it was suggested for, or, when the
    box's text changed before the click arrived, nothing does."""
    text = lm.apply_suggestion(st.session_state.get(TEXT_KEY, ""), suggested_for, word)
    if text is None:
        st.toast("Your text changed before the click arrived, so nothing was added: the "
                 "suggestions now follow the new text.", icon="🔄")
    else:
        st.session_state[TEXT_KEY] = text


st.title("⌨️ Next word")
lesson_banner()
st.caption(
    "A word-level LSTM language model, like the suggestion strip of a phone keyboard: it "
    "reads the last words you typed and gives a probability to every word that could come "
    "next. Click a suggestion to append it."
)

models = available_models()
if not models:
    st.error(
        "No language model is available: the shipped one in `assets/lm/` is missing or "
        "damaged. Rebuild it with `python -m core.pretrain_lm`, or train one in the "
        "**Train your own** tab below."
    )
    model = None
else:
    labels = list(models)
    if st.session_state.get(MODEL_KEY) not in labels:
        st.session_state[MODEL_KEY] = labels[0]
    choice = st.selectbox("Language model", labels, key=MODEL_KEY, bind="query-params")
    try:
        model = load_model(*models[choice])
    except RunError as exc:
        st.error(f"{exc} Pick another model.")
        model = None

suggest_tab, complete_tab, quality_tab, train_tab = st.tabs(
    ["Suggest", "Complete the sentence", "Quality", "Train your own"]
)

with suggest_tab:
    if model is not None:
        shared_text(TEXT_KEY)
        st.text_area(TEXT_LABEL, key=kept(TEXT_KEY), height=100,
                     placeholder="Start typing a review, e.g. “this movie was”…",
                     max_chars=lm.MAX_PREFIX_CHARS,
                     help="The suggestions follow as you type (after a short pause), and "
                          "on Ctrl+Enter (⌘+Enter on a Mac) or when you leave the box; "
                          "clicking a suggestion adds it.")
        # While someone types, the box's text arrives before it is committed (Enter or
        # leaving the box), and the suggestions follow it.
        typed = typed_text(TEXT_LABEL, key="nw_typing")
        k = st.slider("Suggestions", 3, 10, 5, key=kept("nw_k"))
        publish_text(TEXT_KEY)
        text = (typed[:lm.MAX_PREFIX_CHARS] if typed is not None
                else st.session_state.get(TEXT_KEY, ""))
        context = model.context_ids(text)
        tokens = lm.tokenize(text)
        known = [t for t in tokens if t in model.lookup]
        on_reviews = str(model.metrics.get("source", "")).startswith("IMDB")
        starts = ("the words reviews most often start with" if on_reviews
                  else "the words its training text's paragraphs most often start with")
        if not text.strip():
            st.info(f"Nothing typed yet: these are {starts}.")
        elif not tokens:
            st.info(f"Nothing the model can read yet (it skips emoji and symbols): these are "
                    f"{starts}.")
        elif not known:
            learned_from = "movie reviews" if on_reviews else "the text it was trained on"
            st.warning(
                "None of these words are in the model's vocabulary (it knows "
                f"{len(model.vocabulary) - len(lm.SPECIALS):,} words from {learned_from}), "
                "so it only knows that a text has begun: the suggestions are generic."
            )
        if len(tokens) >= model.config.window:
            seen = [model.vocabulary[i] for i in context]
            st.caption(
                f"The model reads only the last {model.config.window} words: "
                f"“…{escape_markdown(lm.detokenize(seen))}”"
            )
        suggestions = model.suggest(text, k=k)
        if suggestions:
            st.markdown("**Next word** — click to append:")
            columns = st.columns(len(suggestions))
            for column, s in zip(columns, suggestions, strict=True):
                # Keyed by word and text, never by slot: see `lm.suggestion_id`.
                column.button(f"{s.word}  ·  {s.probability:.1%}",
                              key=f"nw_pick_{lm.suggestion_id(text, s.word)}",
                              on_click=append_word, args=(s.word, text), width="stretch")
            chart(st,
                charts.suggestion_bars([s.word for s in suggestions],
                                       [s.probability for s in suggestions]),
                key="nw_bars",
            )
        else:
            st.warning("This model knows no words it could suggest; pick another model.")
        unknown = sorted({t for t in tokens if t not in model.lookup})
        if unknown:
            shown = ", ".join(unknown[:12]) + (" …" if len(unknown) > 12 else "")
            st.caption(f"Unknown to the model (read as `<unk>`): {escape_markdown(shown)}")

with complete_tab:
    if model is not None:
        st.markdown("Sample a continuation of **your text** one word at a time.")
        c1, c2, c3, c4 = st.columns(4)
        n_words = c1.slider("Words", 1, 60, 20, key=kept("nw_n_words"))
        temperature = c2.slider(
            "Temperature", 0.0, 2.0, 0.8, 0.05, key=kept("nw_temperature"),
            help="0 always takes the most probable word; above 1 the choice gets wilder.",
        )
        top_k = c3.slider("Top-k", 1, 100, 20, key=kept("nw_top_k"),
                          help="Sample only among the k most probable words.")
        seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key=kept("nw_seed"),
                               help="The same seed and settings give the same text.")
        if st.button("Complete the sentence", type="primary", key="nw_complete"):
            prefix = st.session_state.get(TEXT_KEY, "")
            words = model.generate(prefix, n_words, temperature, top_k, int(seed))
            st.session_state["nw_completion"] = (prefix, words)
        if "nw_completion" in st.session_state:
            prefix, words = st.session_state["nw_completion"]
            continuation = lm.detokenize(words)
            # One line: a blank line in the prefix would end the quote, an indented one
            # would turn into a code block.
            shown = " ".join(prefix.split())
            glue = " " if shown and words and words[0] not in lm.PUNCTUATION else ""
            st.markdown(f"> {escape_markdown(shown)}{glue}**{escape_markdown(continuation)}**")
            st.caption("Bold: generated. Change the seed for another continuation.")

with quality_tab:
    if model is not None:
        m = model.metrics
        if "lm_perplexity" in m:
            st.markdown(
                f"Measured on **{m.get('lm_tokens', 0):,} held-out tokens** "
                f"({m.get('held_out_documents', 0):,} documents never used in training). "
                "Baseline: a Kneser-Ney trigram model, what a classic phone keyboard uses, "
                "trained on the same words. Both predict over the same vocabulary with "
                "unknown words mapped to one `<unk>` token, so their perplexities compare."
            )
            cols = st.columns(4)
            cols[0].metric("LSTM perplexity", f"{m['lm_perplexity']:.0f}",
                           f"{m['lm_perplexity'] - m['ngram_perplexity']:+.0f} vs n-gram",
                           delta_color="inverse")
            cols[1].metric("LSTM top-3 accuracy", f"{m['lm_top3']:.1%}",
                           f"{(m['lm_top3'] - m['ngram_top3']) * 100:+.1f} pts vs n-gram")
            cols[2].metric("n-gram perplexity", f"{m['ngram_perplexity']:.0f}")
            cols[3].metric("Suggestion time", f"{m.get('suggest_ms_p50', 0):.1f} ms",
                           help="Median time for one suggestion list, measured after training.")
            st.plotly_chart(charts.quality_bars(m), key="nw_quality")
            st.dataframe(
                {
                    "model": ["LSTM", "Kneser-Ney trigram"],
                    "perplexity": [round(m["lm_perplexity"], 1), round(m["ngram_perplexity"], 1)],
                    "top-1": [f"{m['lm_top1']:.1%}", f"{m['ngram_top1']:.1%}"],
                    "top-3": [f"{m['lm_top3']:.1%}", f"{m['ngram_top3']:.1%}"],
                    "top-5": [f"{m['lm_top5']:.1%}", f"{m['ngram_top5']:.1%}"],
                },
                hide_index=True, placeholder=EMPTY_CELL,
            )
            st.caption(
                "Perplexity: how many words the model is, on average, as unsure as if choosing "
                "uniformly among (lower is better). Top-k accuracy: how often the true next "
                "word is among the k suggestions; punctuation counts, `<unk>` is never "
                "suggested so unknown words are always misses."
            )
        else:
            st.info("This model has no evaluation figures.")
        history = model.history
        if history.get("batches"):
            st.markdown("**Training curves**")
            chart(st, charts.training_curves(history["batches"], history.get("epochs", [])),
                  key="nw_history")
            st.caption(LIVE_TOPK_NOTE)
        where, run_id, root = models[st.session_state[MODEL_KEY]]
        card = Path(root) / run_id / "MODEL_CARD.md"
        if card.is_file():
            with st.expander("Model card"):
                st.markdown(card.read_text(encoding="utf-8"))
        st.caption("Settings: " + ", ".join(f"{k}={v}" for k, v in model.config.to_dict().items()))


def draw_job(job, events) -> None:
    """The live curves of the language model in training, under its progress and Stop."""
    batches, epochs = lm.curve_rows(events)
    if batches:
        chart(st, charts.training_curves(batches, epochs), key="nw_live")
        st.caption(LIVE_TOPK_NOTE)
    if job.state == "stopped" and not job.result:
        st.info("Stopped before training began: nothing was saved.")


def show_job() -> None:
    """Progress, live curves and Stop (or Cancel) for the training job; it refreshes every
    second while the job runs, and the whole page once it ends (the model list then holds
    the new run)."""
    job = current_job(JOB_KEY)
    saved = job is not None and bool(job.result)
    job_panel(JOB_KEY, draw_job, every=1.0, prefix="nw", endings={
        "done": "Trained and saved. Pick it in the model list above.",
        "stopped": ("Stopped early; what it learned so far is saved. Pick it in the model "
                    "list above.") if saved else None,
    }, stop_help="Stops within one batch; what was learned so far is saved.")


with train_tab:
    st.markdown(
        "Train a language model on IMDB reviews or on your own text. It runs in the "
        "background (you can leave this page) and is evaluated against the n-gram baseline "
        f"on held-out text. A tenth of your text is held out and a little more kept for "
        f"validation; what is left must hold at least {lm.MIN_TRAIN_WORDS:,} words, and the "
        f"text may be at most {lm.MAX_USER_TEXT_BYTES // 1_000_000} MB."
    )
    source = st.radio("Text", ["IMDB reviews", "Paste text", "Upload a .txt file"],
                      horizontal=True, key=kept("nw_source"))
    user_text, problem = "", None
    if source == "IMDB reviews":
        # Drawn here, outside the Train button's branch, so that the panel's own Download
        # button still exists when its click reruns the page.
        problem = imdb_missing()
        if problem:
            dataset_missing_panel(problem)
    elif source == "Paste text":
        user_text = st.text_area("Your training text", height=160, key=kept("nw_train_text"))
    elif source == "Upload a .txt file":
        upload = st.file_uploader("Plain-text file (UTF-8)", type=["txt"], key="nw_upload")
        if upload is not None:
            try:
                user_text = lm.decode_upload(upload.getvalue(), upload.name)
            except ValueError as exc:
                problem = str(exc)
    with st.expander("Settings", expanded=False):
        defaults = USER_DEFAULTS
        st.caption("The defaults are smaller than the shipped model's, so that a few pages "
                   "of text train in minutes on a laptop CPU.")
        names = ("vocab_size", "window", "embed_dim", "units", "epochs", "max_train_words",
                 "learning_rate", "batch_size", "seed")
        columns = st.columns(3)
        config = dataclasses.replace(defaults, **{
            name: setting(defaults, name, f"nw_cfg_{name}", columns[i % 3], bounded=True)
            for i, name in enumerate(names)})
    name = st.text_input("Name", placeholder="e.g. My novel LSTM", key=kept("nw_name"),
                         max_chars=80)
    problems = config.validate()
    if source != "IMDB reviews" and not problem:
        if not user_text.strip():
            problem = ("Paste or upload some text first." if source == "Paste text"
                       else "Upload a .txt file first.")
        elif not problems:
            problem = user_text_problem(user_text, config.to_dict())
    for message in problems.values():
        st.error(message)
    if problem and source != "IMDB reviews":
        st.warning(problem)
    running = current_job(JOB_KEY)
    busy = running is not None and not running.finished
    if st.button("Train", type="primary", key="nw_train",
                 disabled=bool(problem or problems or busy)):
        if source == "IMDB reviews":
            imdb = imdb_data()
            data = (lm.imdb_training_data(imdb, held_out_reviews=300, seed=config.seed)
                    if imdb is not None else None)
        else:
            data = lm.user_training_data(user_text)
        if data is not None:
            submit_job(JOB_KEY, lm.submit_lm_training, config, data, name=name or None,
                       **identity())
    show_job()

share_panel()
