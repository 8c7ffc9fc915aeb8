"""Baolian workbench (Streamlit entry). A thin shell: every action calls `coding`."""

from __future__ import annotations

import os

import streamlit as st

from coding.errors import BaolianError
from coding.project import Project

st.set_page_config(page_title="包联 Baolian", layout="wide")
st.title("包联 Baolian · 中文质性研究编码工作台")

location = os.environ.get("BAOLIAN_PROJECT", "demo.sqlite")
try:
    project = Project.open(location)
    info = project.info()
except BaolianError as exc:
    st.error(f"无法打开项目 cannot open project: {exc}")
    st.stop()

cols = st.columns(4)
cols[0].metric("文档 documents", info["documents"])
cols[1].metric("片段 segments", info["segments"])
cols[2].metric("字数 characters", info["characters"])
cols[3].metric("编码本 codebook", info["codebook_version"] or "—")
st.dataframe(
    [
        {"id": d.id, "标题": d.title, "类型": d.kind, "日期": d.date, "字数": d.n_chars,
         "句子": d.n_sentences, "话轮": d.n_turns}
        for d in project.documents()
    ],
    hide_index=True,
)
