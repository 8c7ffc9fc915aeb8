"""The project service: the one place where the pipeline meets the store.

Both shells (the CLI and the Streamlit app) call :class:`Project`; neither
writes SQL. Every change runs in one transaction together with its event-log
row, so a failure leaves the project as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coding.codebook import Codebook, dump_codebook, load_codebook, parse_codebook
from coding.document_variables import value_text
from coding.errors import BaolianError
from coding.roles import Permission, acting
from coding.store import (
    Code,
    CodeApplication,
    CodebookVersion,
    Coder,
    Document,
    Segment,
    Setting,
    open_engine,
    record_event,
    session_factory,
)
from coding.store.db import project_url, writer
from coding.words import WordSegmenter


@dataclass(frozen=True)
class DocumentSummary:
    id: int
    title: str
    filename: str
    kind: str
    date: str | None
    source: str | None
    n_chars: int
    encoding: str
    format: str
    participants: list[dict] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    n_paragraphs: int = 0
    n_sentences: int = 0
    n_turns: int = 0
    variables: dict[str, str] = field(default_factory=dict)  # document variables (coding.document_variables)


@dataclass(frozen=True)
class SegmentView:
    id: int
    unit: str
    index: int
    start: int
    end: int
    speaker: str | None
    text: str
    words: tuple[str, ...]


def split_words(stored: str | None) -> tuple[str, ...]:
    """A sentence's words from their stored form (see :data:`coding.ingest.WORD_SEP`), whitespace left out."""
    if not stored:
        return ()
    return tuple(w for w in stored.split("\x1f") if w.strip())


def stage_codebook(session: Session, codebook: Codebook, text: str, fingerprint: str,
                   coder_id: Callable[[], int | None], source: str | None) -> bool:
    """Record ``codebook`` (dumped as ``text``) as the project's codebook inside the caller's transaction.

    Codes are mirrored in the database; a code that disappears from the file is retired, never
    deleted, so its history stays. Returns False, touching nothing, when it is already current;
    ``coder_id`` is asked for only when something changes.
    """
    last = session.scalar(select(CodebookVersion).order_by(CodebookVersion.id.desc()).limit(1))
    if last is not None and last.fingerprint == fingerprint:
        return False
    saved_by = coder_id()
    session.add(CodebookVersion(version=codebook.version, fingerprint=fingerprint, content=text, saved_by=saved_by))
    existing = {c.key: c for c in session.scalars(select(Code))}
    for position, code in enumerate(codebook.codes):
        row = existing.pop(code.id, None) or Code(key=code.id)
        row.name, row.name_en, row.parent_key = code.name, code.name_en, code.parent
        row.color, row.codable, row.retired, row.position = code.color, code.codable, code.retired, position
        session.add(row)
    for row in existing.values():
        row.retired = True
    record_event(session, "codebook.load", "codebook", None,
                 before=None if last is None else {"version": last.version, "fingerprint": last.fingerprint},
                 after={"version": codebook.version, "fingerprint": fingerprint, "source": source},
                 coder_id=saved_by)
    session.flush()
    return True


class Project:
    """A Baolian project: documents, segments, codebook, codings and their history."""

    def __init__(self, engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._sessions = session_factory(engine)
        self._writes = session_factory(writer(engine))

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, location: str | os.PathLike | None = None, *, create: bool = False) -> Project:
        url = project_url(location)
        return cls(open_engine(url, create=create), url)

    @classmethod
    def init(
        cls, location: str | os.PathLike | None = None, *, codebook: str | Path | None = None,
        coder: str | None = None,
    ) -> Project:
        project = cls.open(location, create=True)
        if codebook is not None:
            project.set_codebook(load_codebook(codebook), source=str(codebook), coder=coder)
        return project

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed as a whole or not at all."""
        with self._writes.begin() as session:
            yield session

    def read(self) -> Session:
        return self._sessions()

    # -- coders and settings -----------------------------------------------------
    @staticmethod
    def coder_id(session: Session, name: str | None) -> int | None:
        """The id of the coder ``name`` (created when new); None for no name. No permission check."""
        if not name:
            return None
        from coding.roles import coder_row_id

        return coder_row_id(session, name)

    def coders(self) -> list[str]:
        with self.read() as s:
            return list(s.scalars(select(Coder.name).order_by(Coder.id)))

    def setting(self, key: str, default=None):
        with self.read() as s:
            row = s.get(Setting, key)
            return default if row is None else row.value

    def set_setting(self, key: str, value, *, coder: str | None = None) -> None:
        with self.transaction() as s:
            row = s.get(Setting, key)
            before = None if row is None else row.value
            if row is None:
                s.add(Setting(key=key, value=value))
            else:
                row.value = value
            record_event(
                s, "setting.set", "setting", None, before={key: before}, after={key: value},
                coder_id=acting(s, coder, Permission.MANAGE),
            )
        self.__dict__.pop("segmenter", None)

    # -- codebook ----------------------------------------------------------------
    def codebook(self) -> Codebook | None:
        """The project's current codebook (the last one loaded), or None."""
        with self.read() as s:
            latest = s.scalar(select(CodebookVersion.id).order_by(CodebookVersion.id.desc()).limit(1))
            if latest is None:
                return None
            cached = self.__dict__.get("_codebook_cache")
            if cached is not None and cached[0] == latest:
                return cached[1]  # Codebook models are immutable in use: safe to share
            content = s.scalar(select(CodebookVersion.content).where(CodebookVersion.id == latest))
        codebook = parse_codebook(content, file="<project codebook>")
        self.__dict__["_codebook_cache"] = (latest, codebook)
        return codebook

    def set_codebook(
        self, codebook: Codebook, *, coder: str | None = None, source: str | None = None
    ) -> bool:
        """Make ``codebook`` the project's codebook; returns False if nothing changed.

        Codes are mirrored in the database; a code that disappears from the
        file is retired, never deleted, so its history stays.
        """
        with self.transaction() as s:
            changed = stage_codebook(s, codebook, dump_codebook(codebook), codebook.fingerprint(),
                                     lambda: acting(s, coder, Permission.MANAGE), source)
        if not changed:
            return False
        self.__dict__.pop("segmenter", None)
        return True

    # -- words -------------------------------------------------------------------
    def user_words(self) -> list[str]:
        """Project user dictionary plus every term of the codebook, in simplified characters (words are cut from
        text folded to simplified, :mod:`coding.script`)."""
        from coding.script import fold

        words = set(self.setting("user_words", []) or [])
        codebook = self.codebook()
        if codebook is not None:
            words.update(codebook.terms())
        return sorted({fold(w) for w in words})

    @cached_property
    def segmenter(self) -> WordSegmenter:
        return WordSegmenter(self.user_words())

    def tokens(self, text: str) -> list[str]:
        """The words of ``text`` as the project stores them (in simplified characters, :mod:`coding.script`)."""
        from coding.script import fold

        return [w for w in self.segmenter.cut(fold(text)) if w.strip()]

    # -- documents -----------------------------------------------------------------
    def import_paths(self, paths: Iterable[str | Path], **options):
        """Import files and folders; see :func:`coding.ingest.import_paths`."""
        from coding.ingest import import_paths

        return import_paths(self, paths, **options)

    def documents(self) -> list[DocumentSummary]:
        with self.read() as s:
            counts: dict[tuple[int, str], int] = {
                (doc, unit): n
                for doc, unit, n in s.execute(
                    select(Segment.document_id, Segment.unit, func.count()).group_by(
                        Segment.document_id, Segment.unit
                    )
                )
            }
            docs = s.scalars(
                select(Document).where(Document.deleted_at.is_(None)).order_by(Document.id)
            ).all()
            return [self._summary(d, counts) for d in docs]

    @staticmethod
    def _summary(d: Document, counts: dict[tuple[int, str], int]) -> DocumentSummary:
        return DocumentSummary(
            id=d.id, title=d.title, filename=d.filename, kind=d.kind, date=d.date,
            source=d.source, n_chars=d.n_chars, encoding=d.encoding, format=d.format,
            participants=list(d.participants or []), cases=list(d.cases or []),
            n_paragraphs=counts.get((d.id, "paragraph"), 0),
            n_sentences=counts.get((d.id, "sentence"), 0),
            n_turns=counts.get((d.id, "turn"), 0),
            variables={k: t for k, v in (d.extra or {}).items() if (t := value_text(v)) is not None},
        )

    def find_document(self, ref: str | int) -> Document:
        """A document by id, exact title or file name."""
        text = str(ref).strip()
        with self.read() as s:
            query = select(Document).where(Document.deleted_at.is_(None))
            doc = None
            if text.isdigit():
                doc = s.scalar(query.where(Document.id == int(text)))
            if doc is None:
                doc = s.scalar(query.where((Document.title == text) | (Document.filename == text)))
            if doc is None:
                raise BaolianError(
                    f"no document {text!r} in this project",
                    field="DOC",
                    hint="give a document id, title or file name from `baolian documents`",
                )
            return doc

    def document_text(self, doc_id: int) -> str:
        with self.read() as s:
            return s.scalar(select(Document.text).where(Document.id == doc_id)) or ""

    def segments(self, ref: str | int, unit: str | None = None) -> list[SegmentView]:
        doc = self.find_document(ref)
        with self.read() as s:
            query = select(Segment).where(Segment.document_id == doc.id)
            if unit:
                query = query.where(Segment.unit == unit)
            rows = s.scalars(query.order_by(Segment.start, Segment.unit, Segment.idx)).all()
        out = []
        for r in rows:
            text = doc.text[r.start:r.end]
            out.append(
                SegmentView(r.id, r.unit, r.idx, r.start, r.end, r.speaker, text, split_words(r.words))
            )
        return out

    def info(self) -> dict:
        with self.read() as s:
            live = Document.deleted_at.is_(None)
            by_unit = dict(
                s.execute(
                    select(Segment.unit, func.count()).join(Document).where(live).group_by(Segment.unit)
                ).all()
            )
            by_kind = dict(s.execute(select(Document.kind, func.count()).where(live).group_by(Document.kind)).all())
            by_status = dict(
                s.execute(select(CodeApplication.status, func.count()).group_by(CodeApplication.status)).all()
            )
            last = s.scalar(select(CodebookVersion).order_by(CodebookVersion.id.desc()).limit(1))
            return {
                "project": self.url,
                "documents": s.scalar(select(func.count()).select_from(Document).where(live)) or 0,
                "characters": s.scalar(select(func.coalesce(func.sum(Document.n_chars), 0)).where(live)) or 0,
                "segments": sum(by_unit.values()),
                "segments_by_unit": by_unit,
                "documents_by_kind": by_kind,
                "codes": s.scalar(select(func.count()).select_from(Code).where(Code.retired.is_(False))) or 0,
                "code_applications": by_status,
                "codebook_version": None if last is None else last.version,
                "coders": list(s.scalars(select(Coder.name).order_by(Coder.id))),
                "segmenter": self.segmenter.engine,
            }
