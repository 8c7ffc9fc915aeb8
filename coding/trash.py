"""Deleting documents without losing them: a soft delete an admin can undo.

A deleted document keeps its text, segments, codings and memos; it only gets ``deleted_at`` set, and
every listing, analysis and review query leaves such documents out. Each deletion and restoration is
one transaction with its event (before/after), and only admins (:attr:`Permission.MANAGE`) may do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from coding.errors import BaolianError
from coding.roles import Permission, authorize
from coding.store import CodeApplication, Coder, Document, Event, record_event
from coding.store.models import utcnow


@dataclass(frozen=True)
class DeletedDocument:
    id: int
    title: str
    filename: str
    deleted_at: datetime
    deleted_by: str | None
    codings: int


def _state(doc: Document) -> dict:
    return {"title": doc.title, "filename": doc.filename, "version": doc.version,
            "deleted_at": None if doc.deleted_at is None else doc.deleted_at.isoformat()}


def _document(session, document_id: int) -> Document:
    doc = session.get(Document, int(document_id))
    if doc is None:
        raise BaolianError(f"no document #{document_id} in this project", field="document",
                           hint="see `baolian documents` (or `baolian document deleted` for deleted ones)")
    return doc


def delete_document(project, document_id: int, *, by: str | None) -> None:
    """Move a document to the trash (admins only). Its codings stay, hidden, until it is restored."""
    with project.transaction() as s:
        coder_id = authorize(s, by, Permission.MANAGE)
        doc = _document(s, document_id)
        if doc.deleted_at is not None:
            raise BaolianError(f"document #{doc.id} is already deleted", field="document",
                               hint="`baolian document restore ID` brings it back")
        before = _state(doc)
        doc.deleted_at = utcnow()
        doc.version += 1
        s.flush()
        record_event(s, "document.delete", "document", doc.id, before=before, after=_state(doc),
                     coder_id=coder_id)


def restore_document(project, document_id: int, *, by: str | None) -> None:
    """Bring a deleted document back with all its codings and memos (admins only)."""
    with project.transaction() as s:
        coder_id = authorize(s, by, Permission.MANAGE)
        doc = _document(s, document_id)
        if doc.deleted_at is None:
            raise BaolianError(f"document #{doc.id} is not deleted", field="document",
                               hint="only documents listed by `baolian document deleted` can be restored")
        before = _state(doc)
        doc.deleted_at = None
        doc.version += 1
        s.flush()
        record_event(s, "document.restore", "document", doc.id, before=before, after=_state(doc),
                     coder_id=coder_id)


def deleted_documents(project) -> list[DeletedDocument]:
    """Documents in the trash, most recently deleted first, with who deleted them."""
    with project.read() as s:
        docs = s.scalars(select(Document).where(Document.deleted_at.is_not(None))
                         .order_by(Document.deleted_at.desc(), Document.id)).all()
        if not docs:
            return []
        ids = [d.id for d in docs]
        codings = dict(s.execute(select(CodeApplication.document_id, func.count())
                                 .where(CodeApplication.document_id.in_(ids), CodeApplication.coder_id.is_not(None))
                                 .group_by(CodeApplication.document_id)).all())
        who: dict[int, str | None] = {}
        for entity_id, name in s.execute(
                select(Event.entity_id, Coder.name).outerjoin(Coder, Coder.id == Event.coder_id)
                .where(Event.action == "document.delete", Event.entity == "document", Event.entity_id.in_(ids))
                .order_by(Event.id)):
            who[entity_id] = name  # the latest deletion wins
        return [DeletedDocument(d.id, d.title, d.filename, d.deleted_at, who.get(d.id), codings.get(d.id, 0))
                for d in docs]
