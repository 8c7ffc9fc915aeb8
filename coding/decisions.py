"""Coders' decisions: accept or reject suggestions, add, remove and resize codings; the codings shown.

Every function here is one transaction with its event-log row. Machine
suggestions stay as they were made; a decision is a row of its own that
names its coder (see :class:`coding.store.CodeApplication`), so each coder's
work can be kept apart (blind double coding) and nothing is overwritten.

Edits of an existing row are optimistic: the caller passes the ``version`` it
saw, and a row changed meanwhile by someone else is refused with
:class:`StaleEdit` ("changed by X, reload") instead of being overwritten
(the checks are in :mod:`coding.coding_rows`).

Memos (:mod:`coding.memos`) and the recent changes with undo (:mod:`coding.undo`) are re-exported here:
``from coding.decisions import add_memo, memos, history, undo_last`` works.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import aliased

from coding.assignments import shown_coder as _shown_coder
from coding.coding_rows import (CODING, StaleEdit, _check_span, _code_id, _guarded, _own_row, _row_dict,
                                _segment_for, insert_coding)
from coding.errors import BaolianError
from coding.memos import add_memo, delete_memo, edit_memo, memo_target, memos
from coding.roles import Permission, authorize
from coding.store import Code, CodeApplication, Coder, Document, Memo, record_event
from coding.store.models import utcnow
from coding.undo import UNDOABLE, history, undo_last


@dataclass(frozen=True)
class CodedSpan:
    """What every coding shown has: its row, document, segment, span and code (key and name)."""

    id: int
    document_id: int
    segment_id: int | None
    start: int
    end: int
    code: str
    code_name: str


@dataclass(frozen=True)
class Application(CodedSpan):
    """A code on a span, as the shells show it."""

    color: str
    coder: str | None
    origin: str
    status: str
    score: float | None
    evidence: list
    made_by: str | None
    suggestion_id: int | None
    version: int
    updated_at: datetime | None = None


def _select_applications():
    return (
        select(CodeApplication, Code.key, Code.name, Code.color, Coder.name)
        .join(Code, Code.id == CodeApplication.code_id)
        .outerjoin(Coder, Coder.id == CodeApplication.coder_id)
    )


def _view(row: CodeApplication, key: str, name: str, color: str, coder: str | None) -> Application:
    return Application(
        id=row.id, document_id=row.document_id, segment_id=row.segment_id, start=row.start, end=row.end,
        code=key, code_name=name, color=color, coder=coder, origin=row.origin, status=row.status,
        score=row.score, evidence=list(row.evidence or []), made_by=row.made_by,
        suggestion_id=row.suggestion_id, version=row.version, updated_at=row.updated_at,
    )


def _pending_clause(coder_id: int | None):
    """Machine suggestions that this coder has not decided yet."""
    decision = aliased(CodeApplication)
    live = CodeApplication.document_id.in_(select(Document.id).where(Document.deleted_at.is_(None)))
    clause = and_(CodeApplication.coder_id.is_(None), CodeApplication.status == "suggested", CODING, live)
    if coder_id is None:
        return clause
    return and_(clause, ~exists().where(and_(decision.suggestion_id == CodeApplication.id,
                                             decision.coder_id == coder_id, decision.layer == "coding")))


def pending_suggestions(
    project, *, coder: str | None, document_id: int | None = None, codes: Iterable[str] | None = None,
    origin: str | None = None, min_score: float | None = None, limit: int | None = None,
    as_user: str | None = None,
) -> list[Application]:
    """Suggestions waiting for ``coder``'s decision, best score first.

    ``as_user``: who is asking; while blinded they get their own queue whatever ``coder`` says.
    """
    with project.read() as s:
        coder = _shown_coder(s, coder, as_user, document_id)
        coder_id = s.scalar(select(Coder.id).where(Coder.name == coder)) if coder else None
        query = _select_applications().where(_pending_clause(coder_id))
        if document_id is not None:
            query = query.where(CodeApplication.document_id == document_id)
        if codes:
            query = query.where(Code.key.in_(list(codes)))
        if origin:
            query = query.where(CodeApplication.origin == origin)
        if min_score is not None:
            query = query.where(CodeApplication.score >= min_score)
        query = query.order_by(CodeApplication.score.desc(), CodeApplication.id)
        if limit:
            query = query.limit(limit)
        return [_view(*r) for r in s.execute(query)]


def document_applications(project, document_id: int, *, coder: str | None = None,
                          include_pending: bool = True, as_user: str | None = None) -> list[Application]:
    """Codings on a document: ``coder``'s decisions (everyone's when None) and the pending suggestions.

    Only the 'coding' layer: adjudicated codings are :func:`coding.adjudication.final_coding`.
    ``as_user``: who is asking. In blind mode before adjudication a coder (not an admin) gets only
    their own decisions and the machine's suggestions, whatever ``coder`` says.
    """
    with project.read() as s:
        coder = _shown_coder(s, coder, as_user, document_id)
        coder_id = s.scalar(select(Coder.id).where(Coder.name == coder)) if coder else None
        decided = CodeApplication.coder_id.is_not(None)
        if coder is not None:
            decided = CodeApplication.coder_id == coder_id
        clause = decided | _pending_clause(coder_id) if include_pending else decided
        query = (_select_applications().where(CodeApplication.document_id == document_id, clause, CODING)
                 .order_by(CodeApplication.start, CodeApplication.id))
        return [_view(*r) for r in s.execute(query)]


def _decide(project, suggestion_ids: Sequence[int], status: str, coder: str) -> list[int]:
    made = []
    note = {"batch": uuid.uuid4().hex} if len(suggestion_ids) > 1 else {}  # one undo takes back all of them
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        for sid in suggestion_ids:
            sug = s.get(CodeApplication, sid)
            if sug is None or sug.coder_id is not None or sug.layer != "coding":
                raise BaolianError(f"no suggestion #{sid}", field="suggestion", hint="reload: it may have been re-coded")
            if s.get(Document, sug.document_id).deleted_at is not None:
                raise BaolianError(f"suggestion #{sid} is on a deleted document", field="suggestion",
                                   hint="an admin can restore the document (历史 History page / baolian document restore)")
            previous = s.scalar(select(CodeApplication).where(
                CodeApplication.suggestion_id == sid, CodeApplication.coder_id == coder_id, CODING))
            action = f"coding.{'accept' if status == 'accepted' else 'reject'}"
            if previous is not None:
                if previous.status != status:
                    before = _row_dict(previous)
                    previous.status, previous.updated_at, previous.version = status, utcnow(), previous.version + 1
                    s.flush()
                    record_event(s, action, "code_application", previous.id, before=before,
                                 after={**_row_dict(previous), **note}, coder_id=coder_id)
                    made.append(previous.id)
                continue
            row = CodeApplication(
                document_id=sug.document_id, segment_id=sug.segment_id, start=sug.start, end=sug.end,
                code_id=sug.code_id, coder_id=coder_id, origin=sug.origin, status=status, score=sug.score,
                evidence=sug.evidence, made_by=sug.made_by, suggestion_id=sug.id,
            )
            s.add(row)
            s.flush()
            record_event(s, action, "code_application", row.id, after={**_row_dict(row), **note}, coder_id=coder_id)
            made.append(row.id)
    return made


def accept(project, suggestion_ids: int | Sequence[int], *, coder: str) -> list[int]:
    """Accept one or many suggestions (one transaction). Returns the decision rows' ids."""
    ids = [suggestion_ids] if isinstance(suggestion_ids, int) else list(suggestion_ids)
    return _decide(project, ids, "accepted", coder)


def reject(project, suggestion_ids: int | Sequence[int], *, coder: str) -> list[int]:
    """Reject one or many suggestions (one transaction). Returns the decision rows' ids."""
    ids = [suggestion_ids] if isinstance(suggestion_ids, int) else list(suggestion_ids)
    return _decide(project, ids, "rejected", coder)


def add_code(project, document_id: int, start: int, end: int, code: str, *, coder: str) -> int:
    """Code a span by hand. Returns the new coding's id."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        return insert_coding(s, coder_id, document_id, start, end, _code_id(s, code)).id


@dataclass(frozen=True)
class CodingRun:
    added: list[int]  # ids of the new codings
    already: int  # spans the coder had already coded with the code (a coding of it covering the span)


def code_spans(project, spans: Iterable[tuple[int, int, int]], code: str, *, coder: str,
               query: str | None = None) -> CodingRun:
    """Code many spans ((document id, start, end)) with ``code`` by hand in one transaction, e.g. the passages
    a search found (``query``, kept in the event log). A span the coder has already coded with the code is left
    as it is. The codings are one batch: one undo takes them all back."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        code_id = _code_id(s, code)
        note = {"batch": uuid.uuid4().hex, **({"query": query} if query else {})}
        added, already = [], 0
        for document_id, start, end in dict.fromkeys((int(d), int(a), int(b)) for d, a, b in spans):
            if s.scalar(select(CodeApplication.id).where(
                    CodeApplication.document_id == document_id, CodeApplication.code_id == code_id,
                    CodeApplication.coder_id == coder_id, CodeApplication.status == "accepted", CODING,
                    CodeApplication.start <= start, CodeApplication.end >= end).limit(1)) is not None:
                already += 1
                continue
            added.append(insert_coding(s, coder_id, document_id, start, end, code_id, note=note).id)
        return CodingRun(added, already)


def coded_spans(project, code: str, coder: str) -> dict[int, list[tuple[int, int]]]:
    """The spans ``coder`` has coded with ``code`` (accepted codings), by document: a passage inside one of them
    is what :func:`code_spans` counts as already coded (there asked span by span, inside its transaction)."""
    with project.read() as s:
        rows = s.execute(select(CodeApplication.document_id, CodeApplication.start, CodeApplication.end)
                         .join(Code, Code.id == CodeApplication.code_id).join(Coder, Coder.id == CodeApplication.coder_id)
                         .where(Code.key == code, Coder.name == coder, CodeApplication.status == "accepted",
                                CODING)).all()
    spans: dict[int, list[tuple[int, int]]] = {}
    for document_id, start, end in rows:
        spans.setdefault(document_id, []).append((start, end))
    return spans


def is_covered(spans: dict[int, list[tuple[int, int]]], document_id: int, start: int, end: int) -> bool:
    """Whether one of ``spans`` (:func:`coded_spans`) covers the passage."""
    return any(a <= start and end <= b for a, b in spans.get(document_id, ()))


def remove_code(project, application_id: int, *, coder: str, version: int | None = None) -> None:
    """Remove a coding (the event log keeps it, and undo brings it back)."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        row = _own_row(s, application_id, version, coder, coder_id)
        linked = list(s.scalars(select(Memo.id).where(Memo.application_id == row.id)))
        before = {**_row_dict(row), "memo_ids": linked}  # memos on it are kept, unlinked; undo links them again
        s.execute(update(Memo).where(Memo.id.in_(linked)).values(application_id=None))
        _guarded(s, delete(CodeApplication), row)
        record_event(s, "coding.remove", "code_application", application_id, before=before, coder_id=coder_id)


def resize(project, application_id: int, start: int, end: int, *, coder: str, version: int | None = None) -> None:
    """Narrow or widen a coded span."""
    start, end = int(start), int(end)
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        row = _own_row(s, application_id, version, coder, coder_id)
        _check_span(s, row.document_id, start, end)
        before = _row_dict(row)
        values = {"start": start, "end": end, "segment_id": _segment_for(s, row.document_id, start, end),
                  "version": row.version + 1, "updated_at": utcnow()}
        _guarded(s, update(CodeApplication).values(**values), row)
        after = {**before, **values}
        after.pop("updated_at")
        record_event(s, "coding.resize", "code_application", row.id, before=before, after=after,
                     coder_id=coder_id)


__all__ = ["CODING", "UNDOABLE", "Application", "CodedSpan", "StaleEdit", "accept", "add_code", "add_memo",
           "delete_memo", "document_applications", "edit_memo", "history", "memo_target", "memos",
           "pending_suggestions", "reject", "remove_code", "resize", "undo_last", "code_spans", "coded_spans",
           "is_covered", "CodingRun"]
