"""Editing a codebook: pure functions that return a NEW, validated :class:`Codebook`.

Each edit checks its own preconditions first (unknown id, duplicate name, bad colour, parent
cycle, ...) and raises :class:`CodebookError` with a message naming what is wrong and a hint;
the result is then validated as a whole by the codebook model, so an edit can never produce a
codebook that would not load. The codebook passed in is never changed.

Order of ``codes`` after an edit: tree order (each parent followed by its subtree, siblings in
their previous relative order), so the saved file reads top-down like the hierarchy.

The project-side services (preview of edited rules, saving file + database, merges moving codings)
live in :mod:`coding.codebook_save` (this module stays pure) and are re-exported here lazily:
``from coding.codebook_edit import preview_rules, save_codebook_to_project`` works.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from coding.codebook import Codebook, Rule, dump_codebook
from coding.codebook.models import COLOR_HINT, COLOR_PATTERN, ID_PATTERN
from coding.errors import CodebookError

BUMPS = ("patch", "minor", "major")
EDITABLE = ("name", "name_en", "short", "definition", "use_when", "not_when", "indicators", "examples", "codable",
            "draft")


# -- helpers ----------------------------------------------------------------------------------


_CODE_DEFAULTS: dict[str, Any] = {"parent": None, "codable": True, "retired": False, "short": None,
                                   "definition": None}
_CODE_LISTS = ("use_when", "not_when", "indicators", "examples", "rules")


def _data(codebook: Codebook) -> dict[str, Any]:
    """Plain data to edit: every code key present, rules without their defaults (an empty ``any`` is invalid)."""
    data = codebook.model_dump(mode="python", exclude_defaults=True)
    for code in data["codes"]:
        for key, value in _CODE_DEFAULTS.items():
            code.setdefault(key, value)
        for key in _CODE_LISTS:
            code.setdefault(key, [])
    return data


def _index(data: dict[str, Any], code_id: str) -> int:
    for i, code in enumerate(data["codes"]):
        if code["id"] == code_id:
            return i
    known = ", ".join(c["id"] for c in data["codes"])
    raise CodebookError(f"unknown code id {code_id!r}", field="code", hint=f"known ids: {known}")


def _descendants(data: dict[str, Any], code_id: str) -> set[str]:
    children: dict[str | None, list[str]] = {}
    for code in data["codes"]:
        children.setdefault(code["parent"], []).append(code["id"])
    found, todo = set(), list(children.get(code_id, []))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += children.get(current, [])
    return found


def _tree_order(codes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {c["id"] for c in codes}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for code in codes:
        parent = code["parent"] if code["parent"] in ids else None
        children.setdefault(parent, []).append(code)
    out: list[dict[str, Any]] = []

    def walk(parent: str | None) -> None:
        for code in children.get(parent, []):
            out.append(code)
            walk(code["id"])

    walk(None)
    return out if len(out) == len(codes) else codes  # a cycle: leave the order, validation will say why


def _check_color(color: str) -> str:
    if not isinstance(color, str) or not COLOR_PATTERN.match(color.strip()):
        raise CodebookError(f"bad colour {color!r}, expected the form #RRGGBB", field="color", hint=COLOR_HINT)
    return color.strip().upper()


def _check_name(data: dict[str, Any], name: str, *, own_id: str | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise CodebookError("the code name is empty", field="name", hint="write a Chinese name for the code")
    for code in data["codes"]:
        if code["name"] == name and code["id"] != own_id:
            raise CodebookError(f"duplicate code name {name!r} (already used by {code['id']})", field="name",
                                hint="give every code its own name")
    return name


def _validated(data: dict[str, Any], *, code_id: str | None = None) -> Codebook:
    """Build the codebook from plain data; the first validation problem becomes a CodebookError."""
    data = {**data, "codes": _tree_order(data["codes"])}
    try:
        return Codebook.model_validate(data)
    except ValidationError as err:
        message, hint, loc = _problem(err)
        raise CodebookError(message, field=_field(loc, data), hint=hint) from None


def _problem(err: ValidationError) -> tuple[str, str, tuple[str | int, ...]]:
    """(message, hint, path) of the first validation error."""
    first = err.errors()[0]
    loc = tuple(k for k in first["loc"] if not (isinstance(k, str) and k.startswith(("function-", "list["))))
    ctx = first.get("ctx") or {}
    if first["type"] == "codebook":
        return ctx["message"], ctx["hint"], loc + tuple(ctx.get("sub", ()))
    if first["type"] == "extra_forbidden":
        return f"unknown key {loc[-1]!r}", "check the spelling; see docs/codebook-format.md for the keys", loc
    if first["type"] == "missing":
        return f"missing required field {loc[-1]!r}", f"add '{loc[-1]}: ...'", loc
    return first["msg"], "see docs/codebook-format.md", loc


def _field(loc: Sequence[str | int], data: dict[str, Any] | None = None) -> str | None:
    """``codes[3].color`` -> ``code M1.color`` (the id says more than the position)."""
    loc = tuple(loc)
    head = ""
    if data and len(loc) >= 2 and loc[0] == "codes" and isinstance(loc[1], int) and loc[1] < len(data["codes"]):
        head, loc = f"code {data['codes'][loc[1]]['id']}", loc[2:]
    out = head
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or None


def _lines(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.splitlines()
    return [v.strip() for v in values if v and v.strip()]


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

    Sub-codes of ``drop`` move under ``keep``; ``not_when`` entries naming ``drop`` name ``keep``.
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


def rules_yaml(codebook: Codebook, code_id: str) -> str:
    """A code's rules as a YAML list, as they are written in codebook.yaml (the editor's starting text)."""
    code = codebook.code(code_id)
    if not code.rules:
        return ""
    text = dump_codebook(codebook.model_copy(update={"codes": [code.model_copy(update={"parent": None})],
                                                     "concepts": {}}))
    body = text.split("\n    rules:\n", 1)[1]
    return "\n".join(line[4:] if line.startswith("    ") else line for line in body.splitlines()) + "\n"


def set_rules(codebook: Codebook, code_id: str, rules_text: str) -> Codebook:
    """Replace a code's rules with the YAML list in ``rules_text`` (``- name: ...`` items, or ``rules: [...]``).

    Errors name the line of ``rules_text``; an empty text removes the rules.
    """
    data = _data(codebook)
    code = data["codes"][_index(data, code_id)]
    try:
        node = yaml.compose(rules_text or "")
        parsed = yaml.safe_load(rules_text or "")
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = " ".join(str(getattr(err, "problem", None) or err).split())
        raise CodebookError(f"YAML syntax error: {problem}", file=f"rules of {code_id}",
                            line=mark.line + 1 if mark else None,
                            hint="check indentation, colons, dashes and quotes near this line") from None
    if isinstance(parsed, dict) and set(parsed) == {"rules"}:
        parsed, node = parsed["rules"], node.value[0][1]
    if parsed is None:
        parsed = []
    if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
        raise CodebookError("the rules must be a YAML list of rules", file=f"rules of {code_id}", line=1,
                            hint="write one '- name: ...' item per rule, see docs/codebook-format.md")
    where = f"rules of {code_id}"
    for i, rule in enumerate(parsed):
        try:
            Rule.model_validate(rule)
        except ValidationError as err:
            message, hint, loc = _problem(err)
            raise CodebookError(message, file=where, line=_node_line(node, (i, *loc)),
                                field=_field(("rules", i, *loc)), hint=hint) from None
    code["rules"] = parsed
    data["codes"] = _tree_order(data["codes"])
    try:
        return Codebook.model_validate(data)
    except ValidationError as err:
        message, hint, loc = _problem(err)
        position = data["codes"].index(code)
        if loc[:3] == ("codes", position, "rules"):  # a problem inside the edited rules: name its line
            raise CodebookError(message, file=where, line=_node_line(node, loc[3:]), field=_field(loc[2:]),
                                hint=hint) from None
        raise CodebookError(message, field=_field(loc, data), hint=hint) from None


def _node_line(node: Any, path: Sequence[Any]) -> int | None:
    """1-based line of the deepest node of ``path`` in a PyYAML node tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
        elif isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if found is None:
                break
            node = found
        else:
            break
        line = node.start_mark.line + 1
    return line


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
