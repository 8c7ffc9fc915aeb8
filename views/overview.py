"""项目概览 Overview: what is in the project, what the machine suggested, who decided what, and what to do next."""

from __future__ import annotations

import streamlit as st

from coding.analysis import coder_progress, documents_by_kind, status_counts
from coding.document_variables import check_name, set_variables, value_text, variables_frame
from coding.roles import Permission
from coding.variable_tables import parse_variable_table
from views._shared import can, coder, md, project, run_action

p = project()
me = coder()
codebook = p.codebook()
kinds = documents_by_kind(p)
codes = status_counts(p, as_user=me)  # while blinded: only my own decisions count
mine = status_counts(p, coder=me, as_user=me) if me else None

n_docs = int(kinds["documents"].sum()) if not kinds.empty else 0
n_pending = int(codes["pending"].sum()) if not codes.empty else 0
n_accepted = int((codes["accepted"] + codes["added"]).sum()) if not codes.empty else 0
n_mine = int(mine["pending"].sum()) if mine is not None and not mine.empty else None

st.title("项目概览 Overview")

# -- what to do next ----------------------------------------------------------------------------
with st.container(border=True):
    st.markdown("#### 下一步 What to do next")
    if n_docs == 0:
        st.markdown("项目里还没有文档。先导入访谈记录、政策文件或会议纪要，系统会切分句子并按编码本规则自动给出编码建议。"
                    "  \nNo documents yet: import some, and the rules suggest codes at once.")
        st.page_link("views/import_documents.py", label="导入文档 Import documents", icon="📥")
    else:
        pending_for = f"其中 **{n_mine}** 条等你决定" if n_mine is not None else "在侧栏填写姓名后即可开始决定"
        st.markdown(
            f"机器已按编码本规则提出 **{int(codes['suggestions'].sum()) if not codes.empty else 0}** 条编码建议"
            f"（尚无人决定的 **{n_pending}** 条；{pending_for}）。"
            "在 **审核队列** 里逐条或批量接受 / 拒绝建议，或在 **文档编码** 中阅读原文、查看证据并亲手编码；"
            "你的每个决定都会记下姓名与时间，随时可以撤销。  \n"
            "The rules have already suggested codes: accept or reject them in the review queue, "
            "or read a document and code it yourself."
        )
        c1, c2, c3 = st.columns(3)
        with c1:
            st.page_link("views/review_queue.py", label="审核队列 Review queue", icon="✅")
        with c2:
            st.page_link("views/document_coding.py", label="文档编码 Document coding", icon="🖍️")
        with c3:
            st.page_link("views/import_documents.py", label="导入更多 Import more", icon="📥")
    if not me:
        st.caption("提示 tip: 在侧栏输入你的姓名 — choose your coder name on the sidebar so your decisions are recorded.")

# -- key figures ----------------------------------------------------------------------------------
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("文档 Documents", n_docs)
m2.metric("句子 Sentences", int(kinds["sentence"].sum()) if not kinds.empty else 0)
m3.metric("待定建议 Pending", n_pending if n_mine is None else n_mine,
          help="尚无人决定的建议；填写姓名后为等你决定的建议 — undecided (by you, once your name is set)")
m4.metric("已接受编码 Accepted", n_accepted, help="接受的建议与手动添加的编码 — accepted suggestions and codes added by hand")
m5.metric("编码本版本 Codebook", codebook.version if codebook else "—")

# -- documents ----------------------------------------------------------------------------------------
left, right = st.columns([2, 3])
with left:
    st.subheader("文档 Documents")
    if kinds.empty:
        st.info("暂无文档 no documents yet")
    else:
        st.dataframe(
            kinds.drop(columns="kind"), hide_index=True, width="stretch",
            column_config={
                "kind_label": "类型 kind", "documents": "文档 docs", "characters": "字数 chars",
                "paragraph": "段落 paragraphs", "sentence": "句子 sentences", "turn": "话轮 turns",
            },
        )
    st.subheader("编码本 Codebook")
    if codebook is None:
        st.warning("项目还没有编码本 — the project has no codebook (load one with `baolian init --codebook`).")
    else:
        codable = codebook.codable_codes()
        st.markdown(f"**{md(codebook.title)}**  \n版本 version **{md(codebook.version)}** · "
                    f"{len(codable)} 个可用编码 codable codes · {len(codebook.roots())} 个类别 groups")
        st.page_link("views/codebook_editor.py", label="查看与编辑编码本 Browse and edit", icon="📚")

with right:
    st.subheader("编码员进度 Progress per coder")
    progress = coder_progress(p, as_user=me)
    if progress.empty:
        st.info("还没有编码员 — no coders yet. 在侧栏填写姓名 choose a name on the sidebar.")
    else:
        st.dataframe(
            progress, hide_index=True, width="stretch",
            column_config={
                "coder": "编码员 coder", "accepted": "接受 accepted", "rejected": "拒绝 rejected",
                "added": "手动添加 added", "decided": "已决定 decided", "pending": "待定 pending",
                "progress": st.column_config.ProgressColumn("进度 progress", min_value=0.0, max_value=1.0,
                                                            format="percent"),
                "documents": "涉及文档 documents",
                "last_change": st.column_config.DatetimeColumn("最近 last change", format="YYYY-MM-DD HH:mm"),
            },
        )

# -- per code -----------------------------------------------------------------------------------------------
st.subheader("各编码的建议与决定 Suggestions and decisions per code")
if codes.empty:
    st.info("还没有任何编码或建议 — no codings or suggestions yet.")
else:
    table = codes.drop(columns=["group", "color"])
    if mine is not None:
        table = table.assign(mine=table["code"].map(dict(zip(mine["code"], mine["pending"]))).fillna(0).astype(int))
    st.caption("待定 = 尚无任何编码员决定的机器建议；接受 / 拒绝按编码员分别计数。"
               " Pending = suggestions no coder has decided; accepted/rejected count each coder's decisions.")
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={
            "code": "编码 code", "name": "名称 name", "group_name": "类别 group", "retired": "已停用 retired",
            "suggestions": "建议 suggestions", "pending": "待定 pending", "accepted": "接受 accepted",
            "rejected": "拒绝 rejected", "added": "手动添加 added", "mine": "等我决定 pending for me",
        },
    )

# -- document variables -------------------------------------------------------------------------------------
st.subheader("文档变量 Document variables")
st.caption("每份文档的属性（如 街道、年份、受访者职级），统计分析可按变量分组；管理员可在表中修改，清空即删除。"
           " — Facts about each document (district, year, rank …) that analyses group by (按 by: 变量 variable); "
           "admins edit them here (an empty cell removes the value) or import a spreadsheet (below, or "
           "`baolian variables import`).")
variables = variables_frame(p)
FIXED = {"document_id": "#", "document": "文档 document", "kind": "类型 kind", "date": "日期 date"}
if variables.empty:
    st.info("暂无文档 no documents yet")
elif not (me and can(Permission.MANAGE)):
    st.dataframe(variables, hide_index=True, width="stretch", column_config=FIXED)
else:
    state = st.session_state
    if state.get("ov_vars_flash"):
        st.success(state.pop("ov_vars_flash"))
    for name in state.get("ov_new_vars", []):
        if name not in variables.columns:
            variables[name] = None
    names = [c for c in variables.columns if c not in FIXED]
    v1, v2 = st.columns([3, 1])
    new_name = v1.text_input("新变量 New variable", key="ov_new_name", placeholder="如 街道",
                             label_visibility="collapsed")
    if v2.button("➕ 添加变量列 Add column", key="ov_add_var", disabled=not new_name.strip()):
        name = run_action(check_name, new_name)
        if name is not None and name not in variables.columns:
            state["ov_new_vars"] = [*state.get("ov_new_vars", []), name]
            state["ov_vars_gen"] = state.get("ov_vars_gen", 0) + 1
            st.rerun()
    with st.expander("📄 从表格导入 Import from a spreadsheet (.xlsx / .csv)"):
        st.caption("每行一份文档：一列 document_id、document（标题）或 filename，其余每列一个变量；空格不改动。"
                   " — One row per document: a column document_id, document (title) or filename, every other "
                   "column a variable; empty cells change nothing.")
        sheet = st.file_uploader("变量表 Variables table", type=["xlsx", "csv"], key="ov_vars_file")
        if st.button("导入变量 Import variables", key="ov_vars_import", disabled=sheet is None):
            changes = run_action(parse_variable_table, sheet.getvalue(), sheet.name, p.documents())
            done = run_action(set_variables, p, changes, by=me) if changes is not None else None
            if done is not None:
                state["ov_vars_gen"] = state.get("ov_vars_gen", 0) + 1
                state["ov_vars_flash"] = (f"已导入 imported {md(sheet.name)}: {done} 份文档有变化 documents changed "
                                          f"（{len(changes)} 行 rows）")
                st.rerun()
    with st.form("ov_vars_form", border=False):
        edited = st.data_editor(
            variables, key=f"ov_vars_{state.get('ov_vars_gen', 0)}", hide_index=True, num_rows="fixed",
            width="stretch", disabled=list(FIXED),
            column_config={**FIXED, **{n: st.column_config.TextColumn(n, max_chars=2000) for n in names}})
        if st.form_submit_button("💾 保存变量 Save variables", type="primary"):
            changes: dict[int, dict[str, str | None]] = {}
            for (_, old), (_, new) in zip(variables.iterrows(), edited.iterrows()):
                for name in names:
                    before, after = value_text(old[name]), value_text(new[name])
                    if before != after:
                        changes.setdefault(int(old["document_id"]), {})[name] = after
            done = run_action(set_variables, p, changes, by=me) if changes else 0
            if done is not None:
                state["ov_new_vars"] = []
                state["ov_vars_gen"] = state.get("ov_vars_gen", 0) + 1
                state["ov_vars_flash"] = f"已保存 saved: {done} 份文档 documents"
                st.rerun()
