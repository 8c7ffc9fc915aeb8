"""Recent changes (the event log, newest first) and undoing one's own most recent change.

Re-exported by :mod:`coding.decisions`. Undo never overwrites another coder's later edit of the same
coding (:class:`coding.decisions.StaleEdit`); the undo is itself an event that names what it undid.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from coding.assignments import shown_coder as _shown_coder
from coding.coding_rows import _stale
from coding.roles import Permission, authorize
from coding.errors import BaolianError
from coding.store import CodeApplication, Coder, Document, Event, Memo, Segment, Setting, record_event
from coding.store.models import utcnow


UNDOABLE = ("coding.accept", "coding.reject", "coding.add", "coding.remove", "coding.resize", "memo.add", "memo.edit",
            "memo.delete", "link.add", "link.remove", "document.variables", "variable.types")


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
    """Undo ``coder``'s most recent undoable change not undone yet; returns what was undone, or None. A change
    made as a batch (many suggestions accepted at once, the passages of a search coded) is undone as a whole,
    newest first, or not at all: "coding.add ×12"."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        undone = {e.after.get("undoes") for e in s.scalars(
            select(Event).where(Event.coder_id == coder_id, Event.action == "undo")) if e.after}
        mine = select(Event).where(Event.coder_id == coder_id, Event.action.in_(UNDOABLE),
                                   Event.id.not_in(undone or {-1})).order_by(Event.id.desc())
        event = s.scalar(mine.limit(1))
        if event is None:
            return None
        events, batch = [event], event.after.get("batch") if isinstance(event.after, dict) else None
        if batch is not None:  # one transaction wrote the batch: its events come one after the other
            for earlier in s.scalars(mine.where(Event.id < event.id)).all():
                if not (isinstance(earlier.after, dict) and earlier.after.get("batch") == batch):
                    break
                events.append(earlier)
        for each in events:
            _revert(s, each, coder_id)
            s.flush()
            record_event(s, "undo", each.entity, each.entity_id, before=each.after, after={"undoes": each.id},
                         coder_id=coder_id)
        return event.action if len(events) == 1 else f"{event.action} ×{len(events)}"


def _revert_memo(s: Session, event: Event) -> None:
    memo = s.get(Memo, event.entity_id)
    if event.action == "memo.add":
        s.execute(delete(Memo).where(Memo.id == event.entity_id))
    elif event.action == "memo.edit" and memo is not None:
        if memo.text != event.after["text"]:
            raise BaolianError(f"memo #{memo.id} was changed again since", field="memo",
                               hint="edit it by hand instead")
        memo.text, memo.updated_at = event.before["text"], utcnow()
    elif event.action == "memo.delete" and memo is None:
        data = dict(event.before)
        if s.get(Document, data["document_id"]) is None and data["document_id"] is not None:
            raise BaolianError("the memo's document is gone", field="memo", hint="nothing to put it back on")
        if data["segment_id"] is not None and s.get(Segment, data["segment_id"]) is None:
            data["segment_id"] = None
        for key in ("created_at", "updated_at"):
            data[key] = datetime.fromisoformat(data[key])
        s.add(Memo(**data))


def _revert_variables(s: Session, event: Event) -> None:
    """Put a document's variables (or the variable types) back as they were, unless changed again since."""
    if event.action == "variable.types":
        from coding.variable_types import SETTING

        row = s.get(Setting, SETTING)
        if (row.value if row is not None else {}) != event.after.get(SETTING):
            raise BaolianError("the variable types were changed again since", field="variable",
                               hint="set the type by hand instead")
        row.value = event.before.get(SETTING) or {}
        return
    doc = s.get(Document, event.entity_id)
    if doc is None or (doc.extra or {}) != event.after.get("extra"):
        raise BaolianError(f"the variables of document #{event.entity_id} were changed again since",
                           field="variable", hint="edit them by hand instead")
    doc.extra = event.before.get("extra") or {}


def _revert(s: Session, event: Event, coder_id: int | None) -> None:
    """Put back what ``event`` changed. Refused (:class:`StaleEdit`) when someone else has changed the
    coding since: undo never overwrites another coder's later edit. The undo event keeps what it removed."""
    if event.entity == "memo":
        _revert_memo(s, event)
        return
    if event.action in ("document.variables", "variable.types"):
        _revert_variables(s, event)
        return
    if event.entity == "segment_link":
        from coding.segment_links import revert_link

        revert_link(s, event)
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
