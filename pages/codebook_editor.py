"""Placeholder: being built."""

import streamlit as st

st.info("建设中 being built")
