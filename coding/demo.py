"""The demo project: the demo corpus, the paper's codebook, rule suggestions, and two coders' real work.

The demo corpus was coded twice by hand (``corpus/gold/demo_double_coding.jsonl``: the first coding and a
blind second one, sentence by sentence). :func:`seed_double_coding` replays both codings of the development
documents as two coders' decisions, so that review, intercoder agreement, adjudication, analysis and
``baolian train`` have data from the first start; the held-out documents (``test.jsonl``) are left to the
user. Replaying is what a coder would do in the app: a suggestion on the sentence whose code (or whose parent
code) the coder gave is accepted, any other suggestion there is rejected, and a code no suggestion offered
is added by hand on the sentence's span (each a transaction of :mod:`coding.decisions`, with its event row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from coding.decisions import accept, add_code, pending_suggestions, reject
from coding.errors import BaolianError
from coding.store import CodeApplication, Coder

DEMO_CODERS = ("编码员甲", "编码员乙")  # the first coding, the blind second coding


@dataclass
class SeedReport:
    documents: int = 0
    accepted: int = 0
    rejected: int = 0
    added: int = 0
    skipped: list[str] = field(default_factory=list)  # why a document or coder was left out


@dataclass(frozen=True)
class _Sentence:
    document: str  # file name
    start: int
    end: int
    codings: tuple[tuple[str, ...], tuple[str, ...]]  # first, second


def read_double_coding(gold_dir: Path) -> list[_Sentence]:
    """The development sentences of the demo corpus with both hand codings, in document order."""
    double = gold_dir / "demo_double_coding.jsonl"
    spans = gold_dir / "dev.jsonl"
    rows: dict[str, dict] = {}
    for path in (double, spans):
        if not path.exists():
            raise BaolianError(f"{path} is missing", field="gold", hint="use a full checkout of the repository")
    for line_no, line in enumerate(double.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                row = json.loads(line)
                rows[row["id"]] = row
            except (ValueError, KeyError) as exc:
                raise BaolianError(f"{double}:{line_no}: not a double-coding row ({exc})", field="id",
                                   hint="each line is {\"id\", \"first\", \"second\", \"final\"}") from exc
    out = []
    for line_no, line in enumerate(spans.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        unit = json.loads(line)
        row = rows.get(unit["id"])
        if row is None:
            raise BaolianError(f"{spans}:{line_no}: sentence {unit['id']} has no row in {double.name}", field="id",
                               hint="regenerate both with benchmarks/make_gold.py")
        out.append(_Sentence(PurePosixPath(unit["doc"]).name, unit["start"], unit["end"],
                             (tuple(row["first"]), tuple(row["second"]))))
    return out


def _parents(project) -> dict[str, str | None]:
    codebook = project.codebook()
    return {c.id: c.parent for c in codebook.codes} if codebook else {}


def _covers(given: tuple[str, ...], code: str, parents: dict[str, str | None]) -> bool:
    """Does a coder who gave ``given`` agree with a suggestion of ``code`` (the code or one of its ancestors)?"""
    while code is not None:
        if code in given:
            return True
        code = parents.get(code)
    return False


def _has_decisions(project, coder: str, document_id: int) -> bool:
    with project.read() as s:
        coder_id = s.scalar(select(Coder.id).where(Coder.name == coder))
        return coder_id is not None and s.scalar(select(CodeApplication.id).where(
            CodeApplication.coder_id == coder_id, CodeApplication.document_id == document_id).limit(1)) is not None


def seed_double_coding(project, gold_dir: Path, *, coders: tuple[str, str] = DEMO_CODERS) -> SeedReport:
    """Replay the two hand codings of the demo's development documents as ``coders``' decisions.

    Idempotent: a coder who already has decisions on a document is left alone there.
    """
    report = SeedReport()
    sentences = read_double_coding(gold_dir)
    documents = {d.filename: d.id for d in project.documents()}
    parents = _parents(project)
    by_doc: dict[str, list[_Sentence]] = {}
    for sent in sentences:
        by_doc.setdefault(sent.document, []).append(sent)
    for filename, sents in by_doc.items():
        doc_id = documents.get(filename)
        if doc_id is None:
            report.skipped.append(f"{filename}: not in the project")
            continue
        report.documents += 1
        suggestions = pending_suggestions(project, coder=None, document_id=doc_id)
        for which, coder in enumerate(coders):
            if _has_decisions(project, coder, doc_id):
                report.skipped.append(f"{filename}: {coder} has decided already")
                continue
            yes, no, extra = [], [], []
            for sent in sents:
                given = sent.codings[which]
                here = [a for a in suggestions if sent.start <= a.start and a.end <= sent.end]
                for a in here:
                    (yes if _covers(given, a.code, parents) else no).append(a.id)
                extra += [(sent.start, sent.end, c) for c in given
                          if not any(_covers((c,), a.code, parents) for a in here)]
            if yes:
                report.accepted += len(accept(project, yes, coder=coder))
            if no:
                report.rejected += len(reject(project, no, coder=coder))
            for start, end, code in extra:
                add_code(project, doc_id, start, end, code, coder=coder)
                report.added += 1
    return report
