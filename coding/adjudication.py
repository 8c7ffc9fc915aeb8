"""Adjudication: where coders disagree, and the admin's final coding, kept as a layer of its own.

The unit is the sentence (the segment-level unit of :mod:`coding.agreement`): for each document,
sentence and code, a coder "has the code" when one of their accepted codings (layer 'coding')
overlaps the sentence. Where some compared coders have it and others do not, that is a
disagreement (:func:`disagreements`); where all have it, an agreement.

:func:`decide` records the admin's choice for one sentence × code — one coder's span(s), the
merge (union) of all coders' spans, or none — as rows of layer 'final' (``coder_id`` the admin,
origin 'human', status 'accepted', ``based_on`` the ids of the coders' codings it came from;
"none" is one 'rejected' final row over the sentence). Spans are clipped to the sentence. The
coders' own codings are never touched. Deciding again replaces the earlier final rows of that
sentence × code; the event row keeps them (before) next to the new ones (after).

Admin only: changes check ``Permission.MANAGE``; reads take ``as_user`` and refuse non-admins.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from coding.decisions import CodedSpan
from coding.errors import BaolianError
from coding.roles import Forbidden, Permission, authorize, role_of
from coding.store import Assignment, Code, CodeApplication, Coder, Document, Memo, Segment, record_event

MERGE = "merge"
NONE = "none"
_ALIASES = {"merge": MERGE, "union": MERGE, "合并": MERGE, "none": NONE, "neither": NONE, "都不": NONE}


@dataclass(frozen=True)
class Span:
    coder: str
    application_id: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class FinalRow(CodedSpan):
    status: str  # 'accepted' (the span carries the code) or 'rejected' (decided: no code here)
    choice: str  # a coder's name, 'merge' or 'none'
    by: str | None
    based_on: list[int]
    text: str
    at: datetime | None = None


@dataclass(frozen=True)
class Disagreement:
    document_id: int
    document: str
    segment_id: int
    sentence: int  # 1-based number of the sentence in its document
    start: int
    end: int
    text: str  # the sentence
    code: str
    code_name: str
    color: str
    coders: tuple[str, ...]  # the coders compared on this document
    having: tuple[str, ...]  # those who have the code here
    spans: dict[str, list[Span]] = field(default_factory=dict)  # coder -> their spans (all compared coders)
    final: list[FinalRow] = field(default_factory=list)  # the decision made, if any

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in self.coders if c not in self.having)


@dataclass(frozen=True)
class Report:
    items: list[Disagreement]
    agreements: int  # sentence × code units where every compared coder has the code
    units: int  # sentence × code units where at least one compared coder has it
    coders: dict[int, tuple[str, ...]]  # document id -> coders compared there
    decided: int  # disagreements with a final decision


@dataclass
class _Doc:
    id: int
    title: str
    text: str
    coders: tuple[str, ...]
    sentences: list  # Segment rows in order
    units: dict = field(default_factory=dict)  # (segment id, code key) -> {coder: [CodeApplication]}


def _require_admin(session: Session, user: str | None) -> None:
    if user is None:
        return  # a trusted caller (tests, scripts); shells always pass who is asking
    role = role_of(session, user)
    if role is None or not role.can_manage():
        raise Forbidden(f"{user!r} may not adjudicate", field="role",
                        hint="adjudication is for admins; ask an admin")


def _coders_for(session: Session, document_id: int, coders: tuple[str, ...] | None) -> tuple[str, ...]:
    """The coders to compare on a document: those given, else its assigned coders, else everyone who decided on it."""
    if coders:
        return coders
    assigned = tuple(session.scalars(select(Coder.name).join(Assignment, Assignment.coder_id == Coder.id)
                                     .where(Assignment.document_id == document_id).order_by(Coder.name)))
    if len(assigned) >= 2:
        return assigned
    return tuple(session.scalars(
        select(Coder.name).join(CodeApplication, CodeApplication.coder_id == Coder.id)
        .where(CodeApplication.document_id == document_id, CodeApplication.layer == "coding")
        .distinct().order_by(Coder.name)))


def _check_coders(session: Session, coders: Iterable[str] | None) -> tuple[str, ...] | None:
    if coders is None:
        return None
    names = tuple(dict.fromkeys(c.strip() for c in coders if c and c.strip()))
    known = set(session.scalars(select(Coder.name).where(Coder.name.in_(names))))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BaolianError(f"no coder {', '.join(map(repr, unknown))} in this project", field="coders",
                           hint="give names of coders who coded (see `baolian adjudicate list`)")
    if len(names) < 2:
        raise BaolianError("adjudication needs two or more coders", field="coders", hint="give at least two names")
    return names


def _coded_documents(session: Session, document_id: int | None) -> list[int]:
    """``document_id`` alone, else every live document some coder has decided on, by id."""
    if document_id is not None:
        return [int(document_id)]
    return list(session.scalars(select(CodeApplication.document_id).join(Document)
                                .where(CodeApplication.coder_id.is_not(None), CodeApplication.layer == "coding",
                                       Document.deleted_at.is_(None))
                                .distinct().order_by(CodeApplication.document_id)))


def _compared_documents(session: Session, coders: Iterable[str] | None, document_id: int | None,
                        code: str | None) -> tuple[dict[str, Code], list[_Doc]]:
    """The codebook's codes by key, and the documents (``document_id`` or every coded one) with two or more
    coders to compare, each with its sentence × code units."""
    names = _check_coders(session, coders)
    codes = {c.key: c for c in session.scalars(select(Code))}
    docs = (_compare(session, d, names, code) for d in _coded_documents(session, document_id))
    return codes, [d for d in docs if d is not None]


def _compare(session: Session, document_id: int, coders: tuple[str, ...] | None, code: str | None) -> _Doc | None:
    doc = session.get(Document, document_id)
    if doc is None or doc.deleted_at is not None:
        raise BaolianError(f"no document #{document_id}", field="document", hint="give an id from `baolian documents`")
    names = _coders_for(session, document_id, coders)
    if len(names) < 2:
        return None
    sentences = list(session.scalars(select(Segment).where(Segment.document_id == document_id,
                                                           Segment.unit == "sentence").order_by(Segment.start)))
    if not sentences:
        sentences = list(session.scalars(select(Segment).where(Segment.document_id == document_id,
                                                               Segment.unit == "paragraph").order_by(Segment.start)))
    out = _Doc(doc.id, doc.title, doc.text, names, sentences)
    query = (select(CodeApplication, Code.key, Coder.name)
             .join(Code, Code.id == CodeApplication.code_id).join(Coder, Coder.id == CodeApplication.coder_id)
             .where(CodeApplication.document_id == document_id, CodeApplication.layer == "coding",
                    CodeApplication.status == "accepted", Coder.name.in_(names))
             .order_by(CodeApplication.start, CodeApplication.id))
    if code:
        query = query.where(Code.key == code)
    starts = [s.start for s in sentences]
    ends = [s.end for s in sentences]
    for app, key, name in session.execute(query):
        first = bisect_right(ends, app.start)  # first sentence ending after the span starts
        last = bisect_left(starts, app.end)  # sentences starting before the span ends
        for seg in sentences[first:last]:
            out.units.setdefault((seg.id, key), {}).setdefault(name, []).append(app)
    return out


def _clip(apps: Iterable[CodeApplication], seg: Segment) -> list[tuple[int, int]]:
    """The spans clipped to the sentence, overlapping or touching ones merged."""
    spans = sorted((max(a.start, seg.start), min(a.end, seg.end)) for a in apps)
    merged: list[list[int]] = []
    for start, end in spans:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _finals(session: Session, document_id: int,
            code: str | None = None) -> dict[tuple[int | None, str], list[FinalRow]]:
    by = aliased(Coder)
    query = (select(CodeApplication, Code.key, Code.name, by.name, Document.text)
             .join(Code, Code.id == CodeApplication.code_id).join(Document, Document.id == CodeApplication.document_id)
             .outerjoin(by, by.id == CodeApplication.coder_id)
             .where(CodeApplication.document_id == document_id, CodeApplication.layer == "final")
             .order_by(CodeApplication.start, CodeApplication.id))
    if code:
        query = query.where(Code.key == code)
    out: dict[tuple[int | None, str], list[FinalRow]] = {}
    for row, key, name, who, text in session.execute(query):
        choice = (row.made_by or "").removeprefix("adjudication:")
        out.setdefault((row.segment_id, key), []).append(FinalRow(
            id=row.id, document_id=row.document_id, segment_id=row.segment_id, start=row.start, end=row.end,
            code=key, code_name=name, status=row.status, choice=choice, by=who, based_on=list(row.based_on or []),
            text=text[row.start:row.end] if row.status == "accepted" else "", at=row.updated_at))
    return out


def disagreements(project, *, coders: Iterable[str] | None = None, document_id: int | None = None,
                  code: str | None = None, as_user: str | None = None) -> Report:
    """Sentence × code units where the compared coders differ, by document, sentence and code.

    ``coders``: compare these (two or more) everywhere; default per document its assigned coders
    (two or more), else everyone with decisions on it. Documents with fewer than two coders are left out.
    """
    items: list[Disagreement] = []
    agreements = units = decided = 0
    compared: dict[int, tuple[str, ...]] = {}
    with project.read() as s:
        _require_admin(s, as_user)
        codes, docs = _compared_documents(s, coders, document_id, code)
        for doc in docs:
            compared[doc.id] = doc.coders
            finals = _finals(s, doc.id, code)
            index = {seg.id: (i, seg) for i, seg in enumerate(doc.sentences)}
            for (seg_id, key), having in sorted(doc.units.items(), key=lambda kv: (index[kv[0][0]][0],
                                                                                  codes[kv[0][1]].position)):
                units += 1
                if len(having) == len(doc.coders):
                    agreements += 1
                    continue
                i, seg = index[seg_id]
                spans = {name: [Span(name, a.id, a.start, a.end, doc.text[a.start:a.end]) for a in having.get(name, [])]
                         for name in doc.coders}
                final = finals.get((seg_id, key), [])
                decided += bool(final)
                items.append(Disagreement(
                    document_id=doc.id, document=doc.title, segment_id=seg_id, sentence=i + 1, start=seg.start,
                    end=seg.end, text=doc.text[seg.start:seg.end], code=key, code_name=codes[key].name,
                    color=codes[key].color, coders=doc.coders, having=tuple(n for n in doc.coders if n in having),
                    spans=spans, final=final))
    return Report(items=items, agreements=agreements, units=units, coders=compared, decided=decided)


def _choice(choice: str, coders: tuple[str, ...]) -> str:
    text = (choice or "").strip()
    if text in coders:
        return text
    if text.lower() in _ALIASES:
        return _ALIASES[text.lower()]
    raise BaolianError(f"unknown choice {choice!r}", field="choice",
                       hint=f"choose a coder ({', '.join(coders)}), 'merge' or 'none'")


def _final_dict(row: CodeApplication) -> dict:
    return {"id": row.id, "document_id": row.document_id, "segment_id": row.segment_id, "start": row.start,
            "end": row.end, "code_id": row.code_id, "coder_id": row.coder_id, "status": row.status,
            "made_by": row.made_by, "based_on": list(row.based_on or []), "layer": row.layer}


def _write_final(s: Session, doc: _Doc, seg: Segment, code_row: Code, picked: str, by_id: int | None) -> list[int]:
    """Replace the final rows of one sentence × code by ``picked`` (a coder, merge or none), with its event."""
    having = doc.units.get((seg.id, code_row.key), {})
    everyone = [a for name in doc.coders for a in having.get(name, [])]
    chosen = everyone if picked == MERGE else [] if picked == NONE else having.get(picked, [])
    old = list(s.scalars(select(CodeApplication).where(
        CodeApplication.document_id == doc.id, CodeApplication.segment_id == seg.id,
        CodeApplication.code_id == code_row.id, CodeApplication.layer == "final")))
    before = [_final_dict(r) for r in old]
    if old:
        s.execute(update(Memo).where(Memo.application_id.in_([r.id for r in old])).values(application_id=None))
        for r in old:
            s.delete(r)
        s.flush()
    based_on = sorted({a.id for a in (chosen or everyone)})
    spans = _clip(chosen, seg)
    status = "accepted" if spans else "rejected"  # rejected: decided that this sentence does not carry the code
    rows = [CodeApplication(document_id=doc.id, segment_id=seg.id, start=a, end=b, code_id=code_row.id,
                            coder_id=by_id, origin="human", status=status, score=None, evidence=[],
                            made_by=f"adjudication:{picked}", layer="final", based_on=based_on)
            for a, b in (spans or [(seg.start, seg.end)])]
    s.add_all(rows)
    s.flush()
    record_event(s, "adjudication.decide", "segment", seg.id,
                 before={"code": code_row.key, "rows": before} if before else None,
                 after={"code": code_row.key, "choice": picked, "coders": list(doc.coders),
                        "rows": [_final_dict(r) for r in rows]}, coder_id=by_id)
    return [r.id for r in rows]


def adopt_agreements(project, *, by: str, document_id: int | None = None, coders: Iterable[str] | None = None,
                     code: str | None = None) -> int:
    """Write the final coding wherever all compared coders agree (the union of their spans in the sentence),
    leaving sentences already decided alone (admin; one transaction). Returns the number of sentence × code
    units adopted."""
    n = 0
    with project.transaction() as s:
        by_id = authorize(s, by, Permission.MANAGE)
        codes, docs = _compared_documents(s, coders, document_id, code)
        for doc in docs:
            decided = set(_finals(s, doc.id, code))
            segs = {seg.id: seg for seg in doc.sentences}
            for (sid, key), having in sorted(doc.units.items(), key=lambda kv: (segs[kv[0][0]].start, kv[0][1])):
                if len(having) == len(doc.coders) and (sid, key) not in decided:
                    _write_final(s, doc, segs[sid], codes[key], MERGE, by_id)
                    n += 1
    return n


def decide(project, *, document_id: int, code: str, choice: str, by: str, segment_id: int | None = None,
           coders: Iterable[str] | None = None) -> list[int]:
    """Record the final coding of ``code`` on one sentence (``segment_id``), or on every sentence of the
    document where the coders disagree on it (``segment_id`` None). Admin only; one transaction.

    ``choice``: a coder's name (their span(s)), 'merge' (the union of all compared coders' spans) or
    'none' (no code here). Returns the ids of the new final rows.
    """
    made: list[int] = []
    with project.transaction() as s:
        by_id = authorize(s, by, Permission.MANAGE)
        code_row = s.scalar(select(Code).where(Code.key == code))
        if code_row is None:
            raise BaolianError(f"unknown code {code!r}", field="code", hint="pick a code of the project's codebook")
        doc = _compare(s, int(document_id), _check_coders(s, coders), code)
        if doc is None:
            raise BaolianError(f"document #{document_id} has fewer than two coders to adjudicate", field="document",
                               hint="assign it to two or more coders (baolian assign) and let them code it")
        picked = _choice(choice, doc.coders)
        segs = {seg.id: seg for seg in doc.sentences}
        if segment_id is None:
            targets = [sid for (sid, _), having in doc.units.items() if len(having) < len(doc.coders)]
            if not targets:
                raise BaolianError(f"no disagreement on {code} in document #{document_id}", field="code",
                                   hint="see `baolian adjudicate list`")
        else:
            if int(segment_id) not in segs:
                raise BaolianError(f"no sentence #{segment_id} in document #{document_id}", field="segment")
            targets = [int(segment_id)]
        for sid in sorted(targets, key=lambda i: segs[i].start):
            made += _write_final(s, doc, segs[sid], code_row, picked, by_id)
    return made


def final_coding(project, document_id: int | None = None, *, code: str | None = None,
                 as_user: str | None = None) -> list[FinalRow]:
    """The adjudicated coding (layer 'final'), of one document or of all, in reading order."""
    with project.read() as s:
        _require_admin(s, as_user)
        if document_id is not None:
            doc_ids = [int(document_id)]
        else:
            doc_ids = list(s.scalars(select(CodeApplication.document_id).where(CodeApplication.layer == "final")
                                     .distinct().order_by(CodeApplication.document_id)))
        rows = [r for d in doc_ids for group in _finals(s, d, code).values() for r in group]
    return sorted(rows, key=lambda r: (r.document_id, r.start, r.code, r.id))


def decision_history(project, *, document_id: int | None = None, limit: int = 100,
                     as_user: str | None = None) -> list[dict]:
    """Adjudication events, newest first: what each decision replaced (before) and wrote (after)."""
    from coding.store import Event

    with project.read() as s:
        _require_admin(s, as_user)
        query = (select(Event, Coder.name).outerjoin(Coder, Coder.id == Event.coder_id)
                 .where(Event.action == "adjudication.decide").order_by(Event.id.desc()).limit(limit))
        out = []
        for e, who in s.execute(query):
            rows = (e.after or {}).get("rows", [])
            if document_id is not None and not any(r.get("document_id") == document_id for r in rows):
                continue
            out.append({"id": e.id, "at": e.at, "by": who, "segment_id": e.entity_id, "before": e.before,
                        "after": e.after})
        return out
