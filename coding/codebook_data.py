"""A codebook as plain data to edit, and back: the helpers shared by :mod:`coding.codebook_edit` and
:mod:`coding.codebook_rule_edit`.

:func:`_data` gives the codebook as plain dicts with every code key present; :func:`_validated` builds a
new :class:`Codebook` from them (codes in tree order) and turns the first validation problem into a
:class:`CodebookError` naming the code and field (``code M1.color``) with a hint. The checks of single
values (colour, name, lines of text) raise CodebookError the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from coding.codebook import Codebook
from coding.codebook.models import COLOR_HINT, COLOR_PATTERN
from coding.errors import CodebookError

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
