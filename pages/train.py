"""Placeholder: filled by its issue."""

import streamlit as st

st.title("train")
st.info("Coming soon.")
