"""Links between passages (段落链接; ATLAS.ti's hyperlinks between quotations, MAXQDA's document links, NVivo's
see-also links): a coder ties one passage to another — a petitioner's complaint to the official's account of the
same meeting, a notice to the interview that contradicts it — with a label such as 解释 explains or 矛盾
contradicts. Both ends are spans of documents (code points of the stored text); a link outlives the codings on
its spans, is hidden with a document in the trash, and its own coder (or an admin) removes it. Adding and
removing are events a coder's undo takes back; in blind double coding a coder sees only their own links.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from coding.errors import BaolianError
from coding.roles import Forbidden, Permission, authorize, role_of
from coding.store import Coder, Document, SegmentLink, record_event

LABELS = ("参见 see also", "解释 explains", "支持 supports", "矛盾 contradicts", "举例 example of",
          "导致 leads to", "回应 answers")  # suggestions; a label is free text
MAX_LABEL = 100
EXCERPT = 120


@dataclass(frozen=True)
class Passage:
    """One end of a link: a span of a document."""

    document_id: int
    start: int
    end: int


@dataclass(frozen=True)
class LinkEnd:
    document_id: int
    title: str
    start: int
    end: int
    text: str  # the passage (at most ``excerpt`` characters, … when cut; whole with excerpt=None)


@dataclass(frozen=True)
class Link:
    id: int
    label: str
    coder: str | None
    created_at: datetime
    source: LinkEnd
    target: LinkEnd


def _check_label(label: str | None) -> str:
    label = (label or "").strip()
    if len(label) > MAX_LABEL:
        raise BaolianError(f"the label is longer than {MAX_LABEL} characters", field="label", hint="shorten it")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in label):
        raise BaolianError("the label holds control characters", field="label", hint="retype it")
    return label


def _check_end(session, end: Passage, which: str) -> Document:
    doc = session.get(Document, int(end.document_id))
    if doc is None or doc.deleted_at is not None:
        raise BaolianError(f"no document #{end.document_id}", field=which, hint="pick a document of the project")
    if not (0 <= end.start < end.end <= doc.n_chars):
        raise BaolianError(f"span {end.start}–{end.end} is not inside {doc.title!r} (0–{doc.n_chars})", field=which,
                           hint="give start < end within the document's characters (code points)")
    return doc


def _row(link: SegmentLink) -> dict:
    return {"id": link.id, "source_document_id": link.source_document_id, "source_start": link.source_start,
            "source_end": link.source_end, "target_document_id": link.target_document_id,
            "target_start": link.target_start, "target_end": link.target_end, "label": link.label,
            "coder_id": link.coder_id, "created_at": link.created_at.isoformat()}


def add_link(project, source: Passage, target: Passage, *, label: str = "", coder: str | None) -> int:
    """Link ``source`` to ``target`` as ``coder`` (one who may code); the new link's id. Refused: an end outside
    its document, two identical ends, the same link (ends and label) by the same coder twice."""
    label = _check_label(label)
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        _check_end(s, source, "source")
        _check_end(s, target, "target")
        if source == target:
            raise BaolianError("a passage cannot link to itself", field="target", hint="pick another passage")
        same = s.scalar(select(SegmentLink.id).where(
            SegmentLink.source_document_id == source.document_id, SegmentLink.source_start == source.start,
            SegmentLink.source_end == source.end, SegmentLink.target_document_id == target.document_id,
            SegmentLink.target_start == target.start, SegmentLink.target_end == target.end,
            SegmentLink.label == label,
            SegmentLink.coder_id.is_(None) if coder_id is None else SegmentLink.coder_id == coder_id))
        if same is not None:
            raise BaolianError(f"these passages are already linked (link #{same})", field="target",
                               hint="give the link another label, or leave it")
        link = SegmentLink(source_document_id=source.document_id, source_start=source.start, source_end=source.end,
                           target_document_id=target.document_id, target_start=target.start, target_end=target.end,
                           label=label, coder_id=coder_id)
        s.add(link)
        s.flush()
        record_event(s, "link.add", "segment_link", link.id, after=_row(link), coder_id=coder_id)
        return link.id


def remove_link(project, link_id: int, *, coder: str | None) -> None:
    """Remove a link: its own coder, or an admin. The event keeps the link, so undo puts it back."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        link = s.get(SegmentLink, int(link_id))
        if link is None:
            raise BaolianError(f"no link #{link_id}", field="link", hint="reload the list of links")
        role = role_of(s, coder)
        if link.coder_id != coder_id and not (role is not None and role.can_manage()):
            raise Forbidden(f"link #{link.id} is another coder's", field="link",
                            hint="ask its coder or an admin to remove it")
        record_event(s, "link.remove", "segment_link", link.id, before=_row(link), coder_id=coder_id)
        s.delete(link)


def links(project, *, document_id: int | None = None, as_user: str | None = None,
          excerpt: int | None = EXCERPT) -> list[Link]:
    """Links with both ends in live documents (only those with an end in ``document_id`` when given), oldest
    first; while ``as_user`` is blinded (blind double coding), only their own. Each end's text is cut to
    ``excerpt`` characters (None: the whole passage)."""
    from coding.assignments import shown_coder

    src, tgt = aliased(Document), aliased(Document)
    with project.read() as s:
        only = shown_coder(s, None, as_user, None)
        query = (select(SegmentLink, Coder.name, src, tgt)
                 .join(src, src.id == SegmentLink.source_document_id)
                 .join(tgt, tgt.id == SegmentLink.target_document_id)
                 .outerjoin(Coder, Coder.id == SegmentLink.coder_id)
                 .where(src.deleted_at.is_(None), tgt.deleted_at.is_(None)).order_by(SegmentLink.id))
        if document_id is not None:
            query = query.where(or_(SegmentLink.source_document_id == document_id,
                                    SegmentLink.target_document_id == document_id))
        if only:
            query = query.where(Coder.name == only)
        return [Link(link.id, link.label, name, link.created_at,
                     _end(a, link.source_start, link.source_end, excerpt),
                     _end(b, link.target_start, link.target_end, excerpt))
                for link, name, a, b in s.execute(query)]


def link_graph(found: list[Link]) -> str:
    """The links as a Graphviz DOT graph: each linked document a box (id and title), one arrow per pair of
    documents and label with the number of links ("矛盾 ×3"); a link inside one document is a loop."""
    from coding.codebook_relations import dot_quoted as quoted

    titles = {e.document_id: e.title for x in found for e in (x.source, x.target)}
    edges: dict[tuple[int, int, str], int] = {}
    for x in found:
        key = (x.source.document_id, x.target.document_id, x.label)
        edges[key] = edges.get(key, 0) + 1
    lines = ["digraph links {", "  rankdir=LR;",
             '  node [shape=box, style=rounded, fontname="Noto Sans CJK SC", fontsize=11];',
             '  edge [fontname="Noto Sans CJK SC", fontsize=10];']
    lines += [f"  d{i} [label={quoted(f'#{i} {title[:40]}')}];" for i, title in sorted(titles.items())]
    lines += [f"  d{a} -> d{b} [label={quoted(f'{label} ×{n}'.strip())}];" for (a, b, label), n in edges.items()]
    lines.append("}")
    return "\n".join(lines)


def _end(doc: Document, start: int, end: int, excerpt: int | None) -> LinkEnd:
    text = doc.text[start:end]
    cut = excerpt is not None and len(text) > excerpt
    return LinkEnd(doc.id, doc.title, start, end, text[:excerpt - 1] + "…" if cut else text)


def revert_link(session, event) -> None:
    """Undo ``event`` (link.add or link.remove) inside the caller's transaction."""
    if event.action == "link.add":
        link = session.get(SegmentLink, event.entity_id)
        if link is not None:
            session.delete(link)
        return
    data = dict(event.before)
    for key in ("source_document_id", "target_document_id"):
        if session.get(Document, data[key]) is None:
            raise BaolianError("a document of the link is gone", field="link", hint="nothing to put it back on")
    if session.get(SegmentLink, data["id"]) is None:
        data["created_at"] = datetime.fromisoformat(data["created_at"])
        session.add(SegmentLink(**data))
