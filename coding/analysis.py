"""Counts over a project's codings as pandas frames: overview figures and code frequencies.

Read-only. One query per table loads the few columns needed; the counting is
plain pandas. Semantics follow :mod:`coding.decisions`: a machine suggestion
has no coder and status 'suggested'; a coder's decision is its own row
(accepted or rejected) pointing at the suggestion; codes added by hand are
origin 'human', status 'accepted'. "Pending" means not decided by the given
coder, or by nobody at all when no coder is given. Rows of layer 'final' (the
adjudicated coding) are counted only when asked for (``layer="final"``).

The analysis is split by concept: :mod:`coding.analysis_data` (the frames and the
selection every count runs on), this module (overview and frequencies),
:mod:`coding.analysis_tables` (code × document matrix, co-occurrence, coded
segments — re-exported here), :mod:`coding.analysis_words` (KWIC, word
frequencies) and :mod:`coding.charts` (Altair charts, PNG/SVG).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import pandas as pd
from sqlalchemy import select

from coding.analysis_data import (
    NO_VALUE,
    applications_frame,
    check_selection,
    codes_frame,
    documents_frame,
    segments_frame,
    selected_codings,
    split_applications,
    union_length,
    visible_coder,
)
from coding.document_variables import VAR_PREFIX, check_grouping, values_by_document
from coding.store import Coder, Document, Segment

KIND_LABELS = {"interview": "访谈 interview", "policy": "政策文件 policy", "minutes": "会议纪要 minutes",
               "news": "新闻报道 news", "other": "其他 other"}
STATUS_COLUMNS = ["suggestions", "pending", "accepted", "rejected", "added"]
SPAN = ["document_id", "code_id", "start", "end"]


def _split(apps: pd.DataFrame, coder: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return split_applications(apps, coder)


def documents_by_kind(project) -> pd.DataFrame:
    """Documents, characters and segments per document kind (one row per kind present)."""
    with project.read() as s:
        docs = pd.DataFrame(s.execute(select(Document.id, Document.kind, Document.n_chars)
                                      .where(Document.deleted_at.is_(None))).all(),
                            columns=["document_id", "kind", "characters"])
        segs = pd.DataFrame(s.execute(select(Segment.document_id, Segment.unit)).all(),
                            columns=["document_id", "unit"])
    columns = ["kind", "kind_label", "documents", "characters", "paragraph", "sentence", "turn"]
    if docs.empty:
        return pd.DataFrame(columns=columns)
    units = pd.crosstab(segs["document_id"], segs["unit"]) if not segs.empty else pd.DataFrame()
    units = units.reindex(columns=["paragraph", "sentence", "turn"], fill_value=0)
    docs = docs.join(units, on="document_id").fillna(0)
    out = docs.groupby("kind").agg(documents=("document_id", "size"), characters=("characters", "sum"),
                                   paragraph=("paragraph", "sum"), sentence=("sentence", "sum"),
                                   turn=("turn", "sum")).reset_index()
    out["kind_label"] = out["kind"].map(KIND_LABELS).fillna(out["kind"])
    return out[columns].astype({c: int for c in columns[2:]})


def status_counts(project, coder: str | None = None, *, as_user: str | None = None) -> pd.DataFrame:
    """One row per code with any coding: suggestions made, pending, accepted, rejected, added by hand.

    Accepted and rejected count decisions on suggestions (per coder, so two coders accepting one
    suggestion count twice); pending is for ``coder`` (or decided by nobody when None). ``as_user`` while
    blinded (blind double coding) counts only their own decisions.
    """
    coder = visible_coder(project, coder, as_user)
    codes = codes_frame(project)
    machine, decisions, pending = _split(applications_frame(project), coder)
    decided = decisions[decisions["suggestion_id"].notna()]
    parts = {
        "suggestions": machine["code_id"].value_counts(),
        "pending": pending["code_id"].value_counts(),
        "accepted": decided.loc[decided["status"] == "accepted", "code_id"].value_counts(),
        "rejected": decided.loc[decided["status"] == "rejected", "code_id"].value_counts(),
        "added": decisions.loc[decisions["origin"] == "human", "code_id"].value_counts(),
    }
    counts = pd.DataFrame(parts).reindex(columns=STATUS_COLUMNS).fillna(0).astype(int)
    out = codes.merge(counts, left_on="code_id", right_index=True, how="inner")
    out = out[["code", "name", "group", "group_name", "color", "retired", *STATUS_COLUMNS]]
    return out.reset_index(drop=True)


def coder_progress(project, *, as_user: str | None = None) -> pd.DataFrame:
    """One row per coder: decisions made, suggestions still pending for them, share done, last change.
    ``as_user`` while blinded (blind double coding) gets only their own row."""
    with project.read() as s:
        coders = list(s.scalars(select(Coder.name).order_by(Coder.id)))
    own_only = visible_coder(project, None, as_user)
    if own_only is not None:
        coders = [c for c in coders if c == own_only]
    apps = applications_frame(project)
    apps = apps[apps["layer"] != "final"]
    machine = apps[apps["coder"].isna() & (apps["status"] == "suggested")]
    live = set(machine["id"])
    rows = []
    for name in coders:
        own = apps[apps["coder"] == name]
        decided = own[own["suggestion_id"].isin(live)]
        n_decided = int(decided["suggestion_id"].nunique())
        rows.append({
            "coder": name,
            "accepted": int(((own["status"] == "accepted") & own["suggestion_id"].notna()).sum()),
            "rejected": int((own["status"] == "rejected").sum()),
            "added": int((own["origin"] == "human").sum()),
            "decided": n_decided,
            "pending": len(live) - n_decided,
            "progress": n_decided / len(live) if live else 0.0,
            "documents": int(own["document_id"].nunique()),
            "last_change": own["updated_at"].max() if not own.empty else None,
        })
    columns = ["coder", "accepted", "rejected", "added", "decided", "pending", "progress", "documents",
               "last_change"]
    return pd.DataFrame(rows, columns=columns)


BY_OPTIONS = {"kind": "文档类型 kind", "document": "文档 document", "speaker_role": "说话人角色 speaker role",
              "speaker": "说话人 speaker", "case": "案例 case", "coder": "编码员 coder", "none": "不分组 none"}
BY_COLUMNS = {"kind": "kind", "document": "document"}  # kept for callers of the first version
ALL_VALUE = "全部 all"
MACHINE = "机器 machine"
FREQ_COLUMNS = ["group", "group_name", "code", "name", "label", "position"]
MEASURES = ["count", "segments", "documents", "characters", "share", "document_share", "character_share"]


def code_frequencies(project, *, by: str = "kind", status: Iterable[str] = ("accepted",),
                     coder: str | None = None, rollup: bool = False, layer: str = "coding",
                     as_user: str | None = None, documents: Collection[int] | None = None) -> pd.DataFrame:
    """Segments, documents and characters per code and ``by`` value, long format, zero rows left out.

    ``by``: kind, document, speaker_role, speaker, case (a document with several cases counts for
    each), coder (one row per coder; machine suggestions under 机器 machine), none, or ``var:NAME`` for a
    document variable (documents without a value under —).
    ``status``: "accepted" (codings a coder accepted or added) and/or "pending" (suggestions not decided
    yet) or "suggested" (all machine suggestions); ``coder`` keeps only that coder's decisions; ``layer``
    "final" counts the adjudicated coding instead. A segment carries a code once however many coders
    accepted it (``count`` == ``segments``). ``characters`` covers the coded text, overlaps once.
    Shares: ``share`` = segments / all coded segments of the ``by`` value; ``document_share`` = documents
    with the code / documents of the ``by`` value; ``character_share`` = characters / characters of the
    ``by`` value. ``rollup`` counts sub-codes under their level-1 code (M1.2 under M1). ``as_user``: who
    is asking; while blinded (blind double coding before adjudication) only their own codings count.
    ``documents``: count only in these documents (their codings, and the bases of the shares).
    """
    check_grouping(project, by, BY_OPTIONS)
    check_selection(status, layer)
    columns = [*FREQ_COLUMNS, by, *MEASURES]
    rows = selected_codings(project, status=status, coder=coder, layer=layer, as_user=as_user, documents=documents)
    if rows.empty:
        return pd.DataFrame(columns=columns)
    codes = codes_frame(project)
    docs = documents_frame(project)
    if documents is not None:
        docs = docs[docs["document_id"].isin(set(documents))]
    rows = rows.merge(codes[["code_id", "code", "name", "group", "group_name", "position", "level1"]], on="code_id")
    if rollup:
        level1 = codes.set_index("code")
        rows["code"] = rows["level1"]
        rows["name"] = rows["code"].map(level1["name"])
        rows["position"] = rows["code"].map(level1["position"])
    rows["label"] = rows["code"] + " " + rows["name"]
    rows = rows.merge(docs[["document_id", "document", "cases"]], on="document_id")
    rows, base = _by_values(project, rows, docs, by)
    keys = [*FREQ_COLUMNS, by]
    out = rows.drop_duplicates([*keys, "unit"]).groupby(keys, dropna=False).size().rename("segments").to_frame()
    out["documents"] = rows.drop_duplicates([*keys, "document_id"]).groupby(keys, dropna=False).size()
    out["characters"] = union_length(rows, [*keys, "document_id"]).groupby(level=keys, dropna=False).sum()
    out = out.reset_index()
    out["count"] = out["segments"]
    out["share"] = out["segments"] / out.groupby(by)["segments"].transform("sum")
    out = out.merge(base, on=by, how="left")
    out["document_share"] = (out["documents"] / out["_docs"]).where(out["_docs"] > 0)
    out["character_share"] = (out["characters"] / out["_chars"]).where(out["_chars"] > 0)
    out = out.astype({"segments": int, "documents": int, "characters": int, "count": int})
    return out.sort_values(["position", by]).reset_index(drop=True)[columns]


def _by_values(project, rows: pd.DataFrame, docs: pd.DataFrame, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rows`` with a ``by`` column, and the base per ``by`` value: _docs (documents) and _chars (characters)."""
    whole = pd.DataFrame({"_docs": [len(docs)], "_chars": [int(docs["characters"].sum())]})
    if by in ("kind", "document"):
        base = docs.groupby(by).agg(_docs=("document_id", "size"), _chars=("characters", "sum")).reset_index()
    elif by == "case":
        rows = rows.assign(case=rows["cases"].map(lambda c: c or [NO_VALUE])).explode("case")
        cases = docs.assign(case=docs["cases"].map(lambda c: c or [NO_VALUE])).explode("case")
        base = cases.groupby("case").agg(_docs=("document_id", "size"), _chars=("characters", "sum")).reset_index()
    elif by in ("speaker", "speaker_role"):
        sents = segments_frame(project)
        sents = sents[sents["document_id"].isin(set(docs["document_id"]))]
        sents["_len"] = sents["end"] - sents["start"]
        base = sents.groupby(by).agg(_docs=("document_id", "nunique"), _chars=("_len", "sum")).reset_index()
    elif by.startswith(VAR_PREFIX):
        value = values_by_document(docs, by)
        docs = docs.assign(**{by: docs["document_id"].map(value)})
        rows = rows.assign(**{by: rows["document_id"].map(value)})
        base = docs.groupby(by).agg(_docs=("document_id", "size"), _chars=("characters", "sum")).reset_index()
    else:
        if by == "coder":
            rows = rows.assign(coder=rows["coder"].fillna(MACHINE))
        else:
            rows = rows.assign(none=ALL_VALUE)
        base = pd.DataFrame({by: rows[by].unique()}).merge(whole, how="cross")
    return rows, base


def frequency_table(freq: pd.DataFrame, by: str = "kind", order: Sequence[str] | None = None) -> pd.DataFrame:
    """Wide table of :func:`code_frequencies`: one row per code, one column per ``by`` value (in ``order``
    when given, values not in it last), and a total."""
    if freq.empty:
        return pd.DataFrame(columns=["code", "name", "total"])
    wide = freq.pivot_table(index=["position", "code", "name"], columns=by, values="count", aggfunc="sum",
                            fill_value=0)
    rank = {str(v): i for i, v in enumerate(order or [])}
    columns = sorted(wide.columns, key=lambda c: (rank.get(str(c), len(rank)), str(c)))
    wide = wide[columns]
    wide.columns = [str(c) for c in wide.columns]
    wide["total"] = wide.sum(axis=1)
    return wide.reset_index().drop(columns="position")


# The tables built on the same selection, importable from here too.
from coding.analysis_tables import (  # noqa: E402
    code_document_matrix,
    coded_segments,
    cooccurrence,
    cooccurrence_matrix,
)

__all__ = [
    "KIND_LABELS", "BY_OPTIONS", "applications_frame", "code_document_matrix", "code_frequencies", "coded_segments",
    "coder_progress", "codes_frame", "cooccurrence", "cooccurrence_matrix", "documents_by_kind", "frequency_table",
    "status_counts",
]
