"""文档编码 Document coding: read a document with its codes; decide, add, remove and resize codings; memos.

Every action is one `coding.decisions` call (one transaction) run through
run_action; after a successful action the page reruns so it shows the database.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import streamlit as st

from coding import decisions
from coding.audit import action_label
from coding.assignments import visible_documents
from coding.highlight import (
    ORIGIN_LABELS,
    STATUS_LABELS,
    STATUSES,
    STYLE,
    code_labels,
    legend_html,
    render_html,
    runs,
    safe_color,
    spans_from_applications,
    with_descendants,
)
from coding.roles import Permission
from coding.segment_links import links
from views._links import links_section
from views._shared import can, coder, document_scope, esc, project, run_action

KIND_LABELS = {"interview": "访谈", "policy": "政策", "minutes": "纪要", "news": "新闻", "other": "其他"}
PER_PAGE = (20, 40, 80, 160)
# Events that never change the codebook: the cached codebook stays valid across them.
_HISTORY = 20
_KEEPS_CODEBOOK = ("coding.", "memo.", "link.", "undo", "coder.", "autocode.", "document.", "setting.")


# -- cached reads (documents never change once imported; the codebook only with a codebook event) --

@dataclass(frozen=True)
class Structure:
    text: str
    paragraphs: list  # SegmentView, in order
    sentences: list
    para_starts: list[int]
    sent_starts: list[int]
    para_speaker: list[str | None]
    sent_para: list[int]  # paragraph index of each sentence


@st.cache_resource(show_spinner=False, max_entries=24)
def _structure(_p, url: str, doc_id: int, n_chars: int) -> Structure:
    segs = _p.segments(doc_id)
    text = _p.document_text(doc_id)
    paragraphs = [s for s in segs if s.unit == "paragraph"]
    sentences = [s for s in segs if s.unit == "sentence"]
    turns = [s for s in segs if s.unit == "turn"]
    turn_starts = [t.start for t in turns]
    para_starts = [s.start for s in paragraphs]
    speakers = []
    for para in paragraphs:
        i = bisect_right(turn_starts, para.start) - 1
        speakers.append(turns[i].speaker if i >= 0 and turns[i].end >= para.end else None)
    sent_para = [max(0, bisect_right(para_starts, s.start) - 1) for s in sentences]
    return Structure(text, paragraphs, sentences, para_starts, [s.start for s in sentences], speakers, sent_para)


@st.cache_resource(show_spinner=False)
def _codebook_box(url: str) -> dict:
    return {}


def _codebook(p):
    """The project codebook, parsed again only after an event that may have changed it."""
    box = _codebook_box(p.url)
    recent = decisions.history(p, limit=_HISTORY)
    newest = recent[0]["id"] if recent else 0
    seen = box.get("event")
    if seen is not None and "codebook" in box:
        covered = not recent or recent[-1]["id"] <= seen or len(recent) < _HISTORY
        newer = [e for e in recent if e["id"] > seen]
        if covered and all(e["action"].startswith(_KEEPS_CODEBOOK) for e in newer):
            box["event"] = newest
            return box["codebook"], box["labels"], box["all_labels"]
    cb = p.codebook()
    box["codebook"] = cb
    box["labels"] = code_labels(cb) if cb else {}
    box["all_labels"] = code_labels(cb, codable_only=False) if cb else {}
    box["event"] = newest
    return cb, box["labels"], box["all_labels"]


# -- actions -----------------------------------------------------------------------------------------

def _call(fn, args, kwargs):
    fn(*args, **kwargs)
    return True


def act(fn, *args, done: str, **kwargs) -> None:
    """One `coding` call; on success remember the message and rerun to show the database."""
    if run_action(_call, fn, args, kwargs):
        st.session_state["dc_flash"] = done
        st.rerun()


def _reset_document() -> None:
    st.session_state["dc_page"] = 1
    st.session_state.pop("dc_seg", None)


def _jump(sentence_id: int, page: int) -> None:
    st.session_state["dc_seg"] = sentence_id
    st.session_state["dc_page"] = page


def _overlapping(apps, start: int, end: int):
    return [a for a in apps if a.start < end and a.end > start]


def _chip(code: str, name: str, color: str, extra: str = "") -> str:
    c = safe_color(color)
    return (f'<span class="bl-chip" style="background-color:{c}33;border-left:5px solid {c}">'
            f"<b>{esc(code)}</b> {esc(name)}</span>{extra}")


# -- page ----------------------------------------------------------------------------------------------

p = project()
me = coder()
flash = st.session_state.pop("dc_flash", None)
if flash:
    st.toast(flash)

st.subheader("🖍️ 文档编码 Document coding")
docs = visible_documents(p, me)  # in blind mode: the documents assigned to me
if not docs:
    st.info("项目里还没有文档 — 请先在「导入 Import」页导入 (no documents yet).")
    st.stop()
scope = document_scope(p, "dc_where")  # e.g. only the petitioners' interviews
if scope is not None:
    docs = [d for d in docs if d.id in set(scope)]
    if not docs:
        st.info("没有符合条件的文档 — no document matches the filter.")
        st.stop()
by_id = {d.id: d for d in docs}
if "dc_doc" not in st.session_state:
    wanted = st.query_params.get("doc")
    if wanted and wanted.isdigit() and int(wanted) in by_id:
        st.session_state["dc_doc"] = int(wanted)
elif st.session_state["dc_doc"] not in by_id:
    del st.session_state["dc_doc"]

doc_id = st.selectbox(
    "文档 Document", list(by_id), key="dc_doc", on_change=_reset_document,
    format_func=lambda i: f"#{i} [{KIND_LABELS.get(by_id[i].kind, by_id[i].kind)}] {by_id[i].title}",
)
doc = by_id[doc_id]
S = _structure(p, p.url, doc.id, doc.n_chars)
cb, pick_labels, filter_labels = _codebook(p)
apps = decisions.document_applications(p, doc.id, coder=me, as_user=me)

people = " · ".join(f"{x.get('name', '')}（{x.get('role', '')}）" for x in doc.participants)
st.html(f'<div style="color:#666;font-size:.85rem">{esc(doc.filename)} · {esc(doc.date or "无日期 no date")} · '
        f"{len(S.paragraphs)} 段 paragraphs · {len(S.sentences)} 句 sentences · {len(apps)} 条编码 codings"
        + (f" · {esc(people)}" if people else "")
        + "".join(f" · {esc(name)}: {esc(value)}" for name, value in doc.variables.items()) + "</div>")

# filters
speakers = list(dict.fromkeys(s for s in S.para_speaker if s))
f1, f2, f3, f4, f5 = st.columns([3, 2.4, 2, 1, 1.4], vertical_alignment="bottom")
chosen_codes = f1.multiselect("编码 Code", list(filter_labels), format_func=filter_labels.get, key="dc_codes",
                              placeholder="全部 all codes")
statuses = f2.multiselect("状态 Status", list(STATUSES), default=["suggested", "accepted"], key="dc_status",
                          format_func=STATUS_LABELS.get, placeholder="全部 all")
chosen_speakers = f3.multiselect("说话人 Speaker", speakers, key=f"dc_speakers_{doc.id}",
                                 placeholder="全部 all" if speakers else "（无 none）", disabled=not speakers)
per_page = f4.selectbox("每页 Per page", PER_PAGE, index=1, key="dc_per_page")
only_coded = f5.toggle("仅有编码 Coded only", key="dc_only_coded",
                       help="只显示有（筛选后）编码的段落 — show only paragraphs with a coding that passes the filters")

code_filter = with_descendants(cb, chosen_codes) if (chosen_codes and cb) else (set(chosen_codes) or None)
shown = [a for a in apps if (code_filter is None or a.code in code_filter) and (not statuses or a.status in statuses)]

# paragraphs to show, then the page of them
visible = list(range(len(S.paragraphs)))
if chosen_speakers:
    keep = set(chosen_speakers)
    visible = [i for i in visible if S.para_speaker[i] in keep]
if only_coded:
    hit: set[int] = set()
    for a in shown:
        first = max(0, bisect_right(S.para_starts, a.start) - 1)
        last = max(first, bisect_left(S.para_starts, a.end) - 1)
        hit.update(range(first, last + 1))
    visible = [i for i in visible if i in hit]
n_pages = max(1, math.ceil(len(visible) / per_page))
if not 1 <= st.session_state.get("dc_page", 1) <= n_pages:
    st.session_state["dc_page"] = 1
at = st.query_params.get("at")  # a link to a place (e.g. from 检索编码 Search & code): its sentence, once
if at and at.isdigit() and st.session_state.get("dc_at_done") != (doc.id, at) and S.sentences:
    st.session_state["dc_at_done"] = (doc.id, at)
    i = max(0, bisect_right(S.sent_starts, int(at)) - 1)
    if S.sent_para[i] in visible:
        _jump(S.sentences[i].id, visible.index(S.sent_para[i]) // per_page + 1)

st.html(STYLE + legend_html(shown))
left, right = st.columns([3, 2], gap="large")

with left:
    page = st.pagination(n_pages, key="dc_page", max_visible_pages=9)
    page_paras = visible[(page - 1) * per_page: page * per_page]
    if page_paras:
        st.caption(f"第 {page}/{n_pages} 页 page · 显示 {len(page_paras)} 段，共 {len(visible)} 段 paragraphs shown")
    else:
        st.info("没有符合筛选条件的段落 — no paragraph matches the filters.")
    first_s = bisect_left(S.sent_starts, S.paragraphs[page_paras[0]].start) if page_paras else 0
    last_s = bisect_left(S.sent_starts, S.paragraphs[page_paras[-1]].end) if page_paras else 0
    on_page = set(page_paras)
    page_sents = [S.sentences[i] for i in range(first_s, last_s) if S.sent_para[i] in on_page]
    w0 = S.paragraphs[page_paras[0]].start if page_paras else 0
    w1 = S.paragraphs[page_paras[-1]].end if page_paras else 0
    spans = spans_from_applications(_overlapping(shown, w0, w1))  # only what this page shows

sel_options = [s.id for s in page_sents]
sent_by_id = {s.id: s for s in page_sents}
pending_here: dict[int, int] = {}
if page_sents:
    for a in apps:
        if a.status != "suggested":
            continue
        i = bisect_right(S.sent_starts, a.start) - 1
        while 0 <= i < len(S.sentences) and S.sentences[i].start < a.end:
            if S.sentences[i].id in sent_by_id:
                pending_here[S.sentences[i].id] = pending_here.get(S.sentences[i].id, 0) + 1
            i += 1
if st.session_state.get("dc_seg") not in sent_by_id and sel_options:
    st.session_state["dc_seg"] = next((s for s in sel_options if pending_here.get(s)), sel_options[0])
selected = sent_by_id.get(st.session_state.get("dc_seg"))

doc_links = links(p, document_id=doc.id, as_user=me)
linked = [(e.start, e.end) for x in doc_links for e in (x.source, x.target) if e.document_id == doc.id]

with left:
    parts = []
    for a, b in runs(page_paras):
        start, end = S.paragraphs[a].start, S.paragraphs[b].end
        bounds = [(s.start, str(s.index + 1) + ("🔗" if any(x < s.end and y > s.start for x, y in linked) else ""))
                  for s in page_sents if start <= s.start < end]  # 🔗: a link between passages starts or ends here
        parts.append(render_html(S.text, spans, start=start, end=end, segment_bounds=bounds,
                                 focus=(selected.start, selected.end) if selected else None))
    if parts:
        st.html('<div class="bl-doc">' + '<div class="bl-gap">⋯</div>'.join(parts) + "</div>")


def _sentence_label(sid: int) -> str:
    s = sent_by_id[sid]
    n = pending_here.get(sid, 0)
    body = s.text if len(s.text) <= 38 else s.text[:37] + "…"
    return f"S{s.index + 1}" + (f" · {n}待审" if n else "") + f" · {body}"


def _pending_targets() -> list[tuple[int, int, int]]:
    """(sentence id, page, start) of every sentence with a pending suggestion, in reading order."""
    pos = {para: i for i, para in enumerate(visible)}
    found, out = set(), []
    for a in sorted((a for a in apps if a.status == "suggested"), key=lambda a: a.start):
        i = max(0, bisect_right(S.sent_starts, a.start) - 1)
        if i < len(S.sentences) and S.sentences[i].id not in found and S.sent_para[i] in pos:
            found.add(S.sentences[i].id)
            out.append((S.sentences[i].id, pos[S.sent_para[i]] // per_page + 1, S.sentences[i].start))
    out.sort(key=lambda t: t[2])
    return out


with right:
    if not page_sents:
        st.stop()
    st.selectbox("句子 Sentence（本页 on this page）", sel_options, key="dc_seg", format_func=_sentence_label)
    targets = _pending_targets()
    here = selected.start if selected else -1
    nxt = next((t[:2] for t in targets if t[2] > here), None)
    prv = next((t[:2] for t in reversed(targets) if t[2] < here), None)
    b1, b2 = st.columns(2)
    b1.button("⏮ 上一条待审", key="dc_prev", use_container_width=True, disabled=prv is None,
              on_click=_jump, args=prv or (0, 1), help="上一句有待审建议的句子 — previous sentence with a pending suggestion")
    b2.button("下一条待审 ⏭", key="dc_next", use_container_width=True, disabled=nxt is None,
              on_click=_jump, args=nxt or (0, 1), help="下一句有待审建议的句子 — next sentence with a pending suggestion")

    seg = selected
    para_i = S.sent_para[bisect_right(S.sent_starts, seg.start) - 1]
    st.html(STYLE + '<div class="bl-doc" style="border-left:3px solid #1f2937;padding-left:.6em">'
            + render_html(S.text, spans_from_applications(_overlapping(apps, seg.start, seg.end)), start=seg.start, end=seg.end) + "</div>")
    speaker = S.para_speaker[para_i]
    st.html(f'<div style="color:#666;font-size:.85rem">S{seg.index + 1} · 第 {para_i + 1} 段 paragraph · '
            f"字符 chars {seg.start}–{seg.end}" + (f" · 说话人 speaker: {esc(speaker)}" if speaker else "") + "</div>")
    if not me:
        st.warning("请先在侧栏填写编码员姓名，才能接受、拒绝或添加编码 — choose your coder name on the sidebar "
                   "to make decisions.")
    ro = not me or not can(Permission.CODE)
    if me and ro:
        st.info("只读 Read only: 你的角色不能修改编码 — your role cannot change codings.")
    elif me and st.button("↶ 撤销我的上一步 Undo my last change", key="dc_undo",
                          help="撤销你自己最近的一次更改（编码、决定、调整、移除、备忘） — undoes your own most recent change"):
        result = run_action(lambda: [decisions.undo_last(p, coder=me)])  # None: refused, the reason is shown
        if result is not None:
            st.session_state["dc_flash"] = f"已撤销 undone: {action_label(result[0])}" if result[0] else "没有可撤销的更改 nothing to undo"
            st.rerun()

    here_apps = sorted(_overlapping(apps, seg.start, seg.end),
                       key=lambda a: (STATUSES.index(a.status) if a.status in STATUSES else 9, -(a.score or 0), a.id))
    st.markdown("##### 建议与编码 Suggestions and codings")
    pending_ids = [a.id for a in here_apps if a.status == "suggested"]
    if len(pending_ids) > 1 and st.button(f"✔ 全部接受 Accept all {len(pending_ids)}", key="dc_accept_all",
                                          disabled=ro):
        act(decisions.accept, p, pending_ids, coder=me, done=f"已接受 accepted {len(pending_ids)}")
    if not here_apps:
        st.caption("这句话还没有建议或编码 — no suggestion or coding on this sentence yet.")
    for a in here_apps:
        with st.container(border=True):
            who = f"分数 score {a.score:.2f}" if a.score is not None else ""
            if a.coder:
                who += f"{' · ' if who else ''}编码员 coder {a.coder}"
            outside = "" if (a.start >= seg.start and a.end <= seg.end) else " · 跨句 spans beyond the sentence"
            st.html(_chip(a.code, a.code_name, a.color)
                    + f'<span style="font-size:.85rem;color:#555">{esc(STATUS_LABELS.get(a.status, a.status))} · '
                    f"{esc(ORIGIN_LABELS.get(a.origin, a.origin))} · {esc(who)} · 字符 {a.start}–{a.end}"
                    f"{outside}</span>"
                    + "".join(f'<div style="font-size:.85rem;margin-left:.6em">证据 evidence「<b>{esc(e.get("text"))}'
                              f'</b>」 ← 规则 rule <code>{esc(e.get("rule"))}</code></div>' for e in a.evidence))
            c1, c2 = st.columns(2)
            if a.status == "suggested":
                if c1.button("✔ 接受 Accept", key=f"dc_acc_{a.id}", disabled=ro, use_container_width=True):
                    act(decisions.accept, p, a.id, coder=me, done=f"已接受 accepted {a.code}")
                if c2.button("✘ 拒绝 Reject", key=f"dc_rej_{a.id}", disabled=ro, use_container_width=True):
                    act(decisions.reject, p, a.id, coder=me, done=f"已拒绝 rejected {a.code}")
            elif a.coder == me and me:
                if a.suggestion_id is not None and a.status == "accepted":
                    if c1.button("✘ 改为拒绝 Reject", key=f"dc_rej_{a.id}", use_container_width=True):
                        act(decisions.reject, p, a.suggestion_id, coder=me, done=f"已改为拒绝 rejected {a.code}")
                elif a.suggestion_id is not None and a.status == "rejected":
                    if c1.button("✔ 改为接受 Accept", key=f"dc_acc_{a.id}", use_container_width=True):
                        act(decisions.accept, p, a.suggestion_id, coder=me, done=f"已改为接受 accepted {a.code}")
                label = "↺ 撤回 Withdraw" if a.suggestion_id is not None else "🗑 移除 Remove"
                if c2.button(label, key=f"dc_rm_{a.id}", use_container_width=True,
                             help="删除这条编码；机器建议会重新变为待审 — deletes this coding; a machine "
                                  "suggestion becomes pending again"):
                    act(decisions.remove_code, p, a.id, coder=me, version=a.version, done=f"已移除 removed {a.code}")

    # add a code by hand
    st.markdown("##### 添加编码 Add a code")
    new_code = st.selectbox("编码 Code（输入编号或名称搜索 type an id or name）", list(pick_labels),
                            format_func=pick_labels.get, index=None, key="dc_new_code",
                            placeholder="选择编码 choose a code…")
    n = len(seg.text)
    a0, a1 = st.slider("范围 Span（句内字符 characters in the sentence）", 0, n, (0, n), key=f"dc_add_span_{seg.id}")
    st.text(f"选中 Selected: {seg.text[a0:a1] or '（空 empty）'}")
    if st.button("➕ 添加编码 Add code", key="dc_add", disabled=ro or new_code is None or a1 <= a0):
        act(decisions.add_code, p, doc.id, seg.start + a0, seg.start + a1, new_code, coder=me,
            done=f"已添加 added {new_code}")

    # narrow or widen one of my codings
    mine = [a for a in here_apps if me and a.coder == me and a.status == "accepted"]
    if mine:
        st.markdown("##### 调整范围 Narrow or widen a coding")
        target_id = st.selectbox("编码 Coding", [a.id for a in mine], key="dc_resize_target",
                                 format_func=lambda i: next(f"{a.code} {a.code_name} · 字符 {a.start}–{a.end}"
                                                            for a in mine if a.id == i))
        target = next((a for a in mine if a.id == target_id), mine[0])
        lo_i = max(0, bisect_right(S.para_starts, min(target.start, seg.start)) - 1)
        hi_i = max(lo_i, bisect_left(S.para_starts, max(target.end, seg.end)) - 1)
        lo, hi = S.paragraphs[lo_i].start, S.paragraphs[hi_i].end
        r0, r1 = st.slider("新范围 New span（段落字符 characters of the paragraph）", lo, hi,
                           (max(lo, target.start), min(hi, target.end)), key=f"dc_resize_{target.id}_{target.version}")
        st.text(f"新范围 New: {S.text[r0:r1] or '（空 empty）'}")
        if st.button("↔ 保存范围 Save span", key="dc_resize_save", disabled=ro or (r0, r1) == (target.start, target.end)):
            act(decisions.resize, p, target.id, r0, r1, coder=me, version=target.version,
                done=f"已调整 resized {target.code}: {r0}–{r1}")

    # memos
    st.markdown("##### 备忘 Memo")
    doc_memos = decisions.memos(p, document_id=doc.id, as_user=me)
    with st.form("dc_memo_form", clear_on_submit=True, border=False):
        memo = st.text_area("这句话的备忘 Memo on this sentence", key="dc_memo", height=90)
        if st.form_submit_button("💾 保存备忘 Save memo", disabled=ro):
            act(decisions.add_memo, p, memo, coder=me, document_id=doc.id, segment_id=seg.id,
                done="备忘已保存 memo saved")
    for m in [m for m in doc_memos if m["segment_id"] == seg.id]:
        st.text(f"📝 {m['coder'] or '?'} · {m['created_at']:%Y-%m-%d %H:%M}\n{m['text']}")
        if not ro and (m["coder"] == me or can(Permission.MANAGE)):
            with st.expander(f"编辑或删除 Edit or delete #{m['id']}"):
                with st.form(f"dc_memo_edit_form_{m['id']}", border=False):
                    edited = st.text_area("备忘 Memo", value=m["text"], key=f"dc_memo_edit_{m['id']}", height=90)
                    if st.form_submit_button("💾 保存修改 Save", key=f"dc_memo_save_{m['id']}"):
                        act(decisions.edit_memo, p, m["id"], edited, coder=me, done="备忘已修改 memo edited")
                if st.button("🗑 删除备忘 Delete memo", key=f"dc_memo_delete_{m['id']}"):
                    act(decisions.delete_memo, p, m["id"], coder=me, done="备忘已删除（可撤销）memo deleted (undo brings it back)")
    others = [m for m in doc_memos if m["segment_id"] != seg.id]
    if others:
        with st.expander(f"本文档其他备忘 Other memos of this document ({len(others)})"):
            for m in others:
                st.text(f"📝 {m['coder'] or '?'} · {m['created_at']:%Y-%m-%d %H:%M}\n{m['text']}")

    links_section(p, me, doc, seg, doc_links, visible_documents(p, me), read_only=ro,
                  can_manage=bool(me and can(Permission.MANAGE)))
