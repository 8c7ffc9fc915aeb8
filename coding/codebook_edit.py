"""Editing a codebook: pure functions that return a NEW, validated :class:`Codebook`.

Each edit checks its own preconditions first (unknown id, duplicate name, bad colour, parent
cycle, ...) and raises :class:`CodebookError` with a message naming what is wrong and a hint;
the result is then validated as a whole by the codebook model, so an edit can never produce a
codebook that would not load. The codebook passed in is never changed.

Order of ``codes`` after an edit: tree order (each parent followed by its subtree, siblings in
their previous relative order), so the saved file reads top-down like the hierarchy.

The plain-data helpers and validation errors are in :mod:`coding.codebook_data`; editing a code's rules
as YAML text (:func:`rules_yaml`, :func:`set_rules`) is :mod:`coding.codebook_rule_edit`, re-exported here.
The project-side services (preview of edited rules, saving file + database, merges moving codings)
live in :mod:`coding.codebook_save` (this module stays pure) and are re-exported here lazily:
``from coding.codebook_edit import preview_rules, save_codebook_to_project`` works.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from coding.codebook import Codebook
from coding.codebook.models import ID_PATTERN
from coding.codebook_data import _check_color, _check_name, _data, _descendants, _index, _lines, _validated
from coding.codebook_relations import add_relation, relations_after_merge, remove_relation
from coding.codebook_rule_edit import code_vetoes, rules_yaml, set_rules
from coding.errors import CodebookError

BUMPS = ("patch", "minor", "major")
EDITABLE = ("name", "name_en", "short", "definition", "use_when", "not_when", "indicators", "examples", "codable",
            "draft")


# -- edits ------------------------------------------------------------------------------------


def add_code(codebook: Codebook, code_id: str, name: str, *, name_en: str, color: str, parent: str | None = None,
             codable: bool = True, short: str | None = None, definition: str | None = None,
             use_when: Iterable[str] | str | None = None, indicators: Iterable[str] | str | None = None,
             examples: Iterable[dict | str] | None = None, not_when: Iterable[dict] | None = None) -> Codebook:
    """A new code (as the last child of ``parent``, or the last root)."""
    data = _data(codebook)
    code_id = (code_id or "").strip()
    if not ID_PATTERN.match(code_id):
        raise CodebookError(f"bad code id {code_id!r}", field="id",
                            hint="a letter followed by letters, digits, '_', '.' or '-', e.g. M6 or M1.4")
    if any(c["id"] == code_id for c in data["codes"]):
        raise CodebookError(f"duplicate code id {code_id!r}", field="id", hint="choose an id not used yet")
    if parent:
        _index(data, parent)
    examples_list = [{"text": e} if isinstance(e, str) else dict(e) for e in examples or []]
    data["codes"].append({
        "id": code_id, "name": _check_name(data, name), "name_en": (name_en or "").strip(),
        "parent": parent or None, "codable": codable, "retired": False, "color": _check_color(color),
        "short": (short or "").strip() or None, "definition": (definition or "").strip() or None,
        "use_when": _lines(use_when), "not_when": list(not_when or []), "indicators": _lines(indicators),
        "examples": examples_list, "rules": [],
    })
    return _validated(data, code_id=code_id)


def rename_code(codebook: Codebook, code_id: str, name: str, *, name_en: str | None = None) -> Codebook:
    """Give a code a new Chinese name (and English name, when given); its id stays."""
    data = _data(codebook)
    code = data["codes"][_index(data, code_id)]
    code["name"] = _check_name(data, name, own_id=code_id)
    if name_en is not None:
        code["name_en"] = name_en.strip()
    return _validated(data, code_id=code_id)


def recolor_code(codebook: Codebook, code_id: str, color: str) -> Codebook:
    data = _data(codebook)
    data["codes"][_index(data, code_id)]["color"] = _check_color(color)
    return _validated(data, code_id=code_id)


def move_code(codebook: Codebook, code_id: str, parent: str | None) -> Codebook:
    """Give a code a new parent (None: make it a root); its subtree moves with it."""
    data = _data(codebook)
    code = data["codes"][_index(data, code_id)]
    parent = parent or None
    if parent is not None:
        _index(data, parent)
        if parent == code_id or parent in _descendants(data, code_id):
            raise CodebookError(f"cannot move {code_id} under {parent}: {parent} is {code_id} itself or inside it",
                                field="parent", hint="that would make a cycle; pick a parent outside its subtree")
    code["parent"] = parent
    return _validated(data, code_id=code_id)


def retire_code(codebook: Codebook, code_id: str, *, retired: bool = True) -> Codebook:
    """Retire a code (kept for history, not offered for new coding), or bring it back with retired=False."""
    data = _data(codebook)
    code = data["codes"][_index(data, code_id)]
    if retired:
        active = sorted(c for c in _descendants(data, code_id) if not data["codes"][_index(data, c)]["retired"])
        if active:
            raise CodebookError(f"code {code_id} has active sub-codes: {', '.join(active)}", field="retired",
                                hint="retire, move or merge its sub-codes first")
    elif code["parent"] and data["codes"][_index(data, code["parent"])]["retired"]:
        raise CodebookError(f"the parent {code['parent']} of {code_id} is retired", field="retired",
                            hint="bring the parent back first, or move the code elsewhere")
    code["retired"] = retired
    return _validated(data, code_id=code_id)


def merge_codes(codebook: Codebook, keep: str, drop: str) -> Codebook:
    """Merge ``drop`` into ``keep``: ``drop`` disappears from the codebook, and ``keep`` gains its criteria,
    indicators, examples and rules (a rule whose name ``keep`` already uses is renamed ``<drop>-<name>``).

    Sub-codes of ``drop`` move under ``keep``; ``not_when`` entries and relations naming ``drop`` name ``keep``.
    Moving the project's codings is :func:`coding.codebook_save.save_codebook_to_project`'s job
    (pass ``merges=[(keep, drop)]``).
    """
    data = _data(codebook)
    if keep == drop:
        raise CodebookError(f"cannot merge {keep} into itself", field="merge", hint="pick two different codes")
    k, d = data["codes"][_index(data, keep)], data["codes"][_index(data, drop)]
    if k["retired"]:
        raise CodebookError(f"the kept code {keep} is retired", field="merge",
                            hint="keep an active code, or bring it back first")
    if d["codable"] and not k["codable"]:
        raise CodebookError(f"cannot merge the code {drop} into the group {keep}", field="merge",
                            hint="a group (codable: false) cannot carry codings; merge into a codable code")
    for code in data["codes"]:
        if code["parent"] == drop:
            code["parent"] = keep if code["id"] != keep else d["parent"]
        code["not_when"] = [{**x, "use": keep if x.get("use") == drop else x.get("use")} for x in code["not_when"]]
    k["use_when"] += [u for u in d["use_when"] if u not in k["use_when"]]
    k["indicators"] += [t for t in d["indicators"] if t not in k["indicators"]]
    k["examples"] += [e for e in d["examples"] if e not in k["examples"]]
    k["not_when"] += [x for x in d["not_when"] if x not in k["not_when"]]
    k["not_when"] = [x for x in k["not_when"] if x.get("use") != keep]
    taken = {r["name"] for r in k["rules"]}
    for rule in d["rules"]:
        name = rule["name"]
        while name in taken:
            name = f"{drop}-{name}"
        taken.add(name)
        k["rules"].append({**rule, "name": name})
    if not k["definition"] and d["definition"]:
        k["short"], k["definition"] = k["short"] or d["short"], d["definition"]
    data["codes"] = [c for c in data["codes"] if c["id"] != drop]
    if data.get("relations"):
        data["relations"] = relations_after_merge(data["relations"], keep, drop)
    return _validated(data, code_id=keep)


def update_code(codebook: Codebook, code_id: str, **fields: Any) -> Codebook:
    """Change descriptive fields of a code: name, name_en, short, definition, use_when, not_when, indicators,
    examples, codable. Lists may be given as text, one entry a line (use_when, indicators)."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise CodebookError(f"cannot edit {', '.join(unknown)} with update_code", field="code",
                            hint=f"editable here: {', '.join(EDITABLE)}; use the dedicated edit for the others")
    data = _data(codebook)
    code = data["codes"][_index(data, code_id)]
    for key, value in fields.items():
        if key == "name":
            value = _check_name(data, value, own_id=code_id)
        elif key in ("use_when", "indicators"):
            value = _lines(value)
        elif key in ("short", "definition", "name_en") and isinstance(value, str):
            value = value.strip() or None
        elif key == "examples":
            value = [{"text": e} if isinstance(e, str) else dict(e) for e in value or []]
        code[key] = value
    return _validated(data, code_id=code_id)


def examples_from_lines(text: str) -> list[dict[str, str | None]]:
    """Examples typed one a line, ``passage || note`` (the note is optional)."""
    out = []
    for line in _lines(text):
        passage, _, note = line.partition("||")
        out.append({"text": passage.strip(), "note": note.strip() or None})
    return out


def not_when_from_lines(text: str) -> list[dict[str, str | None]]:
    """Exclusion criteria typed one a line, ``criterion => CODE`` (the code to use instead is optional)."""
    out = []
    for line in _lines(text):
        criterion, _, use = line.partition("=>")
        out.append({"text": criterion.strip(), "use": use.strip() or None})
    return out


def bump_version(codebook: Codebook, kind: str = "patch") -> Codebook:
    """The codebook with its version raised: patch 1.2.3 -> 1.2.4, minor -> 1.3.0, major -> 2.0.0."""
    if kind not in BUMPS:
        raise CodebookError(f"unknown version bump {kind!r}", field="version", hint=f"use one of {', '.join(BUMPS)}")
    major, minor, patch = version_tuple(codebook.version)
    new = {"patch": (major, minor, patch + 1), "minor": (major, minor + 1, 0), "major": (major + 1, 0, 0)}[kind]
    return codebook.model_copy(update={"version": ".".join(map(str, new))})


def version_tuple(version: str) -> tuple[int, int, int]:
    if not re.fullmatch(r"\d+\.\d+\.\d+", version or ""):
        raise CodebookError(f"bad version {version!r}", field="version", hint='use MAJOR.MINOR.PATCH, e.g. "1.0.0"')
    major, minor, patch = (int(x) for x in version.split("."))
    return major, minor, patch


_SERVICES = ("preview_rules", "save_codebook_to_project", "code_usage", "describe_changes", "RulePreview", "CodeChange",
             "PreviewSample", "SaveResult")


def __getattr__(name: str) -> Any:
    """The project services of :mod:`coding.codebook_save`, imported on first use (keeps this module pure)."""
    if name in _SERVICES:
        from coding import codebook_save

        return getattr(codebook_save, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BUMPS", "EDITABLE", "add_code", "add_relation", "remove_relation", "bump_version", "code_vetoes", "examples_from_lines", "merge_codes", "move_code",
           "not_when_from_lines", "recolor_code", "rename_code", "retire_code", "rules_yaml", "set_rules",
           "update_code", "version_tuple"]
