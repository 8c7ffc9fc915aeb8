"""Importing documents into a project: read (pure) -> segment (pure) -> store (one transaction each)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from coding.coding_rows import _segment_for
from coding.corpus import DEFAULT_MAX_BYTES, DocumentComment, DocumentMeta, ImportedDocument, Refusal, collect
from coding.memos import insert_memo
from coding.roles import Permission, acting, require
from coding.script import fold
from coding.segment import segment_text
from coding.store import Document, record_event
from coding.words import WordSegmenter

Progress = Callable[[int, int, str], None]


@dataclass
class ImportReport:
    imported: list[tuple[int, str]] = field(default_factory=list)  # (document id, file name)
    duplicates: list[tuple[str, int, str]] = field(default_factory=list)  # (file, existing id, title)
    refused: list[Refusal] = field(default_factory=list)
    comments: dict[int, int] = field(default_factory=dict)  # document id -> comments stored as memos
    comment_sources: dict[int, str] = field(default_factory=dict)  # document id -> "Word" / "PDF"

    @property
    def ok(self) -> bool:
        return not self.refused

    def comments_note(self, document_id: int) -> str:
        """What became of a document's comments ("" when it had none), for the import's result lines."""
        count = self.comments.get(document_id)
        if not count:
            return ""
        return f"{count} 条 {self.comment_sources.get(document_id, 'Word')} 批注存为备忘 comments stored as memos"


WORD_SEP = "\x1f"  # ASCII unit separator: normalised document text never contains control characters


def segment_rows(text: str, speakers: Iterable[str], segmenter: WordSegmenter) -> list[tuple]:
    """Segments of ``text`` as (unit, idx, start, end, speaker, words) rows for the segments table.

    Sentences carry their words: the sentence text with :data:`WORD_SEP`
    between words, built by C-level joins rather than a Python loop over tokens. Words are cut from the
    text in simplified characters (:func:`coding.script.fold`, same length): ``"".join(words)`` is the
    sentence as written when it is in simplified characters, and its simplified form otherwise.
    """
    rows = []
    cut, sep = segmenter.cut, WORD_SEP
    folded = fold(text)
    for seg in segment_text(text, speakers=tuple(speakers)):
        words = sep.join(cut(folded[seg.start:seg.end])) if seg.unit == "sentence" else None
        rows.append((seg.unit, seg.index, seg.start, seg.end, seg.speaker, words))
    return rows


SEGMENT_COLUMNS = ("document_id", "unit", "idx", "start_offset", "end_offset", "speaker", "words")


def insert_segments(session, document_id: int, rows: list[tuple]) -> None:
    """Bulk insert through the driver's executemany (SQLAlchemy's per-row parameter handling is the slow part)."""
    conn = session.connection()
    style = conn.dialect.paramstyle
    marks = ", ".join("?" if style == "qmark" else "%s" for _ in SEGMENT_COLUMNS)
    sql = f"INSERT INTO segments ({', '.join(SEGMENT_COLUMNS)}) VALUES ({marks})"
    conn.exec_driver_sql(sql, [(document_id, *r) for r in rows])


def speakers_of(meta: DocumentMeta) -> list[str]:
    return [p.name for p in meta.participants if p.name]


def store_document(
    project, doc: ImportedDocument, *, coder: str | None = None, rows: list[tuple] | None = None
) -> tuple[int, bool]:
    """Store one document with all its segments in one transaction.

    ``rows`` are its :func:`segment_rows` when already computed. Returns
    (id, created); an identical text already in the project is not stored
    again and returns its id with ``created`` False.
    """
    if rows is None:
        rows = segment_rows(doc.text, speakers_of(doc.meta), project.segmenter)
    meta = doc.meta
    with project.transaction() as s:
        existing = s.scalar(select(Document.id).where(Document.sha256 == doc.sha256))
        if existing is not None:
            return existing, False
        coder_id = acting(s, coder, Permission.MANAGE)
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
            insert_segments(s, row.id, rows)
        record_event(
            s, "document.import", "document", row.id,
            after={"title": row.title, "filename": row.filename, "sha256": row.sha256,
                   "n_chars": row.n_chars, "segments": len(rows)},
            coder_id=coder_id,
        )
        for comment in doc.comments:
            store_comment(s, row.id, doc.text, comment, coder_id)
        return row.id, True


QUOTE_CHARS = 60  # of the commented text, at most this many characters are quoted in the memo


def comment_memo_text(text: str, comment: DocumentComment) -> str:
    """The memo a comment becomes: who wrote it and when, the text it covers, then the comment."""
    who = "，".join(x for x in (comment.author, comment.date) if x)
    head = f"{comment.source} 批注 comment（{who}）" if who else f"{comment.source} 批注 comment"
    quote = text[comment.start:comment.end]
    if len(quote) > QUOTE_CHARS:
        quote = quote[:QUOTE_CHARS] + "…"
    return f"{head}\n「{quote}」\n{comment.text}" if quote else f"{head}\n{comment.text}"


def store_comment(session, document_id: int, text: str, comment: DocumentComment, coder_id: int | None) -> int:
    """Store a comment as a memo on the sentence where its text starts (the paragraph, if no sentence)."""
    segment_id = _segment_for(session, document_id, comment.start, comment.start)
    return insert_memo(session, comment_memo_text(text, comment), coder_id=coder_id, document_id=document_id,
                       segment_id=segment_id, source=f"{comment.source.lower()} comment")


PARALLEL_MIN_CHARS = 2_000_000  # below this, starting worker processes costs more than it saves

_worker_segmenter: WordSegmenter | None = None


def _init_worker(segmenter: WordSegmenter) -> None:
    global _worker_segmenter
    _worker_segmenter = segmenter


def _segment_in_worker(job: tuple[str, list[str]]) -> list[tuple]:
    text, speakers = job
    return segment_rows(text, speakers, _worker_segmenter)


def _segmented(docs: list[ImportedDocument], segmenter: WordSegmenter) -> Iterator[list[tuple]]:
    """Segment rows for each document, in order.

    Large imports segment in worker processes (one per core) while this
    process writes to the database. Workers are forked (they only segment,
    never touch the parent's database connections), so callers need no
    ``if __name__ == "__main__"`` guard; where fork is unavailable the
    import runs in one process.
    """
    jobs = ((d.text, speakers_of(d.meta)) for d in docs)
    workers = os.cpu_count() or 1
    parallel = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
    if not parallel or sum(len(d.text) for d in docs) < PARALLEL_MIN_CHARS:
        yield from (segment_rows(text, speakers, segmenter) for text, speakers in jobs)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(segmenter,)) as pool:
        yield from pool.map(_segment_in_worker, jobs, chunksize=4)


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
    with project.read() as s:
        require(s, coder, Permission.MANAGE)  # refuse before reading any file
    report = ImportReport()
    read_progress = None if progress is None else (
        lambda done, total, path: progress(done, total, f"读取 {Path(path).name}"))
    docs, refused = collect(paths, manifest=manifest, defaults=defaults, max_bytes=max_bytes,
                            progress=read_progress)
    report.refused.extend(refused)
    for i, (doc, rows) in enumerate(zip(docs, _segmented(docs, project.segmenter)), 1):
        doc_id, created = store_document(project, doc, coder=coder, rows=rows)
        if created:
            report.imported.append((doc_id, doc.filename))
            if doc.comments:
                report.comments[doc_id] = len(doc.comments)
                report.comment_sources[doc_id] = doc.comments[0].source
        else:
            title = project.find_document(doc_id).title
            report.duplicates.append((doc.filename, doc_id, title))
        if progress is not None:
            progress(i, len(docs), f"切分并保存 {doc.filename}")
    return report
