"""审核队列 Review queue: every suggestion the coder has not decided yet, filtered, paged, decided in bulk or one by one.

Only the rows shown are fetched (coding.review.review_page). The table's widget key carries a
generation number that changes with every filter, page or decision, so ticks never carry over to
rows the coder has not seen.
"""

from __future__ import annotations

import importlib
import importlib.util

import pandas as pd
import streamlit as st

from coding.decisions import accept, reject
from coding.errors import BaolianError
from coding.review import ReviewFilter, evidence_parts, review_options, review_page
from coding.roles import Permission
from views._shared import can, coder, document_scope, esc, md, project, run_action

PAGE_SIZES = (50, 100, 200, 500)
ORIGINS = {"rule": "规则 rule", "model": "模型 model", "human": "人工 human"}
PICK = "选择 Pick"
COLUMNS = {"score": "得分 Score", "code": "编码 Code", "text": "句子与证据 Sentence 【evidence】",
           "rule": "规则 Rule", "document": "文档 Document", "origin": "来源 Origin"}

state = st.session_state
state.setdefault("rq_gen", 0)


def _new_table() -> None:
    """Filters, page or data changed: start a fresh table (no ticks carried over, "pick all" off)."""
    state["rq_gen"] = state.get("rq_gen", 0) + 1
    state["rq_all"] = False


def _pick_all_changed() -> None:
    state["rq_gen"] = state.get("rq_gen", 0) + 1


def _filters_changed() -> None:
    state["rq_page"] = 1
    _new_table()


def _picked() -> list[int]:
    """Ids of the ticked rows of the table last shown (its edits live in the editor's session state)."""
    ids = state.get("rq_ids", [])
    edits = (state.get(f"rq_editor_{state['rq_gen']}") or {}).get("edited_rows", {})
    ticks = {int(pos): change.get(PICK) for pos, change in edits.items() if PICK in change}
    default = bool(state.get("rq_all"))
    return [i for pos, i in enumerate(ids) if ticks.get(pos, default)]


def _decide(action, verb: str, one: bool = False) -> None:
    """Button callback: runs before the page is drawn again, so the table shows the result at once."""
    ids = [state["rq_focus"]] if one and state.get("rq_focus") is not None else _picked()
    if not ids:
        return
    try:
        action(p, ids, coder=coder())
    except BaolianError as exc:
        state["rq_error"] = f"操作未完成 Not done: {exc}"
        return
    state["rq_flash"] = f"{verb} {len(ids)} 条建议 suggestion(s)."
    _new_table()


p = project()
me = coder() if can(Permission.CODE) else None  # a viewer reads the queue but decides nothing
st.title("审核队列 Review queue")
if flash := state.pop("rq_flash", None):
    st.success(flash)
if problem := state.pop("rq_error", None):
    st.error(md(problem))
if not me and coder():
    st.info("只读 Read only: 你的角色不能接受或拒绝建议 — your role cannot accept or reject suggestions.")
elif not me:
    st.info("在侧栏填写编码员姓名后即可接受或拒绝；现在显示全部机器建议。"
            " — Choose your coder name on the sidebar to accept or reject; showing all machine suggestions.")

# -- filters ---------------------------------------------------------------------------------
opts = review_options(p, coder=me, as_user=me)
code_labels = {key: f"{key} {name} ({n})" for key, name, n in opts.codes}
doc_labels = {doc_id: f"{title} ({n})" for doc_id, title, n in opts.documents}
for key, labels in (("rq_codes", code_labels), ("rq_docs", doc_labels)):  # keep chosen items offered
    for item in state.get(key, []):
        labels.setdefault(item, f"{item} (0)")
origins = sorted(set(opts.origins) | ({state["rq_origin"]} if state.get("rq_origin") else set()))

c1, c2, c3, c4 = st.columns([3, 3, 1.4, 2])
codes = c1.multiselect("编码 Code", list(code_labels), format_func=code_labels.get, key="rq_codes",
                       placeholder="全部编码 all codes", on_change=_filters_changed)
docs = c2.multiselect("文档 Document", list(doc_labels), format_func=doc_labels.get, key="rq_docs",
                      placeholder="全部文档 all documents", on_change=_filters_changed)
origin = c3.selectbox("来源 Origin", [None, *origins], key="rq_origin", on_change=_filters_changed,
                      format_func=lambda o: "全部 all" if o is None else ORIGINS.get(o, o))
low, high = c4.slider("得分 Score", 0.0, 1.0, (0.0, 1.0), step=0.05, key="rq_score", on_change=_filters_changed)
scope = document_scope(p, "rq_where", on_change=_filters_changed)
if scope is not None:  # documents with a variable's values (and of those picked above, if any)
    docs = [d for d in (docs or scope) if d in set(scope)]
    if not docs:
        st.info("没有符合条件的文档 — no document matches the filter.")
        st.stop()
filt = ReviewFilter(codes=tuple(codes), document_ids=tuple(docs), origin=origin,
                    min_score=low if low > 0 else None, max_score=high if high < 1 else None)

# -- one page of the queue -------------------------------------------------------------------
size = int(state.get("rq_size", PAGE_SIZES[1]))
number = max(1, int(state.get("rq_page", 1)))
page = review_page(p, coder=me, filt=filt, offset=(number - 1) * size, limit=size, as_user=me)
pages = max(1, -(-page.total // size))
if number > pages:  # the queue shrank below this page (decisions, filters): show its last page
    number = pages
    page = review_page(p, coder=me, filt=filt, offset=(number - 1) * size, limit=size, as_user=me)
state["rq_page"] = number  # before the pager widget exists, so this is allowed

n1, n2, n3, n4 = st.columns([3, 1.2, 1.2, 1.6])
n1.markdown(f"**{page.total}** 条待审 pending（共 of {opts.total}） · 第 page {state['rq_page']} / {pages} 页")
n2.number_input("页 Page", min_value=1, max_value=pages, step=1, key="rq_page", on_change=_new_table)
n3.selectbox("每页 Rows", PAGE_SIZES, index=PAGE_SIZES.index(size), key="rq_size", on_change=_filters_changed)
select_all = n4.checkbox("全选本页 Pick all on page", key="rq_all", on_change=_pick_all_changed)

rows = page.rows
table = pd.DataFrame(
    {
        PICK: [bool(select_all)] * len(rows),
        COLUMNS["score"]: [r.score for r in rows],
        COLUMNS["code"]: [f"{r.code} {r.code_name}" for r in rows],
        COLUMNS["text"]: [r.marked for r in rows],
        COLUMNS["rule"]: [r.rules for r in rows],
        COLUMNS["document"]: [r.document for r in rows],
        COLUMNS["origin"]: [ORIGINS.get(r.origin, r.origin) for r in rows],
    },
    index=pd.Index([r.id for r in rows], name="id", dtype="int64"),
).astype({PICK: bool, COLUMNS["score"]: float})  # typed even when empty (the checkbox column needs bool)
edited = st.data_editor(
    table,
    key=f"rq_editor_{state['rq_gen']}",
    hide_index=True,
    num_rows="fixed",
    width="stretch",
    height=min(38 + 35 * max(len(rows), 1), 600),
    disabled=list(COLUMNS.values()),
    column_config={
        PICK: st.column_config.CheckboxColumn(PICK, width="small", help="勾选后批量接受或拒绝 tick to decide in bulk"),
        COLUMNS["score"]: st.column_config.NumberColumn(COLUMNS["score"], format="%.2f", width="small"),
        COLUMNS["code"]: st.column_config.TextColumn(COLUMNS["code"], width="medium"),
        COLUMNS["text"]: st.column_config.TextColumn(COLUMNS["text"], width="large"),
        COLUMNS["rule"]: st.column_config.TextColumn(COLUMNS["rule"], width="medium"),
        COLUMNS["document"]: st.column_config.TextColumn(COLUMNS["document"], width="medium"),
        COLUMNS["origin"]: st.column_config.TextColumn(COLUMNS["origin"], width="small"),
    },
)
state["rq_ids"] = [r.id for r in rows]
picked = [int(i) for i in edited.index[edited[PICK].astype(bool)]] if len(edited) else []

b1, b2, b3 = st.columns([1, 1, 3])
b1.button(f"✓ 接受所选 Accept picked ({len(picked)})", key="rq_accept", type="primary",
          disabled=not (me and picked), width="stretch", on_click=_decide, args=(accept, "已接受 Accepted"))
b2.button(f"✗ 拒绝所选 Reject picked ({len(picked)})", key="rq_reject", disabled=not (me and picked),
          width="stretch", on_click=_decide, args=(reject, "已拒绝 Rejected"))
b3.caption("勾选行后批量决定；下方逐条审核第一条所选（或本页第一条）。"
           " — Tick rows to decide in bulk; below, review the first picked row (or the page's first) one by one.")

# -- one by one ------------------------------------------------------------------------------
st.subheader("逐条审核 One by one")
by_id = {r.id: r for r in rows}
focus = by_id.get(picked[0]) if picked else (rows[0] if rows else None)
if focus is None:
    st.info("没有待审的建议 — nothing pending for these filters.")
else:
    marked = "".join(f"<mark style='background:{esc(focus.color)}55'>【{esc(piece)}】</mark>" if hit else esc(piece)
                     for piece, hit in evidence_parts(focus.unit_text, focus.start, focus.evidence))
    # st.html, not st.markdown: no Markdown is interpreted and Streamlit sanitises the HTML (DOMPurify), so
    # document text and code names stay literal even if a piece were not escaped
    st.html(
        f"<div class='rq-card' style='border-left:6px solid {esc(focus.color)};padding:0.4em 0.8em'>"
        f"<b>{esc(focus.code)} {esc(focus.code_name)}</b> · 得分 score {focus.score or 0:.2f} · "
        f"规则 rule: {esc(focus.rules) or '—'} · {esc(ORIGINS.get(focus.origin, focus.origin))}<br>"
        f"<span style='font-size:1.1em'>{marked}</span><br>"
        f"<small>文档 document: {esc(focus.document)} · #{focus.id} · {focus.start}–{focus.end}</small></div>"
    )
    state["rq_focus"] = focus.id
    o1, o2, _ = st.columns([1, 1, 3])
    o1.button("✓ 接受 Accept", key="rq_one_accept", disabled=not me, width="stretch", on_click=_decide,
              args=(accept, "已接受 Accepted", True))
    o2.button("✗ 拒绝 Reject", key="rq_one_reject", disabled=not me, width="stretch", on_click=_decide,
              args=(reject, "已拒绝 Rejected", True))

# -- retrain ---------------------------------------------------------------------------------
st.subheader("模型 Model")
st.caption("用目前所有的接受/拒绝决定重新训练模型，并显示它的新得分（交叉验证）。"
           " — Train the model from the decisions so far and show its new scores.")
r1, r2 = st.columns([1, 3])
only_mine = r2.checkbox("只用我的决定 Only my decisions", key="rq_train_mine", disabled=not me)
if r1.button("重新训练 Retrain", key="rq_retrain", width="stretch", disabled=not can(Permission.MANAGE)):
    if importlib.util.find_spec("coding.learning") is None:
        st.warning("训练服务尚未就绪 — the learning service (coding/learning.py) is not available yet.")
    else:
        train_from_decisions = importlib.import_module("coding.learning").train_from_decisions
        with st.spinner("训练中 Training…"):
            result = run_action(train_from_decisions, p, coder=me if only_mine else None, trained_by=me)
        if result is not None:
            state["rq_training"] = result
trained = state.get("rq_training")
if trained is not None:
    m1, m2, m3 = st.columns(3)
    m1.metric("模型版本 Model version", str(trained.version))
    m2.metric("训练样本 Examples", trained.n_examples)
    m3.metric("宏平均 Macro F1", f"{trained.macro_f1:.3f}" if trained.macro_f1 is not None else "—")
    scores = pd.DataFrame(
        [{"编码 Code": code, "精确率 Precision": s.get("precision"), "召回率 Recall": s.get("recall"),
          "F1": s.get("f1"), "样本 Support": s.get("support")} for code, s in sorted(trained.scores.items())])
    st.dataframe(scores, hide_index=True, width="stretch")
    skipped = getattr(trained, "skipped", None)
    if skipped:
        st.caption("未训练的编码（样本太少）Codes left out (too few examples): "
                   + ", ".join(str(x.get("code", x)) if isinstance(x, dict) else str(x) for x in skipped))
