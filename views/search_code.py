"""检索编码 Search & code: find the passages where any of a few words occurs (whole jieba words), read them, and
code the ones picked with one click, as MAXQDA codes lexical search results. One undo takes a run back.

Passages are shown only through st.data_editor, which renders no markdown or HTML.
"""

from __future__ import annotations

import streamlit as st

from coding.analysis_data import data_version
from coding.exports.passages import passages_docx
from coding.search_coding import MATCHES, UNITS, find_passages
from views._shared import code_picked, coder, document_scope, pick_rows, project, run_action, working_documents

p = project()
me = coder()
state = st.session_state
st.title("检索编码 Search & code")
st.caption("按结巴整词检索（包联 不会匹配 包联领导 之内；打开“词内也匹配”则按字符串），@概念 代表编码本概念词表中任一词，"
           "多个词以空格或顿号分隔，"
           "任一（或全部）出现即命中；勾选段落后一键编码，“撤销”一次撤回整批。 — Whole jieba words (包联 does not match "
           "inside 包联领导, unless “also inside words” is on; @name stands for any term of the codebook's concept lexicon); "
           "several words separated by spaces or 、 find passages with any (or all) of them; tick passages and code "
           "them in one step, one undo takes the run back.")


@st.cache_data(show_spinner=False, max_entries=32)
def search(url: str, version: tuple, query: str, unit: str, match: str, code: str, who: str | None,
           docs: tuple | None, inside: bool, _p):
    return find_passages(_p, query, unit=unit, match=match, code=code or None, coder=who, documents=docs,
                         inside_words=inside)


def _new_table() -> None:
    """Another search: the ticks of the last table do not carry over."""
    state["sc_gen"] = state.get("sc_gen", 0) + 1


def _add_concept() -> None:
    """The concept picked joins the search words as @name (then the picker is empty again)."""
    name = state.pop("sc_concept", None)
    if name:
        state["sc_query"] = f"{state.get('sc_query', '').strip()} @{name}".strip()
        _new_table()


codebook = p.codebook()
codes = {c.id: c.name for c in codebook.codable_codes()} if codebook is not None else {}
c1, c2, c4, c3 = st.columns([3, 1.4, 1.6, 2])
query = c1.text_input("检索词 Words", key="sc_query", placeholder="如 上门 面对面 到家里", on_change=_new_table)
unit = c2.radio("编码范围 Code", list(UNITS), format_func=UNITS.get, key="sc_unit", on_change=_new_table)
match = c4.radio("匹配 Match", list(MATCHES), format_func=MATCHES.get, key="sc_match", on_change=_new_table,
                 disabled=unit == "hit", help="所有词须在同一句或同一段 — all words in the same sentence or paragraph")
code = c3.selectbox("编码 Code", list(codes), format_func=lambda k: f"{k} {codes[k]}", key="sc_code",
                    index=None, placeholder="选择编码 pick a code", on_change=_new_table)
concepts = list(codebook.concepts) if codebook is not None else []
if concepts:
    c1.selectbox("加入概念词表 Add a concept lexicon", concepts, index=None, key="sc_concept", on_change=_add_concept,
                 format_func=lambda n: f"@{n}（{len(codebook.concepts[n].terms)} 词 terms）",
                 placeholder="编码本的概念词表，如 @领导 — the codebook's lexicons",
                 help="@概念 代表其中任一词：@领导 找到 包联领导、分管领导、区长… — @name stands for any of its terms")
inside = c1.toggle("词内也匹配 also inside words", key="sc_inside", on_change=_new_table,
                   help="不按整词：包联 也匹配 包联领导、包联人 — not whole words: 包联 also finds 包联领导, 包联人")
scope = document_scope(p, "sc_where")
if state.get("sc_flash"):
    st.success(state.pop("sc_flash"))
if not query.strip():
    st.info("输入要检索的词 — type the words to search for.")
    st.stop()

docs = working_documents(p, me, scope)
found = run_action(search, p.url, data_version(p), query, unit, "any" if unit == "hit" else match, code or "", me,
                   docs, inside, p)
if found is None:
    st.stop()
if found.empty:
    st.info("没有找到。No passages found.")
    st.stop()
n_coded = int(found["coded"].sum())
st.caption(f"{len(found)} 处段落 passages，{int(found['hits'].sum())} 次命中 hits"
           + (f"；其中 {n_coded} 处你已编码为 {code} — {n_coded} already coded {code} by you" if code and me else ""))

columns = {
    "段落 Passage": found["text"],
    "检索词 Terms": found["terms"],
    "文档 Document": found["document"],
}
picked = pick_rows(found, columns, f"sc_editor_{state.get('sc_gen', 0)}", {
    "段落 Passage": st.column_config.TextColumn("段落 Passage", width="large"),
    "文档 Document": st.column_config.TextColumn("文档 Document", width="medium"),
    "检索词 Terms": st.column_config.TextColumn("检索词 Terms", width="small")})
d1, d2 = st.columns([1, 1])
d1.download_button("下载表格 Download CSV", found.to_csv(index=False).encode("utf-8-sig"), key="sc_csv",
                   file_name="baolian_search.csv", mime="text/csv", on_click="ignore")
d2.download_button("下载 Word 引语表 Download quotes (Word)",  # made when clicked
                   lambda: passages_docx(p, found, caption="检索结果", asked=f"检索 search: {query.strip()}"), key="sc_docx",
                   file_name="baolian_search.docx", on_click="ignore",
                   mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")

code_picked(p, me, found, picked, code, query=query.strip(), noun="passages", key="sc_apply", flash="sc_flash",
            done=_new_table)
