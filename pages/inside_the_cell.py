"""Placeholder: filled by its issue."""

import streamlit as st

st.title("inside_the_cell")
st.info("Coming soon.")
