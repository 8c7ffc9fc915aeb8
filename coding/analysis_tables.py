"""Code × document matrix, code × code co-occurrence and the list of coded segments (pandas, read-only).

All three run on the selection of :func:`coding.analysis_data.selected_codings` (accepted codings by
default; a segment carries a code once however many coders accepted it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import pandas as pd

from coding.analysis_data import (
    codes_frame,
    document_texts,
    documents_frame,
    expand_codes,
    overlapped_units,
    segments_frame,
    selected_codings,
    union_length,
)
from coding.errors import BaolianError

MATRIX_MEASURES = ("segments", "characters")
LEVELS = {"sentence": "同一句 same sentence", "paragraph": "同一段 same paragraph"}
COOC_COLUMNS = ["code_a", "code_b", "count", "jaccard"]
SEGMENT_COLUMNS = ["document_id", "document", "kind", "speaker", "speaker_role", "code", "code_name", "coder",
                   "status", "origin", "start", "end", "text"]


def _matrix_codes(codes: pd.DataFrame, used: set[int]) -> pd.DataFrame:
    """Codes in codebook order: the codable, not retired ones and any other code that was used."""
    keep = (codes["codable"].astype(bool) & ~codes["retired"].astype(bool)) | codes["code_id"].isin(used)
    return codes[keep]


def code_document_matrix(project, *, status: Iterable[str] = ("accepted",), coder: str | None = None,
                         measure: str = "segments", layer: str = "coding", as_user: str | None = None,
                         documents: Collection[int] | None = None) -> pd.DataFrame:
    """Rows = codes (keys, codebook order), columns = live documents (titles, in import order); cells =
    coded segments (``measure="segments"``) or coded characters (``"characters"``, overlaps once).
    ``as_user`` while blinded counts only their own codings."""
    if measure not in MATRIX_MEASURES:
        raise BaolianError(f"unknown measure {measure!r}", field="measure", hint="use 'segments' or 'characters'")
    rows = selected_codings(project, status=status, coder=coder, layer=layer, as_user=as_user, documents=documents)
    codes = codes_frame(project)
    docs = documents_frame(project)
    if documents is not None:  # only these documents' columns
        docs = docs[docs["document_id"].isin(set(documents))]
    order = _matrix_codes(codes, set(rows["code_id"]) if not rows.empty else set())
    if rows.empty:
        values = pd.DataFrame(0, index=order["code_id"], columns=docs["document_id"])
    else:
        if measure == "segments":
            cells = rows.drop_duplicates(["code_id", "document_id", "unit"]).groupby(["code_id", "document_id"]).size()
        else:
            cells = union_length(rows, ["code_id", "document_id"])
        values = cells.unstack(fill_value=0).reindex(index=order["code_id"], columns=docs["document_id"],
                                                     fill_value=0)
    values = values.fillna(0).astype(int)
    values.index = pd.Index(order["code"].tolist(), name="code")
    values.columns = pd.Index(docs["document"].tolist(), name="document")
    return values


def _units(rows: pd.DataFrame, level: str, project) -> pd.DataFrame:
    """(unit, code_id) pairs: each coding counts for every sentence / paragraph its span overlaps."""
    segs = segments_frame(project, level)
    ids = segs["segment_id"].to_numpy()
    units, code_ids = [], []
    for found, code_id, own in zip(overlapped_units(rows, segs), rows["code_id"], rows["unit"]):
        names = [f"s{i}" for i in ids[found]] or [own]
        units.extend(names)
        code_ids.extend([code_id] * len(names))
    return pd.DataFrame({"unit": units, "code_id": code_ids}).drop_duplicates()


def _pairs(project, level: str, status, coder, layer, as_user=None, documents=None) -> tuple[pd.DataFrame, pd.Series]:
    """(co-occurring pairs in long form, units per code id)."""
    if level not in LEVELS:
        raise BaolianError(f"unknown level {level!r}", field="level", hint="use 'sentence' or 'paragraph'")
    rows = selected_codings(project, status=status, coder=coder, layer=layer, as_user=as_user, documents=documents)
    if rows.empty:
        return pd.DataFrame(columns=COOC_COLUMNS), pd.Series(dtype=int)
    units = _units(rows, level, project)
    codes = codes_frame(project)
    rank = dict(zip(codes["code_id"], range(len(codes))))
    key = dict(zip(codes["code_id"], codes["code"]))
    sizes = units.groupby("code_id").size()
    sizes = sizes.reindex(sorted(sizes.index, key=rank.get))
    sizes.index = sizes.index.map(key)
    pairs = units.merge(units, on="unit", suffixes=("_a", "_b"))
    pairs = pairs[pairs["code_id_a"].map(rank) < pairs["code_id_b"].map(rank)]
    if pairs.empty:
        return pd.DataFrame(columns=COOC_COLUMNS), sizes
    out = pairs.groupby(["code_id_a", "code_id_b"]).size().rename("count").reset_index()
    out["_ra"], out["_rb"] = out["code_id_a"].map(rank), out["code_id_b"].map(rank)
    out = out.sort_values(["_ra", "_rb"])
    out["code_a"], out["code_b"] = out["code_id_a"].map(key), out["code_id_b"].map(key)
    out["jaccard"] = out["count"] / (out["code_a"].map(sizes) + out["code_b"].map(sizes) - out["count"])
    return out[COOC_COLUMNS].astype({"count": int, "jaccard": float}).reset_index(drop=True), sizes


def cooccurrence(project, *, level: str = "sentence", status: Iterable[str] = ("accepted",),
                 coder: str | None = None, layer: str = "coding", as_user: str | None = None,
                 documents: Collection[int] | None = None) -> pd.DataFrame:
    """Pairs of codes found in the same sentence (``level="sentence"``) or paragraph (``"paragraph"``):
    code_a, code_b (code_a first in codebook order), count = units carrying both, jaccard = count / units
    carrying either. A coding counts for every unit its span overlaps. Only pairs that co-occur."""
    return _pairs(project, level, status, coder, layer, as_user, documents)[0]


def code_sizes(project, *, level: str = "sentence", status: Iterable[str] = ("accepted",),
               coder: str | None = None, layer: str = "coding", as_user: str | None = None,
               documents: Collection[int] | None = None) -> pd.Series:
    """Units (sentences or paragraphs) carrying each code, by code key in codebook order."""
    return _pairs(project, level, status, coder, layer, as_user, documents)[1].rename("units")


def cooccurrence_matrix(project, *, level: str = "sentence", status: Iterable[str] = ("accepted",),
                        coder: str | None = None, value: str = "count", layer: str = "coding",
                        as_user: str | None = None, documents: Collection[int] | None = None) -> pd.DataFrame:
    """Square code × code table of :func:`cooccurrence` over the codes that were used (codebook order):
    counts (diagonal = units carrying the code) or Jaccard (``value="jaccard"``, diagonal 1)."""
    if value not in ("count", "jaccard"):
        raise BaolianError(f"unknown value {value!r}", field="value", hint="use 'count' or 'jaccard'")
    long, sizes = _pairs(project, level, status, coder, layer, as_user, documents)
    keys = list(sizes.index)
    dtype = int if value == "count" else float
    square = pd.DataFrame(0, index=pd.Index(keys, name="code"), columns=keys, dtype=dtype)
    for a, b, v in zip(long["code_a"], long["code_b"], long[value]):
        square.loc[a, b] = square.loc[b, a] = v
    for k in keys:
        square.loc[k, k] = sizes[k] if value == "count" else 1.0
    return square


def coded_segments(project, *, status: Iterable[str] = ("accepted",), coder: str | None = None,
                   codes: Iterable[str] | None = None, layer: str = "coding",
                   as_user: str | None = None, documents: Collection[int] | None = None) -> pd.DataFrame:
    """One row per selected coding (one per coder: two coders accepting a sentence give two rows; one coder's
    code on one span is one row even when it was stored twice, e.g. on a sentence and its paragraph), with
    document, kind, speaker, speaker role, code, coder, status, origin, offsets (code points) and text.
    ``codes`` keeps those codes and their sub-codes; ``as_user`` while blinded sees only their own codings."""
    rows = selected_codings(project, status=status, coder=coder, layer=layer, as_user=as_user, documents=documents)
    table = codes_frame(project)
    wanted = expand_codes(table, codes)
    if wanted is not None and not rows.empty:
        rows = rows[rows["code_id"].isin(wanted)]
    if rows.empty:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    docs = documents_frame(project)
    rows = rows.drop(columns=["kind"]).merge(docs[["document_id", "document", "kind"]], on="document_id")
    rows = rows.merge(table[["code_id", "code", "name", "position"]].rename(columns={"name": "code_name"}),
                      on="code_id")
    texts = document_texts(project, rows["document_id"])
    rows["text"] = [texts[d][a:b] for d, a, b in zip(rows["document_id"], rows["start"], rows["end"])]
    rows["coder"] = rows["coder"].astype(object).where(rows["coder"].notna(), None)
    rows = rows.sort_values(["document_id", "start", "position", "end", "id"])
    # the same coder's same code on the same span is one coding (e.g. a sentence and its one-sentence paragraph)
    rows = rows.drop_duplicates(["document_id", "code_id", "coder", "status", "start", "end"])
    return rows[SEGMENT_COLUMNS].astype({"start": int, "end": int, "document_id": int}).reset_index(drop=True)
