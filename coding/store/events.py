"""The append-only event log: one row per change, with who, what, before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from coding.store.models import Event


def record_event(
    session: Session,
    action: str,
    entity: str,
    entity_id: int | None = None,
    *,
    before: Any = None,
    after: Any = None,
    coder_id: int | None = None,
) -> Event:
    """Add an event to the session; it commits (or rolls back) with the change it describes."""
    event = Event(
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        coder_id=coder_id,
    )
    session.add(event)
    return event
