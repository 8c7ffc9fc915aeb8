"""项目概览 Overview: what is in the project, what the machine suggested, who decided what, and what to do next."""

from __future__ import annotations

import streamlit as st

from coding.analysis import coder_progress, documents_by_kind, status_counts
from coding.roles import Permission
from views._shared import can, coder, md, project
from views._variables import variables_section

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
variables_section(p, me, can_manage=bool(me and can(Permission.MANAGE)))
