"""The REFI-QDA codebook export (``.qdc``), the codebook part both exports share (codes with their nesting,
colours and descriptions, unique names) and the helpers that write their XML (text XML can hold, time stamps,
the export stamp, saving). :mod:`coding.refi.export` builds the project (``.qdpx``) on these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from coding.errors import BaolianError
from coding.normalise import XML_INVALID
from coding.refi.guids import code_guid
from coding.refi.schema import CODEBOOK_NS, PROJECT_NS
from coding.store import Code

ORIGIN = "Baolian 包联"


@dataclass
class ExportCodes:
    rows: list[Code]  # exported codes, in codebook order
    names: dict[str, str]  # key -> unique REFI name
    descriptions: dict[str, str]


def xsd_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _descriptions(project) -> dict[str, str]:
    codebook = project.codebook()
    if codebook is None:
        return {}
    return {c.id: (c.definition or c.short or "").strip() for c in codebook.codes if (c.definition or c.short)}


def select_codes(session, project, needed: set[int]) -> ExportCodes:
    """Live codes plus retired ones that exported codings use, with their ancestors; unique names."""
    rows = list(session.scalars(select(Code).order_by(Code.position, Code.id)))
    by_key = {r.key: r for r in rows}
    keep = {r.key for r in rows if not r.retired or r.id in needed}
    for key in list(keep):
        parent = by_key[key].parent_key
        while parent is not None and parent in by_key and parent not in keep:
            keep.add(parent)
            parent = by_key[parent].parent_key
    chosen = [r for r in rows if r.key in keep]
    names: dict[str, str] = {}
    used: set[str] = set()
    for r in chosen:
        name = r.name.strip() or r.key
        if name in used:
            name = f"{name} ({r.key})"
        used.add(name)
        names[r.key] = name
    return ExportCodes(chosen, names, _descriptions(project))


def code_elements(parent: etree._Element, ns: str, codes: ExportCodes, notes_by_code: dict[str, list[str]]) -> None:
    kept = {r.key for r in codes.rows}
    children: dict[str | None, list[Code]] = {}
    for r in codes.rows:
        parent_key = r.parent_key if r.parent_key in kept else None
        children.setdefault(parent_key, []).append(r)

    def add(into: etree._Element, row: Code) -> None:
        el = etree.SubElement(into, f"{{{ns}}}Code", guid=code_guid(row.key), name=clean_text(codes.names[row.key]),
                              isCodable="true" if row.codable else "false")
        if row.color:
            el.set("color", row.color.upper())
        if codes.descriptions.get(row.key):
            etree.SubElement(el, f"{{{ns}}}Description").text = clean_text(codes.descriptions[row.key])
        if ns == PROJECT_NS:
            for note in notes_by_code.get(row.key, []):
                etree.SubElement(el, f"{{{ns}}}NoteRef", targetGUID=note)
        for child in children.get(row.key, []):
            add(el, child)

    for root_code in children.get(None, []):
        add(parent, root_code)


def xml_bytes(tree: etree._Element, comment: str | None = None) -> bytes:
    """The document; ``comment`` (the export stamp) goes before the root element."""
    if comment:
        tree.addprevious(etree.Comment(" " + clean_text(comment).replace("--", "—") + " "))
        return etree.tostring(tree.getroottree(), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_stamp(project, session, selection: str) -> tuple[str, str | None]:
    """(the line every export carries: codebook and version, what was exported, date; the date as xsd:dateTime).

    The date is the project's last change (the newest event), not the clock, so exporting an unchanged project
    again gives the same bytes."""
    from sqlalchemy import func

    from coding.store import Event

    codebook = project.codebook()
    book = f"{codebook.title} v{codebook.version}" if codebook else "—"
    when = xsd_datetime(session.scalar(select(func.max(Event.at))))
    return (f"Baolian 包联 export · 编码本 codebook: {book} · 筛选 filters: {selection} · "
            f"数据截至 data as of: {when or '—'} · positions: Unicode code points of the stored text"), when


def export_qdc(project, out: Path) -> Path:
    """Write the project's codebook as a REFI-QDA ``.qdc`` (nested codes, colours, descriptions)."""
    out = Path(out)
    with project.read() as s:
        codes = select_codes(s, project, set())
        stamp, _ = export_stamp(project, s, "every code that is not retired")
    if not codes.rows:
        raise BaolianError("the project has no codebook to export", field="codebook",
                           hint="load a codebook first (baolian init --codebook FILE)")
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    code_elements(etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes"), CODEBOOK_NS, codes, {})
    save_export(out, xml_bytes(root, stamp))
    return out


def save_export(out: Path, data: bytes) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as err:
        raise BaolianError(f"cannot write the export: {err.strerror or err}", file=out,
                           hint="choose a folder you can write to") from None


def clean_text(text: str) -> str:
    """Text without the control characters XML 1.0 cannot hold (a memo may contain one)."""
    return XML_INVALID.sub("", text)
