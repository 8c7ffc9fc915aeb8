"""成员 Members page (being built)."""

import streamlit as st

st.title("成员 Members")
