"""RNN Lab: navigation, page config and the shared sidebar. Run with `make run`."""

import streamlit as st

from pages.common import dataset_sidebar

st.set_page_config(page_title="RNN Lab", page_icon="🔁", layout="wide")

PAGES = {
    "Start": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/data.py", title="Data", icon="📚", url_path="data"),
    ],
    "Use models": [
        st.Page("pages/classify.py", title="Classify a review", icon="💬", url_path="classify"),
        st.Page("pages/next_word.py", title="Next word", icon="⌨️", url_path="next_word"),
    ],
    "Train and compare": [
        st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
        st.Page("pages/compare.py", title="Compare", icon="⚖️", url_path="compare"),
    ],
    "Understand": [
        st.Page("pages/inside_the_cell.py", title="Inside the cell", icon="🔬",
                url_path="inside_the_cell"),
    ],
}

navigation = st.navigation(PAGES)
dataset_sidebar()
navigation.run()
