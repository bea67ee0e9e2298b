"""Data: the IMDB reviews at a glance, a review browser, your own reviews, and how text
becomes the numbers a recurrent network reads."""

import streamlit as st

from core import data, text
from core.charts import data as charts
from pages.common import (
    EMPTY_CELL,
    chart,
    imdb_data,
    kept,
    lesson_banner,
    publish_text,
    share_panel,
    shared_text,
)

st.title("📚 Data")
lesson_banner()
imdb = imdb_data()
if imdb is None:
    st.stop()

st.caption(f"Source: {text.escape_markdown(imdb.source.describe())}"
           + (" · read from the cache" if imdb.from_cache else ""))

summary = data.dataset_summary(imdb)
cols = st.columns(4)
cols[0].metric("Training reviews", f"{len(imdb.train):,}")
cols[1].metric("Test reviews", f"{len(imdb.test):,}")
cols[2].metric("Unlabelled reviews", f"{len(imdb.unsup):,}")
cols[3].metric("Positive share (train)", f"{summary.loc[0, 'positive_share']:.0%}")

# One sequence length for the whole page: the histogram marks it and the tokenizer below
# pads or cuts the typed sentence to it.
seq_len = st.slider(
    "Sequence length (words a model reads)", 10, 1000, 200, step=10, key=kept("data_seq_len"),
    help="Reviews longer than this are cut; shorter ones are padded with zeros.",
)
chart(st, charts.length_figure(imdb.train["n_words"], seq_len), width="stretch",
      summary=charts.length_summary(imdb.train["n_words"], seq_len))
left, right = st.columns(2)
chart(left, charts.class_balance_figure(summary), width="stretch",
      summary=charts.class_balance_summary(summary))
chart(right, charts.stars_figure(imdb.train), width="stretch",
      summary=charts.stars_summary(imdb.train))

st.header("Browse reviews")
b1, b2, b3 = st.columns([1, 1, 1])
split = b1.selectbox("Split", ["train", "test", "unsup"], key="browse_split")
label_choice = b2.selectbox("Label", ["any", "positive", "negative"], key="browse_label",
                            disabled=split == "unsup")
if b3.button("🎲 Another review", width="stretch"):
    st.session_state["browse_seed"] = st.session_state.get("browse_seed", 0) + 1
frame = imdb.split(split)
if split != "unsup" and label_choice != "any":
    frame = frame[frame["label"] == (1 if label_choice == "positive" else 0)]
review = data.random_review(frame, st.session_state.get("browse_seed", 0))
if split == "unsup":
    st.markdown(f"**Unlabelled** · review {review['id']} · {review['n_words']} words")
else:
    verdict = "🟢 positive" if review["label"] == 1 else "🟠 negative"
    st.markdown(f"**{verdict}** · {review['stars']} ★ · review {review['id']} · "
                f"{review['n_words']} words")
with st.container(border=True, height=220):
    st.markdown(text.escape_markdown(review["text"]).replace("\n", "\n\n"))

st.header("How text becomes numbers")
st.markdown(
    "A network cannot read words, only numbers. A **vectorizer** lower-cases the text, drops "
    "ASCII punctuation (so *well-acted* becomes *wellacted*, while a *—* is kept) and splits "
    "it into tokens; it keeps the most frequent words of the training "
    "reviews as its **vocabulary** and gives each an id (0 is padding, 1 is *unknown*). Every "
    "review then becomes a sequence of exactly *sequence length* ids: cut if longer, padded "
    "with zeros if shorter."
)
v1, v2 = st.columns(2)
vocab_size = v1.number_input("Vocabulary size", 100, 50_000, 10_000, step=1000,
                             key="demo_vocab_size")
embed_dim = v2.number_input("Embedding size", 2, 512, 16, step=2, key="demo_embed_dim")
st.caption(f"Sequences are {seq_len} ids long: the sequence length chosen above.")
shared_text("tokenizer_text", "This movie wasn't good — it was GREAT! 🎬")
sentence = st.text_input("Type a sentence", key="tokenizer_text", max_chars=2000)
publish_text("tokenizer_text")


@st.cache_resource(show_spinner="Building the vocabulary from the training reviews…")
def _vocabulary(source: str, size: int) -> list[str]:
    return text.cached_vocabulary(imdb.train["text"].tolist(), size, cache_key=source)


vocabulary = _vocabulary(str(imdb.source.path), int(vocab_size))
vectorizer = text.vectorizer_from_vocabulary(vocabulary, int(seq_len))
if not sentence.strip():
    st.info("Type a sentence above to see its tokens and ids.")
    st.stop()
view = text.explain_tokens(vectorizer, sentence)

unknown = [t for t, o in zip(view.tokens, view.oov, strict=True) if o]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Tokens", len(view.tokens))
m2.metric("Unknown words", len(unknown))
m3.metric("Padding added", view.padding)
m4.metric("Tokens cut", view.truncated)
if unknown:
    st.caption("Not in the vocabulary (id 1): " + ", ".join(f"`{w}`" for w in unknown[:30]))
st.dataframe(view.table(), hide_index=True, placeholder=EMPTY_CELL, width="stretch",
             height=min(400, 38 + 35 * len(view.tokens)))
st.markdown("**The sequence the model receives**")
st.code(str(view.sequence.tolist()), language=None, wrap_lines=True)

s1, s2 = st.columns(2)
s1.metric("One-hot input size", f"{view.one_hot_bytes() / 1e6:,.2f} MB",
          help=f"{view.seq_len} positions × {view.vocab_size:,} vocabulary columns × 4 bytes")
s2.metric("Embedded input size", f"{view.embedding_bytes(int(embed_dim)) / 1e3:,.2f} kB",
          help=f"{view.seq_len} positions × {embed_dim} numbers × 4 bytes, plus a "
               f"{view.vocab_size:,} × {embed_dim} table learned once")
e1, e2 = st.columns(2)
chart(e1, charts.one_hot_figure(view), width="stretch")
chart(e2, charts.embedding_figure(view, int(embed_dim)), width="stretch")
st.caption(
    "One-hot rows are as wide as the vocabulary and all zeros but one; an embedding replaces "
    "each id by a short dense vector that training moves so that words used alike end up close."
)

st.header("Your own labelled reviews")
upload = st.file_uploader("A CSV or TSV with a text column and a label column",
                          type=["csv", "tsv", "txt"], key="own_reviews")
if upload is not None:
    try:
        table = data.read_table(upload.getvalue(), upload.name)
    except data.UploadError as exc:
        st.error(text.escape_markdown(str(exc)))
    else:
        c1, c2 = st.columns(2)
        text_col = c1.selectbox("Text column", list(table.columns), key="own_text_col")
        label_col = c2.selectbox("Label column", list(table.columns),
                                 index=min(1, len(table.columns) - 1), key="own_label_col")
        try:
            own = data.labelled_reviews(table, text_col, label_col)
        except data.UploadError as exc:
            st.error(text.escape_markdown(str(exc)))  # it may quote the file's labels
        else:
            balance = own.frame["label"].mean()
            st.success(
                f"{len(own.frame):,} reviews: {balance:.0%} read as positive "
                f"(label “{text.escape_markdown(own.positive)}”), the rest negative "
                f"(label “{text.escape_markdown(own.negative)}”)."
                + (f" {own.dropped_empty} rows without text or label were skipped."
                   if own.dropped_empty else "")
            )
            st.dataframe(own.frame.head(20), hide_index=True, placeholder=EMPTY_CELL,
                         width="stretch")

share_panel()
