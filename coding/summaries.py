"""Summaries (摘要): a coder's own words for what one document says about one code, written beside the coded
segments, as in MAXQDA's Summary Grid and NVivo's framework matrices; the summary table (documents × codes) is
what an author condenses a case comparison from.

A summary is a memo on a document and a code (no segment: :func:`coding.memos.memo_target` says "summary"), one
per coder, document and code; so the history, undo, the Memos page and the memo exports see it. Saving several at
once is one transaction and one batch: one undo takes the save back.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select

from coding.assignments import blinded
from coding.errors import BaolianError
from coding.memos import change_memo, insert_memo, remove_memo
from coding.roles import Permission, authorize
from coding.store import Code, Coder, Document, Memo

EXCERPT = 80  # characters of each coded segment shown in the grid
_LINES = re.compile(r"\s*[\r\n]+\s*")  # a segment's line breaks: one segment per line of the grid's cell
GRID_COLUMNS = ["document_id", "document", "segments", "coded_text", "summary", "others"]


@dataclass(frozen=True)
class SummaryRun:
    added: int
    changed: int
    removed: int


def _summary_rows(s, code: str | None = None) -> list[tuple[Memo, str | None, str]]:
    """(memo, its coder's name, code key) of every summary (of ``code``), oldest first."""
    query = (select(Memo, Coder.name, Code.key).join(Code, Code.id == Memo.code_id)
             .outerjoin(Coder, Coder.id == Memo.coder_id)
             .where(Memo.document_id.is_not(None), Memo.segment_id.is_(None), Memo.application_id.is_(None))
             .order_by(Memo.id))
    if code is not None:
        query = query.where(Code.key == code)
    return [tuple(row) for row in s.execute(query)]


def summaries(project, *, code: str | None = None, as_user: str | None = None) -> pd.DataFrame:
    """Every summary (of ``code``): memo_id, document_id, code, coder, text, updated_at; while ``as_user`` is
    blinded (blind double coding), only their own."""
    with project.read() as s:
        rows = _summary_rows(s, code)
        hide_others = bool(as_user) and blinded(s, as_user)
    data = [(m.id, m.document_id, key, name, m.text, m.updated_at) for m, name, key in rows
            if not hide_others or name == as_user]
    return pd.DataFrame(data, columns=["memo_id", "document_id", "code", "coder", "text", "updated_at"])


def summary_grid(project, code: str, *, coder: str | None, status: Iterable[str] = ("accepted",),
                 segment_coder: str | None = None, layer: str = "coding", as_user: str | None = None,
                 documents: Collection[int] | None = None, only_coded: bool = True) -> pd.DataFrame:
    """One row per document (in import order; ``documents``: only these; ``only_coded``: only those with coded
    segments of ``code`` or a summary of it): document_id, document, segments (coded segments of the code and
    its sub-codes in the analyses' selection), coded_text (each segment's text, shortened, one per line), summary
    (``coder``'s), others (other coders' summaries, "name: text" per line; none while ``as_user`` is blinded)."""
    from coding.analysis_tables import coded_segments

    codebook = project.codebook()
    if codebook is None or code not in codebook.codes_by_id:
        raise BaolianError(f"unknown code {code!r}", field="code", hint="use a key from the codebook, e.g. M5")
    segments = coded_segments(project, status=status, coder=segment_coder, codes=[code], layer=layer,
                              as_user=as_user, documents=documents)
    segments = segments.drop_duplicates(["document_id", "start", "end"])
    texts: dict[int, list[str]] = {}
    for doc, text in zip(segments["document_id"], segments["text"]):
        short = _LINES.sub(" ", str(text)).strip()
        texts.setdefault(int(doc), []).append(short if len(short) <= EXCERPT else short[:EXCERPT] + "…")
    own: dict[int, str] = {}
    others: dict[int, list[str]] = {}
    for r in summaries(project, code=code, as_user=as_user).itertuples():
        if coder and r.coder == coder:
            own[int(r.document_id)] = r.text
        else:
            others.setdefault(int(r.document_id), []).append(f"{r.coder or '?'}: {r.text}")
    chosen = set(documents) if documents is not None else None
    rows = []
    for doc in project.documents():
        if chosen is not None and doc.id not in chosen:
            continue
        if only_coded and doc.id not in texts and doc.id not in own and doc.id not in others:
            continue
        found = texts.get(doc.id, [])
        rows.append((doc.id, doc.title, len(found), "\n".join(found), own.get(doc.id, ""),
                     "\n".join(others.get(doc.id, []))))
    return pd.DataFrame(rows, columns=GRID_COLUMNS)


def set_summaries(project, code: str, texts: Mapping[int, str], *, coder: str) -> SummaryRun:
    """Write ``coder``'s summaries of ``code`` for the documents of ``texts`` (document id -> text) in one
    transaction: a new text adds or replaces the summary, an empty one removes it. One batch: one undo."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        code_id = s.scalar(select(Code.id).where(Code.key == code))
        if code_id is None:
            raise BaolianError(f"unknown code {code!r}", field="code", hint="use a key from the codebook, e.g. M5")
        live = set(s.scalars(select(Document.id).where(Document.deleted_at.is_(None))))
        mine = {m.document_id: m for m, _, _ in _summary_rows(s, code) if m.coder_id == coder_id}
        note = {"batch": uuid.uuid4().hex}
        added = changed = removed = 0
        for doc, text in texts.items():
            doc, text = int(doc), (text or "").strip()
            if doc not in live:
                raise BaolianError(f"no document #{doc}", field="document",
                                   hint="see the documents with `baolian documents`")
            memo = mine.get(doc)
            if memo is None and text:
                insert_memo(s, text, coder_id=coder_id, document_id=doc, code=code, note=note)
                added += 1
            elif memo is not None and not text:
                remove_memo(s, memo, coder_id=coder_id, note=note)
                removed += 1
            elif memo is not None and memo.text != text:
                change_memo(s, memo, text, coder_id=coder_id, note=note)
                changed += 1
        return SummaryRun(added, changed, removed)


def summary_table(project, *, codes: Iterable[str] | None = None, coder: str | None = None,
                  as_user: str | None = None, documents: Collection[int] | None = None) -> pd.DataFrame:
    """The summary table: one row per document with a summary (import order), one column per code with one
    (codebook order; ``codes``: only these), cells the summaries ("name: text" per coder, one per line;
    ``coder``: only theirs)."""
    codebook = project.codebook()
    if codes is not None:
        codes = set(codes)
        unknown = sorted(codes - set(codebook.codes_by_id if codebook is not None else ()))
        if unknown:
            raise BaolianError(f"unknown code {', '.join(unknown)}", field="codes",
                               hint="use keys from the codebook, e.g. M4,M5")
    found = summaries(project, as_user=as_user)
    if coder is not None:
        found = found[found["coder"] == coder]
    if codes is not None:
        found = found[found["code"].isin(codes)]
    if documents is not None:
        found = found[found["document_id"].isin(set(documents))]
    titles = {d.id: d.title for d in project.documents()}
    found = found[found["document_id"].isin(set(titles))]
    if found.empty:
        return pd.DataFrame(columns=["document_id", "document"])
    order = [c.id for c in codebook.codes] if codebook is not None else []
    found = found.assign(cell=[f"{c or '?'}: {t}" for c, t in zip(found["coder"], found["text"])])
    table = found.pivot_table(index="document_id", columns="code", values="cell", aggfunc="\n".join)
    table = table.reindex(index=[d for d in titles if d in table.index],
                          columns=[c for c in order if c in table.columns] +
                          [c for c in table.columns if c not in order]).fillna("")
    table.insert(0, "document", [titles[d] for d in table.index])
    table.columns.name = None
    return table.reset_index()
