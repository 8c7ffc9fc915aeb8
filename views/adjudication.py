"""裁决 Adjudication (admins): assignments, blind mode, and the final coding where coders disagree.

Every action is one `coding` call (coding.assignments, coding.adjudication) run in a button callback;
its result or error is shown on the next run. Text from documents is escaped before it is shown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding import adjudication, assignments
from coding.errors import BaolianError
from coding.highlight import safe_color
from views._shared import coder, esc, md, project

PER_PAGE = 10
state = st.session_state


def _do(fn, *args, done: str, **kwargs) -> None:
    """Button callback: one `coding` call; its message (or error) is shown on this run."""
    try:
        fn(*args, **kwargs)
    except BaolianError as exc:
        state["adj_error"] = f"操作未完成 Not done: {exc}"
        return
    state["adj_flash"] = done


def _marked(text: str, base: int, spans, color: str) -> str:
    """Escaped ``text`` (starting at offset ``base``) with the spans highlighted."""
    c = safe_color(color)
    cuts = sorted((max(0, s.start - base), min(len(text), s.end - base)) for s in spans)
    out, pos = [], 0
    for start, end in cuts:
        start = max(start, pos)
        if start >= end:
            continue
        out += [esc(text[pos:start]), f'<mark style="background:{c}66;border-bottom:2px solid {c}">',
                esc(text[start:end]), "</mark>"]
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def _coder_box(d, name: str) -> str:
    spans = d.spans.get(name, [])
    has = name in d.having
    badge = "✔ 有编码 has the code" if has else "✘ 无编码 no code"
    where = " · ".join(f"{s.start}–{s.end}" for s in spans)
    beyond = any(s.start < d.start or s.end > d.end for s in spans)
    return (f'<div style="border:1px solid #ddd;border-radius:6px;padding:.4em .6em;'
            f'background:{"#f6fff6" if has else "#fafafa"}"><b>{esc(name)}</b> · {badge}'
            + (f' <span style="color:#666;font-size:.8rem">字符 {esc(where)}'
               + (" · 跨句 crosses the sentence" if beyond else "") + "</span>" if spans else "")
            + '<div style="font-size:1.05rem;line-height:1.8;margin-top:.3em">'
            + _marked(d.text, d.start, spans, d.color)
            + "</div></div>")


def _final_box(d) -> str:
    kept = [f for f in d.final if f.status == "accepted"]
    choice = d.final[0].choice if d.final else ""
    label = {"merge": "合并 merge", "none": "都不 neither"}.get(choice, f"采用 {choice}")
    body = _marked(d.text, d.start, kept, d.color) if kept else "（此句不加此编码 no code on this sentence）"
    who = d.final[0].by or "?"
    return (f'<div style="border-left:4px solid #1f2937;padding:.2em .6em;margin-top:.3em">'
            f"<b>裁决 Final</b>: {esc(label)} · {esc(who)}<br>{body}</div>")


p = project()
me = coder()
st.title("⚖️ 裁决 Adjudication")
if flash := state.pop("adj_flash", None):
    st.success(flash)
if problem := state.pop("adj_error", None):
    st.error(md(problem))
if not me:
    st.info("请先在侧栏填写姓名（管理员）— choose your name on the sidebar (admins only).")
    st.stop()
if not assignments.can_manage(p, me):
    st.warning("只有管理员可以分配文档和裁决 — only admins assign documents and adjudicate.")
    st.stop()

docs = p.documents()
titles = {d.id: d.title for d in docs}

# -- blind mode and adjudication state ----------------------------------------------------------
blind = assignments.is_blind(p)
opened = assignments.adjudication_state(p)
s1, s2 = st.columns(2)
with s1:
    st.markdown("#### 盲编码 Blind mode")
    st.caption("开启后，编码员只看到自己的决定和机器建议，直到裁决开放。 — When on, coders see only their own "
               "decisions and the machine's suggestions until adjudication opens.")
    st.markdown(f"当前 now: **{'开 on' if blind else '关 off'}**")
    st.button("关闭盲编码 Turn blind mode off" if blind else "开启盲编码 Turn blind mode on", key="adj_blind",
              on_click=_do, args=(assignments.set_blind, p, not blind),
              kwargs={"by": me, "done": f"盲编码已{'关闭 off' if blind else '开启 on'}"})
with s2:
    st.markdown("#### 裁决状态 Adjudication")
    st.caption("开放后，所有编码员都能看到彼此的决定。 — Once open, every coder sees every coder's decisions.")
    now = "全部开放 open for all" if opened is True else (
        "开放文档 open for documents " + ", ".join(f"#{i}" for i in opened) if opened else "未开放 closed")
    st.markdown(f"当前 now: **{md(now)}**")
    o1, o2 = st.columns(2)
    o1.button("开放裁决 Open adjudication", key="adj_open", disabled=opened is True, on_click=_do,
              args=(assignments.open_adjudication, p), kwargs={"by": me, "done": "裁决已开放 adjudication open"})
    o2.button("关闭裁决 Close", key="adj_close", disabled=not opened, on_click=_do,
              args=(assignments.close_adjudication, p), kwargs={"by": me, "done": "裁决已关闭 adjudication closed"})

# -- assignments ----------------------------------------------------------------------------------
st.markdown("#### 分配 Assignments")
rows = assignments.assignments(p)
if rows:
    st.dataframe(pd.DataFrame({
        "文档 Document": [f"#{r.document_id} {r.document}" for r in rows],
        "编码员 Coder": [r.coder for r in rows],
        "分配人 By": [r.assigned_by or "" for r in rows],
        "时间 At": [f"{r.assigned_at:%Y-%m-%d %H:%M}" if r.assigned_at else "" for r in rows],
    }), hide_index=True, width="stretch")
else:
    st.caption("还没有分配 — no assignments yet.")
a1, a2 = st.columns(2)
chosen_docs = a1.multiselect("文档 Documents", list(titles), key="adj_docs",
                             format_func=lambda i: f"#{i} {titles.get(i, '')}", placeholder="选择文档 pick documents")
chosen_coders = a2.multiselect("编码员 Coders", p.coders(), key="adj_coders", accept_new_options=True,
                               placeholder="选择或输入姓名 pick or type names")
b1, b2, _ = st.columns([1, 1, 2])
b1.button("分配 Assign", key="adj_assign", type="primary", disabled=not (chosen_docs and chosen_coders),
          on_click=_do, args=(assignments.assign, p, chosen_docs, chosen_coders),
          kwargs={"by": me, "done": f"已分配 assigned {len(chosen_docs)} × {len(chosen_coders)}"})
b2.button("取消分配 Unassign", key="adj_unassign", disabled=not (chosen_docs and chosen_coders),
          on_click=_do, args=(assignments.unassign, p, chosen_docs, chosen_coders),
          kwargs={"by": me, "done": "已取消分配 unassigned"})

# -- disagreements ----------------------------------------------------------------------------------
st.markdown("#### 分歧 Disagreements")
try:
    report = adjudication.disagreements(p, as_user=me)
except BaolianError as exc:
    st.error(md(f"无法列出分歧 Cannot list disagreements: {exc}"))
    st.stop()
code_names = {d.code: d.code_name for d in report.items}
f1, f2, f3 = st.columns([2, 3, 1.4], vertical_alignment="bottom")
code = f1.selectbox("编码 Code", [None, *code_names], key="adj_code",
                    format_func=lambda k: "全部 all codes" if k is None else f"{k} {code_names.get(k, '')}")
doc_ids = sorted({d.document_id for d in report.items})
doc = f2.selectbox("文档 Document", [None, *doc_ids], key="adj_doc",
                   format_func=lambda i: "全部 all documents" if i is None else f"#{i} {titles.get(i, '')}")
open_only = f3.toggle("只看未裁决 Undecided only", key="adj_open_only")
items = [d for d in report.items if (code is None or d.code == code) and (doc is None or d.document_id == doc)
         and not (open_only and d.final)]

m1, m2, m3 = st.columns(3)
m1.metric("分歧 Disagreements", len(report.items))
m2.metric("已裁决 Decided", report.decided)
m3.metric("一致 Agreements", f"{report.agreements} / {report.units}")
st.button("✔ 一致处直接采用 Adopt all agreements", key="adj_adopt", disabled=not report.agreements,
          help="所有编码员都有此编码的句子，合并他们的范围写入最终编码（已裁决的不变）— where every coder has the "
               "code, write the union of their spans as the final coding (decided sentences are kept)",
          on_click=_do, args=(adjudication.adopt_agreements, p),
          kwargs={"by": me, "done": "已采用一致编码 agreements adopted"})
if not report.coders:
    st.info("还没有两个或以上编码员编码的文档 — no document has been coded by two or more coders yet.")
elif not items:
    st.info("没有符合筛选条件的分歧 — no disagreement matches the filters.")

if items and len(items) != len(report.items):
    st.caption(f"筛选后 {len(items)} 条 — {len(items)} shown after the filters")
pages = max(1, -(-len(items) // PER_PAGE))
if state.get("adj_page", 1) > pages:
    state["adj_page"] = 1
page = st.number_input(f"页 Page (共 {pages})", 1, pages, key="adj_page") if pages > 1 else 1
for d in items[(page - 1) * PER_PAGE: page * PER_PAGE]:
    with st.container(border=True):
        c = safe_color(d.color)
        st.html(f'<div><span style="border-left:5px solid {c};padding-left:.4em"><b>{esc(d.code)}</b> '
                f"{esc(d.code_name)}</span> · 文档 #{d.document_id} {esc(d.document)} · 第 S{d.sentence} 句 sentence · "
                f"字符 {d.start}–{d.end}</div>")
        for col, name in zip(st.columns(len(d.coders)), d.coders):
            with col:
                st.html(_coder_box(d, name))
        choices = [(name, f"采用 {md(name)} Take {md(name)}") for name in d.coders] + [
            ("merge", "合并 Merge"), ("none", "都不 Neither")]
        for col, (choice, label) in zip(st.columns(len(choices)), choices):
            col.button(label, key=f"adj_{d.document_id}_{d.segment_id}_{d.code}_{choice}", width="stretch",
                       on_click=_do, args=(adjudication.decide, p),
                       kwargs={"document_id": d.document_id, "code": d.code, "choice": choice, "by": me,
                               "segment_id": d.segment_id, "coders": list(d.coders),
                               "done": f"已裁决 decided {d.code} S{d.sentence}: {label}"})
        if d.final:
            st.html(_final_box(d))

with st.expander("最终编码 Final coding"):
    final = adjudication.final_coding(p, as_user=me)
    if final:
        st.dataframe(pd.DataFrame({
            "文档 Document": [f"#{f.document_id} {titles.get(f.document_id, '')}" for f in final],
            "编码 Code": [f"{f.code} {f.code_name}" for f in final],
            "范围 Span": [f"{f.start}–{f.end}" for f in final],
            "结果 Result": ["有 coded" if f.status == "accepted" else "无 not coded" for f in final],
            "文本 Text": [f.text for f in final],
            "选择 Choice": [f.choice for f in final],
            "裁决人 By": [f.by or "" for f in final],
        }), hide_index=True, width="stretch")
    else:
        st.caption("还没有最终编码 — no final coding yet.")

with st.expander("裁决记录 Decision history"):
    history = adjudication.decision_history(p, limit=50, as_user=me)
    if history:
        st.dataframe(pd.DataFrame({
            "时间 At": [f"{h['at']:%Y-%m-%d %H:%M:%S}" for h in history],
            "裁决人 By": [h["by"] or "" for h in history],
            "编码 Code": [(h["after"] or {}).get("code", "") for h in history],
            "选择 Choice": [(h["after"] or {}).get("choice", "") for h in history],
            "替换 Replaced": [len((h["before"] or {}).get("rows", [])) for h in history],
            "句子 Segment": [h["segment_id"] for h in history],
        }), hide_index=True, width="stretch")
    else:
        st.caption("还没有裁决 — no decision yet.")
