"""Counts over a project's codings as pandas frames: the overview and the first frequency view.

Read-only. One query per table loads the few columns needed; the counting is
plain pandas. Semantics follow :mod:`coding.decisions`: a machine suggestion
has no coder and status 'suggested'; a coder's decision is its own row
(accepted or rejected) pointing at the suggestion; codes added by hand are
origin 'human', status 'accepted'. "Pending" means not decided by the given
coder, or by nobody at all when no coder is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import select

from coding.store import Code, CodeApplication, Coder, Document, Segment

KIND_LABELS = {"interview": "访谈 interview", "policy": "政策文件 policy", "minutes": "会议纪要 minutes",
               "news": "新闻报道 news", "other": "其他 other"}
STATUS_COLUMNS = ["suggestions", "pending", "accepted", "rejected", "added"]
SPAN = ["document_id", "code_id", "start", "end"]


def codes_frame(project) -> pd.DataFrame:
    """Every code of the project (retired ones too) with its group: the root of its branch, and its
    level-1 ancestor (the child of the root it belongs to, itself for level-1 codes)."""
    with project.read() as s:
        rows = s.execute(select(Code.id, Code.key, Code.name, Code.parent_key, Code.color, Code.codable,
                                Code.retired, Code.position).order_by(Code.position, Code.id)).all()
    codes = pd.DataFrame(rows, columns=["code_id", "code", "name", "parent", "color", "codable", "retired",
                                        "position"])
    parent = {k: v for k, v in zip(codes["code"], codes["parent"]) if isinstance(v, str) and v}
    names = dict(zip(codes["code"], codes["name"]))

    def chain(key: str) -> list[str]:
        out, seen = [key], {key}
        while (up := parent.get(out[-1])) and up not in seen:
            out.append(up)
            seen.add(up)
        return out[::-1]  # root first

    chains = [chain(k) for k in codes["code"]]
    codes["group"] = [c[0] for c in chains]
    codes["group_name"] = [names.get(c[0], c[0]) for c in chains]
    codes["level1"] = [c[1] if len(c) > 1 else c[0] for c in chains]
    codes["level1_name"] = [names.get(k, k) for k in codes["level1"]]
    codes["label"] = codes["code"] + " " + codes["name"]
    return codes


def applications_frame(project) -> pd.DataFrame:
    """Every coding on a live document: machine suggestions and coders' decisions."""
    with project.read() as s:
        rows = s.execute(
            select(CodeApplication.id, CodeApplication.document_id, CodeApplication.code_id,
                   CodeApplication.start, CodeApplication.end, Coder.name, CodeApplication.origin,
                   CodeApplication.status, CodeApplication.suggestion_id, CodeApplication.updated_at,
                   Document.kind, Document.title)
            .join(Document, Document.id == CodeApplication.document_id)
            .outerjoin(Coder, Coder.id == CodeApplication.coder_id)
            .where(Document.deleted_at.is_(None))
        ).all()
    return pd.DataFrame(rows, columns=["id", "document_id", "code_id", "start", "end", "coder", "origin", "status",
                                       "suggestion_id", "updated_at", "kind", "title"])


def _split(apps: pd.DataFrame, coder: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(machine suggestions, decisions, pending suggestions) — decisions and pending for ``coder`` if given."""
    machine = apps[apps["coder"].isna() & (apps["status"] == "suggested")]
    decisions = apps[apps["coder"].notna()]
    if coder is not None:
        decisions = decisions[decisions["coder"] == coder]
    decided = set(decisions["suggestion_id"].dropna().astype(int))
    return machine, decisions, machine[~machine["id"].isin(decided)]


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


def status_counts(project, coder: str | None = None) -> pd.DataFrame:
    """One row per code with any coding: suggestions made, pending, accepted, rejected, added by hand.

    Accepted and rejected count decisions on suggestions (per coder, so two coders accepting one
    suggestion count twice); pending is for ``coder`` (or decided by nobody when None).
    """
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


def coder_progress(project) -> pd.DataFrame:
    """One row per coder: decisions made, suggestions still pending for them, share done, last change."""
    with project.read() as s:
        coders = list(s.scalars(select(Coder.name).order_by(Coder.id)))
    apps = applications_frame(project)
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


BY_COLUMNS = {"kind": "kind", "document": "title"}


def code_frequencies(project, *, by: str = "kind", status: Iterable[str] = ("accepted",),
                     coder: str | None = None, rollup: bool = False) -> pd.DataFrame:
    """Coded spans per code and ``by`` ("kind" or "document"), long format, zero rows left out.

    ``status`` picks what counts: "accepted" (spans a coder accepted or added; each span once however
    many coders accepted it) and/or "pending" (suggestions not decided yet, see the module docstring).
    With ``coder`` only that coder's decisions count. ``rollup`` counts sub-codes under their level-1
    code (M1.2 under M1). Columns: group, group_name, code, name, label, position, <by>, count.
    """
    if by not in BY_COLUMNS:
        raise ValueError(f"by must be one of {sorted(BY_COLUMNS)}")
    wanted = set(status)
    unknown = wanted - {"accepted", "pending"}
    if unknown:
        raise ValueError(f"unknown status {sorted(unknown)}; use 'accepted' and/or 'pending'")
    codes = codes_frame(project)
    _, decisions, pending = _split(applications_frame(project), coder)
    frames = []
    if "accepted" in wanted:
        frames.append(decisions[decisions["status"] == "accepted"])
    if "pending" in wanted:
        frames.append(pending)
    columns = ["group", "group_name", "code", "name", "label", "position", by, "count"]
    spans = pd.concat(frames) if frames else pd.DataFrame()
    if spans.empty:
        return pd.DataFrame(columns=columns)
    spans = spans.drop_duplicates(SPAN)
    spans = spans.merge(codes, on="code_id")
    if rollup:
        level1 = codes.set_index("code")
        spans["code"] = spans["level1"]
        spans["name"] = spans["code"].map(level1["name"])
        spans["position"] = spans["code"].map(level1["position"])
    spans["label"] = spans["code"] + " " + spans["name"]
    spans[by] = spans[BY_COLUMNS[by]]
    keys = ["group", "group_name", "code", "name", "label", "position", by]
    out = spans.groupby(keys, dropna=False).size().reset_index(name="count")
    return out.sort_values(["position", by]).reset_index(drop=True)[columns]


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
