"""Coding query (编码查询): the sentences or paragraphs that carry a combination of codes, as NVivo's coding query
and MAXQDA's complex coding query retrieve them, to read, export or code with another code in one step (the coding
itself is :func:`coding.decisions.code_spans`).

A query asks for units (sentences or paragraphs) with

* all of its codes (intersection: M2 AND M5) or any of them (M2 OR M5),
* none of its excluded codes (NOT F3),
* in the unit itself, or within ``near`` units either side in the same document (MAXQDA's "near", NVivo's
  "near content"): M2 with M5 no more than one sentence away;
* optionally only units spoken by given speaker roles (包联人, 信访人 …: "with whom"; the units around may be
  anyone's).

A code stands for itself and its sub-codes (M4 finds M4.2). The codings looked at are the analyses' selection
(:func:`coding.analysis_data.selected_codings`: accepted codings by default, of one coder or of all, or the
adjudicated layer); a coding counts for every unit its span overlaps. Each unit found carries at least one of the
query's codes itself; with ``near`` the others may lie in the units around it, and an excluded code anywhere in
that window excludes the unit. Read-only, pandas.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from coding.analysis_data import (
    NO_VALUE,
    codes_frame,
    document_texts,
    documents_frame,
    expand_codes,
    overlapped_units,
    segments_frame,
    selected_codings,
)
from coding.decisions import coded_spans, is_covered
from coding.errors import BaolianError

MATCHES = {"all": "全部编码 all codes (AND)", "any": "任一编码 any code (OR)"}
LEVELS = {"sentence": "句 sentence", "paragraph": "段 paragraph"}
MAX_NEAR = 20
COLUMNS = ["document_id", "document", "start", "end", "speaker", "speaker_role", "codes", "near", "text", "coded"]


@dataclass(frozen=True)
class CodingQuery:
    """What is asked: ``codes`` (all or any, as ``match`` says), none of ``exclude``, per ``level`` unit, within
    ``near`` units either side, spoken by one of ``roles`` (any speaker when empty). Built with :meth:`of`, which
    checks it."""

    codes: tuple[str, ...]
    match: str = "all"
    exclude: tuple[str, ...] = ()
    level: str = "sentence"
    near: int = 0
    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, codes: Iterable[str], *, match: str = "all", exclude: Iterable[str] = (), level: str = "sentence",
           near: int = 0, roles: Iterable[str] = ()) -> CodingQuery:
        codes = tuple(dict.fromkeys(str(c).strip() for c in codes if str(c).strip()))
        exclude = tuple(dict.fromkeys(str(c).strip() for c in exclude if str(c).strip()))
        if not codes:
            raise BaolianError("the query has no codes", field="codes", hint="name one or more codes, e.g. M2 M5")
        if match not in MATCHES:
            raise BaolianError(f"unknown match {match!r}", field="match", hint=f"use one of: {', '.join(MATCHES)}")
        if level not in LEVELS:
            raise BaolianError(f"unknown level {level!r}", field="level", hint=f"use one of: {', '.join(LEVELS)}")
        both = [c for c in codes if c in exclude]
        if both:
            raise BaolianError(f"{', '.join(both)} is both asked for and excluded", field="exclude",
                               hint="leave the code out of one of the two lists")
        if isinstance(near, bool) or not isinstance(near, int) or not 0 <= near <= MAX_NEAR:
            raise BaolianError(f"near must be a whole number from 0 to {MAX_NEAR}, got {near!r}", field="near",
                               hint="0 = in the same unit; 1 = also the unit before and after")
        roles = tuple(dict.fromkeys(str(r).strip() for r in roles if str(r).strip()))
        return cls(codes, match, exclude, level, near, roles)

    def describe(self) -> str:
        """One line for tables and the event log, e.g. ``M2 AND M5 NOT F3 (sentence, near 1)``."""
        text = f" {'AND' if self.match == 'all' else 'OR'} ".join(self.codes)
        if self.exclude:
            text += " NOT " + " NOT ".join(self.exclude)
        said = f", said by {'、'.join(self.roles)}" if self.roles else ""
        return f"{text} ({self.level}" + (f", near {self.near}" if self.near else "") + said + ")"


def run_query(project, query: CodingQuery, *, status: Iterable[str] = ("accepted",), coder: str | None = None,
              layer: str = "coding", as_user: str | None = None, documents: Collection[int] | None = None,
              code: str | None = None, code_coder: str | None = None) -> pd.DataFrame:
    """The units ``query`` finds, in document order: document_id, document, start, end (code points of the
    unit), speaker, speaker_role, codes (the query's codes the unit carries, 、-separated), near (those found only in the
    units around it), text, coded (``code_coder`` has already coded the unit with ``code``). The other keywords
    are the analyses' selection; ``documents``: only these."""
    table = codes_frame(project)
    keys_of: dict[int, set[str]] = {}
    for field, keys in (("codes", query.codes), ("exclude", query.exclude)):
        for key in keys:
            try:
                ids = expand_codes(table, [key]) or set()
            except BaolianError as err:
                raise BaolianError(err.message, field=field, hint=err.hint) from None
            for code_id in ids:
                keys_of.setdefault(code_id, set()).add(key)
    rows = selected_codings(project, status=status, coder=coder, layer=layer, as_user=as_user, documents=documents)
    rows = rows[rows["code_id"].isin(list(keys_of))] if not rows.empty else rows
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    segs = segments_frame(project, query.level)
    carried: dict[int, set[str]] = {}
    for found, code_id in zip(overlapped_units(rows, segs), rows["code_id"]):
        for pos in found:
            carried.setdefault(int(pos), set()).update(keys_of[code_id])
    hits = _matches(query, carried, segs["document_id"].to_numpy())
    if query.roles:
        roles = segs["speaker_role"].to_numpy()
        hits = [h for h in hits if roles[h[0]] in query.roles]
    if not hits:
        return pd.DataFrame(columns=COLUMNS)
    found = segs.iloc[[pos for pos, _, _ in hits]].reset_index(drop=True)
    out = found[["document_id", "start", "end", "speaker", "speaker_role"]].astype(
        {"document_id": "int64", "start": "int64", "end": "int64"})
    out["codes"] = ["、".join(k for k in query.codes if k in own) for _, own, _ in hits]
    out["near"] = ["、".join(k for k in query.codes if k in around) for _, _, around in hits]
    titles = documents_frame(project).set_index("document_id")["document"]
    out["document"] = out["document_id"].map(titles)
    texts = document_texts(project, out["document_id"])
    out["text"] = [texts[d][a:b] for d, a, b in zip(out["document_id"], out["start"], out["end"])]
    covered = coded_spans(project, code, code_coder) if code and code_coder else {}
    out["coded"] = [is_covered(covered, d, a, b) for d, a, b in zip(out["document_id"], out["start"], out["end"])]
    return out[COLUMNS]


def _matches(query: CodingQuery, carried: dict[int, set[str]],
             doc_of: Sequence[int]) -> list[tuple[int, set[str], set[str]]]:
    """(unit position, the query's codes it carries, those only around it) of each unit the query finds."""
    wanted, unwanted = set(query.codes), set(query.exclude)
    out = []
    for pos in sorted(carried):
        own = carried[pos] & wanted
        if not own:
            continue
        window = set(carried[pos])
        for other in range(max(0, pos - query.near), min(len(doc_of), pos + query.near + 1)):
            if other != pos and doc_of[other] == doc_of[pos]:
                window |= carried.get(other, set())
        if window & unwanted or (query.match == "all" and not wanted <= window):
            continue
        out.append((pos, own, (window & wanted) - own))
    return out


def speaker_roles(project) -> list[str]:
    """The speaker roles of the project's sentences (from the documents' participants), sorted; ``—`` (no known
    speaker) last when there are such sentences."""
    found = set(segments_frame(project, "sentence")["speaker_role"])
    return sorted(found - {NO_VALUE}) + ([NO_VALUE] if NO_VALUE in found else [])
