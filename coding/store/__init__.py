"""Persistence: SQLAlchemy models, migrations and the event log."""

from coding.store.db import open_engine, project_url, session_factory
from coding.store.events import record_event
from coding.store.models import (
    Assignment,
    Base,
    Code,
    CodeApplication,
    CodebookVersion,
    Coder,
    Document,
    Event,
    Memo,
    Segment,
    SegmentLink,
    Setting,
    TrainedModel,
)

__all__ = [
    "Assignment",
    "Base",
    "Code",
    "CodeApplication",
    "CodebookVersion",
    "Coder",
    "Document",
    "Event",
    "Memo",
    "Segment",
    "SegmentLink",
    "Setting",
    "TrainedModel",
    "open_engine",
    "project_url",
    "record_event",
    "session_factory",
]
