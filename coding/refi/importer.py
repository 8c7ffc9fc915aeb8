"""Import a REFI-QDA ``.qdpx`` project or ``.qdc`` codebook into a Baolian project, in one transaction.

Codes merge by GUID (our exports derive code GUIDs from the code key), else by name, else they are added
to the codebook under a key derived from their GUID, keeping their REFI name. Documents merge by their text
(SHA-256). Coders come from ``Users``; each selection's coder is ``PlainTextSelection@creatingUser``.
Codings become accepted human codings of that coder (the pseudo-user of the adjudicated layer puts them on
layer 'final'); notes become memos where their NoteRefs are. Importing the same file twice adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from coding.codebook import dump_codebook
from coding.corpus import KINDS
from coding.errors import BaolianError
from coding.ingest import insert_segments, segment_rows
from coding.project import stage_codebook
from coding.refi.codes import plan_codes
from coding.refi.guids import FINAL_USER_GUID, FINAL_USER_NAME
from coding.refi.reader import RefiFile, RSelection, read_refi
from coding.roles import Permission, authorize, coder_row_id, has_accounts
from coding.script import fold
from coding.store import Code, CodeApplication, Document, Memo, Segment, SegmentLink, record_event
from coding.variable_types import YES, adopt_types, set_variable
from coding.words import WordSegmenter

FALLBACK_CODER = "REFI-QDA import"
KNOWN_VARIABLES = ("kind", "date", "source", "filename", "participants", "title")
FROM_REFI = {"Integer": "integer", "Float": "float", "Date": "date", "Boolean": "boolean"}  # other types: text


@dataclass
class RefiImportReport:
    file: str
    kind: str  # 'qdpx' | 'qdc'
    origin: str | None = None
    codes_added: list[str] = field(default_factory=list)  # keys
    codes_merged: int = 0
    relations_added: int = 0  # links between two codes, added to the codebook's relations
    renamed: list[str] = field(default_factory=list)
    documents_added: list[int] = field(default_factory=list)
    documents_merged: list[int] = field(default_factory=list)
    coders: list[str] = field(default_factory=list)
    codings_added: int = 0
    codings_present: int = 0
    memos_added: int = 0
    links_added: int = 0  # links between passages
    sets: list[str] = field(default_factory=list)  # the yes/no variables document sets became
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as short lines for the CLI and the app (Chinese first)."""
        out = [
            f"{self.file} ({self.kind}{', ' + self.origin if self.origin else ''})",
            f"编码 codes: {len(self.codes_added)} 新增 added, {self.codes_merged} 合并 merged",
        ]
        if self.relations_added:
            out.append(f"编码关系 relations: {self.relations_added} 新增 added")
        if self.kind == "qdpx":
            out += [
                f"文档 documents: {len(self.documents_added)} 新增 added, {len(self.documents_merged)} 已存在 merged",
                f"编码员 coders: {', '.join(self.coders) or '-'}",
                f"编码 codings: {self.codings_added} 新增 added, {self.codings_present} 已存在 already present",
                f"备忘 memos: {self.memos_added} 新增 added",
            ]
            if self.links_added:
                out.append(f"链接 links between passages: {self.links_added} 新增 added")
            if self.sets:
                out.append(f"集合 sets → 是/否变量 yes/no variables: {'、'.join(self.sets)}")
        out += [f"改名 renamed: {r}" for r in self.renamed]
        out += [f"未导入 skipped: {s}" for s in self.skipped]
        return out


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _meta(variables: dict[str, str]) -> dict:
    kind = variables.get("kind") or "other"
    extra = {k: v for k, v in variables.items() if k not in KNOWN_VARIABLES}
    if kind not in KINDS:
        extra["kind"], kind = kind, "other"
    date = variables.get("date") or None
    if date is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date[:10]):
        extra["date"], date = date, None
    participants = []
    raw = variables.get("participants")
    if raw:
        try:
            data = json.loads(raw)
            participants = [{"name": str(p["name"]), "role": p.get("role")} for p in data if p.get("name")]
        except (ValueError, TypeError, KeyError, AttributeError):
            extra["participants"] = raw
    return {"kind": kind, "date": date[:10] if date else None, "source": variables.get("source") or None,
            "filename": variables.get("filename"), "participants": participants, "extra": extra}


def _segment_for(session, doc_id: int, start: int, end: int, exact: bool = False) -> int | None:
    if exact:
        for unit in ("sentence", "paragraph", "turn"):
            seg = session.scalar(select(Segment.id).where(
                Segment.document_id == doc_id, Segment.unit == unit, Segment.start == start, Segment.end == end))
            if seg is not None:
                return seg
    for unit in ("sentence", "paragraph"):
        seg = session.scalar(select(Segment.id).where(
            Segment.document_id == doc_id, Segment.unit == unit, Segment.start <= start, Segment.end >= end
        ).order_by(Segment.end - Segment.start).limit(1))
        if seg is not None:
            return seg
    return None


def import_refi(project, path: Path, *, user: str | None) -> RefiImportReport:
    """Import a ``.qdpx`` or ``.qdc`` file; all or nothing. Raises :class:`RefiError` on bad input."""
    path = Path(path)
    refi = read_refi(path)  # every check on the file happens here, before the transaction
    where = str(path)
    report = RefiImportReport(file=path.name, kind=refi.kind, origin=refi.origin, skipped=list(refi.skipped))
    with project.read() as r:  # a first plan, for the words of the codebook the import will leave
        draft = plan_codes(r, project, refi, RefiImportReport(file=path.name, kind=refi.kind), where)
    segmenter = project.segmenter
    if draft.codebook is not None and refi.sources:
        segmenter = WordSegmenter(sorted(set(project.user_words()) | {fold(t) for t in draft.codebook.terms()}))
    segmented = {}
    for source in refi.sources:
        if source.text.strip():
            speakers = [p["name"] for p in _meta(source.variables)["participants"]]
            segmented[source.guid] = segment_rows(source.text, speakers, segmenter)
    with project.transaction() as s:
        importer = authorize(s, user, Permission.MANAGE) if (user or has_accounts(s)) else None
        plan = plan_codes(s, project, refi, report, where)
        if plan.codebook is not None:
            stage_codebook(s, plan.codebook, dump_codebook(plan.codebook), plan.codebook.fingerprint(),
                           lambda: importer, f"REFI-QDA {path.name}")
        code_ids = {k: i for k, i in s.execute(select(Code.key, Code.id))}
        code_of = {g: code_ids[k] for g, k in plan.keys.items()}
        _Writer(s, refi, report, importer, code_of, segmented).run()
        wanted = {name: FROM_REFI[kind] for name, kind in refi.variable_types.items()
                  if kind in FROM_REFI and name not in KNOWN_VARIABLES}
        wanted.update({name: "boolean" for name in report.sets})
        report.skipped += adopt_types(s, wanted)
        record_event(s, "refi.import", "project", None, coder_id=importer, after={
            "file": path.name, "kind": refi.kind, "origin": refi.origin, "codes_added": report.codes_added,
            "documents_added": report.documents_added, "documents_merged": report.documents_merged,
            "codings_added": report.codings_added, "memos_added": report.memos_added,
            "links_added": report.links_added, "sets": report.sets})
    project.__dict__.pop("segmenter", None)
    return report


class _Writer:
    """Stores users, documents, codings and memos of a read file inside the caller's transaction."""

    def __init__(self, session, refi: RefiFile, report: RefiImportReport, importer: int | None,
                 code_of: dict[str, int], segmented: dict[str, list]) -> None:
        self.s, self.refi, self.report, self.importer = session, refi, report, importer
        self.code_of, self.segmented = code_of, segmented
        self.coders: dict[str, int] = {}
        self.memo_keys: set[tuple] = {(m.text, m.document_id, m.code_id, m.segment_id)
                                      for m in session.scalars(select(Memo))}

    def coder(self, refi_user: str | None) -> int:
        if refi_user is not None and refi_user != FINAL_USER_GUID:
            name = self.refi.users[refi_user][:200]  # coders.name is VARCHAR(200)
            if name != FINAL_USER_NAME:
                if name not in self.coders:
                    self.coders[name] = coder_row_id(self.s, name)
                    self.report.coders.append(name)
                return self.coders[name]
        if self.importer is not None:
            return self.importer
        if FALLBACK_CODER not in self.coders:
            self.coders[FALLBACK_CODER] = coder_row_id(self.s, FALLBACK_CODER)
            self.report.coders.append(FALLBACK_CODER)
        return self.coders[FALLBACK_CODER]

    def memo(self, note_guid: str, *, document_id=None, code_id=None, segment_id=None, application_id=None):
        note = self.refi.notes[note_guid]
        self.used_notes.add(note_guid)
        if not note.text.strip():
            return
        key = (note.text, document_id, code_id, segment_id)
        if key in self.memo_keys:
            return
        self.memo_keys.add(key)
        memo = Memo(text=note.text, document_id=document_id, code_id=code_id, segment_id=segment_id,
                    application_id=application_id, coder_id=self.coder(note.user))
        created = _when(note.created)
        if created is not None:
            memo.created_at = memo.updated_at = created
        self.s.add(memo)
        self.s.flush()
        self.report.memos_added += 1
        self.memo_ids.append(memo.id)

    def passage_links(self, doc_of: dict[str, int]) -> None:
        """Links between two passages of imported documents, each once (by ends and label)."""
        have = {(k.source_document_id, k.source_start, k.source_end, k.target_document_id, k.target_start,
                 k.target_end, k.label) for k in self.s.scalars(select(SegmentLink))}
        for link in self.refi.passage_links:
            (src, s0, s1), (tgt, t0, t1) = link.origin, link.target
            if src not in doc_of or tgt not in doc_of:
                continue
            key = (doc_of[src], s0, s1, doc_of[tgt], t0, t1, link.name[:100])
            if key in have:
                continue
            have.add(key)
            row = SegmentLink(source_document_id=key[0], source_start=s0, source_end=s1, target_document_id=key[3],
                              target_start=t0, target_end=t1, label=key[6], coder_id=self.coder(None))
            self.s.add(row)  # in the refi.import event's count, as the import's codings are
            self.report.links_added += 1

    def document_sets(self, doc_of: dict[str, int]) -> None:
        """Each Set's member documents get the yes/no variable 集合 NAME = 是 (filter and group by it as by any
        variable); a set's codes and notes are not imported (reported)."""
        for found in self.refi.sets:
            name = set_variable(found.name)
            if found.others:
                self.report.skipped.append(f"Set {found.name!r}: {found.others} code(s) or note(s) (only its "
                                           f"documents are imported, as the variable {name!r})")
            members = [doc_of[g] for g in found.sources if g in doc_of]
            for doc_id in members:
                doc = self.s.get(Document, doc_id)
                if (doc.extra or {}).get(name) != YES:
                    doc.extra = {**(doc.extra or {}), name: YES}
            if members:
                self.report.sets.append(name)

    def run(self) -> None:
        self.used_notes: set[str] = set()
        self.memo_ids: list[int] = []
        # a note referred to by a code and by a source is a summary (a memo on both), written with the source
        on_source = {note for source in self.refi.sources for note in source.notes}
        code_of_note = {note: self.code_of[code.guid] for code in self.refi.codes for note in code.notes}
        for code in self.refi.codes:
            for note in code.notes:
                if note not in on_source:
                    self.memo(note, code_id=self.code_of[code.guid])
        doc_by_sha: dict[str, int] = {}
        doc_of: dict[str, int] = {}  # source GUID -> document id
        for source in self.refi.sources:
            if not source.text.strip():
                self.report.skipped.append(f"empty source {source.name!r}")
                continue
            doc_id = self.document(source, doc_by_sha)
            if doc_id is None:
                continue
            doc_of[source.guid] = doc_id
            for note in source.notes:
                self.memo(note, document_id=doc_id, code_id=code_of_note.get(note))
            existing = {(a.start, a.end, a.code_id, a.coder_id, a.layer): a.id for a in self.s.scalars(
                select(CodeApplication).where(CodeApplication.document_id == doc_id,
                                              CodeApplication.status == "accepted"))}
            for sel in source.selections:
                self.selection(doc_id, sel, existing)
        self.passage_links(doc_of)
        self.document_sets(doc_of)
        self.used_notes.update(g for link in self.refi.links for g in link.notes)  # a relation's note, not a memo
        for note in [*self.refi.project_notes, *self.refi.notes]:
            if note not in self.used_notes:  # (a summary whose source was not imported stays on its code)
                self.memo(note, code_id=code_of_note.get(note))

    def document(self, source, doc_by_sha: dict[str, int]) -> int | None:
        sha = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
        if sha in doc_by_sha:
            return doc_by_sha[sha]
        found = self.s.scalar(select(Document).where(Document.sha256 == sha))
        if found is not None and found.deleted_at is not None:
            self.report.skipped.append(f"source {source.name!r}: the same text was deleted from this project "
                                       f"(document #{found.id}); restore it to import its codings")
            return None
        if found is not None:
            doc_by_sha[sha] = found.id
            self.report.documents_merged.append(found.id)
            return found.id
        meta = _meta(source.variables)
        title = source.variables.get("title") or source.name  # our export's title of a renamed source
        row = Document(title=title[:500], filename=(meta["filename"] or f"{source.name}.txt")[:500],
                       kind=meta["kind"], date=meta["date"], source=(meta["source"] or "")[:500] or None,
                       sha256=sha, text=source.text, n_chars=len(source.text), encoding="utf-8", format="qdpx",
                       participants=meta["participants"], cases=list(dict.fromkeys(source.cases)),
                       extra=meta["extra"], imported_by=self.importer)
        self.s.add(row)
        self.s.flush()
        rows = self.segmented.get(source.guid, [])
        if rows:
            insert_segments(self.s, row.id, rows)
        record_event(self.s, "document.import", "document", row.id, coder_id=self.importer, after={
            "title": row.title, "filename": row.filename, "sha256": sha, "n_chars": row.n_chars,
            "segments": len(rows), "from": "refi-qda"})
        doc_by_sha[sha] = row.id
        self.report.documents_added.append(row.id)
        return row.id

    def selection(self, doc_id: int, sel: RSelection, existing: dict[tuple, int]) -> None:
        final = sel.user == FINAL_USER_GUID or (sel.user is not None and self.refi.users[sel.user] == FINAL_USER_NAME)
        segment_id = None
        first_app = None
        for coding in sel.codings:
            who = coding.user if final else (sel.user or coding.user)
            coder_id = self.coder(who)
            key = (sel.start, sel.end, self.code_of[coding.code], coder_id, "final" if final else "coding")
            if key in existing:
                self.report.codings_present += 1
                for note in coding.notes:
                    self.memo(note, document_id=doc_id, application_id=existing[key])
                continue
            if segment_id is None:
                segment_id = _segment_for(self.s, doc_id, sel.start, sel.end)
            row = CodeApplication(document_id=doc_id, segment_id=segment_id, start=sel.start, end=sel.end,
                                  code_id=key[2], coder_id=coder_id, origin="human", status="accepted",
                                  score=None, evidence=[], layer=key[4],
                                  made_by="adjudication:refi-qda" if final else "refi-qda")
            created = _when(sel.created)
            if created is not None:
                row.created_at = row.updated_at = created
            self.s.add(row)
            self.s.flush()
            existing[key] = row.id
            first_app = first_app or row.id
            self.report.codings_added += 1
            for note in coding.notes:
                self.memo(note, document_id=doc_id, application_id=row.id)
        for note in sel.notes:
            if sel.codings:
                self.memo(note, document_id=doc_id, application_id=first_app,
                          segment_id=_segment_for(self.s, doc_id, sel.start, sel.end))
            else:
                self.memo(note, document_id=doc_id, segment_id=_segment_for(self.s, doc_id, sel.start, sel.end,
                                                                            exact=True))


def import_refi_upload(project, name: str, data: bytes, *, user: str | None) -> RefiImportReport:
    """Import an uploaded ``.qdpx``/``.qdc`` (the app's import page); errors name the uploaded file."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="baolian-refi-") as tmp:
        path = Path(tmp) / (Path(name).name or "upload.qdpx")
        path.write_bytes(data)
        try:
            return import_refi(project, path, user=user)
        except BaolianError as err:
            err.file = (err.file or str(path)).replace(str(path), Path(name).name)
            raise
