"""导入 Import: upload documents (and optionally a corpus.yaml), store them segmented, then auto-code them;
or REFI-QDA projects (.qdpx) and codebooks (.qdc) from NVivo, ATLAS.ti, MAXQDA or QualCoder, shown with their report."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from coding.analysis import KIND_LABELS
from coding.autocode import code_project
from coding.corpus import KINDS, DocumentMeta
from coding.refi import import_refi_upload
from coding.uploads import DUPLICATE, IMPORTED, Upload, import_uploads, parse_cases, participants_from_rows
from views._shared import coder, md, project, run_action

ROLES = "包联人 / 责任人 / 联系人 / 信访人 / 职能部门 / 研究者 / 工作人员 / 其他"
RESULT_LABELS = {IMPORTED: "✓ 已导入 imported", DUPLICATE: "= 已存在 already in the project"}
LAST = "import_last"  # session key: the last import's results, shown until the next import

p = project()
st.session_state.setdefault("import_nonce", 0)
nonce = st.session_state["import_nonce"]

st.title("导入 Import")
st.caption("上传文档后，系统会检测编码、切分段落 / 句子 / 话轮，并按编码本规则自动给出建议。"
           " Upload documents: they are segmented and auto-coded by the codebook's rules.")

files = st.file_uploader("文档 Documents (.txt / .docx / .pdf / .md，可多选 several at once；"
                         "或 REFI-QDA 项目 .qdpx / 编码本 .qdc)",
                         type=["txt", "docx", "pdf", "md", "qdpx", "qdc"], accept_multiple_files=True,
                         key=f"import_files_{nonce}",
                         help="文本文件的编码（UTF-8、GBK、Big5…）会自动识别 — text encodings are detected. "
                              ".qdpx/.qdc 来自 NVivo、ATLAS.ti、MAXQDA、QualCoder — REFI-QDA exchange files: "
                              "codes, documents, coders' codings and memos are imported.")
manifest = st.file_uploader("元数据清单 corpus.yaml（可选 optional）", type=["yaml", "yml"], key=f"import_manifest_{nonce}",
                            help="清单里按文件名找到的条目优先于下面的字段 — entries found by file name "
                                 "override the fields below.")

st.markdown("##### 元数据 Metadata")
st.caption("用于本次上传中清单未说明的文件 — used for every file the manifest does not describe.")
c1, c2, c3 = st.columns(3)
kind = c1.selectbox("文档类型 kind", KINDS, format_func=lambda k: KIND_LABELS.get(k, k), key="import_kind")
day = c2.date_input("日期 date（可选 optional）", value=None, min_value=date(1949, 1, 1), key="import_date",
                    format="YYYY-MM-DD")
source = c3.text_input("来源 source（可选 optional）", key="import_source")
cases = st.text_input("案件 cases（逗号分隔 comma-separated）", key="import_cases", placeholder="WXG, GJQ, ZSQ")
st.markdown("参与者 Participants（说话人标签与角色 speaker labels and roles）")
people = st.data_editor(
    pd.DataFrame({"name": pd.Series(dtype="str"), "role": pd.Series(dtype="str")}),
    num_rows="dynamic", width="stretch", key="import_participants", hide_index=True,
    column_config={
        "name": st.column_config.TextColumn("名字 name", help="转写中的说话人标签，如 LHY、访谈者 — the speaker label"),
        "role": st.column_config.TextColumn("角色 role", help=f"常用 usual: {ROLES}"),
    },
)

REFI_TYPES = (".qdpx", ".qdc")
if st.button("开始导入 Import", type="primary", disabled=not files, key="import_go"):
    refi_files = [f for f in files if f.name.lower().endswith(REFI_TYPES)]
    files = [f for f in files if not f.name.lower().endswith(REFI_TYPES)]
    refi_reports = []
    for f in refi_files:
        refi_report = run_action(import_refi_upload, p, f.name, f.getvalue(), user=coder())
        if refi_report is not None:
            refi_reports.append(refi_report.lines())
    st.session_state["import_refi_last"] = refi_reports
    if refi_files and not files:
        if refi_reports:
            st.session_state[LAST] = None
            st.session_state["import_nonce"] = nonce + 1
            st.rerun()
    participants = run_action(participants_from_rows, people.to_dict("records")) if files else None
    if participants is not None:
        defaults = DocumentMeta(kind=kind, date=day.isoformat() if day else None, source=source.strip() or None,
                                participants=participants, cases=parse_cases(cases))
        uploads = [Upload(f.name, f.getvalue()) for f in files]
        extra = Upload(manifest.name, manifest.getvalue()) if manifest is not None else None
        bar = st.progress(0.0, text="准备 preparing")
        report = run_action(import_uploads, p, uploads, manifest=extra, defaults=defaults, coder=coder(),
                            progress=lambda fraction, label: bar.progress(min(fraction, 1.0), text=label))
        if report is None:
            bar.empty()
        else:
            bar.progress(1.0, text="导入完成 import done")
            last = {"results": report.results, "unlisted": report.unlisted, "coded": None}
            if report.imported:
                coding_bar = st.progress(0.0, text="自动编码 auto-coding")
                run = run_action(code_project, p, progress=lambda done, total, _name: coding_bar.progress(
                    done / max(total, 1), text=f"自动编码 auto-coding {done}/{total}"))
                coding_bar.empty()
                last["coded"] = run if run is not None else "failed"
            st.session_state[LAST] = last
            st.session_state["import_nonce"] = nonce + 1  # new uploader keys: empty for the next import
            st.rerun()

refi_last = st.session_state.get("import_refi_last")
if refi_last:
    st.markdown("##### REFI-QDA 导入结果 Results")
    for lines in refi_last:
        st.success(f"已导入 imported: {md(lines[0])}")
        st.text("\n".join(lines[1:]))  # plain text: names from the file are never rendered as markdown

last = st.session_state.get(LAST)
if last:
    results = last["results"]
    st.markdown("##### 导入结果 Results")
    n_ok = sum(r.status == IMPORTED for r in results)
    n_dup = sum(r.status == DUPLICATE for r in results)
    refused = [r for r in results if r.status not in RESULT_LABELS]
    m1, m2, m3 = st.columns(3)
    m1.metric("已导入 imported", n_ok)
    m2.metric("已存在 duplicates", n_dup)
    m3.metric("拒绝 refused", len(refused))
    st.dataframe(
        pd.DataFrame([{"file": r.name, "result": RESULT_LABELS.get(r.status, "✗ 拒绝 refused"),
                       "document": r.document_id, "detail": r.detail} for r in results]),
        hide_index=True, width="stretch",
        column_config={"file": "文件 file", "result": "结果 result", "document": "文档号 document id",
                       "detail": "原因 / 说明 reason"},
    )
    if refused:
        st.error(f"{len(refused)} 个文件未导入，原因如下（改好后可重新上传）— "
                 f"{len(refused)} file(s) refused; fix them and upload again:")
        for r in refused:
            st.text(f"✗ {r.name}: {r.detail}")
    if last["unlisted"]:
        with st.expander(f"清单中有 {len(last['unlisted'])} 个条目没有上传对应文件（已忽略）"
                         f" — manifest entries without an uploaded file (ignored)"):
            st.text("\n".join(last["unlisted"]))
    coded = last["coded"]
    if coded == "failed":
        st.warning("文档已导入，但自动编码没有完成；可以再试一次 — imported, but auto-coding did not finish.")
        if st.button("重新自动编码 Run auto-coding again", key="import_recode"):
            run = run_action(code_project, p)
            if run is not None:
                last["coded"] = run
                st.rerun()
    elif coded is not None:
        st.success(f"自动编码完成 auto-coded: {coded.documents} 篇文档 documents, "
                   f"{coded.added} 条新建议 new suggestions.")
    if n_ok:
        c1, c2 = st.columns(2)
        with c1:
            st.page_link("views/review_queue.py", label="去审核新建议 Review the suggestions", icon="✅")
        with c2:
            st.page_link("views/document_coding.py", label="阅读并编码 Read and code", icon="🖍️")
