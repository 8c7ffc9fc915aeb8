"""裁决 Adjudication page (being built)."""

import streamlit as st

st.title("裁决 Adjudication")
