"""信度 Reliability page (being built)."""

import streamlit as st

st.title("信度 Reliability")
