"""The review queue: every suggestion a coder has not decided yet, one page at a time.

A read-only service for the review page (and anything else that lists pending suggestions). It
fetches only the rows shown: the page's suggestions with just the text of their unit (a SQL
``substr`` of the document, never the whole document), plus one count for the pager, so a
project with tens of thousands of pending suggestions lists as fast as a small one.

"Pending for coder X" is the definition of :mod:`coding.decisions`: machine suggestions
(no coder, status 'suggested') that X has not accepted or rejected. Here it is written as
``id NOT IN (X's decided suggestion ids)``, an uncorrelated subquery the database runs once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from coding.assignments import shown_coder
from coding.errors import BaolianError
from coding.store import Code, CodeApplication, Coder, Document

OPEN, CLOSE = "【", "】"
MAX_PAGE = 1000


@dataclass(frozen=True)
class ReviewFilter:
    """What the queue shows; empty fields do not filter."""

    codes: tuple[str, ...] = ()
    document_ids: tuple[int, ...] = ()
    origin: str | None = None
    min_score: float | None = None
    max_score: float | None = None


@dataclass(frozen=True)
class ReviewRow:
    id: int  # the suggestion's id (what accept/reject take)
    document_id: int
    document: str  # the document's title
    code: str
    code_name: str
    color: str
    origin: str
    score: float | None
    rules: str  # names of the rules whose evidence was found, comma-separated
    unit_text: str  # the suggestion's unit (sentence or paragraph) as stored
    marked: str  # unit_text with every evidence span in 【】
    start: int
    end: int
    evidence: list = field(default_factory=list)


@dataclass(frozen=True)
class ReviewPage:
    rows: list[ReviewRow]
    total: int  # pending suggestions matching the filter (all pages)
    offset: int
    limit: int


@dataclass(frozen=True)
class ReviewOptions:
    """What the filters can offer: only codes, documents and origins that have pending suggestions."""

    codes: list[tuple[str, str, int]]  # (code id, name, pending count)
    documents: list[tuple[int, str, int]]  # (document id, title, pending count)
    origins: list[str]
    total: int


def evidence_parts(text: str, base: int, evidence: Iterable[dict]) -> list[tuple[str, bool]]:
    """``text`` (which starts at offset ``base`` of its document) cut into (piece, is_evidence) parts.

    Overlapping or touching spans are merged; spans outside the text are clipped or left out.
    """
    spans = []
    for item in evidence or []:
        try:
            start, end = int(item["start"]) - base, int(item["end"]) - base
        except (KeyError, TypeError, ValueError):
            continue
        start, end = max(start, 0), min(end, len(text))
        if start < end:
            spans.append((start, end))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, pos = [], 0
    for start, end in merged:
        parts += [(text[pos:start], False), (text[start:end], True)]
        pos = end
    parts.append((text[pos:], False))
    return [(piece, marked) for piece, marked in parts if piece]


def mark_evidence(text: str, base: int, evidence: Iterable[dict]) -> str:
    """``text`` with each evidence span in 【】 (plain text: render with st.text/st.dataframe, or escape it)."""
    return "".join(f"{OPEN}{piece}{CLOSE}" if marked else piece for piece, marked in evidence_parts(text, base, evidence))


def rule_names(evidence: Iterable[dict]) -> str:
    names: list[str] = []
    for item in evidence or []:
        name = item.get("rule") if isinstance(item, dict) else None
        if name and name not in names:
            names.append(name)
    return ", ".join(names)


def _coder_id(session, coder: str | None) -> int | None:
    return session.scalar(select(Coder.id).where(Coder.name == coder.strip())) if coder and coder.strip() else None


def _pending(coder_id: int | None):
    machine = and_(CodeApplication.coder_id.is_(None), CodeApplication.status == "suggested",
                   CodeApplication.layer == "coding")
    if coder_id is None:
        return machine
    decided = (select(CodeApplication.suggestion_id)
               .where(CodeApplication.coder_id == coder_id, CodeApplication.suggestion_id.is_not(None),
                      CodeApplication.layer == "coding")
               .scalar_subquery())
    return and_(machine, CodeApplication.id.not_in(decided))


def _filtered(query, filt: ReviewFilter):
    if filt.codes:
        query = query.where(Code.key.in_(list(filt.codes)))
    if filt.document_ids:
        query = query.where(CodeApplication.document_id.in_(list(filt.document_ids)))
    if filt.origin:
        query = query.where(CodeApplication.origin == filt.origin)
    if filt.min_score is not None:
        query = query.where(CodeApplication.score >= filt.min_score)
    if filt.max_score is not None:
        query = query.where(CodeApplication.score <= filt.max_score)
    return query


def _live(query):
    return query.join(Code, Code.id == CodeApplication.code_id).join(
        Document, Document.id == CodeApplication.document_id).where(Document.deleted_at.is_(None))


def review_page(project, *, coder: str | None, filt: ReviewFilter | None = None, offset: int = 0,
                limit: int = 100, as_user: str | None = None) -> ReviewPage:
    """One page of ``coder``'s pending suggestions (everyone's machine suggestions when None), best score first.

    ``as_user``: who is asking; while blinded (blind double coding) they get their own queue whatever ``coder`` says.
    """
    filt = filt or ReviewFilter()
    if not 1 <= limit <= MAX_PAGE:
        raise BaolianError(f"page size {limit} is out of range", field="limit", hint=f"use 1 to {MAX_PAGE} rows")
    offset = max(0, int(offset))
    with project.read() as s:
        where = _pending(_coder_id(s, shown_coder(s, coder, as_user)))
        total = s.scalar(_filtered(_live(select(func.count(CodeApplication.id))).where(where), filt)) or 0
        order = (CodeApplication.score.desc(), CodeApplication.id)
        # Pick the page's ids first (narrow rows, cheap to sort), then read only those rows in full.
        ids = list(s.scalars(_filtered(_live(select(CodeApplication.id)).where(where), filt)
                             .order_by(*order).offset(offset).limit(limit)))
        length = CodeApplication.end - CodeApplication.start
        query = _live(select(
            CodeApplication.id, CodeApplication.document_id, Document.title, Code.key, Code.name, Code.color,
            CodeApplication.origin, CodeApplication.score, CodeApplication.evidence, CodeApplication.start,
            CodeApplication.end, func.substr(Document.text, CodeApplication.start + 1, length),
        )).where(CodeApplication.id.in_(ids)).order_by(*order)
        rows = [
            ReviewRow(id=i, document_id=d, document=title, code=key, code_name=name, color=color, origin=origin,
                      score=score, rules=rule_names(ev), unit_text=text or "",
                      marked=mark_evidence(text or "", start, ev), start=start, end=end, evidence=list(ev or []))
            for i, d, title, key, name, color, origin, score, ev, start, end, text in s.execute(query)
        ]
    return ReviewPage(rows=rows, total=total, offset=offset, limit=limit)


def review_options(project, *, coder: str | None, as_user: str | None = None) -> ReviewOptions:
    """Codes, documents and origins that have pending suggestions for ``coder``, with counts (one query)."""
    codes: dict[str, list] = {}
    docs: dict[int, list] = {}
    origins: set[str] = set()
    with project.read() as s:
        where = _pending(_coder_id(s, shown_coder(s, coder, as_user)))
        groups = (Code.position, Code.key, Code.name, Document.id, Document.title, CodeApplication.origin)
        for position, key, name, doc_id, title, origin, n in s.execute(
                _live(select(*groups, func.count(CodeApplication.id))).where(where).group_by(*groups)):
            codes.setdefault(key, [position, name, 0])[2] += n
            docs.setdefault(doc_id, [title, 0])[1] += n
            origins.add(origin)
    ordered = sorted(codes.items(), key=lambda item: (item[1][0], item[0]))
    return ReviewOptions(codes=[(key, name, n) for key, (_, name, n) in ordered],
                         documents=[(doc_id, title, n) for doc_id, (title, n) in sorted(docs.items())],
                         origins=sorted(origins), total=sum(n for _, (_, _, n) in ordered))
