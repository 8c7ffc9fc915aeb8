"""导出 Export: data tables (CSV, XLSX), tables for papers (DOCX, LaTeX, Markdown) and REFI-QDA (QDC, QDPX)."""

from __future__ import annotations

import streamlit as st

from coding.analysis import codes_frame
from coding.analysis_data import data_version, visible_coder
from coding.errors import BaolianError
from coding.exports import FORMATS, default_name, export_bytes
from coding.exports import tables as tb
from views._shared import coder as current_coder, document_scope, md
from views._shared import project

ALL = "*"
MIME = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "latex": "application/x-tex", "md": "text/markdown", "qdc": "application/xml", "qdpx": "application/zip",
}
LABELS = {"csv": "CSV (zip)", "xlsx": "Excel (XLSX)", "docx": "Word (DOCX)", "latex": "LaTeX", "md": "Markdown",
          "qdc": "REFI-QDA 编码本 (QDC)", "qdpx": "REFI-QDA 项目 (QDPX)"}

p = project()
st.title("导出 Export")
st.caption("数据表（CSV、Excel）、论文表格（Word 三线表、LaTeX、Markdown）与 REFI-QDA 交换文件。每个导出都记录编码本版本、"
           "筛选条件与日期。 Data tables, tables for papers and REFI-QDA files; every export records the codebook "
           "version, the filters and the date.")

codes = codes_frame(p)
codable = codes[codes["codable"] & ~codes["retired"]]
c1, c2, c3, c4 = st.columns([2, 3, 3, 1])
who = c1.selectbox("编码员 coder", [ALL, *p.coders()], key="exp_coder",
                   format_func=lambda c: "全部编码员 all coders" if c == ALL else c)
with c2:
    pending = st.toggle("包括待定建议 include suggestions", key="exp_pending",
                        help="把尚未决定的机器建议也算进来（引语只取已接受的编码） — count undecided suggestions too")
chosen = c3.multiselect("编码 codes（含子编码 with sub-codes）", list(codable["code"]), key="exp_codes",
                        format_func=dict(zip(codable["code"], codable["label"])).get,
                        placeholder="全部编码 all codes")
n_quotes = c4.number_input("引语数 quotes", min_value=1, max_value=20, value=3, step=1, key="exp_quotes")

me = current_coder()
# In blind mode before adjudication a coder sees (and exports) only their own codings.
shown_coder = visible_coder(p, None if who == ALL else who, me)
if shown_coder is not None and shown_coder != (None if who == ALL else who):
    st.info(f"盲编模式：只导出您自己的编码（{md(shown_coder)}）。 Blind mode: only your own codings are exported.")
chosen_documents = document_scope(p, "exp_where")
filters = tb.make_filters(("accepted", "suggested") if pending else ("accepted",), shown_coder,
                          chosen or None, int(n_quotes), chosen_documents)


def _available(fmt: str) -> bool:
    """REFI-QDA exports come from coding.refi; the button is disabled until that module provides them."""
    if fmt not in ("qdc", "qdpx"):
        return True
    try:
        from coding import refi
    except ImportError:
        return False
    return hasattr(refi, f"export_{fmt}")


def _maker(fmt: str, user: str | None):
    """The bytes of one export, made only when its button is clicked. It runs in Streamlit's download thread,
    without the page's session: everything it needs is bound here."""
    project_, filters_ = p, filters

    def make() -> bytes:
        data, _name = export_bytes(project_, fmt, coder=filters_.coder, status=filters_.status,
                                   codes=filters_.codes, n_quotes=filters_.n_quotes, user=user, as_user=user,
                                   documents=None if fmt == "qdc" else filters_.documents)
        return data
    return make


@st.cache_data(show_spinner=False, max_entries=32)
def _preview(url: str, version: tuple, _p, filters: tb.Filters) -> tb.Tables:
    """The tables for the previews, cached per project, data version and filters."""
    return tb.build(_p, filters)


try:
    t = _preview(p.url, data_version(p), p, filters)
except BaolianError as exc:
    st.error(f"无法生成表格 Cannot build the tables: {md(exc)}")
    st.stop()

st.subheader("下载 Download")
for column, fmt in zip(st.columns(4) + st.columns(4), FORMATS):
    with column:
        st.download_button(f"⬇ {LABELS[fmt]}", _maker(fmt, me), file_name=default_name(fmt),
                           mime=MIME[fmt],
                           key=f"exp_dl_{fmt}", help=FORMATS[fmt][1], on_click="ignore", width="stretch",
                           disabled=not _available(fmt))
st.caption("CSV：每表一个 CSV 文件（zip）；Excel：每表一个工作表；Word / LaTeX / Markdown：频次表、典型引语、三级编码表、"
           "附录编码本；REFI-QDA 项目：所选文档（未选则整个项目）及其编码、备忘，连同完整编码本，其余筛选不适用。"
           " CSV: one file per table (zip); Excel: one sheet per table; Word / LaTeX / Markdown: frequencies, quotes, "
           "three-level coding table, codebook appendix; REFI-QDA project: the documents chosen (else all) with "
           "their codings and memos and the whole codebook; the other filters do not apply.")

st.subheader("预览 Preview")
st.caption(f"编码本 codebook {t.meta['codebook']} v{t.meta['codebook_version']} · {md(filters.describe())} · "
           f"{t.meta['exported_at']}")
if t.segments.empty:
    st.info("没有符合条件的编码片段。先在审核队列接受一些建议，或打开“包括待定建议”。"
            " No coded segments match: accept some suggestions first, or include suggestions.")
tabs = st.tabs(["频次 frequencies", "典型引语 quotes", "三级编码 coding levels", "编码片段 segments",
                "编码本 codebook"])
previews = [t.frequencies, t.quotes, t.levels, t.segments.head(200), t.codebook]
for tab, frame in zip(tabs, previews):
    with tab:
        st.dataframe(frame, hide_index=True, width="stretch")
