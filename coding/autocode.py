"""Applying the codebook's rules to a project: the service between :mod:`coding.rules` and the store.

Suggestions are machine rows (no coder, status 'suggested') with score,
origin, the rule version that made them and evidence spans. A run never
touches a coder's decision, and after a codebook edit it re-codes only the
codes whose rules (or the concepts they use) changed, plus documents never
coded before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, exists, insert, select
from sqlalchemy.orm import aliased

from coding.codebook import Codebook
from coding.errors import BaolianError
from coding.roles import Permission, require
from coding.rules import compile_codebook, suggest_codes
from coding.store import Code, CodeApplication, Document, Segment, record_event

STATE_KEY = "autocode"


@dataclass
class CodingRun:
    version: str
    documents: int = 0
    added: int = 0
    removed: int = 0
    kept: int = 0
    recoded: list[str] = field(default_factory=list)


def rule_fingerprints(codebook: Codebook) -> dict[str, str]:
    """Per codable code, a hash of everything its rules depend on (the rules, the named vetoes and the concepts
    they use)."""
    out = {}
    for code in codebook.codable_codes():
        rules = [codebook.rule_data(r, code) for r in code.rules or []]  # with the named vetoes they use
        used = sorted({name for r in code.rules or [] for name in codebook.rule_concepts(r, code)})
        concepts = {name: codebook.concept_terms(name) for name in used}
        blob = json.dumps([rules, concepts], ensure_ascii=False, sort_keys=True)
        out[code.id] = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
    return out


COMBINE_KEY = "combine_mode"  # project setting: how rules and the trained model combine (coding.combine.combine)


def code_project(project, *, recode_all: bool = False, use_model: bool = True,
                 progress: Callable[[int, int, str], None] | None = None, user: str | None = None) -> CodingRun:
    """Write suggestions for every document that needs them.

    Rules alone until the project has a trained model; then, per sentence,
    rules and model combined as the project's ``combine_mode`` says
    (default :data:`coding.combine.DEFAULT_COMBINE`), and a new model re-codes every code. ``user`` runs it: with accounts, an admin.
    """
    with project.read() as s:
        require(s, user, Permission.MANAGE)  # refuse before writing anything (no user needed without accounts)
    codebook = project.codebook()
    if codebook is None:
        raise BaolianError("the project has no codebook", hint="load one with `baolian init --codebook FILE`")
    compiled = compile_codebook(codebook)
    annotator = None
    if use_model:
        from coding.annotate import Annotator
        from coding.combine import DEFAULT_COMBINE
        from coding.learning import current_model

        model = current_model(project)
        if model is not None:
            annotator = Annotator(compiled, model, project.setting(COMBINE_KEY) or DEFAULT_COMBINE)
    version = annotator.version if annotator else compiled.version
    fingerprints = {c: fp if annotator is None else f"{fp}|{version}"
                    for c, fp in rule_fingerprints(codebook).items()}
    state = {} if recode_all else (project.setting(STATE_KEY) or {})
    old = state.get("rules", {})
    changed = {c for c, fp in fingerprints.items() if old.get(c) != fp} | (set(old) - set(fingerprints))
    coded_before = set(state.get("documents", []))
    run = CodingRun(version=version, recoded=sorted(changed))
    docs = project.documents()
    for i, summary in enumerate(docs, 1):
        todo = changed if summary.id in coded_before else set(fingerprints) | changed
        if todo:
            added, removed, kept = _code_document(project, summary.id, compiled, annotator, todo)
            run.documents += 1
            run.added, run.removed, run.kept = run.added + added, run.removed + removed, run.kept + kept
        if progress is not None:
            progress(i, len(docs), summary.filename)
    project.set_setting(STATE_KEY, {"rules": fingerprints, "documents": sorted(d.id for d in docs),
                                    "version": version}, coder=user)
    return run


def _machine_suggestions(text: str, segments: dict, compiled, annotator) -> list[tuple]:
    """(unit, start, end, code, score, origin, version, evidence dicts) for one document."""
    if annotator is None:
        return [(s.unit, s.start, s.end, s.code, s.score, "rule", s.version,
                 [{"start": e.start, "end": e.end, "text": e.text, "rule": e.rule} for e in s.evidence])
                for s in suggest_codes(text, compiled)]
    sentences = sorted((a, b) for (unit, a, b) in segments if unit == "sentence")
    out = []
    for (a, b), records in zip(sentences, annotator.codes_for([text[a:b] for a, b in sentences])):
        for r in records:
            evidence = [{**e, "start": e["start"] + a, "end": e["end"] + a} for e in r["evidence"]]
            out.append(("sentence", a, b, r["code"], r["score"], r["origin"], annotator.version, evidence))
    return out


def _code_document(project, document_id: int, compiled, annotator, codes: set[str]) -> tuple[int, int, int]:
    with project.transaction() as s:
        text = s.scalar(select(Document.text).where(Document.id == document_id))
        code_ids = dict(s.execute(select(Code.key, Code.id).where(Code.key.in_(codes))).all())
        segments = {(u, a, b): sid for sid, u, a, b in s.execute(
            select(Segment.id, Segment.unit, Segment.start, Segment.end).where(Segment.document_id == document_id))}
        decision = aliased(CodeApplication)
        machine = and_(CodeApplication.document_id == document_id, CodeApplication.coder_id.is_(None),
                       CodeApplication.origin.in_(("rule", "model")),
                       CodeApplication.code_id.in_(list(code_ids.values())))
        decided = exists().where(decision.suggestion_id == CodeApplication.id)
        kept = {(c, a, b) for c, a, b in s.execute(
            select(CodeApplication.code_id, CodeApplication.start, CodeApplication.end).where(machine, decided))}
        # undecided machine suggestions are replaced; the event keeps each one (nothing goes without a trace)
        replaced = [list(r) for r in s.execute(
            select(CodeApplication.id, CodeApplication.code_id, CodeApplication.start, CodeApplication.end,
                   CodeApplication.origin, CodeApplication.score, CodeApplication.made_by)
            .where(machine, ~decided).order_by(CodeApplication.id))]
        removed = s.execute(delete(CodeApplication).where(machine, ~decided)
                            .execution_options(synchronize_session=False)).rowcount if replaced else 0
        rows = []
        for unit, start, end, code, score, origin, version, evidence in _machine_suggestions(
                text, segments, compiled, annotator):
            code_id = code_ids.get(code)
            if code_id is None or (code_id, start, end) in kept:
                continue
            rows.append({
                "document_id": document_id, "segment_id": segments.get((unit, start, end)), "start": start,
                "end": end, "code_id": code_id, "coder_id": None, "origin": origin, "status": "suggested",
                "score": score, "made_by": version, "evidence": evidence,
            })
        if rows:
            s.execute(insert(CodeApplication), rows)
        record_event(s, "autocode.document", "document", document_id,
                     before={"replaced": replaced,
                             "fields": ["id", "code_id", "start", "end", "origin", "score", "made_by"]},
                     after={"version": annotator.version if annotator else compiled.version,
                            "codes": sorted(codes), "added": len(rows),
                            "removed": removed, "kept": len(kept)})
        return len(rows), removed, len(kept)
