"""Placeholder: filled by its issue."""

import streamlit as st

st.title("classify")
st.info("Coming soon.")
