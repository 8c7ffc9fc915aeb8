"""The project's tables, as SQLAlchemy 2 ORM classes.

Portable SQL only (SQLite and PostgreSQL): JSON columns, no SQLite-only types.
Offsets (``start``/``end``) are Unicode code points into ``Document.text``.

The schema itself is created and changed by Alembic migrations
(``coding/store/migrations``); these classes must stay in step with them,
which ``tests/test_store.py`` checks.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ORIGINS = ("rule", "model", "human")
ROLES = ("admin", "coder", "viewer")
# 'coding': coders' own decisions and the machine's suggestions; 'final': the adjudicated coding.
LAYERS = ("coding", "final")
STATUSES = ("suggested", "accepted", "rejected")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Setting(Base):
    """Project-wide key/value settings (name, user dictionary, speaker patterns...)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)


class Coder(Base):
    """A person who makes coding decisions; an account when it has a role and a password hash.

    ``role`` is one of :data:`ROLES` for accounts and NULL for names typed in a project without accounts.
    """

    __tablename__ = "coders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    role: Mapped[str | None] = mapped_column(String(10), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class CodebookVersion(Base):
    """A snapshot of the codebook file each time it is loaded into the project with changes."""

    __tablename__ = "codebook_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(50))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    saved_by: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)


class Code(Base):
    """A code of the codebook, mirrored here so applications can refer to it."""

    __tablename__ = "codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    parent_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    color: Mapped[str] = mapped_column(String(7), default="#888888")
    codable: Mapped[bool] = mapped_column(Boolean, default=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="other", index=True)
    date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    source: Mapped[str | None] = mapped_column(String(500), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    n_chars: Mapped[int] = mapped_column(Integer)
    encoding: Mapped[str] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(10))
    participants: Mapped[list] = mapped_column(JSON, default=list)
    cases: Mapped[list] = mapped_column(JSON, default=list)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    segments: Mapped[list[Segment]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True
    )


class Segment(Base):
    """A paragraph, sentence or speaker turn of a document."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("document_id", "unit", "idx"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(20))
    idx: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column("start_offset", Integer)
    end: Mapped[int] = mapped_column("end_offset", Integer)
    speaker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # A sentence's words: its text with U+001F between words (see coding.ingest.WORD_SEP).
    words: Mapped[str | None] = mapped_column(Text, nullable=True)

    document: Mapped[Document] = relationship(back_populates="segments")


class CodeApplication(Base):
    """A code on a span of a document.

    Machine suggestions have ``coder_id`` NULL and ``status`` 'suggested'.
    A coder's decision is a row of its own with ``coder_id`` set: 'accepted'
    (the span carries the code) or 'rejected' (the coder turned a suggestion
    down); ``suggestion_id`` links it to the suggestion it decides.
    """

    __tablename__ = "code_applications"
    __table_args__ = (
        Index("ix_code_applications_document_code", "document_id", "code_id"),
        Index("ix_code_applications_status_coder", "status", "coder_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    start: Mapped[int] = mapped_column("start_offset", Integer)
    end: Mapped[int] = mapped_column("end_offset", Integer)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id"))
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)
    origin: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    made_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("code_applications.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    layer: Mapped[str] = mapped_column(String(12), default="coding", server_default="coding", index=True)
    # for the 'final' layer: ids of the coders' applications this adjudicated coding was chosen or merged from
    based_on: Mapped[list | None] = mapped_column(JSON, nullable=True)


class Assignment(Base):
    """A document given to a coder (blind double coding: two or more coders per document)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("document_id", "coder_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Memo(Base):
    __tablename__ = "memos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), nullable=True
    )
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL"), nullable=True
    )
    code_id: Mapped[int | None] = mapped_column(ForeignKey("codes.id"), nullable=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("code_applications.id", ondelete="SET NULL"), nullable=True
    )
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class SegmentLink(Base):
    """A link from one passage to another (ATLAS.ti's hyperlinks between quotations, MAXQDA's links, NVivo's
    see-also links): two spans of documents, possibly the same document, with a label such as 解释 explains or
    矛盾 contradicts. Spans are code points of the documents' text, as codings are; a link outlives the codings
    on its spans."""

    __tablename__ = "segment_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    source_start: Mapped[int] = mapped_column(Integer)
    source_end: Mapped[int] = mapped_column(Integer)
    target_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    target_start: Mapped[int] = mapped_column(Integer)
    target_end: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100), default="")
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainedModel(Base):
    """A model trained from coders' decisions, stored inside the project (spaCy pipeline as bytes)."""

    __tablename__ = "trained_models"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)
    n_examples: Mapped[int] = mapped_column(Integer)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Event(Base):
    """Append-only log of every change to the project: who, when, what, before and after."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
