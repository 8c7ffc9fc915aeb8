"""Read a REFI-QDA ``.qdpx`` or ``.qdc`` into plain data, with every check made before anything is stored.

Pure: no database. Errors are :class:`RefiError` naming the file (``x.qdpx!project.qde``), the line and
what is wrong: a zip without a .qde, XML that does not validate, duplicate GUIDs, references to unknown
codes, users or notes, source text that is not UTF-8, selections outside their source's text.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from coding.refi.guids import normal
from coding.refi.schema import CODEBOOK_NS, PROJECT_NS, RefiError, parse_xml, validate

MAX_BYTES = 500 * 1024 * 1024
SIDECAR = "baolian/codebook.yaml"  # other programs ignore it; a Baolian import restores the full codebook


@dataclass
class RCode:
    guid: str
    name: str
    codable: bool
    color: str | None
    description: str | None
    parent: str | None  # parent code GUID
    notes: list[str] = field(default_factory=list)


@dataclass
class RCoding:
    guid: str
    code: str  # code GUID
    user: str | None  # Coding@creatingUser
    notes: list[str] = field(default_factory=list)


@dataclass
class RSelection:
    guid: str
    start: int  # code points of the stored (normalised) text
    end: int
    user: str | None  # PlainTextSelection@creatingUser (the coder, as QualCoder reads it)
    created: str | None
    codings: list[RCoding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RSource:
    guid: str
    name: str
    text: str
    selections: list[RSelection] = field(default_factory=list)
    codings: list[RCoding] = field(default_factory=list)  # codings of the whole source
    notes: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    cases: list[str] = field(default_factory=list)


@dataclass
class RPassageLink:
    """A Link from one selection (or coding) to another: a link between two passages (ATLAS.ti's hyperlinks)."""

    guid: str
    name: str
    origin: tuple[str, int, int]  # (source GUID, start, end)
    target: tuple[str, int, int]


@dataclass
class RSet:
    """A Set of the project: its member sources (documents), and how many codes and notes it also holds."""

    name: str
    sources: list[str]  # source GUIDs
    others: int  # MemberCode and MemberNote elements (not imported)


@dataclass
class RNote:
    guid: str
    name: str
    text: str
    user: str | None
    created: str | None


@dataclass
class RLink:
    guid: str
    name: str
    direction: str | None  # OneWay, Bidirectional, Associative
    origin: str  # code GUID
    target: str  # code GUID
    notes: list[str] = field(default_factory=list)  # Note GUIDs (NoteRef)


@dataclass
class RefiFile:
    kind: str  # 'qdpx' or 'qdc'
    name: str  # project name (or file stem)
    origin: str | None
    users: dict[str, str] = field(default_factory=dict)  # GUID -> name
    codes: list[RCode] = field(default_factory=list)  # parents before children
    links: list[RLink] = field(default_factory=list)  # links between two codes (relations)
    passage_links: list[RPassageLink] = field(default_factory=list)  # links between two selections
    sources: list[RSource] = field(default_factory=list)
    notes: dict[str, RNote] = field(default_factory=dict)
    project_notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what was not imported, for the report
    variable_types: dict[str, str] = field(default_factory=dict)  # variable name -> typeOfVariable (Text, Integer …)
    sets: list[RSet] = field(default_factory=list)  # MAXQDA's document sets, NVivo's sets
    # Baolian's own codebook (keys, English names, definitions, rules), written beside project.qde by our export
    codebook_yaml: str | None = None
    codebook_where: str | None = None


def _q(tag: str, ns: str = PROJECT_NS) -> str:
    return f"{{{ns}}}{tag}"


def read_refi(path: Path) -> RefiFile:
    """Parse and check a ``.qdpx`` (zip) or ``.qdc`` (XML) file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".qdpx", ".qdc"):
        raise RefiError("not a REFI-QDA file", file=path, hint="give a .qdpx project or a .qdc codebook")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise RefiError("file too large", file=path, hint="the limit is 500 MB")
        if suffix == ".qdc":
            data = path.read_bytes()
            return _read_codebook(data, str(path), path.stem)
        with zipfile.ZipFile(path) as zf:
            return _read_project(zf, path)
    except zipfile.BadZipFile:
        raise RefiError("not a zip archive", file=path,
                        hint="a .qdpx is a zip holding project.qde and Sources/; export it again") from None
    except OSError as err:
        raise RefiError(f"cannot read the file: {err.strerror or err}", file=path) from None


def _read_codebook(data: bytes, where: str, stem: str) -> RefiFile:
    root = parse_xml(data, where)
    ns = validate(root, where)
    if ns != CODEBOOK_NS:
        raise RefiError("a .qdc must hold a CodeBook", file=where, line=root.sourceline,
                        hint="rename a project.qde inside a zip to .qdpx, or export the codebook as .qdc")
    out = RefiFile(kind="qdc", name=stem, origin=root.get("origin"))
    _check_guids(root, where)
    codes = root.find(_q("Codes", ns))
    _read_codes(codes, None, out, ns)
    return out


def _read_project(zf: zipfile.ZipFile, path: Path) -> RefiFile:
    infos = zf.infolist()
    if sum(i.file_size for i in infos) > MAX_BYTES:
        raise RefiError("the archive unpacks to more than 500 MB", file=path, hint="split the project")
    names = {i.filename.replace("\\", "/").lower(): i.filename for i in infos}
    qde = [n for n in names.values() if n.lower().endswith(".qde")]
    if not qde:
        raise RefiError("the zip holds no project.qde", file=path,
                        hint="a .qdpx must contain project.qde (QDA-XML) and its Sources/ folder; export it again")
    main = min(qde, key=lambda n: (n.count("/"), n.lower() != "project.qde", n))
    where = f"{path}!{main}"
    root = parse_xml(zf.read(main), where)
    ns = validate(root, where)
    if ns != PROJECT_NS:
        raise RefiError("project.qde must hold a Project", file=where, line=root.sourceline)
    out = RefiFile(kind="qdpx", name=root.get("name") or path.stem, origin=root.get("origin"))
    _check_guids(root, where)
    for user in root.iterfind(f"{_q('Users')}/{_q('User')}"):
        out.users[normal(user.get("guid"))] = (user.get("name") or user.get("id") or user.get("guid")).strip()
    codes = root.find(f"{_q('CodeBook')}/{_q('Codes')}")
    if codes is not None:
        _read_codes(codes, None, out, PROJECT_NS)
    variables = {normal(v.get("guid")): v.get("name") for v in root.iterfind(f"{_q('Variables')}/{_q('Variable')}")}
    out.variable_types = {v.get("name"): v.get("typeOfVariable") or "Text"
                          for v in root.iterfind(f"{_q('Variables')}/{_q('Variable')}")}
    for note in root.iterfind(f"{_q('Notes')}/{_q('Note')}"):
        g = normal(note.get("guid"))
        text = _source_text(zf, names, note, path, where)
        out.notes[g] = RNote(g, note.get("name") or "", text, _user(out, note, "creatingUser", where),
                             note.get("creationDateTime"))
    for el in root.iterfind(f"{_q('Sets')}/{_q('Set')}"):
        out.sets.append(RSet((el.get("name") or el.get("guid")).strip(),
                             [normal(r.get("targetGUID")) for r in el.iterfind(_q("MemberSource"))],
                             len(el.findall(_q("MemberCode"))) + len(el.findall(_q("MemberNote")))))
    case_of: dict[str, list[str]] = {}
    for case in root.iterfind(f"{_q('Cases')}/{_q('Case')}"):
        for ref in case.iterfind(_q("SourceRef")):
            case_of.setdefault(normal(ref.get("targetGUID")), []).append(case.get("name") or case.get("guid"))
    sources = root.find(_q("Sources"))
    for el in (sources if sources is not None else []):
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local != "TextSource":
            out.skipped.append(f"{local} {el.get('name') or el.get('guid')} (only text sources are imported)")
            continue
        if el.get("plainTextPath") is None and el.find(_q("PlainTextContent")) is None:
            out.skipped.append(f"TextSource {el.get('name') or el.get('guid')} (no plain text, only rich text)")
            continue
        out.sources.append(_read_source(zf, names, el, out, variables, case_of, path, where))
    known_codes = {c.guid for c in out.codes}
    for source in out.sources:
        for sel in source.selections:
            for coding in sel.codings:
                if coding.code not in known_codes:
                    raise RefiError(f"CodeRef {coding.code} names no code of the CodeBook", file=where,
                                    line=_line(root, coding.guid), field="CodeRef",
                                    hint="the codebook lacks this code; export the project again")
    _check_notes(out, root, where)
    spans = {g: (source.guid, sel.start, sel.end) for source in out.sources for sel in source.selections
             for g in (sel.guid, *(c.guid for c in sel.codings))}  # a selection, or a coding of it
    for link in root.iterfind(f"{_q('Links')}/{_q('Link')}"):
        origin, target = normal(link.get("originGUID") or ""), normal(link.get("targetGUID") or "")
        name = (link.get("name") or "").strip()
        if origin in known_codes and target in known_codes:
            out.links.append(RLink(normal(link.get("guid")), name, link.get("direction"),
                                   origin, target, [normal(r.get("targetGUID")) for r in link.iterfind(_q("NoteRef"))]))
        elif origin in spans and target in spans and spans[origin] != spans[target]:
            out.passage_links.append(RPassageLink(normal(link.get("guid")), name, spans[origin], spans[target]))
        else:
            out.skipped.append(f"Link {name or link.get('guid')} (only links between two codes, imported as "
                               "relations, and between two passages are imported)")
    if SIDECAR in names:
        try:
            out.codebook_yaml = zf.read(names[SIDECAR]).decode("utf-8")
            out.codebook_where = f"{path}!{names[SIDECAR]}"
        except UnicodeDecodeError:
            out.skipped.append(f"{SIDECAR} (not UTF-8; codes imported from the CodeBook only)")
    out.project_notes = [normal(r.get("targetGUID")) for r in root.iterfind(_q("NoteRef"))]
    return out


def _line(root: etree._Element, guid: str) -> int | None:
    for el in root.iter():
        if isinstance(el.tag, str) and normal(el.get("guid")) == guid:
            return el.sourceline
    return None


def _check_guids(root: etree._Element, where: str) -> None:
    seen: dict[str, int] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.get("guid") is None:
            continue
        g = normal(el.get("guid"))
        if g in seen:
            raise RefiError(f"duplicate GUID {g} (first used on line {seen[g]})", file=where, line=el.sourceline,
                            field=etree.QName(el).localname, hint="every element needs its own GUID")
        seen[g] = el.sourceline


def _read_codes(parent: etree._Element, parent_guid: str | None, out: RefiFile, ns: str) -> None:
    for el in parent.iterfind(_q("Code", ns)):
        desc = el.find(_q("Description", ns))
        code = RCode(guid=normal(el.get("guid")), name=(el.get("name") or "").strip(),
                     codable=el.get("isCodable") in ("true", "1"), color=_color(el.get("color")),
                     description=(desc.text or "").strip() or None if desc is not None else None,
                     parent=parent_guid,
                     notes=[normal(r.get("targetGUID")) for r in el.iterfind(_q("NoteRef", ns))])
        out.codes.append(code)
        _read_codes(el, code.guid, out, ns)


def _color(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().upper()
    if len(value) == 4:  # #RGB -> #RRGGBB
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value


def _user(out: RefiFile, el: etree._Element, attr: str, where: str) -> str | None:
    value = el.get(attr)
    if value is None:
        return None
    g = normal(value)
    if g not in out.users:
        raise RefiError(f"{attr} {g} names no User of the project", file=where, line=el.sourceline,
                        field=f"{etree.QName(el).localname}@{attr}",
                        hint="add the user to <Users>, or export the project again")
    return g


def _source_text(zf: zipfile.ZipFile, names: dict[str, str], el: etree._Element, path: Path, where: str) -> str:
    """A TextSource's or Note's plain text: inline PlainTextContent or an internal:// file in the zip."""
    content = el.find(_q("PlainTextContent"))
    if content is not None:
        return content.text or ""
    ref = el.get("plainTextPath")
    if ref is None:
        return ""
    if not ref.startswith("internal://"):
        raise RefiError(f"source {el.get('name') or el.get('guid')!r} points outside the file ({ref})",
                        file=where, line=el.sourceline, field="plainTextPath",
                        hint="export the project with its sources inside (internal://)")
    rel = ref.removeprefix("internal://").lstrip("/")
    member = names.get(f"sources/{rel}".lower()) or names.get(rel.lower())
    if member is None:
        raise RefiError(f"the zip has no Sources/{rel} for {el.get('name') or el.get('guid')!r}",
                        file=where, line=el.sourceline, field="plainTextPath", hint="export the project again")
    data = zf.read(member)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RefiError(f"source text is not UTF-8 (byte {err.start} cannot be decoded)",
                        file=f"{path}!{member}", field="plainTextPath",
                        hint="REFI-QDA sources must be UTF-8; convert the file and export again") from None


# Control characters are never stored (as in coding.corpus.normalise_text): XML 1.0 cannot hold them, the word
# index uses U+001F between words and PostgreSQL refuses NUL. The C0 line and page breaks (Word's manual line
# break \v, \f, U+001C-U+001E) become \n like \r; the other C0 controls and DEL are dropped. Nothing else of
# an imported text changes (zero-width characters, U+2028 and the like are kept).
_DROPPED = frozenset(chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x1C), 0x1F, 0x7F))
_BREAKS = frozenset("\r\v\f\x1c\x1d\x1e")


def _normalise(text: str) -> tuple[str, list[int]]:
    """Drop a BOM, turn \\r\\n and the other breaks into \\n and drop control characters (see :data:`_DROPPED`);
    return the text and old position -> new position."""
    mapping, out, i, n = [], [], 0, len(text)
    while i < n:
        ch = text[i]
        mapping.append(len(out))
        if (i == 0 and ch == "\ufeff") or ch in _DROPPED or (ch == "\r" and i + 1 < n and text[i + 1] == "\n"):
            i += 1
            continue
        out.append("\n" if ch in _BREAKS else ch)
        i += 1
    mapping.append(len(out))
    return "".join(out), mapping


def _read_source(zf, names, el, out: RefiFile, variables, case_of, path: Path, where: str) -> RSource:
    g = normal(el.get("guid"))
    raw = _source_text(zf, names, el, path, where)
    text, mapping = _normalise(raw)
    source = RSource(guid=g, name=(el.get("name") or g).strip(), text=text, cases=case_of.get(g, []),
                     notes=[normal(r.get("targetGUID")) for r in el.iterfind(_q("NoteRef"))])
    for sel in el.iterfind(_q("PlainTextSelection")):
        start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
        if not 0 <= start < end <= len(raw):
            raise RefiError(f"selection {start}–{end} is outside the text of {source.name!r} "
                            f"(0–{len(raw)} characters) or empty", file=where, line=sel.sourceline,
                            field="PlainTextSelection", hint="positions are code points of the source text")
        item = RSelection(normal(sel.get("guid")), mapping[start], mapping[end],
                          _user(out, sel, "creatingUser", where), sel.get("creationDateTime"),
                          notes=[normal(r.get("targetGUID")) for r in sel.iterfind(_q("NoteRef"))])
        for c in sel.iterfind(_q("Coding")):
            item.codings.append(_coding(out, c, where))
        if item.start == item.end:  # the selection held only a removed \r, BOM or control character
            continue
        source.selections.append(item)
    for c in el.iterfind(_q("Coding")):
        source.codings.append(_coding(out, c, where))
    if source.codings:
        out.skipped.append(f"{len(source.codings)} coding(s) of whole source {source.name!r} (no span)")
    for vv in el.iterfind(_q("VariableValue")):
        ref = vv.find(_q("VariableRef"))
        name = variables.get(normal(ref.get("targetGUID"))) if ref is not None else None
        value = next((v for v in vv if isinstance(v.tag, str) and v is not ref), None)
        if name is None:
            raise RefiError(f"VariableRef {ref.get('targetGUID')} names no Variable", file=where,
                            line=vv.sourceline, field="VariableRef", hint="declare it under <Variables>")
        if value is not None and value.text is not None:
            text = value.text.strip()
            source.variables[name] = text[:10] if value.tag == _q("DateValue") else text  # no time zone
    return source


def _coding(out: RefiFile, el: etree._Element, where: str) -> RCoding:
    ref = el.find(_q("CodeRef"))
    return RCoding(normal(el.get("guid")), normal(ref.get("targetGUID")), _user(out, el, "creatingUser", where),
                   notes=[normal(r.get("targetGUID")) for r in el.iterfind(_q("NoteRef"))])


def _check_notes(out: RefiFile, root: etree._Element, where: str) -> None:
    for r in root.iter(_q("NoteRef")):
        g = normal(r.get("targetGUID"))
        if g not in out.notes:
            raise RefiError(f"NoteRef {g} names no Note", file=where, line=r.sourceline, field="NoteRef",
                            hint="add the note under <Notes>, or export the project again")
