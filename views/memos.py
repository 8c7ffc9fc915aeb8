"""备忘 Memos: every memo of the project in one table (what it is on, the segment's text, code, who, when),
filtered by coder, code or words, and new memos on the project or on a code. Memos on sentences are written,
edited and deleted on the document coding page.

Memo texts, titles and names are shown only through st.dataframe, which renders no markdown or HTML.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding import decisions
from coding.memos import memo_target
from coding.roles import Permission
from views._shared import can, coder, project, run_action

ON = {"coding": "编码 coding", "code": "编码类目 code", "sentence": "句子 sentence", "paragraph": "段落 paragraph",
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
found = run_action(decisions.memos, p, as_user=me) or []
titles = {d.id: d.title for d in p.documents()}
texts: dict[int, str] = {}


def _segment_text(m: dict) -> str:
    if m["start"] is None or m["document_id"] not in titles:
        return ""
    if m["document_id"] not in texts:
        texts[m["document_id"]] = p.document_text(m["document_id"])
    quote = texts[m["document_id"]][m["start"]:m["end"]]
    return quote if len(quote) <= QUOTE else quote[:QUOTE] + "…"


def _on(m: dict) -> str:
    kind = memo_target(m)
    return ON.get(kind, kind)


rows = [{"#": m["id"], "关于 On": _on(m), "文档 Document": titles.get(m["document_id"], ""),
         "片段 Segment": _segment_text(m), "编码 Code": m["code"] or "", "编码员 Coder": m["coder"] or "",
         "时间 When (UTC)": f"{m['created_at']:%Y-%m-%d %H:%M}", "备忘 Memo": m["text"]}
        for m in found if m["document_id"] is None or m["document_id"] in titles]
if not rows:
    st.info("还没有备忘 — no memos yet.")
    st.stop()
frame = pd.DataFrame(rows)
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
st.caption(f"{len(frame)} / {len(rows)} 条备忘 memos")
st.dataframe(frame, hide_index=True, width="stretch")
