"""Placeholder: filled by its issue."""

import streamlit as st

st.title("compare")
st.info("Coming soon.")
