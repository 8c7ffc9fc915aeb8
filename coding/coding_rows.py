"""Rows of codings as the decision functions change them (:mod:`coding.decisions`, :mod:`coding.undo`).

Checks before a change: the code exists and can be applied, the span lies inside the document, the row
is the caller's own (or the caller an admin; never another coder's while blinded). The row as the event
log keeps it (:func:`_row_dict`). Optimistic locking: an edit names the ``version`` it saw, and a row
changed meanwhile by someone else is refused with :class:`StaleEdit` ("changed by X, reload").
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coding.assignments import blinded
from coding.errors import BaolianError
from coding.roles import Forbidden, role_of
from coding.store import Code, CodeApplication, Coder, Document, Event, Segment, record_event


class StaleEdit(BaolianError):
    """The row was changed by someone else since the caller read it."""


def _row_dict(row: CodeApplication) -> dict:
    return {
        "id": row.id, "document_id": row.document_id, "segment_id": row.segment_id,
        "start": row.start, "end": row.end, "code_id": row.code_id, "coder_id": row.coder_id,
        "origin": row.origin, "status": row.status, "score": row.score, "evidence": row.evidence,
        "made_by": row.made_by, "suggestion_id": row.suggestion_id, "version": row.version,
    }


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


def _check_span(session: Session, document_id: int, start: int, end: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None or doc.deleted_at is not None:
        raise BaolianError(f"no document #{document_id}", field="document")
    if not (0 <= start < end <= doc.n_chars):
        raise BaolianError(f"span {start}–{end} is outside the document (0–{doc.n_chars}) or empty",
                           field="span", hint="select at least one character of the text")
    return doc


def _segment_for(session: Session, document_id: int, start: int, end: int) -> int | None:
    """The sentence (else paragraph) containing the span; for an empty span on the boundary of two, the later."""
    for unit in ("sentence", "paragraph"):
        seg = session.scalar(select(Segment.id).where(
            Segment.document_id == document_id, Segment.unit == unit,
            Segment.start <= start, Segment.end >= end).order_by(Segment.start.desc()).limit(1))
        if seg is not None:
            return seg
    return None


def insert_coding(session: Session, coder_id: int | None, document_id: int, start: int, end: int, code_id: int, *,
                  note: dict | None = None) -> CodeApplication:
    """A coder's coding of a span by hand (the span checked), with its coding.add event; ``note`` is added to the
    event (e.g. the batch it belongs to, see :mod:`coding.undo`)."""
    document_id, start, end = int(document_id), int(start), int(end)  # numpy integers reach neither JSON nor SQLite
    _check_span(session, document_id, start, end)
    row = CodeApplication(
        document_id=document_id, segment_id=_segment_for(session, document_id, start, end), start=start, end=end,
        code_id=code_id, coder_id=coder_id, origin="human", status="accepted", score=None, evidence=[],
    )
    session.add(row)
    session.flush()
    record_event(session, "coding.add", "code_application", row.id, after={**_row_dict(row), **(note or {})},
                 coder_id=coder_id)
    return row


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
