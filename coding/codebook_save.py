"""Codebook edits meet the project: preview edited rules, count usage, save file and database together.

* :func:`preview_rules` runs the edited codebook's rules in memory on every document that re-coding
  would touch and compares them with the project's current rule suggestions. Nothing is written.
* :func:`save_codebook_to_project` writes ``codebook.yaml`` and the project's codebook (version row,
  mirrored codes, merges moving codings) as one unit of work. Order:

  1. validate the codebook (and bump its version if its content changed but its version did not go up);
  2. open ONE database transaction; stage the new codebook version, the mirrored codes and every merge
     (codings and memos of the dropped code move to the kept one; event-log rows); flush, so that a
     database problem shows up here, before the file is touched;
  3. write the YAML file atomically (temporary file + ``os.replace``; the same bytes as
     :func:`coding.codebook.save_codebook`, from the one dump made in step 1); if that fails the
     transaction rolls back and the project is as it was;
  4. commit. If the commit itself fails, the previous file content is put back (or the new file
     removed if there was none), so file and database never disagree.

(:mod:`coding.codebook_edit` re-exports these names.) Pure helper: :func:`describe_changes`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from coding.autocode import STATE_KEY, rule_fingerprints
from coding.codebook import Codebook, dump_codebook, parse_codebook
from coding.codebook.io import write_atomic
from coding.codebook_edit import bump_version, version_tuple
from coding.errors import BaolianError, CodebookError, StoreError
from coding.project import stage_codebook
from coding.review import mark_evidence
from coding.roles import Permission, acting
from coding.rules import compile_codebook, suggest_codes
from coding.store import Code, CodeApplication, Document, Memo, record_event
from coding.store.models import utcnow


@dataclass
class CodeChange:
    added: int = 0  # suggestions the edited rules make that the project does not have
    removed: int = 0  # undecided suggestions the edited rules no longer make (re-coding deletes them)
    unchanged: int = 0
    kept_decided: int = 0  # suggestions no longer made but decided by a coder: re-coding keeps them


@dataclass(frozen=True)
class PreviewSample:
    code: str
    change: str  # "added" | "removed"
    document_id: int
    document: str
    start: int
    end: int
    text: str  # the unit, evidence in 【】


@dataclass
class RulePreview:
    version: str  # the rule version re-coding would write ("" when nothing would be re-coded)
    documents: int  # documents that re-coding would touch
    recoded: list[str] = field(default_factory=list)  # codes whose rules changed: the ones re-coding re-runs
    changes: dict[str, CodeChange] = field(default_factory=dict)
    samples: list[PreviewSample] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(c.added for c in self.changes.values())

    @property
    def removed(self) -> int:
        return sum(c.removed for c in self.changes.values())


def preview_rules(project, new_codebook: Codebook, *, code_map: dict[str, str] | None = None,
                  sample_size: int = 5) -> RulePreview:
    """What re-coding (:func:`coding.autocode.code_project`) after saving ``new_codebook`` would add and remove,
    per code, with up to ``sample_size`` sample units per code and kind of change. Nothing is written.

    It mirrors the re-coding exactly: only codes whose rules (or the concepts they use) changed are re-run
    (documents never auto-coded get every code); their undecided rule suggestions are replaced, and a
    suggestion a coder already decided is kept (``kept_decided`` when the new rules no longer make it).
    ``code_map`` maps codes of the project to codes of the new codebook (merges: ``{drop: keep}``), so a
    merged code's suggestions count as the kept code's, as they will after saving.
    """
    code_map = dict(code_map or {})
    state = project.setting(STATE_KEY) or {}
    old_rules = state.get("rules", {})
    new_rules = rule_fingerprints(new_codebook)
    changed = {c for c, fp in new_rules.items() if old_rules.get(c) != fp} | (set(old_rules) - set(new_rules))
    coded_before = set(state.get("documents", []))
    with project.read() as s:
        docs = s.execute(select(Document.id, Document.title).where(Document.deleted_at.is_(None))
                         .order_by(Document.id)).all()
    todo_of = {doc_id: changed if doc_id in coded_before else set(new_rules) | changed for doc_id, _ in docs}
    preview = RulePreview(version="", documents=0, recoded=sorted(changed))
    if not any(todo_of.values()):
        return preview  # nothing would be re-coded: no need to compile the rules
    compiled = compile_codebook(new_codebook)
    preview.version = compiled.version
    with project.read() as s:
        decided = {sid for (sid,) in s.execute(select(CodeApplication.suggestion_id).where(
            CodeApplication.suggestion_id.is_not(None)).distinct())}
        current: dict[int, list[tuple[str, int, int, int, list]]] = {}
        for app_id, doc_id, key, start, end, evidence in s.execute(
                select(CodeApplication.id, CodeApplication.document_id, Code.key, CodeApplication.start,
                       CodeApplication.end, CodeApplication.evidence)
                .join(Code, Code.id == CodeApplication.code_id)
                .where(CodeApplication.coder_id.is_(None), CodeApplication.origin == "rule")):
            current.setdefault(doc_id, []).append((code_map.get(key, key), start, end, app_id, evidence))
    sampled: dict[tuple[str, str], int] = {}

    def sample(code: str, kind: str, doc_id: int, title: str, start: int, end: int, text: str, evidence) -> None:
        n = sampled.get((code, kind), 0)
        if n < sample_size:
            preview.samples.append(PreviewSample(code, kind, doc_id, title, start, end,
                                                 mark_evidence(text[start:end], start, evidence)))
        sampled[(code, kind)] = n + 1

    for doc_id, title in docs:
        todo = todo_of[doc_id]
        if not todo:
            continue
        preview.documents += 1
        text = project.document_text(doc_id)
        undecided: dict[tuple[str, int, int], list] = {}
        kept: dict[tuple[str, int, int], int] = {}
        for code, start, end, app_id, evidence in current.get(doc_id, []):
            if code in todo:
                if app_id in decided:
                    kept[(code, start, end)] = kept.get((code, start, end), 0) + 1
                else:
                    undecided.setdefault((code, start, end), []).append(evidence)
        new: dict[tuple[str, int, int], list] = {}
        for sug in suggest_codes(text, compiled):
            if sug.code in todo and sug.code in new_rules:
                new.setdefault((sug.code, sug.start, sug.end), []).append(
                    [{"start": e.start, "end": e.end} for e in sug.evidence])
        for key in sorted(set(new) | set(undecided) | set(kept)):
            code, start, end = key
            n, u, d = len(new.get(key, [])), len(undecided.get(key, [])), kept.get(key, 0)
            change = preview.changes.setdefault(code, CodeChange())
            if d:  # decided: re-coding keeps the decided row and drops undecided copies
                change.removed += u
                if n:
                    change.unchanged += d
                else:
                    change.kept_decided += d
                continue
            change.unchanged += min(n, u)
            if n > u:
                change.added += n - u
                sample(code, "added", doc_id, title, start, end, text, new[key][0])
            elif u > n:
                change.removed += u - n
                sample(code, "removed", doc_id, title, start, end, text, undecided[key][0])
    return preview


def _changed_keys(old: dict, new: dict) -> list[str]:
    """Names added, removed or changed between two name -> definition mappings, sorted."""
    return sorted(set(old) ^ set(new) | {k for k in old if k in new and old[k] != new[k]})


def describe_changes(old: Codebook | None, new: Codebook) -> list[str]:
    """Human-readable differences between two codebooks (codes added, removed, fields changed; concepts, vetoes)."""
    if old is None:
        return [f"新编码本 new codebook ({len(new.codes)} codes)"]
    out = []
    if old.version != new.version:
        out.append(f"版本 version {old.version} → {new.version}")
    before, after = old.codes_by_id, new.codes_by_id
    out += [f"+ {cid} {after[cid].name}" for cid in after if cid not in before]
    out += [f"− {cid} {before[cid].name}" for cid in before if cid not in after]
    for cid in after:
        if cid in before:
            a, b = before[cid].model_dump(), after[cid].model_dump()
            fields = [key for key in b if a.get(key) != b.get(key)]
            if fields:
                out.append(f"~ {cid} {after[cid].name}: {', '.join(fields)}")
    for label, before_map, after_map in (("concepts", old.concepts, new.concepts),
                                         ("否决条件 vetoes", old.vetoes, new.vetoes)):
        if changed := _changed_keys(before_map, after_map):
            out.append(f"~ {label}: {', '.join(changed)}")
    if old.rule_defaults != new.rule_defaults:
        out.append(f"~ 默认否决 rule_defaults.veto: {', '.join(new.rule_defaults.veto) or '(none)'}")
    out += [f"+ 关系 relation {r.source} --{r.label}--> {r.target}" for r in new.relations if r not in old.relations]
    out += [f"− 关系 relation {r.source} --{r.label}--> {r.target}" for r in old.relations if r not in new.relations]
    return out


def code_usage(project) -> dict[str, dict[str, int]]:
    """Per code id: how many machine suggestions ('suggested') and coder decisions ('accepted', 'rejected')."""
    out: dict[str, dict[str, int]] = {}
    with project.read() as s:
        for key, status, n in s.execute(
                select(Code.key, CodeApplication.status, func.count(CodeApplication.id))
                .join(Code, Code.id == CodeApplication.code_id).group_by(Code.key, CodeApplication.status)):
            out.setdefault(key, {"suggested": 0, "accepted": 0, "rejected": 0})[status] = n
    return out


@dataclass(frozen=True)
class SaveResult:
    version: str
    path: str
    changed: bool  # False: the project already had this codebook (the file was still written)
    moved: dict[str, int] = field(default_factory=dict)  # dropped code -> codings moved to the kept code
    codebook: Codebook | None = None  # what was saved (with its bumped version)


def save_codebook_to_project(project, codebook: Codebook, path: str | Path, *, coder: str | None,
                             merges: Sequence[tuple[str, str]] = (), bump: str | None = "patch",
                             source: str | None = None) -> SaveResult:
    """Write ``codebook`` to ``path`` and make it the project's codebook, in one go (order: module docstring).

    ``merges``: ``(keep, drop)`` pairs already applied to ``codebook`` with
    :func:`coding.codebook_edit.merge_codes`; the project's codings and memos of ``drop`` move to ``keep``
    in the same transaction. ``bump``: how to raise the version when the content changed but the version
    did not go up (None: refuse instead).
    """
    target = Path(path)
    text = dump_codebook(codebook)  # the YAML dump is the slow part (~0.15 s): made once, or twice on a bump
    codebook = parse_codebook(text, file=str(target))  # validated as a file would be
    merges = [(str(k), str(d)) for k, d in merges]
    for keep, drop in merges:
        if keep not in codebook.codes_by_id or not codebook.code(keep).codable:
            raise CodebookError(f"merge target {keep!r} is not a codable code of the codebook", field="merge",
                                hint="merge into a code that exists and can be applied")
        if drop in codebook.codes_by_id and not codebook.code(drop).retired:
            raise CodebookError(f"merged code {drop!r} is still in the codebook", field="merge",
                                hint="apply merge_codes to the codebook before saving")
    last = project.codebook()
    if last is not None and codebook.model_copy(update={"version": last.version}) != last:
        if version_tuple(codebook.version) <= version_tuple(last.version):
            if bump is None:
                raise CodebookError(f"version {codebook.version} is not above the project's {last.version}",
                                    field="version", hint="raise the version (patch, minor or major) before saving")
            codebook = bump_version(codebook.model_copy(update={"version": last.version}), bump)
            text = dump_codebook(codebook)
    fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()  # == codebook.fingerprint()
    old = target.read_bytes() if target.is_file() else None
    written = False
    try:
        with project.transaction() as s:
            coder_id = acting(s, coder, Permission.MANAGE)
            changed = stage_codebook(s, codebook, text, fingerprint, lambda: coder_id, source or str(target))
            moved = {drop: _stage_merge(s, keep, drop, coder_id) for keep, drop in merges}
            s.flush()
            write_atomic(target, text.encode("utf-8"))  # what save_codebook writes, without dumping again
            written = True
    except BaseException as exc:
        if written:
            _restore(target, old)
        if isinstance(exc, SQLAlchemyError):
            raise StoreError(f"the codebook was not saved: {exc}", file=target,
                             hint="nothing was changed; try again, or check the project database") from exc
        raise
    project.__dict__.pop("segmenter", None)  # the user dictionary follows the codebook's terms
    return SaveResult(codebook.version, str(target), changed or any(moved.values()), moved, codebook)


def _stage_merge(s, keep: str, drop: str, coder_id: int | None) -> int:
    """Move every coding and memo of ``drop`` to ``keep``; drop exact duplicates that creates. Returns moved."""
    rows = dict(s.execute(select(Code.key, Code.id).where(Code.key.in_([keep, drop]))).all())
    if drop not in rows:
        return 0  # never stored: nothing to move
    keep_id, drop_id = rows[keep], rows[drop]
    moved = list(s.scalars(select(CodeApplication.id).where(CodeApplication.code_id == drop_id)))
    s.execute(update(CodeApplication).where(CodeApplication.code_id == drop_id)
              .values(code_id=keep_id, version=CodeApplication.version + 1, updated_at=utcnow())
              .execution_options(synchronize_session=False))
    memos = s.execute(update(Memo).where(Memo.code_id == drop_id).values(code_id=keep_id)
                      .execution_options(synchronize_session=False)).rowcount
    removed = _drop_duplicates(s, keep_id, set(moved))
    s.execute(update(Code).where(Code.id == drop_id).values(retired=True))
    record_event(s, "codebook.merge", "code", drop_id,
                 before={"code": drop, "applications": moved, "duplicates_removed": removed},
                 after={"code": keep, "memos_moved": memos}, coder_id=coder_id)
    return len(moved)


def _drop_duplicates(s, code_id: int, moved: set[int]) -> list[dict]:
    """After a merge, one span may carry the kept code twice. Remove the moved copy when it is an exact
    duplicate: a coder's decision with the same span, coder and status, or an undecided machine suggestion
    with the same span. Returns the removed rows (for the event log)."""
    rows = s.execute(select(CodeApplication.id, CodeApplication.document_id, CodeApplication.start,
                            CodeApplication.end, CodeApplication.coder_id, CodeApplication.status,
                            CodeApplication.origin, CodeApplication.score, CodeApplication.suggestion_id)
                     .where(CodeApplication.code_id == code_id)
                     .order_by(CodeApplication.id)).all()
    of_code = select(CodeApplication.id).where(CodeApplication.code_id == code_id).scalar_subquery()
    decided = {sid for (sid,) in s.execute(select(CodeApplication.suggestion_id).where(
        CodeApplication.suggestion_id.in_(of_code)))}
    first: dict[tuple, int] = {}
    gone: list[dict] = []
    for r in sorted(rows, key=lambda r: (r.id in moved, r.id)):  # rows of the kept code win
        key = (r.document_id, r.start, r.end, r.coder_id, r.status if r.coder_id is not None else None)
        if key not in first:
            first[key] = r.id
        elif r.id in moved and (r.coder_id is not None or r.id not in decided):
            gone.append({"id": r.id, "document_id": r.document_id, "start": r.start, "end": r.end,
                         "coder_id": r.coder_id, "status": r.status, "origin": r.origin, "score": r.score,
                         "suggestion_id": r.suggestion_id, "duplicate_of": first[key]})
    if gone:
        s.execute(update(Memo).where(Memo.application_id.in_([g["id"] for g in gone])).values(application_id=None))
        s.execute(delete(CodeApplication).where(CodeApplication.id.in_([g["id"] for g in gone]))
                  .execution_options(synchronize_session=False))
    return gone


def _restore(target: Path, old: bytes | None) -> None:
    """Put the previous file back after the database refused the save."""
    try:
        if old is None:
            target.unlink(missing_ok=True)
        else:
            write_atomic(target, old)
    except (OSError, CodebookError) as err:  # pragma: no cover - the disk failed twice
        raise BaolianError(f"the database refused the codebook and the old file could not be restored: {err}",
                           file=target, hint="the project kept its codebook; save again from the codebook page "
                                             "to rewrite the file") from err
