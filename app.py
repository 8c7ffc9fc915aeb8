"""Baolian workbench (Streamlit entry). A thin shell: every action calls `coding`.

    BAOLIAN_PROJECT=demo.sqlite streamlit run app.py
"""

from __future__ import annotations

import streamlit as st

from coding.decisions import undo_last
from views._shared import coder, project, run_action

st.set_page_config(page_title="包联 Baolian", page_icon="📑", layout="wide")

PAGES = [
    st.Page("views/overview.py", title="项目概览 Overview", icon="🏠", default=True, url_path="overview"),
    st.Page("views/import_documents.py", title="导入 Import", icon="📥", url_path="import_documents"),
    st.Page("views/document_coding.py", title="文档编码 Document coding", icon="🖍️", url_path="document_coding"),
    st.Page("views/review_queue.py", title="审核队列 Review queue", icon="✅", url_path="review_queue"),
    st.Page("views/codebook_editor.py", title="编码本 Codebook", icon="📚", url_path="codebook_editor"),
    st.Page("views/frequencies.py", title="统计分析 Analysis", icon="📊", url_path="frequencies"),
    st.Page("views/exports.py", title="导出 Export", icon="📤", url_path="exports"),
    st.Page("views/agreement.py", title="信度 Reliability", icon="🤝", url_path="agreement"),
    st.Page("views/adjudication.py", title="裁决 Adjudication", icon="⚖️", url_path="adjudication"),
    st.Page("views/history.py", title="历史 History", icon="🕘", url_path="history"),
    st.Page("views/members.py", title="成员 Members", icon="👥", url_path="members"),
]

p = project()
with st.sidebar:
    st.markdown("### 包联 Baolian")
    st.caption(f"项目 project: `{p.url}`")
    known = p.coders()
    st.text_input("编码员 Coder", key="coder", placeholder="输入姓名 your name",
                  help="每个决定都会记录编码员与时间 — every decision records who and when. "
                       + (f"已有 known: {', '.join(known)}" if known else ""))
    if coder() and st.button("↶ 撤销 Undo my last action", width="stretch"):
        undone = run_action(undo_last, p, coder=coder())
        st.toast(f"已撤销 undone: {undone}" if undone else "没有可撤销的操作 nothing to undo")

st.navigation(PAGES).run()
