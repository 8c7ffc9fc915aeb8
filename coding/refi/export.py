"""Export a project as a REFI-QDA project (``.qdpx``; the codebook ``.qdc`` and the shared XML helpers are in
:mod:`coding.refi.export_codebook`).

Deterministic: the same project gives byte-identical files (stable GUIDs, sorted elements, fixed zip
timestamps). Exported codings are coders' accepted codings (layer 'coding') and the adjudicated layer
('final', as the selections of the pseudo-user :data:`FINAL_USER_NAME`); pending machine suggestions and
rejections are not exported. Positions are code points of the stored text.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Collection
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import aliased

from coding.codebook import dump_codebook
from coding.errors import BaolianError
from coding.refi.export_codebook import (
    ORIGIN,
    clean_text,
    code_elements,
    export_stamp,
    save_export,
    select_codes,
    xml_bytes,
    xsd_datetime,
)
from coding.refi.guids import FINAL_USER_GUID, FINAL_USER_NAME, code_guid, guid, source_guid, user_guid
from coding.refi.reader import SIDECAR
from coding.refi.schema import PROJECT_NS
from coding.roles import Permission, authorize
from coding.store import Code, CodeApplication, Coder, Document, Memo, Segment, SegmentLink
from coding.variable_types import REFI_TYPES, SET_PREFIX, YES, variable_types

# Document metadata written as REFI variables (all Text: dates may be partial, e.g. 2020-10). "title" only for a
# document whose source name had to be made unique ("访谈 (2)"), so that a re-import restores its title.
VARIABLES = ("kind", "date", "source", "filename", "participants", "title")
VALUE_ELEMENTS = {"text": "TextValue", "integer": "IntegerValue", "float": "FloatValue", "date": "DateValue",
                  "boolean": "BooleanValue"}  # a typed document variable's value (coding.variable_types)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


REFI_DIRECTIONS = {"one-way": "OneWay", "both": "Bidirectional", "none": "Associative"}

def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _project_name(project) -> str:
    name = project.setting("name") or project.setting("project_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    return Path(str(project.url).rsplit("/", 1)[-1]).stem or "Baolian project"


def _application_key(a: CodeApplication, sha: str, key: str, coder: str | None) -> tuple:
    return (sha, a.start, a.end, key, coder or "", a.layer)


def _sub(parent, tag: str, **attrs) -> etree._Element:
    return etree.SubElement(parent, f"{{{PROJECT_NS}}}{tag}",
                            {k: clean_text(v) for k, v in attrs.items() if v is not None})


def export_qdpx(project, out: Path, *, user: str | None = None, only_coder: str | None = None,
                documents: Collection[int] | None = None) -> Path:
    """Write the project as a REFI-QDA ``.qdpx`` zip (project.qde + Sources/<GUID>.txt).

    ``only_coder``: only this coder's codings and memos, and no adjudicated layer (what a coder in blind
    mode may see, see :func:`coding.exports.export`). ``documents``: only these documents, with their codings,
    memos and cases (the whole codebook, and the memos on codes and the project, go with them); all when None."""
    out = Path(out)
    with project.read() as s:
        if user:
            authorize(s, user, Permission.READ)
        docs = list(s.scalars(select(Document).where(Document.deleted_at.is_(None)).order_by(Document.id)))
        if documents is not None:
            chosen = set(documents)
            docs = [d for d in docs if d.id in chosen]
        doc_ids = {d.id for d in docs}
        adjudicator = aliased(Coder)
        apps = [
            (a, key, name)
            for a, key, name in s.execute(
                select(CodeApplication, Code.key, adjudicator.name)
                .join(Code, Code.id == CodeApplication.code_id)
                .outerjoin(adjudicator, adjudicator.id == CodeApplication.coder_id)
                .where(CodeApplication.status == "accepted",
                       ((CodeApplication.layer == "coding") & CodeApplication.coder_id.is_not(None))
                       | (CodeApplication.layer == "final"))
                .order_by(CodeApplication.document_id, CodeApplication.start, CodeApplication.end,
                          Code.key, CodeApplication.id))
            if a.document_id in doc_ids and (only_coder is None or (a.layer == "coding" and name == only_coder))
        ]
        codes = select_codes(s, project, {a.code_id for a, _, _ in apps})
        coders = list(s.scalars(select(Coder.name).order_by(Coder.name)))
        memos = list(s.execute(
            select(Memo, Coder.name, Code.key).outerjoin(Coder, Coder.id == Memo.coder_id)
            .outerjoin(Code, Code.id == Memo.code_id).order_by(Memo.id)))
        if only_coder is not None:
            memos = [m for m in memos if m[1] == only_coder]
        stamp, last_change = export_stamp(project, s, (
            f"accepted codings and memos of {only_coder} only (blind mode)" if only_coder else
            "accepted codings of every coder and the adjudicated layer; pending suggestions and rejections left out")
            + ("" if documents is None else f"; {len(docs)} documents chosen (document ids {_ids(docs)})"))
        passage_links = [(link, name) for link, name in s.execute(
            select(SegmentLink, Coder.name).outerjoin(Coder, Coder.id == SegmentLink.coder_id).order_by(SegmentLink.id))
            if link.source_document_id in doc_ids and link.target_document_id in doc_ids
            and (only_coder is None or name == only_coder)]
        segments = {seg.id: seg for seg in s.scalars(
            select(Segment).where(Segment.id.in_([m.segment_id for m, _, _ in memos if m.segment_id] or [-1])))}
    sha = {d.id: _sha(d.text) for d in docs}
    src_guid = {d.id: source_guid(sha[d.id]) for d in docs}

    # -- notes (memos) and where their NoteRefs go --------------------------------------------------
    app_guid: dict[int, str] = {}
    for a, key, coder in apps:
        app_guid[a.id] = guid("coding", *_application_key(a, sha[a.document_id], key, coder))
    notes, on_code, on_source, on_coding, on_project = [], {}, {}, {}, []
    segment_selections: dict[int, list[tuple[Segment, str, str | None, Memo]]] = {}
    for memo, coder, key in memos:
        if memo.document_id is not None and memo.document_id not in doc_ids:
            continue  # memo of a deleted document
        doc_key = sha.get(memo.document_id, "")
        note = guid("note", doc_key, key or "", coder or "", xsd_datetime(memo.created_at) or "", _sha(memo.text))
        notes.append((note, memo, coder))
        if memo.application_id in app_guid:
            on_coding.setdefault(app_guid[memo.application_id], []).append(note)
        elif memo.segment_id in segments and memo.document_id is not None:
            segment_selections.setdefault(memo.document_id, []).append(
                (segments[memo.segment_id], note, coder, memo))
        elif memo.document_id is not None:
            on_source.setdefault(memo.document_id, []).append(note)
            if key is not None and key in codes.names:  # a summary (a document and a code): referred to by both
                on_code.setdefault(key, []).append(note)
        elif key is not None and key in codes.names:
            on_code.setdefault(key, []).append(note)
        else:
            on_project.append(note)

    # -- users ----------------------------------------------------------------------------------
    root = etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS}, name=_project_name(project),
                         origin=ORIGIN)
    everyone = set(coders) | ({user} if user else set())
    if user:
        root.set("creatingUserGUID", user_guid(user))
    if last_change:
        root.set("modifiedDateTime", last_change)
    users = _sub(root, "Users") if everyone or any(a.layer == "final" for a, _, _ in apps) else None
    for name in sorted(everyone):
        _sub(users, "User", guid=user_guid(name), name=name)
    if any(a.layer == "final" for a, _, _ in apps):
        _sub(users, "User", guid=FINAL_USER_GUID, name=FINAL_USER_NAME)

    # -- codebook, variables, cases ---------------------------------------------------------------
    if codes.rows:
        code_elements(_sub(_sub(root, "CodeBook"), "Codes"), PROJECT_NS, codes, on_code)
    titles = _unique([d.title for d in docs])
    values = {d.id: _variable_values(d) for d in docs}
    for d, title in zip(docs, titles):
        if title != d.title:
            values[d.id]["title"] = d.title
    own = list(dict.fromkeys(k for d in docs for k in (d.extra or {}) if k not in VARIABLES))  # document variables
    used_vars = [v for v in (*VARIABLES, *own) if any(v in vals for vals in values.values())]
    types = {name: kind for name, kind in variable_types(project).items() if name in own}  # typed own variables
    if used_vars:
        variables = _sub(root, "Variables")
        for name in used_vars:
            _sub(variables, "Variable", guid=guid("variable", name), name=name,
                 typeOfVariable=REFI_TYPES[types.get(name, "text")])
    case_docs: dict[str, list[int]] = {}
    for d in docs:
        for case in d.cases or []:
            case_docs.setdefault(str(case), []).append(d.id)
    if case_docs:
        cases = _sub(root, "Cases")
        for case in sorted(case_docs):
            el = _sub(cases, "Case", guid=guid("case", case), name=case)
            for doc_id in case_docs[case]:
                _sub(el, "SourceRef", targetGUID=src_guid[doc_id])

    # -- sources with their selections ------------------------------------------------------------
    files: list[tuple[str, bytes]] = []
    by_doc: dict[int, list] = {}
    for row in apps:
        by_doc.setdefault(row[0].document_id, []).append(row)
    if docs:
        sources = _sub(root, "Sources")
    for d, title in zip(docs, titles):
        g = src_guid[d.id]
        el = _sub(sources, "TextSource", guid=g, name=title, plainTextPath=f"internal://{g}.txt")
        files.append((f"Sources/{g}.txt", d.text.encode("utf-8")))
        selections = []
        seen: set[str] = set()
        for a, key, coder in by_doc.get(d.id, []):
            coding = app_guid[a.id]
            if coding in seen:  # the same coder coded the same span with the same code twice
                continue
            seen.add(coding)
            selections.append((a.start, a.end, key, coder or "", a, coding))
        for seg, note, coder, memo in segment_selections.get(d.id, []):
            selections.append((seg.start, seg.end, "", coder or "", memo, note))
        for link, coder in passage_links:  # each end of a link between passages is a selection the Link refers to
            for end in ("source", "target"):
                if getattr(link, f"{end}_document_id") == d.id:
                    selections.append((getattr(link, f"{end}_start"), getattr(link, f"{end}_end"), "", coder or "",
                                       link, guid("link-selection", *_link_key(link, coder, sha), end)))
        for start, end, key, coder, row, ident in sorted(selections, key=lambda t: t[:4] + (t[5],)):
            if isinstance(row, SegmentLink):
                _sub(el, "PlainTextSelection", guid=ident, name=clean_text(row.label or "链接 link"),
                     startPosition=str(start), endPosition=str(end), creatingUser=user_guid(coder) if coder else None,
                     creationDateTime=xsd_datetime(row.created_at))
                continue
            if isinstance(row, Memo):
                sel = _sub(el, "PlainTextSelection", guid=guid("memo-selection", ident), startPosition=str(start),
                           endPosition=str(end), creatingUser=user_guid(coder) if coder else None,
                           creationDateTime=xsd_datetime(row.created_at))
                _sub(sel, "NoteRef", targetGUID=ident)
                continue
            final = row.layer == "final"
            selector = FINAL_USER_GUID if final else user_guid(coder)
            sel = _sub(el, "PlainTextSelection", guid=guid("selection", ident), startPosition=str(start),
                       endPosition=str(end), creatingUser=selector, creationDateTime=xsd_datetime(row.created_at))
            coding = _sub(sel, "Coding", guid=ident, creatingUser=user_guid(coder) if coder else selector,
                          creationDateTime=xsd_datetime(row.created_at))
            _sub(coding, "CodeRef", targetGUID=code_guid(key))
            for note in on_coding.get(ident, []):
                _sub(coding, "NoteRef", targetGUID=note)
        for note in on_source.get(d.id, []):
            _sub(el, "NoteRef", targetGUID=note)
        for name in used_vars:
            if name in values[d.id]:
                vv = _sub(el, "VariableValue")
                _sub(vv, "VariableRef", targetGUID=guid("variable", name))
                kind = types.get(name, "text")
                value = values[d.id][name]
                _sub(vv, VALUE_ELEMENTS[kind]).text = (clean_text(value) if kind == "text" else
                                                      str(value == YES).lower() if kind == "boolean" else value)

    # -- notes ----------------------------------------------------------------------------------
    codebook = project.codebook()
    relations = [r for r in (codebook.relations if codebook is not None else [])
                 if r.source in codes.names and r.target in codes.names]
    relation_notes = {id(r): guid("relation-note", r.source, r.target, r.label) for r in relations if r.note}
    if notes or relation_notes:
        notes_el = _sub(root, "Notes")
        for (note, memo, coder), name in zip(notes, _unique([_note_name(m.text) for _, m, _ in notes])):
            n = _sub(notes_el, "Note", guid=note, name=name,
                     creatingUser=user_guid(coder) if coder else None, creationDateTime=xsd_datetime(memo.created_at))
            _sub(n, "PlainTextContent").text = clean_text(memo.text)
        for r in relations:  # a relation's note, referred to from its link
            if id(r) in relation_notes:
                n = _sub(notes_el, "Note", guid=relation_notes[id(r)], name=clean_text(f"{r.source}–{r.target} {r.label}"))
                _sub(n, "PlainTextContent").text = clean_text(r.note)
    links = _sub(root, "Links") if relations or passage_links else None
    sets = _document_sets(docs, types, src_guid)
    for link, coder in passage_links:  # links between passages: from one selection to the other
        key = _link_key(link, coder, sha)
        _sub(links, "Link", guid=guid("passage-link", *key), name=clean_text(link.label) or None, direction="OneWay",
             originGUID=guid("link-selection", *key, "source"), targetGUID=guid("link-selection", *key, "target"))
    if relations:  # relations between codes (F1 --促成--> M3) as links from code to code
        for r in relations:
            link = _sub(links, "Link", guid=guid("link", r.source, r.target, r.label), name=clean_text(r.label),
                        direction=REFI_DIRECTIONS[r.direction], originGUID=code_guid(r.source),
                        targetGUID=code_guid(r.target))
            if id(r) in relation_notes:
                _sub(link, "NoteRef", targetGUID=relation_notes[id(r)])
    if sets:  # a yes/no variable 集合 NAME is also a Set of the documents where it is 是 (MAXQDA's document sets)
        sets_el = _sub(root, "Sets")
        for name, members in sets.items():
            el = _sub(sets_el, "Set", guid=guid("set", name), name=name.removeprefix(SET_PREFIX))
            for g in members:
                _sub(el, "MemberSource", targetGUID=g)
    _sub(root, "Description").text = clean_text(stamp)
    for note in on_project:
        _sub(root, "NoteRef", targetGUID=note)

    if codebook is not None:
        files.append((SIDECAR, dump_codebook(codebook).encode("utf-8")))
    save_export(out, b"")
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in [("project.qde", xml_bytes(root, stamp)), *files]:
                info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
    except OSError as err:
        raise BaolianError(f"cannot write the export: {err}", file=out, hint="check the disk space") from None
    return out


def _unique(names: list[str]) -> list[str]:
    """Names made unique with ' (2)', ' (3)'... (importers such as QualCoder key sources and notes by name)."""
    out: list[str] = []
    used: set[str] = set()
    for name in names:
        candidate, n = name, 1
        while candidate in used:
            n += 1
            candidate = f"{name} ({n})"
        used.add(candidate)
        out.append(candidate)
    return out


def _document_sets(docs, types: dict[str, str], src_guid: dict[int, str]) -> dict[str, list[str]]:
    """{variable 集合 NAME: GUIDs of the documents where it is 是} for the yes/no variables named as sets."""
    names = sorted(n for n, kind in types.items() if kind == "boolean" and n.startswith(SET_PREFIX))
    found = {n: [src_guid[d.id] for d in docs if (d.extra or {}).get(n) == YES] for n in names}
    return {n: members for n, members in found.items() if members}


def _link_key(link: SegmentLink, coder: str | None, sha: dict[int, str]) -> tuple:
    """What identifies a link between passages across projects (the texts, not their ids)."""
    return (sha[link.source_document_id], link.source_start, link.source_end, sha[link.target_document_id],
            link.target_start, link.target_end, link.label, coder or "")


def _ids(docs) -> str:
    ids = [str(d.id) for d in docs]
    return ", ".join(ids) if len(ids) <= 20 else ", ".join(ids[:20]) + f" … ({len(ids) - 20} more)"


def _note_name(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "memo"
    return first[:40]


def _variable_values(d: Document) -> dict[str, str]:
    values = {**{k: v for k, v in (d.extra or {}).items() if k not in VARIABLES},  # coding.document_variables
              "kind": d.kind, "date": d.date, "source": d.source, "filename": d.filename}
    if d.participants:
        values["participants"] = json.dumps(
            [{"name": p.get("name"), "role": p.get("role")} for p in d.participants], ensure_ascii=False)
    return {k: str(v) for k, v in values.items() if v not in (None, "")}
