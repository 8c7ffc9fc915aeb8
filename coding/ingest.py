"""Importing documents into a project: read (pure) -> segment (pure) -> store (one transaction each)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select

from coding.corpus import DEFAULT_MAX_BYTES, DocumentMeta, ImportedDocument, Refusal, collect
from coding.segment import segment_text
from coding.store import Document, Segment, record_event
from coding.words import WordSegmenter

Progress = Callable[[int, int, str], None]


@dataclass
class ImportReport:
    imported: list[tuple[int, str]] = field(default_factory=list)  # (document id, file name)
    duplicates: list[tuple[str, int, str]] = field(default_factory=list)  # (file, existing id, title)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused


def segment_rows(text: str, speakers: Iterable[str], segmenter: WordSegmenter) -> list[dict]:
    """Segments of ``text`` as rows for the segments table (sentences carry their words)."""
    rows = []
    for seg in segment_text(text, speakers=tuple(speakers)):
        words = None
        if seg.unit == "sentence":
            piece = text[seg.start:seg.end]
            words = ",".join(str(e) for _, e in segmenter.spans(piece))
        rows.append(
            {
                "unit": seg.unit,
                "idx": seg.index,
                "start": seg.start,
                "end": seg.end,
                "speaker": seg.speaker,
                "words": words,
            }
        )
    return rows


def speakers_of(meta: DocumentMeta) -> list[str]:
    return [p.name for p in meta.participants if p.name]


def store_document(project, doc: ImportedDocument, *, coder: str | None = None) -> tuple[int, bool]:
    """Store one document with all its segments in one transaction.

    Returns (id, created); an identical text already in the project is not
    stored again and returns its id with ``created`` False.
    """
    rows = segment_rows(doc.text, speakers_of(doc.meta), project.segmenter)
    meta = doc.meta
    with project.transaction() as s:
        existing = s.scalar(select(Document.id).where(Document.sha256 == doc.sha256))
        if existing is not None:
            return existing, False
        coder_id = project.coder_id(s, coder)
        row = Document(
            title=meta.title or Path(doc.filename).stem,
            filename=doc.filename,
            kind=meta.kind,
            date=meta.date,
            source=meta.source,
            sha256=doc.sha256,
            text=doc.text,
            n_chars=len(doc.text),
            encoding=doc.encoding,
            format=doc.format,
            participants=[{"name": p.name, "role": p.role} for p in meta.participants],
            cases=list(meta.cases),
            extra=dict(meta.extra or {}),
            imported_by=coder_id,
        )
        s.add(row)
        s.flush()
        if rows:
            for r in rows:
                r["document_id"] = row.id
            s.execute(insert(Segment), rows)
        record_event(
            s, "document.import", "document", row.id,
            after={"title": row.title, "filename": row.filename, "sha256": row.sha256,
                   "n_chars": row.n_chars, "segments": len(rows)},
            coder_id=coder_id,
        )
        return row.id, True


def import_paths(
    project,
    paths: Iterable[str | Path],
    *,
    manifest: str | Path | None = None,
    defaults: DocumentMeta | None = None,
    coder: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> ImportReport:
    """Import files and folders. Good files are stored, bad ones reported; one never stops another."""
    report = ImportReport()
    read_progress = None
    if progress is not None:
        def read_progress(done: int, total: int, path: Path) -> None:
            progress(done, total, f"读取 {Path(path).name}")
    docs, refused = collect(paths, manifest=manifest, defaults=defaults, max_bytes=max_bytes,
                            progress=read_progress)
    report.refused.extend(refused)
    for i, doc in enumerate(docs, 1):
        doc_id, created = store_document(project, doc, coder=coder)
        if created:
            report.imported.append((doc_id, doc.filename))
        else:
            title = project.find_document(doc_id).title
            report.duplicates.append((doc.filename, doc_id, title))
        if progress is not None:
            progress(i, len(docs), f"切分并保存 {doc.filename}")
    return report
