"""导出 Export page (being built)."""

import streamlit as st

st.title("导出 Export")
