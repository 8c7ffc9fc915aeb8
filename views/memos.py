"""备忘 Memos: every memo of the project in one table (what it is on, the segment's text, code, who, when),
filtered by coder, code or words, and new memos on the project or on a code. Memos on sentences are written,
edited and deleted on the document coding page.

Memo texts, titles and names are shown only through st.dataframe, which renders no markdown or HTML.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding import decisions
from coding.exports.memo_table import memo_table
from coding.exports.tables import make_filters
from coding.roles import Permission
from views._shared import can, coder, document_scope, project, run_action

ON = {"coding": "编码 coding", "summary": "摘要 summary", "code": "编码类目 code", "sentence": "句子 sentence", "paragraph": "段落 paragraph",
      "turn": "话轮 turn", "document": "文档 document", "project": "项目 project"}
QUOTE = 60  # characters of the segment's text shown

p = project()
me = coder()
st.title("备忘 Memos")
st.caption("项目中所有备忘：写在哪里、谁、何时 — every memo of the project: what it is on, who wrote it, when. "
           "句子上的备忘在文档编码页写、改、删 — memos on sentences are written and edited on the Document coding page.")

codebook = p.codebook()
codes = {c.id: c.name for c in codebook.codes} if codebook is not None else {}

# -- a new memo on the project or on a code ----------------------------------------------------------------
with st.expander("✍️ 写备忘 New memo (项目或编码 on the project or a code)", expanded=False):
    with st.form("memo_new", clear_on_submit=True, border=False):
        target = st.selectbox("关于 About", ["", *codes], key="memo_target",
                              format_func=lambda k: f"{k} {codes[k]}" if k else "整个项目 the whole project")
        text = st.text_area("备忘 Memo", key="memo_text", height=110)
        allowed = bool(me) and can(Permission.CODE)
        if st.form_submit_button("💾 保存备忘 Save memo", disabled=not allowed):
            if run_action(decisions.add_memo, p, text, coder=me, code=target or None) is not None:
                st.toast("备忘已保存 memo saved")
    if not me:
        st.caption("请先在侧栏填写编码员姓名 — choose your coder name on the sidebar first.")

# -- all memos ---------------------------------------------------------------------------------------------
scope = document_scope(p, "memo_where")  # memos of chosen documents (and those on codes and the project)
table = run_action(memo_table, p, make_filters(documents=scope), as_user=me)
if table is None or table.empty:
    st.info("还没有备忘 — no memos yet.")
    st.stop()
short = table["segment_text"].fillna("").map(lambda t: t if len(t) <= QUOTE else t[:QUOTE] + "…")
frame = pd.DataFrame({
    "#": table["memo"], "关于 On": table["on"].map(lambda kind: ON.get(kind, kind)),
    "文档 Document": table["document"].fillna(""), "片段 Segment": short, "编码 Code": table["code"].fillna(""),
    "编码员 Coder": table["coder"].fillna(""), "时间 When (UTC)": table["created_at"].dt.strftime("%Y-%m-%d %H:%M"),
    "备忘 Memo": table["text"]})
n_all = len(frame)
cols = st.columns([1, 1, 2])
who = cols[0].multiselect("编码员 Coder", sorted(set(frame["编码员 Coder"]) - {""}), key="memo_coders")
about = cols[1].selectbox("编码 Code", ["", *sorted(set(frame["编码 Code"]) - {""})], key="memo_code",
                          format_func=lambda k: k or "全部 all")
words = cols[2].text_input("包含 Containing", key="memo_words", placeholder="备忘或片段中的词 words in memo or segment")
if who:
    frame = frame[frame["编码员 Coder"].isin(who)]
if about:
    frame = frame[frame["编码 Code"] == about]
if words.strip():
    hit = frame["备忘 Memo"].str.contains(words.strip(), regex=False) | \
        frame["片段 Segment"].str.contains(words.strip(), regex=False)
    frame = frame[hit]
st.caption(f"{len(frame)} / {n_all} 条备忘 memos")
st.dataframe(frame, hide_index=True, width="stretch")
