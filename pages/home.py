"""Home: what RNN Lab is and where to start."""

import streamlit as st

from core.lessons import LESSONS

st.title("🔁 RNN Lab")
st.markdown(
    "Learn and compare recurrent neural networks on real text: 50,000 IMDB movie reviews."
)

with st.container(border=True):
    st.markdown(
        "**Start here: type a review.** On *Classify a review*, write a sentence or two about "
        "a film and see what five trained recurrent networks, a bag-of-words baseline and "
        "VADER make of it, and which words decided. Then try what trips models up: a "
        "negation (“not good at all”), sarcasm, or a long review that changes its mind at the end."
    )
    st.page_link("pages/classify.py", label="Type a review", icon="💬")
    st.caption("Next: train your own model on **Train**, or see on **Compare** what an LSTM "
               "buys over a plain RNN on the same budget.")

col1, col2, col3 = st.columns(3)
with col1:
    st.subheader("Use")
    st.page_link("pages/classify.py", label="Score a review", icon="💬")
    st.page_link("pages/next_word.py", label="Next-word suggestions", icon="⌨️")
with col2:
    st.subheader("Train")
    st.page_link("pages/train.py", label="Train a model live", icon="🏋️")
    st.page_link("pages/compare.py", label="Compare RNN, LSTM, GRU, BiLSTM", icon="⚖️")
with col3:
    st.subheader("Understand")
    st.page_link("pages/data.py", label="The data, and how text becomes numbers", icon="📚")
    st.page_link("pages/inside_the_cell.py", label="Why LSTMs exist", icon="🔬")

st.subheader("Lessons")
st.caption("Each lesson walks through the pages in order, with the settings already in "
           "place; every page then links the next step. A teacher can share a lesson's "
           "link, or any page as it is (🔗 *Share this view* at the bottom of each page).")
for column, lesson in zip(st.columns(len(LESSONS)), LESSONS.values(), strict=True):
    with column.container(border=True):
        st.markdown(f"**{lesson.title}**\n\n{lesson.summary}")
        st.caption(" → ".join(step.title for step in lesson.steps))
        st.page_link(lesson.steps[0].page, label="Start the lesson", icon="🎓",
                     query_params=lesson.params(0))

st.divider()
st.markdown(
    "**Recurrent networks** read a sequence one token at a time and carry a hidden state "
    "forward. A plain RNN forgets quickly because its gradients shrink (or blow up) as they "
    "flow back through many steps; **LSTM** and **GRU** cells add gates that decide what to "
    "keep, so information and gradients survive long reviews. A **bidirectional** LSTM reads "
    "the review both ways, at about twice the cost."
)
