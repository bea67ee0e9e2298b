"""Classify a review: every chosen model's verdict beside VADER's, and the words that decided."""

from collections import Counter

import numpy as np
import streamlit as st

from core import catalog, edits, explain, sentiment, slices, vader, verdict
from core.calibration import Reliability
from core.charts import classify as charts
from core.data import UploadError, label_columns, label_values
from core.runs import RunError
from core.text import escape_markdown
from pages.common import (
    EMPTY_CELL,
    chart,
    lesson_banner,
    publish_text,
    session_owner,
    share_panel,
    shared_text,
)

MAX_BATCH_ROWS = 5_000
# Small charts without Plotly's toolbar: in a narrow column it covered their titles.
SMALL_CHART = {"displayModeBar": False}
# Beside the verdict's own word; orange, not red, like the charts' Negative.
ICONS = {verdict.POSITIVE: "🟢", verdict.NEGATIVE: "🟠", verdict.NEUTRAL: "⚪"}
MAX_EDIT_WORDS = 80  # words offered to edit: a long review's first ones


@st.cache_resource(show_spinner="Loading the model…", max_entries=16)
def scoring_model(key: str, _choice: catalog.ModelChoice,
                  _stores: dict) -> catalog.ScoringModel | str:
    """The loaded model, or why it cannot be used: a failure is cached as a value (a raised
    error is not cached), so a corrupted file is not read again on every rerun. Only a
    choice this person was offered reaches here, and its key names the run."""
    try:
        return catalog.load_scoring_model(_choice, _stores)
    except RunError as exc:
        return str(exc)


@st.cache_data(show_spinner=False, max_entries=64)
def explanation(key: str, text: str, _model: catalog.ScoringModel) -> explain.Explanation:
    return explain.occlusion(text, _model.predict, _model.seq_len)


def load(choices: list[catalog.ModelChoice]) -> tuple[list, list]:
    """The usable models, and (choice, reason) for each that cannot be used."""
    usable, broken = [], []
    for choice in choices:
        loaded = scoring_model(choice.cache_key, choice, stores)
        if isinstance(loaded, str):
            broken.append((choice, loaded))
        else:
            usable.append(loaded)
    return usable, broken


def display_names(models: list[catalog.ScoringModel]) -> dict[str, str]:
    """Model key -> a unique name, as typed (two runs may share a name); escape it for
    Markdown."""
    names = [m.choice.name for m in models]
    return {m.choice.key: m.choice.name if names.count(m.choice.name) == 1
            else f"{m.choice.name} ({m.choice.run_id})" for m in models}


def labelled_results(scored, labels) -> None:
    """Accuracy, confusion counts and mistakes, when the upload has true labels."""
    report = sentiment.labelled_report(scored, labels)
    if not report.labelled:
        st.info("No row has both a label and words to read, so there is no accuracy.",
                icon="ℹ️")
        return
    st.subheader("Against the file's labels", anchor=False)
    st.caption(f"{report.labelled:,} labelled reviews. P(positive) ≥ 50% counts as "
               "positive (the test accuracy's rule, so a Neutral verdict still leans one "
               "way); VADER's compound of exactly 0 is no verdict and counts as wrong.")
    st.dataframe(report.summary, hide_index=True, placeholder=EMPTY_CELL, width="stretch",
                 column_config={"accuracy": st.column_config.NumberColumn(format="percent")})
    if report.mistakes.empty:
        st.success("Every model and VADER got every labelled review right.", icon="🎯")
    else:
        st.markdown(f"**Misclassified reviews** ({len(report.mistakes):,} shown, the ones "
                    "most models missed first)")
        st.dataframe(report.mistakes, hide_index=True, placeholder=EMPTY_CELL,
                     width="stretch")


def use_example(example: sentiment.ExampleReview) -> None:
    st.session_state["review_text"] = example.text
    st.session_state["example_shown"] = example


st.title("💬 Classify a review")
lesson_banner()
st.caption(
    f"The recurrent models and the NB-LR baseline give P(positive); they say **Neutral** "
    f"when it lies between "
    f"{0.5 - verdict.NEUTRAL_BAND:.0%} and {0.5 + verdict.NEUTRAL_BAND:.0%}. "
    "VADER, a hand-made word list with rules from NLTK, says Neutral only when its compound "
    "score is exactly 0."
)

stores = catalog.stores_for(session_owner())
choices = catalog.model_choices(stores)
by_key = {c.key: c for c in choices}
shipped = [c.key for c in choices
           if c.source in (catalog.SHIPPED, catalog.BASELINE) and not c.problem]
if not [c for c in choices if not c.problem]:
    st.warning("No sentiment model found: the shipped models are missing from assets/models "
               "(run `python -m core.pretrain`) and you have not trained one yet.", icon="📭")
elif missing := [c.name for c in choices
                 if c.source in (catalog.SHIPPED, catalog.BASELINE) and c.problem]:
    st.caption(f"⚠ Not usable: the shipped {', '.join(missing)} (missing or damaged in "
               "assets/models; `python -m core.pretrain` rebuilds them).")
label_counts = Counter(c.label for c in choices)


def option_label(key: str) -> str:
    # Streamlit tells options apart by their text: two runs with one name need their ids.
    choice = by_key[key]
    text = choice.label if label_counts[choice.label] == 1 else f"{choice.label} · {choice.run_id}"
    return text + (" ⚠ unusable" if choice.problem else "")


selected_keys = st.multiselect(
    "Models", list(by_key), default=shipped or [c.key for c in choices if not c.problem][:4],
    format_func=option_label,
    key="classify_models", bind="query-params",
    help="The five shipped recurrent models and the NB-LR baseline (word, pair and triple "
         "counts weighted by naive Bayes, then logistic regression), all trained on the "
         "25,000 training reviews, and your own runs from the Train page.",
)
selected = [by_key[k] for k in selected_keys if k in by_key]

def edit_and_rescore(review: str, result: explain.Explanation, models: list,
                     names: dict[str, str]) -> None:
    """Change one word (drop, swap, "not" before it) and show every model's verdict move."""
    st.subheader("Edit and rescore")
    st.caption("Pick a word (the most decisive one is picked to start), change it, and see "
               "what every model says now. Try *good* → *bad*, or put *not* before it.")
    words, _ = explain.split_words(review)
    readable = [i for i in range(min(len(words), MAX_EDIT_WORDS))]
    scores = np.nan_to_num(np.abs(result.contributions[:len(readable)]), nan=-1.0)
    strongest = int(np.argmax(scores)) if len(scores) else 0
    labels = edits.word_labels(words[:len(readable)])
    pick = st.pills("Word", readable, format_func=labels.__getitem__, default=strongest,
                    key=f"edit_word_{hash(review)}")
    index = strongest if pick is None else int(pick)
    if pick is None and words:
        st.caption(f"No word picked: the edit goes to the most decisive one, "
                   f"*{escape_markdown(words[index])}*.")
    kind = st.radio("Edit", list(edits.EDITS), format_func=edits.EDITS.get, horizontal=True,
                    key="edit_kind")
    replacement = ""
    if kind == edits.SWAP:
        replacement = st.text_input("Swap it for", edits.opposite(words[index]),
                                    key=f"edit_swap_{index}_{hash(review)}", max_chars=60)
    try:
        edited = edits.edit_review(review, index, kind, replacement)
    except ValueError as exc:
        st.warning(str(exc))
        return
    with st.container(border=True):
        st.markdown(f"**Edited:** {escape_markdown(edited)}")
    rows = edits.rescore({names[m.choice.key]: m.score for m in models}, review, edited)
    lexicon_before, lexicon_after = vader.vader_scores(review), vader.vader_scores(edited)
    left, right = st.columns(2)  # the table's verdict column was cut at 3:2
    left.plotly_chart(charts.edit_chart(rows, [m.choice.arch for m in models]),
                      width="stretch", config=SMALL_CHART)
    flipped = [r.model for r in rows if r.flipped]
    right.dataframe([r.row() for r in rows], hide_index=True, column_config={
        "before": st.column_config.NumberColumn(format="percent"),
        "after": st.column_config.NumberColumn(format="percent"),
        "change": st.column_config.NumberColumn(format="%+.3f")})
    right.caption(
        (f"The verdict changed for {', '.join(flipped)}. " if flipped else
         "No model changed its verdict. ")
        + f"VADER's compound score went from {lexicon_before.compound:+.3f} to "
          f"{lexicon_after.compound:+.3f}.")


single, batch = st.tabs(["One review", "Score a CSV file"])

with single:
    st.caption("Examples, one click away (hover for what each one shows):")
    with st.container(horizontal=True, gap="small"):
        for example in sentiment.example_reviews():
            st.button(example.title, key=f"example_{example.title}", help=example.why,
                      on_click=use_example, args=(example,))
    shared_text("review_text")
    review = st.text_area(
        "Review", key="review_text", height=150,
        placeholder="Type or paste a movie review, or pick an example above.",
    )
    publish_text("review_text")
    st.button("Score", type="primary", key="score_review")
    shown = st.session_state.get("example_shown")
    if shown is not None and shown.text == review:
        st.caption(f"💡 **{shown.title}:** {shown.why}")

    if not review.strip():
        st.info("Type or paste a review above (or pick an example), then press **Score**.",
                icon="✍️")
    else:
        models, broken = load(selected)
        for choice, reason in broken:
            st.error(f"**{escape_markdown(choice.name)}** is unusable: {escape_markdown(reason)} "
                     "The other models still work.", icon="⚠️")
        names = display_names(models)
        seq_len = max((m.seq_len for m in models), default=200)
        check = sentiment.check_review(review, seq_len,
                                       {names[m.choice.key]: m.vocabulary for m in models
                                        if m.vocabulary is not None})
        for note in check.notes:
            st.info(escape_markdown(note), icon="ℹ️")  # it may name the user's runs
        review = check.text  # HTML tags and joining dashes read as spaces
        lexicon = vader.vader_scores(review)
        if check.empty:
            st.warning("There are no words in this text for the models to read (only "
                       "punctuation, spaces or HTML tags); only VADER can score it.", icon="✍️")
            models = []
        blind = [m for m in models if names[m.choice.key] in check.knows_none]
        models = [m for m in models if m not in blind]
        probabilities = {m.choice.key: m.score(review) for m in models}
        labels = {names[m.choice.key]: verdict.model_label(probabilities[m.choice.key])
                  for m in models}

        # One row holds up to six cards; seven would cut their figures ("42.…"), so more
        # go in rows of four, equally wide, the last row's spare slots left empty.
        count = len(models) + len(blind) + 1
        per_row = count if count <= 6 else 4
        cards = [slot for _ in range(0, count, per_row) for slot in st.columns(per_row)]
        cards = cards[:count]
        for column, model in zip(cards[len(models):], blind, strict=False):
            column.metric(escape_markdown(names[model.choice.key]), "–",
                          f"⚫ {verdict.NO_VERDICT}", delta_color="off", delta_arrow="off",
                          border=True,
                          help="It knows none of these words, so whatever it output would "
                               "be a guess, not a verdict.")
        for column, model in zip(cards, models, strict=False):
            p = probabilities[model.choice.key]
            name = names[model.choice.key]
            label = labels[name]
            # The probability is the big figure and the verdict sits under it: a verdict
            # word in the big font is cut off ("Nega…") when five cards share a row.
            column.metric(escape_markdown(name), f"{p:.1%}", f"{ICONS[label]} {label}",
                          delta_color="off", delta_arrow="off", border=True,
                          help=f"P(positive) from {escape_markdown(model.choice.label)}")
        cards[-1].metric("VADER", f"{lexicon.compound:+.3f}",
                         f"{ICONS[lexicon.label]} {lexicon.label}",
                         delta_color="off", delta_arrow="off", border=True,
                         help=(f"Compound score; neg {lexicon.neg:.3f} · neu {lexicon.neu:.3f} · "
                               f"pos {lexicon.pos:.3f}"))
        if not selected:
            st.info("Choose at least one model above to compare with VADER.", icon="☝️")
        if models:
            disagree = sentiment.disagreements(labels, lexicon.label)
            if not disagree:
                st.success(f"All {len(models)} models agree with VADER: **{lexicon.label}**.",
                           icon="🤝")
            else:
                said = ", ".join(f"{escape_markdown(n)} says {labels[n]}" for n in disagree)
                st.warning(f"Models and VADER disagree: VADER says **{lexicon.label}**; {said}.",
                           icon="⚡")
            left, right = st.columns([3, 2])
            chart(left, charts.probability_chart(
                [names[m.choice.key] for m in models], [m.choice.arch for m in models],
                [probabilities[m.choice.key] for m in models]), width="stretch",
                config=SMALL_CHART)
            chart(right, charts.vader_chart(lexicon.neg, lexicon.neu, lexicon.pos,
                                            lexicon.compound),
                  width="stretch", config=SMALL_CHART)

            st.subheader("Which words decided")
            by_model_key = {m.choice.key: m for m in models}
            default = catalog.best_network([m.choice for m in models])
            explain_key = st.selectbox("Explain the verdict of", list(by_model_key),
                                       index=default, key="explain_model",
                                       format_func=names.get)
            model = by_model_key[explain_key]
            with st.spinner("Taking out one word at a time…"):
                result = explanation(model.choice.cache_key, review, model)
            st.caption(
                "Each word is taken out of the review in turn and the model scores what is "
                "left: **green** words (marked ⁺ when strong) pushed towards Positive, "
                "**orange** ones (⁻) towards Negative, the stronger the colour the bigger the "
                "change (hover for the change in log-odds). Grey words are not read by the "
                "model (or, past the cost limit, not explained)."
            )
            with st.container(border=True):
                st.markdown(explain.contributions_html(result), unsafe_allow_html=True)
            top_pos, top_neg = result.top(8, positive=True), result.top(8, positive=False)
            words_left, words_right = st.columns([2, 3])
            with words_left:
                st.markdown("**Pushed towards Positive:** " + (", ".join(
                    f"`{w}` ({v:+.2f})" for w, v in top_pos) or "none"))
                st.markdown("**Pushed towards Negative:** " + (", ".join(
                    f"`{w}` ({v:+.2f})" for w, v in top_neg) or "none"))
            if top_pos or top_neg:
                chart(words_right,
                    charts.contribution_chart(top_pos, top_neg, names[explain_key]),
                    width="stretch", config=SMALL_CHART)
            edit_and_rescore(review, result, models, names)

    with st.expander("How good are these models?"):
        measured = {c.key: catalog.calibration_of(c, stores) for c in choices}
        rows = [{"model": c.name, "test accuracy": c.test_accuracy,
                 "calibration error (ECE)": (measured[c.key] or {}).get(
                     "reliability", {}).get("ece"),
                 "Neutral verdicts' lean right": (measured[c.key] or {}).get(
                     "neutral_lean_right"),
                 "one-liners right": (measured[c.key] or {}).get("short_texts", {}).get(
                     "accuracy"),
                 "one-liners Neutral": (measured[c.key] or {}).get("short_texts", {}).get(
                     "neutral_share"),
                 "clear one-liners right": (measured[c.key] or {}).get("short_texts", {}).get(
                     "clear_accuracy"),
                 "clear one-liners Neutral": (measured[c.key] or {}).get(
                     "short_texts", {}).get("clear_neutral_share")} for c in choices]
        vader_metrics = vader.shipped_vader_metrics()
        if vader_metrics.get("test_accuracy") is not None:
            rows.append({"model": "VADER (NLTK lexicon)",
                         "test accuracy": vader_metrics["test_accuracy"]})
        st.dataframe(rows, hide_index=True, placeholder=EMPTY_CELL, column_config={
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "calibration error (ECE)": st.column_config.NumberColumn(format="%.3f"),
            "Neutral verdicts' lean right": st.column_config.NumberColumn(format="percent"),
            "one-liners right": st.column_config.NumberColumn(format="percent"),
            "one-liners Neutral": st.column_config.NumberColumn(format="percent"),
            "clear one-liners right": st.column_config.NumberColumn(format="percent"),
            "clear one-liners Neutral": st.column_config.NumberColumn(format="percent")})
        st.caption("Accuracy on the 25,000 IMDB test reviews. Each shipped model has a model "
                   "card (MODEL_CARD.md) in assets/models with its data, settings and "
                   "training time. Calibration is measured on the training reviews each "
                   "run held back, never the test set: the expected calibration error is "
                   "how far, on average, a model's confidence is from how often it is "
                   "right; a Neutral verdict's lean should be right about half the time. "
                   "One-liners: about a thousand single sentences from those reviews that "
                   "give a verdict on the film, labelled with their review's 1-2 or 9-10 "
                   "stars (a Neutral verdict counts as right when its lean is). A "
                   "sentence's stars are a noisy label for it, so each was also read on its "
                   "own by one reader who saw neither the stars nor the models' scores: clear "
                   "one-liners are the ones that reading found a verdict in, the same as "
                   "the stars'.")
        curves = {c.name: (c.arch, Reliability.from_dict(measured[c.key]["reliability"]))
                  for c in choices if measured[c.key]}
        if curves:
            chart(st, charts.reliability_chart(curves), width="stretch", config=SMALL_CHART)
        measured_slices = slices.shipped_slices()
        if measured_slices:
            st.markdown(f"**Accuracy by slice**, on {measured_slices['measured_on']}: where "
                        "each model is right and where it is not.")
            table = slices.slice_table(measured_slices["models"])
            st.dataframe(table, hide_index=True, column_config={
                "reviews": st.column_config.NumberColumn(format="localized"),
                **{name: st.column_config.NumberColumn(format="percent")
                   for name in measured_slices["models"]}})
            st.caption("A negation is *not*, *no*, *never*, *nothing*, *nobody*, *none*, "
                       "*neither*, *nor*, *hardly*, *barely* or *n't* anywhere in the review. "
                       "The test reviews have no 5- or 6-star ratings. Measured once by "
                       "`python -m core.pretrain --slices-only`.")

with batch:
    st.markdown("Upload a CSV or TSV with one review per row; every selected model and VADER "
                f"score each one (at most {MAX_BATCH_ROWS:,} rows). Add a column of true "
                "labels (positive/negative or 1/0) to see each one's accuracy and mistakes.")
    upload = st.file_uploader("Reviews file", type=["csv", "tsv", "txt"], key="classify_upload")
    if upload is not None:
        try:
            table, dropped = sentiment.read_reviews_upload(upload.getvalue(), upload.name,
                                                           MAX_BATCH_ROWS)
        except UploadError as exc:
            st.error(str(exc), icon="📄")
        else:
            columns = list(table.columns)
            text_col = st.selectbox("Column with the review text", columns,
                                    index=columns.index(sentiment.guess_text_column(table)),
                                    key="batch_text_col")
            candidates = label_columns(table, text_col)
            label_col = st.selectbox(
                "Column with the true label (optional)", [None, *candidates],
                index=1 if candidates else 0, key="batch_label_col",
                format_func=lambda c: "none: only score the reviews" if c is None else c,
                help="A column of positive/negative, pos/neg, 1/0 or true/false. With it, "
                     "every model and VADER get an accuracy, a confusion table and their "
                     "mistakes. Only two-class columns are offered.")
            if dropped:
                st.warning(f"Only the first {MAX_BATCH_ROWS:,} rows are scored "
                           f"({dropped:,} more were left out).")
            if st.button(f"Score {len(table):,} reviews", type="primary", key="score_batch"):
                models, broken = load(selected)
                for choice, reason in broken:
                    st.error(f"**{escape_markdown(choice.name)}** is unusable: "
                             f"{escape_markdown(reason)}", icon="⚠️")
                with st.spinner(f"Scoring {len(table):,} reviews with {len(models)} models "
                                "and VADER…"):
                    names = display_names(models)
                    predictors = {names[m.choice.key]: m.predict
                        for m in models}
                    scored = sentiment.score_table(table[text_col].tolist(), predictors)
                st.session_state["batch_result"] = (upload.file_id, scored)
            result = st.session_state.get("batch_result")
            if result and result[0] == upload.file_id:
                scored = result[1]
                st.dataframe(scored, hide_index=True, placeholder=EMPTY_CELL)  # fits its rows
                st.download_button("Download the scored table (CSV)",
                                   sentiment.spreadsheet_safe_csv(scored),
                                   file_name="scored_reviews.csv", mime="text/csv",
                                   key="download_scored", icon="⬇️")
                if label_col is not None and len(scored) == len(table):
                    labelled_results(scored, label_values(table[label_col].tolist()))

share_panel()
