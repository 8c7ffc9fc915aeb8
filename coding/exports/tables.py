"""What goes into each exported table, as pandas DataFrames, plus the metadata every export carries.

Read-only. The coded spans come from :func:`coding.analysis.coded_segments` (one row per coder's
coding of a span); the frequency, matrix and co-occurrence data tables come from the other
:mod:`coding.analysis` functions, so the exports count exactly what the Analysis page counts.

Counting rules: the frequency table is :func:`coding.analysis.code_frequencies` (a segment carries a code
once however many coders coded it; ``characters`` = code points covered, overlaps once; ``share`` = a
code's segments / all coded segments in the table, so the shares add up to 100 %). Quotes and the
three-level table work on distinct *spans* (document, code, start, end) of :func:`coded_segments`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd

from coding.errors import BaolianError

STATUSES = ("accepted", "suggested")
STATUS_ALIASES = {"accepted": "accepted", "suggested": "suggested", "pending": "suggested"}
SPAN = ["document_id", "code", "start", "end"]
SEGMENT_COLUMNS = ["document_id", "document", "kind", "speaker", "speaker_role", "code", "code_name", "coder",
                   "status", "origin", "start", "end", "text"]


@dataclass(frozen=True)
class Filters:
    """What an export includes: codings of these statuses, by this coder (everyone when None), of these codes
    (all when None), in these documents (all when None), and how many quotes per code the quotes table shows."""

    status: tuple[str, ...] = ("accepted",)
    coder: str | None = None
    codes: tuple[str, ...] | None = None
    n_quotes: int = 3
    documents: tuple[int, ...] | None = None

    def describe(self) -> str:
        parts = [f"status={'+'.join(self.status)}", f"coder={self.coder or '全部 all'}",
                 f"codes={','.join(self.codes) if self.codes else '全部 all'}", f"quotes={self.n_quotes}"]
        if self.documents is not None:
            parts.append(f"documents={len(self.documents)}")
        return "; ".join(parts)


def make_filters(status: Iterable[str] | str = ("accepted",), coder: str | None = None,
                 codes: Iterable[str] | None = None, n_quotes: int = 3,
                 documents: Iterable[int] | None = None) -> Filters:
    """Validated :class:`Filters`; ``status`` may be a comma-separated string ("accepted,suggested")."""
    if isinstance(status, str):
        status = [s for s in status.split(",")]
    wanted: list[str] = []
    for item in status:
        item = item.strip().lower()
        if not item:
            continue
        if item not in STATUS_ALIASES:
            raise BaolianError(f"unknown status {item!r}", field="--status",
                               hint="use accepted, suggested or both: accepted,suggested")
        if STATUS_ALIASES[item] not in wanted:
            wanted.append(STATUS_ALIASES[item])
    if not wanted:
        raise BaolianError("no status given", field="--status", hint="use accepted, suggested or both")
    if int(n_quotes) < 1:
        raise BaolianError(f"--quotes must be at least 1, not {n_quotes}", field="--quotes")
    return Filters(status=tuple(sorted(wanted, key=STATUSES.index)), coder=(coder or None),
                   codes=tuple(codes) if codes else None, n_quotes=int(n_quotes),
                   documents=None if documents is None else tuple(sorted({int(d) for d in documents})))


def analysis_status(filters: Filters) -> tuple[str, ...]:
    """The status names :mod:`coding.analysis` uses ("pending" for undecided suggestions)."""
    return tuple("pending" if s == "suggested" else s for s in filters.status)


# -- metadata ------------------------------------------------------------------------------------------

def project_label(project) -> str:
    """The project's name without credentials: the SQLite file name or the database name."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(project.url)
    except Exception:  # noqa: BLE001 - a label only
        return "project"
    name = url.database or "project"
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def export_metadata(project, filters: Filters, *, now: datetime | None = None) -> dict[str, str]:
    """Ordered key → value pairs every export carries: codebook, its version, filters, date (UTC)."""
    codebook = project.codebook()
    now = now or datetime.now(timezone.utc)
    return {
        "project": project_label(project),
        "codebook": codebook.title if codebook else "—",
        "codebook_version": codebook.version if codebook else "—",
        "status": ",".join(filters.status),
        "coder": filters.coder or "全部 all",
        "codes": ",".join(filters.codes) if filters.codes else "全部 all",
        "quotes_per_code": str(filters.n_quotes),
        "documents": "全部 all" if filters.documents is None else
                     "、".join(d.title for d in project.documents() if d.id in set(filters.documents)) or "—",
        "exported_at": now.strftime("%Y-%m-%d %H:%M UTC"),
        "offsets": "Unicode code points of the stored text",
        "software": "Baolian 包联",
    }


def metadata_frame(meta: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"key": list(meta), "value": list(meta.values())})


def metadata_line(meta: dict[str, str]) -> str:
    """One line for notes and comments."""
    return (f"编码本 codebook {meta['codebook']} v{meta['codebook_version']}；筛选 filters: status={meta['status']}, "
            f"coder={meta['coder']}, codes={meta['codes']}；导出 exported {meta['exported_at']}")


# -- coded segments ------------------------------------------------------------------------------------

def segments(project, filters: Filters) -> pd.DataFrame:
    """Coded segments (one row per coder's coding of a span, machine suggestions with coder empty)."""
    frame = _analysis("coded_segments")(project, status=analysis_status(filters), coder=filters.coder,
                                        codes=filters.codes, documents=filters.documents)
    frame = frame.reindex(columns=[*SEGMENT_COLUMNS, *[c for c in frame.columns if c not in SEGMENT_COLUMNS]])
    return frame.reset_index(drop=True)


def spans(segs: pd.DataFrame) -> pd.DataFrame:
    """Distinct spans (accepted rows kept over suggestions) with the number of coders who coded each."""
    if segs.empty:
        return segs.assign(coders=pd.Series(dtype=int))
    n = segs.groupby(SPAN)["coder"].nunique().rename("coders")  # machine suggestions have no coder
    first = segs.sort_values("status", kind="stable").drop_duplicates(SPAN)  # 'accepted' before 'suggested'
    return first.merge(n, left_on=SPAN, right_index=True).sort_values(["document_id", "start"], kind="stable") \
        .reset_index(drop=True)


def code_order(codebook) -> dict[str, int]:
    return {c.id: i for i, c in enumerate(codebook.codes)} if codebook else {}


FREQUENCY_COLUMNS = ["code", "name", "segments", "share", "documents", "characters"]


def frequencies(project, filters: Filters, codebook) -> pd.DataFrame:
    """Per code: coded segments, their share of all coded segments in the table (%), documents, characters
    covered — :func:`coding.analysis.code_frequencies` (``by="none"``), so the counts are the Analysis
    page's: a segment carries a code once however many coders coded it."""
    freq = _analysis("code_frequencies")(project, by="none", status=analysis_status(filters), coder=filters.coder,
                                         documents=filters.documents)
    keep = expand_codes(codebook, filters.codes)
    if keep is not None:
        freq = freq[freq["code"].isin(keep)]
    if freq.empty:
        return pd.DataFrame(columns=FREQUENCY_COLUMNS)
    out = freq[["code", "name", "segments", "documents", "characters"]].copy()
    out["share"] = (100.0 * out["segments"] / out["segments"].sum()).round(1)
    order = code_order(codebook)
    out = out.sort_values("code", key=lambda s: s.map(lambda c: (order.get(c, len(order)), c)))
    return out[FREQUENCY_COLUMNS].astype({"segments": int, "documents": int, "characters": int}) \
        .reset_index(drop=True)


# -- quotes --------------------------------------------------------------------------------------------

QUOTE_COLUMNS = ["code", "name", "rank", "quote", "document", "speaker", "indicator_hits", "coders"]
MIN_QUOTE = 8  # spans shorter than this (a word or two coded by hand) are quoted only when nothing else is


def ranked(sp: pd.DataFrame, codebook) -> pd.DataFrame:
    """Spans (from :func:`spans`) most typical first, with ``indicator_hits``: see :func:`quotes`."""
    if sp.empty:
        return sp.assign(indicator_hits=pd.Series(dtype=int))
    indicators = {c.id: {t for t in c.indicators if t} for c in codebook.codes} if codebook else {}
    sp = sp.assign(
        indicator_hits=[sum(1 for t in indicators.get(code, ()) if t in str(text))
                        for code, text in zip(sp["code"], sp["text"])],
        _accepted=(sp["status"] == "accepted"),
        _length=[len(str(t)) for t in sp["text"]],
    )
    sp = sp.assign(_fragment=sp["_length"] < MIN_QUOTE)
    sp = sp.sort_values(["_accepted", "indicator_hits", "coders", "_fragment", "_length", "document_id", "start"],
                        ascending=[False, False, False, True, True, True, True])
    return sp.drop(columns=["_accepted", "_length", "_fragment"])


def quotes(segs: pd.DataFrame, codebook, n: int = 3) -> pd.DataFrame:
    """典型引语: per code the ``n`` most typical *accepted* spans.

    "Typical" = the span that contains the most distinct indicator terms of its code (``indicators`` in the
    codebook); ties go to the span more coders accepted, then to the shorter span (a quotable sentence
    rather than a paragraph; fragments under :data:`MIN_QUOTE` characters last), then to document order. Spans are counted once however many coders
    accepted them; suggestions are never quoted.
    """
    accepted = segs[segs["status"] == "accepted"] if not segs.empty else segs
    sp = ranked(spans(accepted), codebook)
    if sp.empty:
        return pd.DataFrame(columns=QUOTE_COLUMNS)
    top = sp.groupby("code", sort=False).head(n).copy()
    top["rank"] = top.groupby("code").cumcount() + 1
    top = top.rename(columns={"code_name": "name", "text": "quote"})
    order = code_order(codebook)
    top["_o"] = top["code"].map(lambda c: (order.get(c, len(order)), c))
    top = top.sort_values(["_o", "rank"]).drop(columns="_o")
    top["speaker"] = top["speaker"].where(top["speaker"].notna(), None)
    return top[QUOTE_COLUMNS].reset_index(drop=True)


# -- three-level coding table --------------------------------------------------------------------------

LEVEL_COLUMNS = ["selective", "selective_name", "axial", "axial_name", "open", "open_name", "segments", "example"]


def _chain(codebook, code_id: str) -> list[str]:
    """Root first: [root, level 1, ..., code]."""
    return [c.id for c in reversed(codebook.ancestors(code_id))] + [code_id]


def coding_levels(segs: pd.DataFrame, codebook, counts: dict[str, int] | None = None) -> pd.DataFrame:
    """开放式编码 → 主轴编码 → 选择性编码 from the code hierarchy and the coded spans.

    选择性编码 (selective) = the root of a code's branch (F, M …); 主轴编码 (axial) = its level-1 code (M1);
    开放式编码 (open) = the code itself when deeper (M1.1), else the level-1 code. One row per open code with
    spans, its count and one example: the most typical span (see :func:`quotes`; accepted spans
    before suggestions). Spans of a root code itself are listed with axial and open equal to the root.
    ``counts`` (code -> segments, from :func:`frequencies`) makes the count the frequency table's; else distinct
    spans are counted.
    """
    if codebook is None:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    sp = spans(segs)
    if sp.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    known = codebook.codes_by_id
    counts = {**sp.groupby("code").size().to_dict(), **{k: v for k, v in (counts or {}).items()
                                                         if k in set(sp["code"])}}
    best = ranked(sp, codebook).drop_duplicates("code").set_index("code")["text"].to_dict()
    rows = []
    for code in codebook.codes:
        if code.id not in counts:
            continue
        chain = _chain(codebook, code.id)
        root = chain[0]
        axial = chain[1] if len(chain) > 1 else chain[0]
        rows.append({"selective": root, "selective_name": known[root].name, "axial": axial,
                     "axial_name": known[axial].name, "open": code.id, "open_name": code.name,
                     "segments": int(counts[code.id]), "example": best.get(code.id, "")})
    for code in sorted(set(counts) - set(known)):  # codes no longer in the codebook
        rows.append({"selective": code, "selective_name": code, "axial": code, "axial_name": code, "open": code,
                     "open_name": code, "segments": int(counts[code]), "example": best.get(code, "")})
    return pd.DataFrame(rows, columns=LEVEL_COLUMNS)


# -- codebook appendix ---------------------------------------------------------------------------------

CODEBOOK_COLUMNS = ["code", "name", "name_en", "parent", "definition", "use_when", "not_when", "examples"]


def codebook_appendix(codebook, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The codebook as a table: definition, when to use, when not to use (and what to use instead), examples.
    Retired codes are left out; with ``codes`` only those and their sub-codes; list fields joined with "；"."""
    if codebook is None:
        return pd.DataFrame(columns=CODEBOOK_COLUMNS)
    wanted = expand_codes(codebook, codes)
    rows = []
    for c in codebook.codes:
        if c.retired or (wanted is not None and c.id not in wanted):
            continue
        not_when = [x.text + (f"（改用 {x.use}）" if x.use else "") for x in c.not_when]
        rows.append({"code": c.id, "name": c.name, "name_en": c.name_en, "parent": c.parent or "",
                     "definition": c.definition or c.short or "", "use_when": "；".join(c.use_when),
                     "not_when": "；".join(not_when), "examples": "；".join(e.text for e in c.examples)})
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)


@dataclass
class Tables:
    """Everything an export needs, computed once."""

    meta: dict[str, str]
    segments: pd.DataFrame
    frequencies: pd.DataFrame
    quotes: pd.DataFrame
    levels: pd.DataFrame
    codebook: pd.DataFrame
    summaries: pd.DataFrame = field(default_factory=pd.DataFrame)  # documents x codes (coding.summaries)
    relations: pd.DataFrame = field(default_factory=pd.DataFrame)  # between codes (exports.relation_table)
    data: dict[str, pd.DataFrame] = field(default_factory=dict)


def build(project, filters: Filters, *, data: bool = False) -> Tables:
    """The tables for ``filters``; with ``data`` also the analysis tables of the CSV and XLSX exports."""
    from coding.exports.relation_table import relations_table
    from coding.summaries import summary_table

    codebook = project.codebook()
    segs = segments(project, filters)
    freq = frequencies(project, filters, codebook)
    tables = Tables(meta=export_metadata(project, filters), segments=segs, frequencies=freq,
                    quotes=quotes(segs, codebook, filters.n_quotes),
                    levels=coding_levels(segs, codebook, dict(zip(freq["code"], freq["segments"]))),
                    codebook=codebook_appendix(codebook, filters.codes),
                    summaries=summary_table(project, codes=expand_codes(codebook, filters.codes),
                                            coder=filters.coder, documents=filters.documents),
                    relations=relations_table(codebook, filters.codes))
    if data:
        from coding.exports.document_table import document_table
        from coding.exports.link_table import link_table
        from coding.exports.memo_table import memo_table

        tables.data = {"documents": document_table(project, filters.documents), **data_tables(project, filters),
                       "memos": memo_table(project, filters), "links": link_table(project, filters),
                       "summaries": tables.summaries, "relations": tables.relations}
    return tables


def _analysis(name: str):
    """A function of :mod:`coding.analysis` (where the analysis tables are re-exported)."""
    from coding import analysis

    found = getattr(analysis, name, None)
    if found is None:  # defined in a helper module of the analysis package
        from coding import analysis_tables

        found = getattr(analysis_tables, name)
    return found


def expand_codes(codebook, codes: Iterable[str] | None) -> set[str] | None:
    """``codes`` and all their sub-codes (None = all), as :func:`coding.analysis.coded_segments` selects."""
    if not codes:
        return None
    wanted = set(codes)
    if codebook is None:
        return wanted
    return {c.id for c in codebook.codes if c.id in wanted or wanted & {a.id for a in codebook.ancestors(c.id)}}


GROUPED_BY = ("kind", "speaker_role", "case", "coder")  # frequencies_by_<by> tables of the data exports
SHARES = {"share": "share_pct", "document_share": "document_share_pct", "character_share": "character_share_pct"}


def grouped_frequencies(freq: pd.DataFrame, by: str) -> pd.DataFrame:
    """:func:`coding.analysis.code_frequencies` output as a data table: code, name, the ``by`` value (and its
    Chinese label for kinds), segments, documents, characters and the three shares in per cent (1 decimal)."""
    from coding.analysis import KIND_LABELS

    out = freq[["code", "name", by, "segments", "documents", "characters", *SHARES]].rename(columns=SHARES)
    for column in SHARES.values():
        out[column] = (100.0 * out[column].astype(float)).round(1)
    if by == "kind":
        out.insert(3, "kind_label", out["kind"].map(KIND_LABELS).fillna(out["kind"]))
    return out.reset_index(drop=True)


def data_tables(project, filters: Filters) -> dict[str, pd.DataFrame]:
    """The analysis tables from :mod:`coding.analysis`: frequencies by document kind, speaker role, case and
    coder (long form, shares in per cent), the code × document matrix (coded segments per cell, with the code's
    name) and code × code co-occurrence in the same sentence and in the same paragraph (count, Jaccard to 3
    decimals)."""
    status = analysis_status(filters)
    out: dict[str, pd.DataFrame] = {}
    for by in GROUPED_BY:
        freq = _analysis("code_frequencies")(project, by=by, status=status, coder=filters.coder,
                                             documents=filters.documents)
        out[f"frequencies_by_{by}"] = grouped_frequencies(freq, by)
    matrix = _analysis("code_document_matrix")(project, status=status, coder=filters.coder, measure="segments",
                                               documents=filters.documents)
    matrix = matrix.reset_index() if "code" not in matrix.columns else matrix
    names = dict(zip(*_analysis("codes_frame")(project)[["code", "name"]].T.values))
    matrix.insert(1, "name", matrix["code"].map(names))
    out["matrix"] = matrix
    for level, key in (("sentence", "cooccurrence"), ("paragraph", "cooccurrence_paragraph")):
        cooc = _analysis("cooccurrence")(project, level=level, status=status, coder=filters.coder,
                                         documents=filters.documents)
        out[key] = cooc.assign(jaccard=cooc["jaccard"].astype(float).round(3))
    keep = expand_codes(project.codebook(), filters.codes)
    if keep is not None:
        for key, frame in out.items():
            for column in ("code", "code_a", "code_b"):
                if column in frame.columns:
                    frame = frame[frame[column].isin(keep)]
            out[key] = frame.reset_index(drop=True)
    return out
