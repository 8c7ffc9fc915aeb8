"""编码查询 Coding query: the sentences or paragraphs that carry a combination of codes (all or any of them, none
of others, in the same unit or within a few units), as NVivo's coding query and MAXQDA's complex coding query find
them; read them, download them, or code the ones picked with another code in one step (one undo takes it back).

Units are shown only through st.data_editor, which renders no markdown or HTML.
"""

from __future__ import annotations

import streamlit as st

from coding.analysis_data import data_version, visible_coder
from coding.coding_query import LEVELS, MATCHES, MAX_NEAR, CodingQuery, run_query, speaker_roles
from coding.errors import BaolianError
from coding.exports.passages import passages_docx
from coding.roles import Permission
from coding.saved_queries import delete_query, save_query, saved_queries
from views._shared import (can, code_picked, coder, document_scope, md, pick_rows, project, run_action,
                           working_documents)

ALL = "*"

p = project()
me = coder()
state = st.session_state
st.title("编码查询 Coding query")
st.caption("找出同时带有（或带有任一）所选编码、且不带排除编码的句子或段落；“邻近”把前后几句（段）也算进来。"
           "编码包括其子编码。勾选结果可一键编为另一个编码，“撤销”一次撤回整批。 — Sentences or paragraphs carrying all "
           "(or any) of the chosen codes and none of the excluded ones, in the same unit or within a few units "
           "either side; a code stands for its sub-codes. Code the units picked in one step; one undo takes it back.")


@st.cache_data(show_spinner=False, max_entries=32)
def ask(url: str, version: tuple, query: CodingQuery, selection: tuple, code: str, who: str | None, _p):
    return run_query(_p, query, **dict(selection), code=code or None, code_coder=who)


@st.cache_data(show_spinner=False, max_entries=8)
def roles_of(url: str, version: tuple, _p) -> list[str]:
    """The speaker roles of the project's sentences, read once per data version (not on every rerun)."""
    return speaker_roles(_p)


def _new_table() -> None:
    """Another query: the ticks of the last table do not carry over."""
    state["cq_gen"] = state.get("cq_gen", 0) + 1


codebook = p.codebook()
all_codes = {c.id: c.name for c in codebook.codes} if codebook is not None else {}
codable = {c.id: c.name for c in codebook.codable_codes()} if codebook is not None else {}
label = lambda k: f"{k} {all_codes.get(k, '')}"  # noqa: E731
if "cq_codes" not in state:  # a link (e.g. a co-occurrence pair of 统计分析 Analysis): coding_query?codes=M2,M5&level=
    linked = [k for k in st.query_params.get("codes", "").split(",") if k in all_codes]
    if linked:
        state["cq_codes"] = linked
        if st.query_params.get("level") in LEVELS:
            state["cq_level"] = st.query_params["level"]
saved = saved_queries(p)
known_roles = roles_of(p.url, data_version(p), p)


def _load_saved() -> None:
    """The saved query picked fills the query's fields."""
    chosen = saved.get(state.get("cq_saved"))
    if chosen is not None:
        state.update(cq_codes=[c for c in chosen.codes if c in all_codes], cq_match=chosen.match,
                     cq_exclude=[c for c in chosen.exclude if c in all_codes], cq_level=chosen.level,
                     cq_near=chosen.near, cq_roles=[r for r in chosen.roles if r in known_roles])
        _new_table()


def _save(name: str, query: CodingQuery) -> None:
    try:
        state["cq_flash"] = f"已保存查询 saved: {md(save_query(p, name, query, coder=me))}"
        state["cq_saved"] = name.strip()
    except BaolianError as exc:
        state["cq_error"] = f"未保存 Not saved: {md(exc)}"


def _delete(name: str) -> None:
    try:
        state["cq_flash"] = f"已删除查询 deleted: {md(delete_query(p, name.strip(), coder=me))}"
        state.pop("cq_saved", None)
    except BaolianError as exc:
        state["cq_error"] = f"未删除 Not deleted: {md(exc)}"


if saved:
    st.selectbox("已存查询 Saved queries", list(saved), index=None, key="cq_saved", on_change=_load_saved,
                 format_func=lambda n: f"{n} — {saved[n].describe()}", placeholder="载入一个已存查询 load a saved query")
c1, c2, c3 = st.columns([3, 1.6, 3])
wanted = c1.multiselect("编码 Codes", list(all_codes), format_func=label, key="cq_codes", on_change=_new_table,
                        placeholder="如 M2、M5 e.g. M2, M5")
match = c2.radio("匹配 Match", list(MATCHES), format_func=MATCHES.get, key="cq_match", on_change=_new_table)
unwanted = c3.multiselect("排除 Not", list(all_codes), format_func=label, key="cq_exclude", on_change=_new_table,
                          placeholder="不得带有的编码 codes the unit must not carry")
d1, d2, d3, d4, d5 = st.columns([1.6, 1.4, 2, 1.6, 1.6])
level = d1.radio("单位 Unit", list(LEVELS), format_func=LEVELS.get, key="cq_level", horizontal=True,
                 on_change=_new_table)
near = d2.number_input("邻近 Near (±)", 0, MAX_NEAR, 0, key="cq_near", on_change=_new_table,
                       help="0 = 同一句/段；1 = 连同前后各一句/段 — 0: the same unit; 1: also the one before and after")
coders = p.coders()
who = d3.selectbox("编码员 coder", [ALL, *coders], format_func=lambda c: "全部编码员 all coders" if c == ALL else c,
                   key="cq_coder", on_change=_new_table)
pending = d4.toggle("包括待定建议 include pending", key="cq_pending", on_change=_new_table)
final = d5.toggle("裁决后的编码 adjudicated", key="cq_final", on_change=_new_table)
roles = st.multiselect("说话人角色 Said by", known_roles, key="cq_roles", on_change=_new_table,
                       placeholder="任何人 anyone", help="只要这些角色说的句/段（如 包联人、信访人）— only units said by "
                                                       "these speaker roles (from the documents' participants)")
scope = document_scope(p, "cq_where", on_change=_new_table)
if state.get("cq_flash"):
    st.success(state.pop("cq_flash"))
if not wanted:
    st.info("选择要查询的编码 — pick the codes to look for.")
    st.stop()

query = run_action(CodingQuery.of, wanted, match=match, exclude=unwanted, level=level, near=int(near), roles=roles)
if query is None:
    st.stop()
with st.expander("💾 保存或删除查询 Save or delete this query"):
    s1, s2, s3 = st.columns([3, 1, 1])
    name = s1.text_input("查询名称 Name", key="cq_save_name", value=state.get("cq_saved") or "",
                         placeholder="如 上门与一事一策")
    s2.button("保存 Save", key="cq_save", on_click=_save, args=(name, query),
              disabled=not (me and can(Permission.CODE) and name.strip()))
    s3.button("删除 Delete", key="cq_delete", on_click=_delete, args=(name,),
              disabled=not (me and name.strip() in saved))
if state.get("cq_error"):
    st.error(state.pop("cq_error"))
selection = {"status": ("accepted", "pending") if pending else ("accepted",),
             "coder": None if who == ALL else who, "layer": "final" if final else "coding", "as_user": me}
if visible_coder(p, selection["coder"], me) != selection["coder"]:
    st.info("盲编模式：只查询您自己的编码，直到裁决开放。 Blind mode: only your own codings until adjudication opens.")
docs = working_documents(p, me, scope)  # a blinded coder queries and codes in assigned documents only
if docs is not None:
    selection["documents"] = docs
target = st.selectbox("编码结果为 Code the results as", list(codable), format_func=label, key="cq_target", index=None,
                      placeholder="选择编码 pick a code", on_change=_new_table)
found = run_action(ask, p.url, data_version(p), query, tuple(selection.items()), target or "", me, p)
if found is None:
    st.stop()
if found.empty:
    st.info(f"没有找到。No units found: {md(query.describe())}")
    st.stop()
n_coded = int(found["coded"].sum())
st.caption(f"{md(query.describe())}：{len(found)} 处 units"
           + (f"；其中 {n_coded} 处你已编码为 {target} — {n_coded} already coded {target} by you"
              if target and me else ""))

columns = {
    "内容 Text": found["text"],
    "编码 Codes": found["codes"],
    "邻近 Near": found["near"],
    "文档 Document": found["document"],
    "说话人 Speaker": found["speaker"],
    "角色 Role": found["speaker_role"],
}
picked = pick_rows(found, columns, f"cq_editor_{state.get('cq_gen', 0)}", {
    "内容 Text": st.column_config.TextColumn("内容 Text", width="large"),
    "文档 Document": st.column_config.TextColumn("文档 Document", width="medium"),
    "邻近 Near": st.column_config.TextColumn("邻近 Near", width="small",
                                           help="只在前后单位中出现的编码 — codes only in the units around")})
d1, d2 = st.columns([1, 1])
d1.download_button("下载表格 Download CSV", found.assign(query=query.describe()).to_csv(index=False).encode("utf-8-sig"),
                   key="cq_csv", file_name="baolian_coding_query.csv", mime="text/csv", on_click="ignore")
d2.download_button("下载 Word 引语表 Download quotes (Word)",  # made when clicked
                   lambda: passages_docx(p, found, caption="编码查询结果", asked=f"编码查询 coding query: {query.describe()}"), key="cq_docx",
                   file_name="baolian_coding_query.docx", on_click="ignore",
                   mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")

code_picked(p, me, found, picked, target, query=f"coding query: {query.describe()}", noun="units", key="cq_apply",
            flash="cq_flash", done=_new_table)
