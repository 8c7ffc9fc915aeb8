"""Coders' decisions: accept or reject suggestions, add, remove and resize codings, memos, undo.

Every function here is one transaction with its event-log row. Machine
suggestions stay as they were made; a decision is a row of its own that
names its coder (see :class:`coding.store.CodeApplication`), so each coder's
work can be kept apart (blind double coding) and nothing is overwritten.

Edits of an existing row are optimistic: the caller passes the ``version`` it
saw, and a row changed meanwhile by someone else is refused with
:class:`StaleEdit` ("changed by X, reload") instead of being overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session, aliased

from coding.assignments import blinded, shown_coder as _shown_coder
from coding.errors import BaolianError
from coding.roles import Forbidden, Permission, authorize, role_of
from coding.store import Code, CodeApplication, Coder, Document, Event, Memo, Segment, record_event
from coding.store.models import utcnow


class StaleEdit(BaolianError):
    """The row was changed by someone else since the caller read it."""


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


def _row_dict(row: CodeApplication) -> dict:
    return {
        "id": row.id, "document_id": row.document_id, "segment_id": row.segment_id,
        "start": row.start, "end": row.end, "code_id": row.code_id, "coder_id": row.coder_id,
        "origin": row.origin, "status": row.status, "score": row.score, "evidence": row.evidence,
        "made_by": row.made_by, "suggestion_id": row.suggestion_id, "version": row.version,
    }


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


def _code_id(session: Session, key: str) -> int:
    row = session.scalar(select(Code).where(Code.key == key))
    if row is None:
        raise BaolianError(f"unknown code {key!r}", field="code", hint="pick a code of the project's codebook")
    if row.retired:
        raise BaolianError(f"code {key!r} is retired", field="code", hint="use the code that replaced it")
    if not row.codable:
        raise BaolianError(f"code {key!r} is a group, not a code to apply", field="code",
                           hint="pick one of its sub-codes")
    return row.id


CODING = CodeApplication.layer == "coding"  # coders' decisions and suggestions, never the adjudicated 'final' layer


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
                                 after=_row_dict(previous), coder_id=coder_id)
                    made.append(previous.id)
                continue
            row = CodeApplication(
                document_id=sug.document_id, segment_id=sug.segment_id, start=sug.start, end=sug.end,
                code_id=sug.code_id, coder_id=coder_id, origin=sug.origin, status=status, score=sug.score,
                evidence=sug.evidence, made_by=sug.made_by, suggestion_id=sug.id,
            )
            s.add(row)
            s.flush()
            record_event(s, action, "code_application", row.id, after=_row_dict(row), coder_id=coder_id)
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


def _check_span(session: Session, document_id: int, start: int, end: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None or doc.deleted_at is not None:
        raise BaolianError(f"no document #{document_id}", field="document")
    if not (0 <= start < end <= doc.n_chars):
        raise BaolianError(f"span {start}–{end} is outside the document (0–{doc.n_chars}) or empty",
                           field="span", hint="select at least one character of the text")
    return doc


def _segment_for(session: Session, document_id: int, start: int, end: int) -> int | None:
    """The smallest sentence (else paragraph) containing the span."""
    for unit in ("sentence", "paragraph"):
        seg = session.scalar(select(Segment.id).where(
            Segment.document_id == document_id, Segment.unit == unit,
            Segment.start <= start, Segment.end >= end).limit(1))
        if seg is not None:
            return seg
    return None


def add_code(project, document_id: int, start: int, end: int, code: str, *, coder: str) -> int:
    """Code a span by hand. Returns the new coding's id."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        _check_span(s, document_id, start, end)
        row = CodeApplication(
            document_id=document_id, segment_id=_segment_for(s, document_id, start, end), start=start,
            end=end, code_id=_code_id(s, code), coder_id=coder_id, origin="human", status="accepted",
            score=None, evidence=[],
        )
        s.add(row)
        s.flush()
        record_event(s, "coding.add", "code_application", row.id, after=_row_dict(row), coder_id=coder_id)
        return row.id


def _own_row(session: Session, application_id: int, version: int | None, coder: str | None = None,
             coder_id: int | None = None) -> CodeApplication:
    row = session.get(CodeApplication, application_id)
    if row is None and version is not None:
        _stale(session, application_id)  # it existed when the caller saw it: say who removed it
    if row is None or row.coder_id is None:
        raise BaolianError(f"no coding #{application_id}", field="coding", hint="reload the page")
    if row.layer != "coding":
        raise BaolianError(f"#{application_id} is an adjudicated (final) coding", field="coding",
                           hint="change it on the 裁决 Adjudication page (decide again)")
    if coder_id is not None and row.coder_id != coder_id and blinded(session, coder, row.document_id):
        # blind double coding: another coder's work is neither shown nor changeable, also not by its id
        raise BaolianError(f"no coding #{application_id}", field="coding", hint="reload the page")
    if coder_id is not None and row.coder_id != coder_id and not role_of(session, coder).can_manage():
        raise Forbidden(f"coding #{application_id} is another coder's", field="coding",
                        hint="only its coder or an admin may change it; add your own coding instead")
    if version is not None and row.version != version:
        _stale(session, application_id)
    return row


def _stale(session: Session, application_id: int):
    who = session.scalar(select(Event.coder_id).where(
        Event.entity == "code_application", Event.entity_id == application_id).order_by(Event.id.desc()).limit(1))
    name = session.scalar(select(Coder.name).where(Coder.id == who)) if who else "someone"
    raise StaleEdit(f"coding #{application_id} was changed by {name} meanwhile", field="coding",
                    hint="reload to see the current state, then edit again")


def _guarded(session: Session, statement, row: CodeApplication) -> None:
    """Run an UPDATE/DELETE only if the row still has the version read: compare-and-set in the database."""
    result = session.execute(statement.where(CodeApplication.id == row.id, CodeApplication.version == row.version)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        _stale(session, row.id)


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


def add_memo(project, text: str, *, coder: str, document_id: int | None = None, segment_id: int | None = None,
             code: str | None = None, application_id: int | None = None) -> int:
    if not text or not text.strip():
        raise BaolianError("the memo is empty", field="memo", hint="write something first")
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        memo = Memo(text=text, coder_id=coder_id, document_id=document_id, segment_id=segment_id,
                    code_id=_code_id(s, code) if code else None, application_id=application_id)
        s.add(memo)
        s.flush()
        record_event(s, "memo.add", "memo", memo.id, after={"text": text, "document_id": document_id,
                                                           "segment_id": segment_id, "code": code,
                                                           "application_id": application_id}, coder_id=coder_id)
        return memo.id


def memos(project, *, document_id: int | None = None, as_user: str | None = None) -> list[dict]:
    """Memos, oldest first; ``as_user`` while blinded (blind double coding) gets only their own."""
    with project.read() as s:
        query = select(Memo, Coder.name).outerjoin(Coder, Coder.id == Memo.coder_id).order_by(Memo.id)
        if document_id is not None:
            query = query.where(Memo.document_id == document_id)
        if as_user and blinded(s, as_user, document_id):
            query = query.where(Coder.name == as_user.strip())
        return [{"id": m.id, "text": m.text, "coder": name, "document_id": m.document_id,
                 "segment_id": m.segment_id, "application_id": m.application_id, "created_at": m.created_at}
                for m, name in s.execute(query)]


UNDOABLE = ("coding.accept", "coding.reject", "coding.add", "coding.remove", "coding.resize", "memo.add")


def history(project, *, coder: str | None = None, limit: int = 50, as_user: str | None = None) -> list[dict]:
    """Recent events, newest first; ``as_user`` while blinded (blind double coding) gets only their own."""
    with project.read() as s:
        coder = _shown_coder(s, coder, as_user, None)
        query = select(Event, Coder.name).outerjoin(Coder, Coder.id == Event.coder_id).order_by(Event.id.desc())
        if coder:
            query = query.where(Coder.name == coder)
        return [{"id": e.id, "at": e.at, "coder": name, "action": e.action, "entity": e.entity,
                 "entity_id": e.entity_id, "before": e.before, "after": e.after}
                for e, name in s.execute(query.limit(limit))]


def undo_last(project, *, coder: str) -> str | None:
    """Undo ``coder``'s most recent undoable change not undone yet; returns what was undone, or None."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        undone = {e.after.get("undoes") for e in s.scalars(
            select(Event).where(Event.coder_id == coder_id, Event.action == "undo")) if e.after}
        event = s.scalar(select(Event).where(
            Event.coder_id == coder_id, Event.action.in_(UNDOABLE), Event.id.not_in(undone or {-1})
        ).order_by(Event.id.desc()).limit(1))
        if event is None:
            return None
        _revert(s, event, coder_id)
        record_event(s, "undo", event.entity, event.entity_id, before=event.after, after={"undoes": event.id},
                     coder_id=coder_id)
        return event.action


def _revert(s: Session, event: Event, coder_id: int | None) -> None:
    """Put back what ``event`` changed. Refused (:class:`StaleEdit`) when someone else has changed the
    coding since: undo never overwrites another coder's later edit. The undo event keeps what it removed."""
    if event.entity == "memo":
        s.execute(delete(Memo).where(Memo.id == event.entity_id))
        return
    row = s.get(CodeApplication, event.entity_id)
    if row is not None:
        later = list(s.scalars(select(Event).where(  # others' changes since, less those they undid themselves
            Event.entity == "code_application", Event.entity_id == row.id, Event.id > event.id,
            (Event.coder_id != coder_id) | Event.coder_id.is_(None))))
        undone = {e.after.get("undoes") for e in later if e.action == "undo" and isinstance(e.after, dict)}
        if any(e.action != "undo" and e.id not in undone for e in later):
            _stale(s, row.id)
    if event.before is None:  # created by the event: remove it
        if row is not None:
            s.delete(row)
        return
    data = dict(event.before)
    memo_ids = data.pop("memo_ids", None) or []
    if row is None:  # removed by the event: put it back as it was, with its memos
        s.add(CodeApplication(**data))
        s.flush()
        s.execute(update(Memo).where(Memo.id.in_(memo_ids), Memo.application_id.is_(None))
                  .values(application_id=data["id"]))
        return
    for key in ("start", "end", "segment_id", "status", "score"):
        setattr(row, key, data[key])
    row.version += 1
    row.updated_at = utcnow()
