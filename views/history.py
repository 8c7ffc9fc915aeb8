"""历史 History: the audit trail (who did what, when, before/after) filtered by document, code, user or segment;
for admins also the deleted documents, each with a restore button, and deleting a document.

Everything shown from the project (titles, memos in summaries, names) goes through widgets that do not
render markdown or HTML (st.dataframe, st.text, st.json) or through esc().
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from coding.audit import action_label, history
from coding.decisions import undo_last
from coding.roles import Permission
from coding.trash import delete_document, deleted_documents, restore_document
from views._shared import can, coder, md, project, run_action

FILTERS = {"all": "全部 All", "document": "文档 Document", "code": "编码 Code", "user": "用户 User",
           "segment": "片段 Segment"}

p = project()
st.title("历史 History")
st.caption("每一次更改都记录在只追加的日志中：谁、何时、做了什么、之前与之后 — "
           "every change is in the append-only log: who, when, what, before and after.")


def _short(value) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 160 else text[:157] + "…"


# -- undo one's own last change --------------------------------------------------------------------------
if coder() and can(Permission.CODE):
    undo_col, note_col = st.columns([1, 3], vertical_alignment="center")
    if undo_col.button("↶ 撤销我的上一步 Undo my last change", key="hist_undo",
                       help="撤销你自己最近的一次编码、决定、调整、移除或备忘；再点一次继续往前 — undoes your own most "
                            "recent coding, decision, resize, removal or memo; click again to go further back"):
        result = run_action(lambda: [undo_last(p, coder=coder())])  # None: refused, with the reason shown
        if result is not None:
            note_col.text(f"已撤销 undone: {action_label(result[0])}" if result[0]
                          else "没有可撤销的更改 — nothing of yours to undo")

# -- filters ---------------------------------------------------------------------------------------------
docs = p.documents()
codebook = p.codebook()
cols = st.columns([1, 2, 1])
kind = cols[0].selectbox("按 Filter by", list(FILTERS), format_func=FILTERS.get, key="hist_kind")
kwargs: dict = {}
if kind == "document":
    trashed = {d.id: d.title for d in deleted_documents(p)}
    options = {d.id: d.title for d in docs} | {i: f"{t} (已删除 deleted)" for i, t in trashed.items()}
    if options:
        kwargs["document"] = cols[1].selectbox("文档 Document", list(options), key="hist_doc",
                                               format_func=lambda i: f"#{i} {options[i]}")
elif kind == "code" and codebook is not None:
    codes = {c.id: c.name for c in codebook.codes}
    kwargs["code"] = cols[1].selectbox("编码 Code", list(codes), key="hist_code",
                                       format_func=lambda k: f"{k} {codes[k]}")
elif kind == "user":
    users = p.coders()
    if users:
        kwargs["user"] = cols[1].selectbox("用户 User", users, key="hist_user")
elif kind == "segment":
    kwargs["segment"] = int(cols[1].number_input("片段编号 Segment id", min_value=1, step=1, key="hist_seg",
                                                 help="见文档编码页 — segment ids are shown on the coding page"))
limit = int(cols[2].number_input("最多 At most", min_value=10, max_value=5000, value=200, step=50, key="hist_limit"))

entries = run_action(history, p, limit=limit, as_user=coder(), **kwargs) if (kind == "all" or kwargs) else []
if entries is not None:
    if not entries:
        st.info("没有符合条件的记录 — no events match.")
    else:
        frame = pd.DataFrame([{
            "#": e.id, "时间 When (UTC)": e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else "",
            "用户 User": e.user or "系统 system", "操作 Action": e.action, "摘要 Summary": e.summary,
            "之前 Before": _short(e.before), "之后 After": _short(e.after),
        } for e in entries])
        st.dataframe(frame, hide_index=True, width="stretch", key="hist_table")
        st.caption(f"{len(entries)} 条记录 events, 最新在前 newest first")
        with st.expander("查看一条记录的完整内容 Full before/after of one event"):
            pick = st.selectbox("记录 Event", [e.id for e in entries], key="hist_pick",
                                format_func=lambda i: f"#{i}")
            chosen = next(e for e in entries if e.id == pick)
            st.text(chosen.summary)
            left, right = st.columns(2)
            left.markdown("**之前 Before**")
            left.json(chosen.before if chosen.before is not None else {})
            right.markdown("**之后 After**")
            right.json(chosen.after if chosen.after is not None else {})
            if chosen.changes:
                st.markdown("**编码本的改动 Codebook changes** (之前, 之后 before, after)")
                st.json(chosen.changes)

# -- deleted documents (admins) ----------------------------------------------------------------------------
if can(Permission.MANAGE):
    st.subheader("已删除的文档 Deleted documents")
    trash = deleted_documents(p)
    if not trash:
        st.caption("回收站是空的 — no deleted documents.")
    for d in trash:
        row = st.columns([4, 2, 1])
        row[0].text(f"#{d.id} {d.title} ({d.filename})")
        row[1].text(f"{d.deleted_at:%Y-%m-%d %H:%M} · {d.deleted_by or '—'} · {d.codings} 编码 codings")
        if row[2].button("恢复 Restore", key=f"hist_restore_{d.id}"):
            if run_action(lambda i=d.id: restore_document(p, i, by=coder()) or True,
                          success=f"已恢复 restored #{d.id}"):
                st.rerun()
    with st.expander("删除文档 Delete a document"):
        st.caption("文档移入回收站，编码保留，可随时恢复 — the document goes to the trash with its codings; "
                   "it can be restored here.")
        live = {d.id: d.title for d in docs}
        if live:
            target = st.selectbox("文档 Document", list(live), key="hist_delete_doc",
                                  format_func=lambda i: f"#{i} {live[i]}")
            gen = st.session_state.setdefault("hist_delete_gen", 0)
            sure = st.checkbox("确认删除 I am sure", key=f"hist_delete_sure_{gen}")
            if st.button("删除 Delete", key="hist_delete", disabled=not sure, type="primary"):
                if run_action(lambda: delete_document(p, target, by=coder()) or True,
                              success=f"已删除 deleted #{target}"):
                    st.session_state["hist_delete_gen"] = gen + 1  # a fresh, unticked confirmation
                    st.rerun()
elif coder():
    st.caption(f"{md(coder())}：只有管理员可以删除或恢复文档 — only admins delete or restore documents.")
