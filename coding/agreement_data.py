"""Intercoder reliability of a project: reliability matrices built from coders' decisions.

Read-only. What is compared:

- **Codings**: a coder's coding of a span = their rows with status 'accepted' in layer 'coding'
  (suggestions they accepted and codes they added by hand). The adjudicated 'final' layer and the
  machine's suggestions are not coders and are left out. Deleted documents are left out.
- **Documents**: only documents that at least two of the chosen coders have worked on — decided
  anything on (accepted, rejected or added). On a document a coder has not worked on, that coder's
  values are *missing* (not "absent"), which α allows and Fleiss' κ skips.
- **Units**:
  - ``segment``: the document's sentence segments; a code is *present* for a coder in a sentence
    when one of the coder's codings with that code overlaps the sentence by at least one code point
    (``coding.start < sentence.end and coding.end > sentence.start``);
  - ``char``: every code point of the document text; present when a coding of the code covers it.
    Computed with interval arithmetic: the text is cut at every coding boundary into runs whose codings
    are all the same, and each run is one column weighted by its length, so the cost grows with the
    number of codings, not of characters.
- Each code is one binary variable (present 1 / absent 0). **Overall** is given twice: *pooled* — every
  code × unit decision is one binary unit of one reliability matrix — and *mean* — the plain mean of
  the per-code values where they are defined.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from sqlalchemy import select

from coding.agreement import NO_VARIATION, STRUCTURAL, Reliability, mean_reliability, reliability
from coding.errors import BaolianError
from coding.store import Code, CodeApplication, Coder, Document, Segment

UNITS = ("segment", "char")
UNIT_LABELS = {"segment": "句子 sentence segments", "char": "字符 code points (characters)"}
POOLED, MEAN = "(合并 pooled)", "(平均 mean)"


@dataclass(frozen=True)
class CodeRow:
    """One line of the report: a code (or an overall line) and its measures."""

    code: str
    name: str
    n_units: int
    present: int  # units that at least one coder marked with the code
    percent: float | None
    kappa: float | None
    alpha: float | None
    fleiss: float | None
    reason: str | None = None


@dataclass(frozen=True)
class AgreementReport:
    unit: str
    n_units: int
    coders: tuple[str, ...]
    documents: tuple[int, ...]
    n_complete: int  # units coded by all chosen coders (what Fleiss' κ uses)
    rows: tuple[CodeRow, ...]
    pooled: CodeRow
    mean: CodeRow
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_coders(self) -> int:
        return len(self.coders)

    def summary(self) -> str:
        """The line every report states: unit, number of units and coders."""
        return (f"单位 unit: {UNIT_LABELS[self.unit]} · N = {self.n_units:,} 个单位 units · "
                f"{self.n_coders} 位编码员 coders: {', '.join(self.coders)} · "
                f"{len(self.documents)} 份文档 documents")

    def table(self) -> list[dict]:
        """Per-code rows, then the pooled and mean overall rows, as plain dicts."""
        return [asdict(r) for r in (*self.rows, self.pooled, self.mean)]

    def to_dict(self) -> dict:
        return {"unit": self.unit, "unit_label": UNIT_LABELS[self.unit], "n_units": self.n_units,
                "coders": list(self.coders), "n_coders": self.n_coders, "documents": list(self.documents),
                "n_complete": self.n_complete, "codes": [asdict(r) for r in self.rows],
                "overall": {"pooled": asdict(self.pooled), "mean": asdict(self.mean)}, "notes": list(self.notes)}


CSV_COLUMNS = ["code", "name", "unit", "n_units", "coders", "present", "percent", "kappa", "alpha", "fleiss",
               "reason"]


def report_csv(report: AgreementReport) -> bytes:
    """The report's table as CSV (UTF-8 with BOM, which spreadsheet programs need for Chinese); every row
    names the unit and the coders, so the file stands on its own."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    coders = ";".join(report.coders)
    for row in report.table():
        row = {**row, "unit": report.unit, "coders": coders}
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


# -- loading ----------------------------------------------------------------------------------------
def decided_coders(project) -> list[str]:
    """Coders who made at least one decision (layer 'coding') on a live document, in order of joining."""
    with project.read() as s:
        rows = s.execute(
            select(Coder.id, Coder.name).where(Coder.id.in_(
                select(CodeApplication.coder_id).join(Document, Document.id == CodeApplication.document_id)
                .where(CodeApplication.coder_id.is_not(None), CodeApplication.layer == "coding",
                       Document.deleted_at.is_(None))
            )).order_by(Coder.id)
        ).all()
    return [name for _, name in rows]


def codable_codes(project) -> list[tuple[str, str]]:
    """(key, name) of the codes a report can cover: codable and not retired, in codebook order."""
    with project.read() as s:
        return [(key, name) for key, name in s.execute(
            select(Code.key, Code.name).where(Code.codable.is_(True), Code.retired.is_(False))
            .order_by(Code.position, Code.id))]


def _choose_coders(project, coders: Sequence[str] | None) -> list[str]:
    known = decided_coders(project)
    if coders is None:
        chosen = known
    else:
        chosen = list(dict.fromkeys(c.strip() for c in coders if c and c.strip()))
        unknown = [c for c in chosen if c not in known]
        if unknown:
            raise BaolianError(f"no decisions by coder {unknown[0]!r} in this project", field="--coders",
                               hint=f"coders with decisions: {', '.join(known) or 'none yet'}")
    if len(chosen) < 2:
        if coders is not None:
            raise BaolianError(f"reliability needs at least two coders; {len(chosen)} chosen", field="--coders",
                               hint=f"name two or more, e.g. --coders {','.join(known[:2]) or 'A,B'}")
        have = f"only {chosen[0]!r} has" if chosen else "nobody has"
        raise BaolianError(f"reliability needs at least two coders; {have} made decisions", field="--coders",
                           hint="let a second coder code the same documents")
    return chosen


def _choose_codes(session, codes: Sequence[str] | None, used: set[int]) -> list[tuple[int, str, str]]:
    rows = session.execute(select(Code.id, Code.key, Code.name, Code.codable, Code.retired)
                           .order_by(Code.position, Code.id)).all()
    if codes:
        by_key = {r.key: r for r in rows}
        picked = []
        for key in dict.fromkeys(k.strip() for k in codes if k and k.strip()):
            row = by_key.get(key)
            if row is None:
                raise BaolianError(f"unknown code {key!r}", field="--codes",
                                   hint="use code keys of the codebook, e.g. M1,M2")
            if not row.codable:
                raise BaolianError(f"code {key!r} is a group, not a code that is applied", field="--codes",
                                   hint="name its sub-codes")
            picked.append(row)
        return [(r.id, r.key, r.name) for r in picked]
    return [(r.id, r.key, r.name) for r in rows if r.codable and (not r.retired or r.id in used)]


def _overlapping(starts: np.ndarray, ends: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For spans [s, e): the range [i0, i1) of units (sorted by start) they overlap by ≥ 1 code point."""
    if ends.size and np.all(np.diff(ends) >= 0):
        return np.searchsorted(ends, s, side="right"), np.searchsorted(starts, e, side="left")
    i0 = np.empty(s.size, dtype=np.int64)
    i1 = np.empty(s.size, dtype=np.int64)
    for n, (a, b) in enumerate(zip(s, e)):  # units overlap each other: rare, no monotone ends
        hit = np.flatnonzero((starts < b) & (ends > a))
        i0[n], i1[n] = (hit[0], hit[-1] + 1) if hit.size else (0, 0)
    return i0, i1


def _document_units(unit: str, n_chars: int, sentences: np.ndarray, spans: np.ndarray):
    """(unit starts, unit ends, weights) of one document."""
    if unit == "segment":
        order = np.argsort(sentences[:, 0], kind="stable") if sentences.size else np.arange(0)
        sentences = sentences[order].reshape(-1, 2)
        return sentences[:, 0], sentences[:, 1], np.ones(len(sentences), dtype=float)
    cuts = np.clip(spans[:, :2].reshape(-1), 0, n_chars) if spans.size else np.empty(0, dtype=np.int64)
    bounds = np.unique(np.concatenate([[0, n_chars], cuts]).astype(np.int64))
    return bounds[:-1], bounds[1:], np.diff(bounds).astype(float)


def agreement_report(project, *, coders: Sequence[str] | None = None, unit: str = "segment",
                     codes: Sequence[str] | None = None, as_user: str | None = None,
                     documents: Collection[int] | None = None) -> AgreementReport:
    """Reliability of the chosen coders (default: all who made decisions) per code and overall, on the
    documents at least two of them worked on (of ``documents`` only, when given).

    ``as_user``: who is asking; refused while they are blinded (blind double coding before adjudication),
    since agreement per code tells a coder where the others coded differently."""
    if unit not in UNITS:
        raise BaolianError(f"unknown unit {unit!r}", field="--unit", hint=f"use one of {', '.join(UNITS)}")
    if as_user:
        from coding.assignments import user_blinded

        if user_blinded(project, as_user):
            raise BaolianError(f"{as_user!r} is coding blind: agreement is shown once adjudication opens",
                               field="user", hint="ask an admin to open adjudication (baolian adjudicate open)")
    chosen = _choose_coders(project, coders)
    with project.read() as s:
        ids = dict(s.execute(select(Coder.name, Coder.id).where(Coder.name.in_(chosen))).all())
        coder_index = {ids[name]: i for i, name in enumerate(chosen)}
        decisions = np.array(s.execute(
            select(CodeApplication.document_id, CodeApplication.coder_id, CodeApplication.code_id,
                   CodeApplication.start, CodeApplication.end, CodeApplication.status == "accepted")
            .join(Document, Document.id == CodeApplication.document_id)
            .where(CodeApplication.coder_id.in_(list(coder_index)), CodeApplication.layer == "coding",
                   Document.deleted_at.is_(None))
        ).all(), dtype=np.int64).reshape(-1, 6)
        worked: dict[int, set[int]] = {}
        for doc, coder in decisions[:, :2]:
            worked.setdefault(int(doc), set()).add(coder_index[int(coder)])
        only = None if documents is None else set(documents)
        documents = sorted(d for d, who in worked.items() if len(who) >= 2 and (only is None or d in only))
        accepted = decisions[(decisions[:, 5] == 1) & np.isin(decisions[:, 0], documents)]
        code_list = _choose_codes(s, codes, {int(c) for c in accepted[:, 2]})
        n_chars = dict(s.execute(select(Document.id, Document.n_chars).where(Document.id.in_(documents))).all())
        sentences: dict[int, list] = {}
        if unit == "segment" and documents:
            for doc, start, end in s.execute(select(Segment.document_id, Segment.start, Segment.end).where(
                    Segment.document_id.in_(documents), Segment.unit == "sentence")):
                sentences.setdefault(doc, []).append((start, end))

    code_index = {cid: k for k, (cid, _, _) in enumerate(code_list)}
    n_codes, n_coders = len(code_list), len(chosen)
    blocks, weights = [], []
    for doc in documents:
        spans = accepted[(accepted[:, 0] == doc) & np.isin(accepted[:, 2], list(code_index))][:, [3, 4, 1, 2]]
        starts, ends, w = _document_units(unit, n_chars[doc], np.array(sentences.get(doc, []), dtype=np.int64)
                                          .reshape(-1, 2), spans)
        values = np.full((n_codes, n_coders, len(w)), np.nan)
        for c in worked[doc]:
            values[:, c, :] = 0.0
        if spans.size and len(w):
            i0, i1 = _overlapping(starts, ends, spans[:, 0], spans[:, 1])
            ok = i1 > i0
            k = np.array([code_index[int(c)] for c in spans[ok, 3]], dtype=np.int64)
            c = np.array([coder_index[int(x)] for x in spans[ok, 2]], dtype=np.int64)
            diff = np.zeros((n_codes, n_coders, len(w) + 1))
            np.add.at(diff, (k, c, i0[ok]), 1)
            np.add.at(diff, (k, c, i1[ok]), -1)
            covered = np.cumsum(diff, axis=2)[:, :, :-1] > 0
            values[covered] = 1.0  # only coders who worked on the document have codings here
        blocks.append(values)
        weights.append(w)
    matrix = np.concatenate(blocks, axis=2) if blocks else np.zeros((n_codes, n_coders, 0))
    weight = np.concatenate(weights) if weights else np.zeros(0)
    n_units = int(weight.sum())
    rows, results = [], []
    for k, (_, key, name) in enumerate(code_list):
        result = reliability(matrix[k], weight)
        results.append(result)
        present = int(weight[np.nansum(matrix[k], axis=0) > 0].sum())
        rows.append(_row(key, name, n_units, present, result))
    pooled_data = matrix.transpose(1, 0, 2).reshape(n_coders, -1)
    pooled = reliability(pooled_data, np.tile(weight, n_codes))
    present_all = sum(r.present for r in rows)
    complete = int(weight[~np.isnan(matrix[0]).any(axis=0)].sum()) if n_codes else n_units
    notes = _notes(unit, n_units, complete, n_coders, n_codes, documents)
    return AgreementReport(
        unit=unit, n_units=n_units, coders=tuple(chosen), documents=tuple(documents), n_complete=complete,
        rows=tuple(rows), pooled=_row("*", POOLED, n_units * n_codes, present_all, pooled),
        mean=_row("*", MEAN, n_units, present_all, mean_reliability(results)), notes=tuple(notes),
    )


def _row(code: str, name: str, n_units: int, present: int, r: Reliability) -> CodeRow:
    """A report line. Reasons shared by every code (too few coders, no complete units…) go to the notes."""
    labels = {"kappa": "κ", "alpha": "α", "fleiss": "Fleiss' κ"}
    flat = [labels[m] for m in labels
            if getattr(r, m).value is None and (getattr(r, m).reason or "").startswith(NO_VARIATION)]
    reasons = [x for x in r.reasons(skip=STRUCTURAL) if not x.startswith(NO_VARIATION)]
    if flat:
        verb = "is" if len(flat) == 1 else "are"
        reasons.insert(0, f"{NO_VARIATION}: every unit has the same value, so {', '.join(flat)} {verb} undefined")
    return CodeRow(code=code, name=name, n_units=n_units, present=present, percent=r.percent.value,
                   kappa=r.kappa.value, alpha=r.alpha.value, fleiss=r.fleiss.value,
                   reason="; ".join(reasons) if reasons else None)


def _notes(unit: str, n_units: int, complete: int, n_coders: int, n_codes: int,
           documents: Iterable[int]) -> list[str]:
    notes = []
    if not list(documents):
        notes.append("没有至少两位所选编码员都编码过的文档 no document was worked on by two or more of these coders")
    if n_coders != 2:
        notes.append("Cohen's κ 只用于两位编码员；多位编码员请看 Krippendorff's α 与 Fleiss' κ "
                     "— Cohen's κ is for two coders; with more, read α and Fleiss' κ")
    if n_units and complete == 0:
        notes.append("Fleiss' κ 无定义：没有全部编码员都编码过的单位 is undefined: no unit was coded by all chosen "
                     "coders (α allows missing values)")
    elif complete < n_units:
        notes.append(f"Fleiss' κ 只用全部编码员都编码过的单位 uses only the units coded by all coders: "
                     f"{complete:,} of {n_units:,}; α uses every unit with two or more values")
    if n_codes:
        notes.append("合并 pooled = 所有 编码×单位 二元判断合为一个信度矩阵 every code × unit decision pooled into one "
                     "binary reliability matrix; 平均 mean = 各编码数值的平均（仅计有定义者）the mean of the per-code "
                     "values where defined")
    return notes
