"""The frames every analysis starts from: codes, live documents, sentences and the selected codings.

Read-only; one query per table. Semantics follow :mod:`coding.decisions`: a machine suggestion has
no coder and status 'suggested'; a coder's decision is its own row (accepted or rejected) pointing at
the suggestion; codes added by hand are origin 'human', status 'accepted'. Rows with layer 'final'
are the adjudicated coding. Documents that were deleted (``deleted_at`` set) are left out everywhere.

The *selection* (:func:`selected_codings`) is what the counts run on:

* status "accepted" — coders' accepted codings (layer "coding") or the adjudicated ones (layer "final");
* status "pending" — machine suggestions no selected coder has decided yet;
* status "suggested" — every machine suggestion, decided or not.

Each row carries a ``unit``: the segment it was made on (suggestions and most hand codes point at
their sentence), or its exact span when it has no segment. A segment carries a code when any
selected coder accepted it, so counts use distinct (unit, code) pairs, not one row per coder.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd
from sqlalchemy import select

from coding.errors import BaolianError
from coding.store import Code, CodeApplication, Coder, Document, Event, Segment

STATUSES = ("accepted", "pending", "suggested")
LAYERS = ("coding", "final")
NO_VALUE = "—"


def data_version(project) -> tuple[int, int, int]:
    """A cheap fingerprint of the project's data (last event, codings, documents): when it is unchanged the
    analysis results are too, so callers may cache on it."""
    from sqlalchemy import func

    with project.read() as s:
        return (s.scalar(select(func.max(Event.id))) or 0, s.scalar(select(func.count(CodeApplication.id))) or 0,
                s.scalar(select(func.count(Document.id)).where(Document.deleted_at.is_(None))) or 0)


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
    codes["ancestors"] = chains
    return codes


def applications_frame(project) -> pd.DataFrame:
    """Every coding on a live document: machine suggestions and coders' decisions."""
    with project.read() as s:
        rows = s.execute(
            select(CodeApplication.id, CodeApplication.document_id, CodeApplication.code_id,
                   CodeApplication.start, CodeApplication.end, Coder.name, CodeApplication.origin,
                   CodeApplication.status, CodeApplication.suggestion_id, CodeApplication.updated_at,
                   Document.kind, Document.title, CodeApplication.segment_id, CodeApplication.layer)
            .join(Document, Document.id == CodeApplication.document_id)
            .outerjoin(Coder, Coder.id == CodeApplication.coder_id)
            .where(Document.deleted_at.is_(None))
        ).all()
    return pd.DataFrame(rows, columns=["id", "document_id", "code_id", "start", "end", "coder", "origin", "status",
                                       "suggestion_id", "updated_at", "kind", "title", "segment_id", "layer"])


def split_applications(apps: pd.DataFrame, coder: str | None):
    """(machine suggestions, decisions on layer 'coding', pending suggestions) — decisions and pending
    for ``coder`` if given."""
    machine = apps[apps["coder"].isna() & (apps["status"] == "suggested")]
    decisions = apps[apps["coder"].notna() & (apps["layer"] != "final")]
    if coder is not None:
        decisions = decisions[decisions["coder"] == coder]
    decided = set(decisions["suggestion_id"].dropna().astype(int))
    return machine, decisions, machine[~machine["id"].isin(decided)]


def documents_frame(project) -> pd.DataFrame:
    """Live documents: document_id, document (title, made unique), kind, characters, participants, cases,
    extra (the document variables, :mod:`coding.document_variables`); the text through :func:`document_texts`."""
    with project.read() as s:
        rows = s.execute(select(Document.id, Document.title, Document.kind, Document.n_chars, Document.participants,
                                Document.cases, Document.extra)
                         .where(Document.deleted_at.is_(None)).order_by(Document.id)).all()
    docs = pd.DataFrame(rows, columns=["document_id", "document", "kind", "characters", "participants", "cases",
                                       "extra"])
    docs["extra"] = docs["extra"].map(lambda v: v if isinstance(v, dict) else {})
    dup = docs["document"].duplicated(keep=False)
    docs.loc[dup, "document"] = docs.loc[dup, "document"] + " #" + docs.loc[dup, "document_id"].astype(str)
    docs["participants"] = docs["participants"].map(lambda v: v if isinstance(v, list) else [])
    docs["cases"] = docs["cases"].map(lambda v: [str(c) for c in v] if isinstance(v, list) else [])
    return docs


def document_texts(project, ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({int(i) for i in ids})
    if not ids:
        return {}
    with project.read() as s:
        return dict(s.execute(select(Document.id, Document.text).where(Document.id.in_(ids))).all())


def segments_frame(project, unit: str = "sentence", *, words: bool = False,
                   documents: Collection[int] | None = None) -> pd.DataFrame:
    """Segments of one unit on live documents (``documents``: only these), with the speaker's role (from the
    document's participants)."""
    cols = [Segment.id, Segment.document_id, Segment.idx, Segment.start, Segment.end, Segment.speaker]
    if words:
        cols.append(Segment.words)
    query = (select(*cols).join(Document, Document.id == Segment.document_id)
             .where(Segment.unit == unit, Document.deleted_at.is_(None)))
    if documents is not None:
        query = query.where(Segment.document_id.in_([int(d) for d in documents]))
    with project.read() as s:
        rows = s.execute(query.order_by(Segment.document_id, Segment.start)).all()
    names = ["segment_id", "document_id", "idx", "start", "end", "speaker"] + (["words"] if words else [])
    segs = pd.DataFrame(rows, columns=names)
    roles = _roles(project)
    segs["speaker_role"] = [roles.get((d, sp), NO_VALUE) if sp else NO_VALUE
                            for d, sp in zip(segs["document_id"], segs["speaker"])]
    segs["speaker"] = segs["speaker"].fillna(NO_VALUE)
    return segs


def _roles(project) -> dict[tuple[int, str], str]:
    out = {}
    for doc_id, participants in zip(*documents_frame(project)[["document_id", "participants"]].T.values):
        for p in participants or []:
            if isinstance(p, dict) and p.get("name"):
                out[(doc_id, str(p["name"]))] = str(p.get("role") or p["name"])
    return out


def check_selection(status: Iterable[str], layer: str) -> set[str]:
    wanted = {status} if isinstance(status, str) else set(status)
    unknown = wanted - set(STATUSES)
    if unknown:
        raise BaolianError(f"unknown status {sorted(unknown)}", field="status",
                           hint="use 'accepted', 'pending' (undecided suggestions) and/or 'suggested' (all)")
    if layer not in LAYERS:
        raise BaolianError(f"unknown layer {layer!r}", field="layer", hint="use 'coding' or 'final' (adjudicated)")
    return wanted


def visible_coder(project, coder: str | None, as_user: str | None) -> str | None:
    """Whose codings ``as_user`` may count when asking for ``coder``'s (None = everyone's): only their own
    while blinded (blind double coding before adjudication, :func:`coding.assignments.user_blinded`)."""
    if not as_user or not as_user.strip():
        return coder
    from coding.assignments import shown_coder

    with project.read() as s:
        return shown_coder(s, coder, as_user)


def selected_codings(project, *, status: Iterable[str] = ("accepted",), coder: str | None = None,
                     layer: str = "coding", apps: pd.DataFrame | None = None,
                     as_user: str | None = None, documents: Collection[int] | None = None) -> pd.DataFrame:
    """The codings a count runs on (see the module docstring), one row per stored coding, with a ``unit``
    key, the code's key and the speaker / speaker role of the sentence the coding starts in.
    ``as_user``: who is asking; while blinded (blind mode before adjudication) only their own codings
    count, whatever ``coder`` says. ``documents``: only codings of these documents (e.g. those with a
    document variable's value, :func:`coding.document_variables.documents_where`)."""
    wanted = check_selection(status, layer)
    coder = visible_coder(project, coder, as_user)
    apps = applications_frame(project) if apps is None else apps
    if documents is not None:
        apps = apps[apps["document_id"].isin(set(documents))]
    machine, decisions, pending = split_applications(apps, coder)
    frames = []
    if "accepted" in wanted:
        if layer == "final":
            final = apps[(apps["layer"] == "final") & (apps["status"] == "accepted")]
            frames.append(final if coder is None else final[final["coder"] == coder])
        else:
            frames.append(decisions[decisions["status"] == "accepted"])
    if "suggested" in wanted:
        frames.append(machine)
    elif "pending" in wanted:
        frames.append(pending)
    frames = [f for f in frames if not f.empty]
    columns = [*apps.columns, "unit", "speaker", "speaker_role"]
    if not frames:
        return pd.DataFrame(columns=columns)
    rows = pd.concat(frames).drop_duplicates("id").reset_index(drop=True)
    seg = rows["segment_id"].map(_same_text_segments(project, rows["segment_id"]))
    rows["unit"] = np.where(seg.notna(), "s" + seg.astype("Int64").astype(str),
                            "d" + rows["document_id"].astype(str) + ":" + rows["start"].astype(str) + "-"
                            + rows["end"].astype(str))
    return attach_speakers(rows, segments_frame(project))


def _same_text_segments(project, ids: pd.Series) -> dict:
    """Segment id -> one id per stretch of text: a one-sentence paragraph is a sentence segment and a
    paragraph segment over the same characters; a code on both counts once."""
    wanted = sorted({int(i) for i in ids.dropna()})
    if not wanted:
        return {}
    with project.read() as s:
        spans = s.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end)
                          .where(Segment.id.in_(wanted))).all()
    first: dict[tuple, int] = {}
    for seg_id, doc, start, end in sorted(spans):
        first.setdefault((doc, start, end), seg_id)
    return {seg_id: first[(doc, start, end)] for seg_id, doc, start, end in spans}


def attach_speakers(rows: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    """Speaker and speaker role of the sentence each row starts in (``—`` when there is none)."""
    rows = rows.drop(columns=[c for c in ("speaker", "speaker_role") if c in rows.columns])
    if rows.empty:
        return rows.assign(speaker=pd.Series(dtype=object), speaker_role=pd.Series(dtype=object))
    left = rows.assign(_order=np.arange(len(rows)), start=rows["start"].astype("int64"),
                       document_id=rows["document_id"].astype("int64")).sort_values("start")
    right = sentences[["document_id", "start", "end", "speaker", "speaker_role"]].rename(
        columns={"start": "_s_start", "end": "_s_end"}).astype({"_s_start": "int64", "document_id": "int64"})
    merged = pd.merge_asof(left, right.sort_values("_s_start"), left_on="start", right_on="_s_start",
                           by="document_id", direction="backward")
    inside = merged["start"] < merged["_s_end"]
    merged["speaker"] = merged["speaker"].where(inside, NO_VALUE).fillna(NO_VALUE)
    merged["speaker_role"] = merged["speaker_role"].where(inside, NO_VALUE).fillna(NO_VALUE)
    merged = merged.sort_values("_order").drop(columns=["_order", "_s_start", "_s_end"]).reset_index(drop=True)
    return merged


def union_length(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Characters covered by the spans (start, end) of each ``keys`` group, overlaps counted once."""
    if rows.empty:
        return pd.Series(dtype="int64")
    df = rows[[*keys, "start", "end"]].astype({"start": "int64", "end": "int64"}).sort_values([*keys, "start"])
    reach = df.groupby(keys, dropna=False)["end"].cummax()
    before = reach.groupby([df[k] for k in keys], dropna=False).shift(1)
    begin = np.maximum(df["start"], before.fillna(-1).astype("int64"))
    df["covered"] = (df["end"] - begin).clip(lower=0)
    return df.groupby(keys, dropna=False)["covered"].sum()


def expand_codes(codes: pd.DataFrame, keys: Iterable[str] | None) -> set[int] | None:
    """Code ids for ``keys`` and all their sub-codes (None = every code); unknown keys are refused."""
    if keys is None:
        return None
    keys = [keys] if isinstance(keys, str) else list(keys)
    unknown = [k for k in keys if k not in set(codes["code"])]
    if unknown:
        raise BaolianError(f"unknown code {', '.join(unknown)}", field="code",
                           hint="use keys from the codebook, e.g. M1")
    want = set(keys)
    return {cid for cid, chain in zip(codes["code_id"], codes["ancestors"]) if want & set(chain)}


def overlapped_units(rows: pd.DataFrame, segs: pd.DataFrame) -> list[np.ndarray]:
    """For each row of ``rows`` (a span: document_id, start, end), the positions in ``segs`` (a
    :func:`segments_frame`, sorted by document and start) of the units its span overlaps; empty when none."""
    starts, ends = segs["start"].to_numpy(), segs["end"].to_numpy()
    by_doc = {d: (starts[idx], ends[idx], idx) for d, idx in segs.groupby("document_id").indices.items()}
    none = np.array([], dtype=int)
    out = []
    for doc, start, end in zip(rows["document_id"], rows["start"], rows["end"]):
        doc_starts, doc_ends, pos = by_doc.get(doc, (none, none, none))
        lo = int(np.searchsorted(doc_ends, start, side="right"))
        hi = int(np.searchsorted(doc_starts, end, side="left"))
        out.append(pos[lo:hi])
    return out
