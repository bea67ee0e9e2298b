"""Placeholder: filled by its issue."""

import streamlit as st

st.title("next_word")
st.info("Coming soon.")
