"""The Document coding page's links between passages (🔗 链接; ATLAS.ti's hyperlinks, MAXQDA's links): the links
with an end in this document, each opening the other end on its own page, a form that links the current
sentence to a sentence of any document, and removing one's own link. Only calls :mod:`coding.segment_links`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding.segment_links import LABELS, Passage, add_link, remove_link
from views._shared import run_action

OPEN_LABEL = "另一端 Other end"
OPEN = st.column_config.LinkColumn(OPEN_LABEL, display_text="打开 open ↗", width="small",
                                   help="在文档编码页打开另一端（新标签页）— open the other passage (new tab)")


def links_section(p, me: str | None, doc, seg, found: list, documents: list, *, read_only: bool,
                  can_manage: bool) -> None:
    """``doc``: the document shown; ``seg``: the sentence chosen (a SegmentView); ``found``: the document's links
    (:func:`coding.segment_links.links`); ``documents``: those one may link to (DocumentSummary)."""
    st.markdown("##### 🔗 链接 Links")
    if found:
        rows = []
        for x in found:
            here, other = (x.source, x.target) if x.source.document_id == doc.id else (x.target, x.source)
            rows.append({"#": x.id, "关系 label": x.label, "另一端 other passage": other.text,
                         OPEN_LABEL: f"document_coding?doc={other.document_id}&at={other.start}",
                         "另一端文档 other document": other.title, "本文 here": f"{here.start}–{here.end} {here.text}",
                         "编码员 coder": x.coder or "", "_on_sentence": here.start < seg.end and here.end > seg.start})
        frame = pd.DataFrame(rows)
        on_sentence = frame[frame.pop("_on_sentence")]
        st.caption(f"本文档 {len(frame)} 条链接，其中 {len(on_sentence)} 条在这句话上 — {len(frame)} links of this "
                   f"document, {len(on_sentence)} on this sentence.")
        st.dataframe(frame, hide_index=True, width="stretch", column_config={OPEN_LABEL: OPEN})
        mine = [x for x in found if can_manage or (me and x.coder == me)]
        if mine and not read_only:
            r1, r2 = st.columns([3, 1])
            chosen = r1.selectbox("移除链接 Remove a link", [x.id for x in mine], key="dc_link_remove_id",
                                  format_func=lambda i: next(f"#{x.id} {x.label} {x.source.title} → {x.target.title}"
                                                             for x in mine if x.id == i))
            if r2.button("🗑 移除 Remove", key="dc_link_remove"):
                _act(remove_link, p, chosen, coder=me, done=f"链接已移除 link #{chosen} removed (可撤销 undo)")
    else:
        st.caption("本文档还没有链接 — no links in this document yet.")
    if read_only:
        return
    with st.expander("把这句话链接到另一段 Link this sentence to another passage"):
        titles = {d.id: f"#{d.id} {d.title}" for d in documents}
        target_doc = st.selectbox("链接到文档 Link to document", list(titles), format_func=titles.get, key="dc_link_doc",
                                  index=list(titles).index(doc.id) if doc.id in titles else 0)
        sentences = {s.id: s for s in p.segments(target_doc, "sentence")}
        target = st.selectbox("链接到句子 Link to sentence", list(sentences), key=f"dc_link_sentence_{target_doc}",
                              index=None,
                              placeholder="输入文字搜索 type to search",
                              format_func=lambda i: f"S{sentences[i].index + 1} · {sentences[i].text[:60]}")
        label = st.selectbox("关系 Label（可自行输入 or type your own）", LABELS, key="dc_link_label",
                             accept_new_options=True)
        if st.button("🔗 添加链接 Add link", key="dc_link_add", disabled=target is None):
            t = sentences[target]
            _act(add_link, p, Passage(doc.id, seg.start, seg.end), Passage(target_doc, t.start, t.end),
                 label=label or "", coder=me, done="链接已保存 link saved")


def _act(fn, *args, done: str, **kwargs) -> None:
    """One `coding` call; on success (a refusal is shown by run_action) remember the message and rerun."""
    if run_action(lambda: (fn(*args, **kwargs), True)[1]):
        st.session_state["dc_flash"] = done
        st.rerun()
