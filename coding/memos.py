"""Memos: notes by a coder on the project, a document, a segment, a code or a coding.

Re-exported by :mod:`coding.decisions`. A memo on a coding that is removed is kept, unlinked
(:func:`coding.decisions.remove_code`), and linked again when the removal is undone. A memo is edited or
deleted by its author (or an admin); both are events that undo takes back.
"""

from __future__ import annotations

from sqlalchemy import select

from coding.assignments import blinded
from coding.coding_rows import _code_id
from coding.errors import BaolianError
from coding.roles import Forbidden, Permission, authorize, role_of
from coding.store import Code, Coder, Memo, Segment, record_event
from coding.store.models import utcnow

MEMO_FIELDS = ("id", "text", "document_id", "segment_id", "code_id", "application_id", "coder_id")


def add_memo(project, text: str, *, coder: str, document_id: int | None = None, segment_id: int | None = None,
             code: str | None = None, application_id: int | None = None) -> int:
    if not text or not text.strip():
        raise BaolianError("the memo is empty", field="memo", hint="write something first")
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        return insert_memo(s, text, coder_id=coder_id, document_id=document_id, segment_id=segment_id, code=code,
                           application_id=application_id)


def insert_memo(session, text: str, *, coder_id: int | None, document_id: int | None = None,
                segment_id: int | None = None, code: str | None = None, application_id: int | None = None,
                source: str | None = None, note: dict | None = None) -> int:
    """Add a memo and its ``memo.add`` event inside the caller's transaction (authorised by the caller);
    ``source`` says where it came from when not typed by a coder (e.g. a Word comment); ``note`` is added to the
    event (e.g. a batch id: one undo takes the batch back)."""
    memo = Memo(text=text, coder_id=coder_id, document_id=document_id, segment_id=segment_id,
                code_id=_code_id(session, code) if code else None, application_id=application_id)
    session.add(memo)
    session.flush()
    after = {"text": text, "document_id": document_id, "segment_id": segment_id, "code": code,
             "application_id": application_id}
    record_event(session, "memo.add", "memo", memo.id,
                 after={**after, **({"source": source} if source else {}), **(note or {})}, coder_id=coder_id)
    return memo.id


def memos(project, *, document_id: int | None = None, as_user: str | None = None) -> list[dict]:
    """Memos, oldest first; ``as_user`` while blinded (blind double coding) gets only their own.

    Each with the segment it is on (``unit``, ``start``, ``end`` in code points; None for a memo on the
    project, a document or a code) and the code it is on (None if none)."""
    with project.read() as s:
        query = (select(Memo, Coder.name, Code.key, Segment.unit, Segment.start, Segment.end)
                 .outerjoin(Coder, Coder.id == Memo.coder_id).outerjoin(Code, Code.id == Memo.code_id)
                 .outerjoin(Segment, Segment.id == Memo.segment_id).order_by(Memo.id))
        if document_id is not None:
            query = query.where(Memo.document_id == document_id)
        if as_user and blinded(s, as_user, document_id):
            query = query.where(Coder.name == as_user.strip())
        return [{"id": m.id, "text": m.text, "coder": name, "document_id": m.document_id,
                 "segment_id": m.segment_id, "application_id": m.application_id, "created_at": m.created_at,
                 "updated_at": m.updated_at, "code": code, "unit": unit, "start": start, "end": end}
                for m, name, code, unit, start, end in s.execute(query)]


def memo_target(memo: dict) -> str:
    """What a memo (a row of :func:`memos`) is on: coding, summary (a document and a code), code, its segment's
    unit (sentence, paragraph, turn), document or project."""
    if memo["application_id"]:
        return "coding"
    if memo["code"] and memo["document_id"] is not None and not memo["segment_id"]:
        return "summary"  # what a document says about a code (coding.summaries)
    if memo["code"]:
        return "code"
    if memo["segment_id"]:
        return memo["unit"]
    return "document" if memo["document_id"] is not None else "project"


def _changeable(s, memo_id: int, coder: str) -> tuple[Memo, int | None]:
    """The memo ``coder`` may change (their own; any for an admin) and ``coder``'s id."""
    coder_id = authorize(s, coder, Permission.CODE)
    memo = s.get(Memo, memo_id)
    if memo is None:
        raise BaolianError(f"no memo #{memo_id}", field="memo", hint="see the memos with `baolian memo list`")
    if memo.coder_id != coder_id and not role_of(s, coder).can_manage():
        author = s.scalar(select(Coder.name).where(Coder.id == memo.coder_id)) or "?"
        raise Forbidden(f"memo #{memo_id} is {author}'s", field="memo", hint="only its author or an admin may change it")
    return memo, coder_id


def edit_memo(project, memo_id: int, text: str, *, coder: str) -> None:
    """Replace a memo's text."""
    if not text or not text.strip():
        raise BaolianError("the memo is empty", field="memo", hint="write something, or delete the memo")
    with project.transaction() as s:
        memo, coder_id = _changeable(s, memo_id, coder)
        change_memo(s, memo, text, coder_id=coder_id)


def change_memo(session, memo: Memo, text: str, *, coder_id: int | None, note: dict | None = None) -> None:
    """Replace a memo's text and record ``memo.edit`` inside the caller's transaction (authorised by the caller)."""
    if memo.text == text:
        return
    where = {"document_id": memo.document_id, "segment_id": memo.segment_id, "code_id": memo.code_id}
    record_event(session, "memo.edit", "memo", memo.id, before={"text": memo.text, **where},
                 after={"text": text, **where, **(note or {})}, coder_id=coder_id)
    memo.text, memo.updated_at = text, utcnow()


def delete_memo(project, memo_id: int, *, coder: str) -> None:
    """Delete a memo (undo puts it back as it was)."""
    with project.transaction() as s:
        memo, coder_id = _changeable(s, memo_id, coder)
        remove_memo(s, memo, coder_id=coder_id)


def remove_memo(session, memo: Memo, *, coder_id: int | None, note: dict | None = None) -> None:
    """Delete a memo and record ``memo.delete`` (with all it held) inside the caller's transaction."""
    before = {name: getattr(memo, name) for name in MEMO_FIELDS}
    before.update(created_at=memo.created_at.isoformat(), updated_at=memo.updated_at.isoformat())
    record_event(session, "memo.delete", "memo", memo.id, before=before, after=note or None, coder_id=coder_id)
    session.delete(memo)
