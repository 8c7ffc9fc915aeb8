"""摘要表 Summaries: for one code, each document's coded segments beside the coder's own summary of them, written
and saved in one table (MAXQDA's Summary Grid, NVivo's framework matrix); the summary table (documents × codes)
downloads as CSV and is part of the CSV/XLSX exports.

Texts are shown only through st.data_editor / st.dataframe, which render no markdown or HTML.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding.analysis_data import data_version
from coding.roles import Permission
from coding.summaries import set_summaries, summary_grid, summary_table
from views._shared import can, coder, document_scope, project, run_action, working_documents

ALL = "*"
MINE = "我的摘要 My summary"

p = project()
me = coder()
state = st.session_state
st.title("摘要表 Summaries")
st.caption("选一个编码：每份文档中编码的片段与你的摘要并排，直接在表中写、改（清空即删除），一次保存，“撤销”一次撤回。"
           " — Pick a code: each document's coded segments beside your summary of them; write or change summaries "
           "in the table (empty removes), save once; one undo takes the save back.")


@st.cache_data(show_spinner=False, max_entries=32)
def grid(url: str, version: tuple, code: str, who: str | None, segment_coder: str | None, pending: bool,
         docs: tuple | None, only_coded: bool, _p):
    return summary_grid(_p, code, coder=who, segment_coder=segment_coder, as_user=who, documents=docs,
                        status=("accepted", "pending") if pending else ("accepted",), only_coded=only_coded)


def _new_table() -> None:
    state["sum_gen"] = state.get("sum_gen", 0) + 1


codebook = p.codebook()
codes = {c.id: c.name for c in codebook.codes} if codebook is not None else {}
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
code = c1.selectbox("编码 Code", list(codes), format_func=lambda k: f"{k} {codes[k]}", key="sum_code", index=None,
                    placeholder="选择编码 pick a code", on_change=_new_table)
segment_coder = c2.selectbox("片段来自 Segments by", [ALL, *p.coders()], key="sum_coder", on_change=_new_table,
                             format_func=lambda c: "全部编码员 all coders" if c == ALL else c)
pending = c3.toggle("包括待定建议 include pending", key="sum_pending", on_change=_new_table)
only_coded = c4.toggle("只看有编码的文档 only documents with codings", value=True, key="sum_only",
                       on_change=_new_table)
scope = document_scope(p, "sum_where", on_change=_new_table)
if state.get("sum_flash"):
    st.success(state.pop("sum_flash"))
if code is None:
    st.info("选择一个编码 — pick a code.")
else:
    found = run_action(grid, p.url, data_version(p), code, me, None if segment_coder == ALL else segment_coder,
                       pending, working_documents(p, me, scope), only_coded, p)
    if found is not None and found.empty:
        st.info("没有文档含此编码。No document has this code (switch off “only documents with codings” to write "
                "anyway).")
    elif found is not None:
        table = pd.DataFrame({"文档 Document": found["document"], "片段 Segments": found["segments"],
                              "编码内容 Coded text": found["coded_text"], MINE: found["summary"],
                              "他人摘要 Others": found["others"]})
        allowed = bool(me) and can(Permission.CODE)
        edited = st.data_editor(
            table, key=f"sum_editor_{state.get('sum_gen', 0)}", hide_index=True, num_rows="fixed", width="stretch",
            disabled=[c for c in table.columns if c != MINE or not allowed], row_height=110,
            column_config={"文档 Document": st.column_config.TextColumn("文档 Document", width="medium", pinned=True),
                           "编码内容 Coded text": st.column_config.TextColumn("编码内容 Coded text", width="large"),
                           MINE: st.column_config.TextColumn(MINE, width="medium", max_chars=5000),
                           "他人摘要 Others": st.column_config.TextColumn("他人摘要 Others", width="small"),
                           "片段 Segments": st.column_config.NumberColumn("片段 Segments", width="small")})
        changed = {int(found.at[i, "document_id"]): str(new if isinstance(new, str) else "")
                   for i, (old, new) in enumerate(zip(found["summary"], edited[MINE]))
                   if (new if isinstance(new, str) else "").strip() != old}
        if st.button(f"💾 保存摘要 Save summaries ({len(changed)})", type="primary", key="sum_save",
                     disabled=not (allowed and changed)):
            run = run_action(set_summaries, p, code, changed, coder=me)
            if run is not None:
                _new_table()
                state["sum_flash"] = (f"已保存 saved: 新增 {run.added} added · 修改 {run.changed} changed · "
                                      f"删除 {run.removed} removed。侧栏“撤销”可一次撤回 — Undo takes the save back.")
                st.rerun()
        if not me:
            st.caption("请先在侧栏填写编码员姓名才能写摘要 — choose your coder name on the sidebar to write summaries.")
        elif not allowed:
            st.caption("只读 Read only: 你的角色不能写摘要 — your role cannot write summaries.")

st.divider()
st.subheader("摘要总表 Summary table")
whole = run_action(summary_table, p, as_user=me, documents=scope)
if whole is None or whole.empty:
    st.caption("还没有摘要 — no summaries yet.")
else:
    st.dataframe(whole.drop(columns=["document_id"]), hide_index=True, width="stretch")
    st.download_button("下载摘要总表 Download CSV", whole.to_csv(index=False).encode("utf-8-sig"), key="sum_csv",
                       file_name="baolian_summaries.csv", mime="text/csv", on_click="ignore")
