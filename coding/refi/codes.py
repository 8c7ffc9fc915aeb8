"""Planning the codes of an import: which REFI codes merge with the project's and which are added, under
which key, and the codebook that results (validated before anything is stored)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import select

from coding.codebook import Codebook, parse_codebook
from coding.codebook import Code as CodebookCode
from coding.errors import BaolianError
from coding.refi.guids import code_guid
from coding.refi.reader import SIDECAR, RCode, RefiFile
from coding.refi.schema import RefiError
from coding.store import Code

if TYPE_CHECKING:
    from coding.refi.importer import RefiImportReport

DEFAULT_COLOR = "#888888"
FROM_REFI = {"OneWay": "one-way", "Bidirectional": "both", "Associative": "none"}  # Link@direction
NAME_MAX = 200  # codes.name is VARCHAR(200)


def _derive_key(guid: str, taken: set[str]) -> str:
    hex_digits = guid.replace("-", "")
    for size in (6, 8, 12, 32):
        key = f"Q{hex_digits[:size]}"
        if key not in taken:
            return key
    raise RefiError(f"cannot derive a code key for {guid}")  # pragma: no cover - 32 hex digits are unique


def _bump(version: str) -> str:
    major, minor, patch = (int(x) for x in version.split("."))
    return f"{major}.{minor}.{patch + 1}"


@dataclass
class CodePlan:
    keys: dict[str, str]  # REFI code GUID -> our key
    codebook: Codebook | None  # the new codebook to stage, None when nothing is added


def _sidecar(refi: RefiFile, report: RefiImportReport) -> Codebook | None:
    """The Baolian codebook our own export writes beside project.qde, if present and valid."""
    if refi.codebook_yaml is None:
        return None
    try:
        return parse_codebook(refi.codebook_yaml, file=refi.codebook_where or SIDECAR)
    except BaolianError as err:
        report.skipped.append(f"{SIDECAR} ignored ({err}); codes taken from the CodeBook only")
        return None


def _relations(refi: RefiFile, keys: dict[str, str], in_codebook: set[str], had: set[tuple]) -> list[dict]:
    """The codebook relations the file's links between two codes add (those the codebook has not yet)."""
    out = []
    for link in refi.links:
        source, target = keys.get(link.origin), keys.get(link.target)
        label = link.name or "关联 related"
        if source is None or target is None or source == target or not {source, target} <= in_codebook:
            continue
        if (source, target, label) not in had:
            had.add((source, target, label))
            relation = {"source": source, "target": target, "label": label,
                        "direction": FROM_REFI.get(link.direction or "", "none")}
            note = "\n\n".join(refi.notes[g].text.strip() for g in link.notes if g in refi.notes and refi.notes[g].text.strip())
            out.append({**relation, "note": note} if note else relation)
    return out


def plan_codes(session, project, refi: RefiFile, report: RefiImportReport, where: str) -> CodePlan:
    rows = list(session.scalars(select(Code).order_by(Code.retired, Code.id)))
    by_guid = {code_guid(r.key): r.key for r in rows}
    by_name: dict[str, str] = {}
    for r in rows:
        by_name.setdefault(r.name, r.key)
    current = project.codebook()
    side = _sidecar(refi, report)
    side_codes = {code_guid(c.id): c for c in side.codes} if side else {}
    taken = {r.key for r in rows} | ({c.id for c in current.codes} if current else set())
    names = {r.name for r in rows if not r.retired} | ({c.name for c in current.codes} if current else set())
    keys: dict[str, str] = {}
    in_codebook = {c.id for c in current.codes} if current else set()  # possible parents of new codes
    new: list[dict] = []
    refi_names = {c.guid: c.name for c in refi.codes}
    for code in refi.codes:
        name = (code.name or code.guid)[:NAME_MAX]
        found = by_guid.get(code.guid) or by_name.get(name)
        if found is not None:
            keys[code.guid] = found
            report.codes_merged += 1
            continue
        base = side_codes.get(code.guid)
        key = base.id if base is not None and base.id not in taken else _derive_key(code.guid, taken)
        taken.add(key)
        keys[code.guid] = key
        if name in names:
            parent_name = refi_names.get(code.parent) or "top"
            better = f"{name} ({parent_name})"
            better = better if better not in names else f"{name} ({key})"
            report.renamed.append(f"{name!r} → {better!r}")
            name = better
        names.add(name)
        parent = keys.get(code.parent) if code.parent else None
        new.append(_code_data(code, base, key, name, parent if parent in in_codebook else None,
                              keep_rules=current is None))
        in_codebook.add(key)
        report.codes_added.append(key)
    had = current.relations if current is not None else (side.relations if side is not None else [])
    fresh = _relations(refi, keys, in_codebook, {(r.source, r.target, r.label.strip()) for r in had})
    report.relations_added = len(fresh)
    if not new and not fresh:
        return CodePlan(keys, None)
    for data in new:  # exclusions may only point at codes the codebook will have
        for exclusion in data.get("not_when", []):
            if exclusion.get("use") not in in_codebook:
                exclusion.pop("use", None)
    if current is None and side is not None:
        data = side.model_dump(mode="python", exclude_defaults=True, exclude_none=True)
        data["codes"] = new
    elif current is None:
        data = {"version": "1.0.0", "title": refi.name or "REFI-QDA", "codes": new,
                "description": f"Imported from REFI-QDA ({refi.origin or 'unknown program'})"}
    else:
        data = current.model_dump(mode="python", exclude_defaults=True, exclude_none=True)
        data["codes"] += new
        data["version"] = _bump(current.version)
    kept = [r for r in data.get("relations", []) if {r["source"], r["target"]} <= in_codebook]
    data["relations"] = [*kept, *fresh]
    try:
        return CodePlan(keys, Codebook.model_validate(data))
    except ValidationError as err:
        first = err.errors()[0]
        place = ".".join(str(x) for x in first["loc"])
        raise RefiError(f"the imported codes do not make a valid codebook: {place}: {first['msg']}", file=where,
                        field="CodeBook", hint="check the code names and colours in the file") from None


def _code_data(code: RCode, base: CodebookCode | None, key: str, name: str, parent: str | None, *,
               keep_rules: bool) -> dict:
    """A codebook entry for a new code: its REFI name, colour, parent and flag; the rest from our own codebook
    when the file came from Baolian (rules only into a project without a codebook: they need its concepts)."""
    data = {} if base is None else base.model_dump(mode="python", exclude_defaults=True, exclude_none=True)
    if not keep_rules:
        data.pop("rules", None)
    same_color = code.color is not None and code.color.upper() == str(data.get("color", "")).upper()
    data.update(id=key, name=name, parent=parent, codable=code.codable,
                color=data["color"] if same_color else code.color or data.get("color") or DEFAULT_COLOR)
    data.setdefault("name_en", name)
    if code.description and base is None:
        data["definition"] = code.description
    if parent is None:
        data.pop("parent")
    if code.codable and not all(data.get(k) for k in ("short", "definition", "use_when", "examples")):
        data["draft"] = True
    return data
