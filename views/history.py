"""历史 History page (being built)."""

import streamlit as st

st.title("历史 History")
