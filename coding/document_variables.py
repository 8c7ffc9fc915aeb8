"""Document variables (文档变量; NVivo's attributes, MAXQDA's document variables): a team's own facts about each
document beyond the built-in ones (kind, date, source, participants, cases), such as 街道, 年份 or 受访者职级, kept
in ``Document.extra``. Analyses group by them (``by="var:街道"``), the REFI-QDA export carries them as variables,
and changing them is an admin's job, recorded in the event log.

Values are stored as text; a variable may have a type (whole number, number, date, yes/no:
:mod:`coding.variable_types`) that checks its values and orders and compares them. An empty value removes the
variable from the document.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import select

from coding.errors import BaolianError
from coding.roles import Permission, authorize
from coding.store import Document, record_event

if TYPE_CHECKING:  # pandas and the analyses' data are imported where used: coding.project imports this module
    import pandas as pd

BUILT_IN = ("title", "kind", "date", "source", "filename", "participants", "cases", "document", "document_id")
VAR_PREFIX = "var:"  # an analysis's ``by`` for a variable: "var:街道"
MAX_NAME, MAX_VALUE = 64, 2000


def value_text(value) -> str | None:
    """A stored value as text (a manifest may give numbers or dates), None for no value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value != value:  # NaN: an empty spreadsheet cell
        return None
    if isinstance(value, float) and value.is_integer():  # 2020.0 from a spreadsheet is the year 2020
        return str(int(value))
    if isinstance(value, datetime):  # a date cell of a spreadsheet: the date, and the time only if there is one
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value.strip() if isinstance(value, str) else str(value)


def value_of(extra: Mapping | None, name: str) -> str:
    """A document's value of variable ``name`` as the analyses show it (— for none), from its ``extra``."""
    from coding.analysis_data import NO_VALUE  # "no value", as the analyses show it

    return value_text((extra or {}).get(name)) or NO_VALUE


def check_grouping(project, by: str, options: Iterable[str], *, what: str = "group") -> None:
    """Refuse a ``by`` that is neither one of ``options`` nor ``var:NAME`` of a variable documents carry."""
    if by in options:
        return
    names = variable_names(project)
    if by.startswith(VAR_PREFIX) and by[len(VAR_PREFIX):] in names:
        return
    choices = [*options, *(VAR_PREFIX + n for n in names)]
    raise BaolianError(f"cannot {what} by {by!r}", field="by", hint=f"use one of {', '.join(choices)}")


def values_by_document(docs, by: str) -> dict[int, str]:
    """Document id -> its value of the variable in ``by`` ("var:NAME"), — for none; ``docs`` is
    :func:`coding.analysis_data.documents_frame` (with its ``extra``)."""
    name = by[len(VAR_PREFIX):]
    return dict(zip(docs["document_id"], docs["extra"].map(lambda extra: value_of(extra, name))))


def check_name(name: str, *, field: str = "variable") -> str:
    """The variable name, stripped; refused if empty, too long, built in or holding control characters."""
    name = (name or "").strip()
    if not name:
        raise BaolianError("a variable needs a name", field=field, hint="e.g. 街道, 年份, 职级")
    if len(name) > MAX_NAME:
        raise BaolianError(f"variable name {name[:20]!r}… is longer than {MAX_NAME} characters", field=field,
                           hint="use a shorter name")
    if name.lower() in BUILT_IN or name.startswith(VAR_PREFIX):
        raise BaolianError(f"{name!r} is a built-in field, not a variable", field=field,
                           hint="set kind, date, source, participants and cases on import (corpus.yaml); "
                                "give the variable another name")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise BaolianError(f"variable name {name!r} holds control characters", field=field, hint="retype the name")
    return name


def _check_value(name: str, value, kind: str = "text", *, doc=None) -> str | None:
    from coding.variable_types import canonical

    where = name if doc is None else f"{name} of document #{doc.id} {doc.title!r}"
    text = canonical(kind, value, field=where)
    if text is not None and len(text) > MAX_VALUE:
        raise BaolianError(f"the value of {name!r} is longer than {MAX_VALUE} characters", field=name,
                           hint="shorten it, or write it as a memo on the document")
    return text


def variable_names(project) -> list[str]:
    """Names of the variables live documents carry, in the order they first appear (documents by id)."""
    with project.read() as s:
        return _names(s.scalars(select(Document.extra).where(Document.deleted_at.is_(None)).order_by(Document.id)))


def _names(extras: Iterable[dict | None]) -> list[str]:
    return list(dict.fromkeys(name for extra in extras for name, value in (extra or {}).items()
                              if value_text(value) is not None))


def variables_frame(project, *, typed: bool = False) -> pd.DataFrame:
    """One row per live document: document_id, document (title), kind, date, then a column per variable (None
    where the document has no value): text, or with ``typed`` the values of typed variables as int, float, date
    (yes/no stays 是/否)."""
    import pandas as pd

    from coding.variable_types import cell_value, variable_types

    types = variable_types(project) if typed else {}
    with project.read() as s:
        rows = s.execute(select(Document.id, Document.title, Document.kind, Document.date, Document.extra)
                         .where(Document.deleted_at.is_(None)).order_by(Document.id)).all()
    frame = pd.DataFrame([(i, t, k, d) for i, t, k, d, _ in rows], columns=["document_id", "document", "kind", "date"])
    for name in _names(extra for *_, extra in rows):
        texts = [value_text((extra or {}).get(name)) for *_, extra in rows]
        cells = [cell_value(types.get(name, "text"), text) for text in texts]
        if any(isinstance(c, str) for c in cells) and types.get(name) in ("integer", "float", "date"):
            cells = texts  # a value not of the type (written around the checks): the column stays text
        frame[name] = pd.Series(cells, dtype=object)
    return frame


def set_variables(project, changes: Mapping[int, Mapping[str, object]], *, by: str | None) -> int:
    """Set variable values ({document id: {name: value}}; None or "" removes it) in one transaction, as ``by``
    (an admin). A typed variable's values are checked and stored in its canonical form (60, 2020-05-01, 是).
    Returns how many documents changed; each change is a document.variables event."""
    from coding.variable_types import types_in

    with project.transaction() as s:
        coder_id = authorize(s, by, Permission.MANAGE)
        return _apply(s, changes, types_in(s), coder_id, uuid.uuid4().hex)


def _apply(s, changes: Mapping[int, Mapping[str, object]], types: Mapping[str, str], coder_id: int | None,
           batch: str) -> int:
    """Write ``changes``; each changed document is a document.variables event of ``batch`` (one undo takes the
    batch back)."""
    changed = 0
    for document_id, values in changes.items():
        doc = s.get(Document, int(document_id))
        if doc is None or doc.deleted_at is not None:
            raise BaolianError(f"no document #{document_id}", field="document", hint="reload the list")
        before = dict(doc.extra or {})
        after = dict(before)
        for name, value in values.items():
            key = name if name in before else check_name(name)
            text = _check_value(key, value, types.get(key, "text"), doc=doc)
            if text is None:
                after.pop(key, None)
            else:
                after[key] = text
        if after != before:
            doc.extra = after
            record_event(s, "document.variables", "document", doc.id, before={"extra": before},
                         after={"extra": after, "batch": batch}, coder_id=coder_id)
            changed += 1
    return changed


def rename_variable(project, old: str, new: str, *, by: str | None) -> int:
    """Rename a variable on every document that has it, with its type, in one transaction (refused if a document
    already has ``new``)."""
    from coding.variable_types import store_types, types_in

    new = check_name(new, field="new name")
    with project.transaction() as s:
        coder_id = authorize(s, by, Permission.MANAGE)
        docs = [(d.id, dict(d.extra or {})) for d in s.scalars(
            select(Document).where(Document.deleted_at.is_(None)).order_by(Document.id))]
        having = [(i, extra) for i, extra in docs if value_text(extra.get(old)) is not None]
        if not having:
            raise BaolianError(f"no document has the variable {old!r}", field="variable",
                               hint="see the names with `baolian variables`")
        clash = [i for i, extra in having if new != old and value_text(extra.get(new)) is not None]
        if clash:
            raise BaolianError(f"document #{clash[0]} already has a variable {new!r}", field="new name",
                               hint="pick another name, or clear that variable first")
        types, batch = types_in(s), uuid.uuid4().hex
        if old in types and new != old:
            types[new] = types.pop(old)
            store_types(s, types, coder_id=coder_id, batch=batch)
        return _apply(s, {i: {old: None, new: extra[old]} for i, extra in having}, types, coder_id, batch)


FIELDS = ("kind", "case")  # built-in fields a condition may name besides the variables


_CONDITION = re.compile(r"^\s*(.+?)\s*(>=|<=|>|<|=)\s*(.*?)\s*$")


def parse_conditions(items: Iterable[str], types: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """``["街道=X街道,Y街道", "kind=interview", "年龄>=60", "年份=2019..2021"]`` → ``{"街道": ["X街道", "Y街道"],
    "kind": ["interview"], "年龄": [">=60"], "年份": ["2019..2021"]}`` (values separated by commas or 、; a name
    given twice adds its values). Comparisons and ranges need a whole-number, number or date variable
    (``types``, :func:`coding.variable_types.variable_types`; a comparison of any other is refused)."""
    from coding.variable_types import check_comparison

    conditions: dict[str, list[str]] = {}
    for item in items:
        m = _CONDITION.match(item)
        if m is None or not m[3]:
            raise BaolianError(f"bad condition {item!r}", field="--where",
                               hint="write NAME=VALUE, e.g. 街道=X街道, or NAME>=VALUE, e.g. 年龄>=60")
        name, op, values = m.groups()
        if types is not None:
            check_comparison(types.get(name, "text"), name, op)
        found = ([v.strip() for v in values.replace("、", ",").split(",") if v.strip()] if op == "=" else
                 [op + values])
        conditions.setdefault(name, []).extend(found)
    return conditions


def documents_where(project, conditions: Mapping[str, Iterable[str]]) -> list[int]:
    """Ids of the live documents that, for every variable named (or the built-in ``kind`` and ``case``), have
    one of the values given (— for no value) or meet one of its comparisons (``>=60``, ``2019..2021``; typed
    variables only), in id order."""
    from coding.variable_types import condition, variable_types

    names = set(variable_names(project))
    types = variable_types(project)
    wanted = {name: set(values) for name, values in conditions.items()}
    for name in wanted:
        if name not in names and name not in FIELDS:
            raise BaolianError(f"no variable {name!r}", field="--where",
                               hint=f"use one of: {', '.join([*FIELDS, *sorted(names)])}")
    plain = {name: allowed for name, allowed in wanted.items() if name in FIELDS}
    tests = {name: [condition(types.get(name, "text"), token, name=name) for token in sorted(allowed)]
             for name, allowed in wanted.items() if name not in FIELDS}
    return [doc.id for doc in project.documents()
            if all(_values(doc, name) & allowed for name, allowed in plain.items())
            and all(any(test(doc.variables.get(name)) for test in alternatives)
                    for name, alternatives in tests.items())]


def condition_values(project, name: str) -> list[str]:
    """The values live documents have for a variable (or ``kind``, ``case``), — for none, in order (numbers and
    dates of a typed variable as such), for a filter's choices."""
    from coding.variable_types import ordered, variable_types

    values = set().union(*(_values(doc, name) for doc in project.documents()))
    return ordered(variable_types(project).get(name, "text") if name not in FIELDS else "text", values)


def _values(doc, name: str) -> set[str]:
    """What a document (a project.DocumentSummary) has for a variable, ``kind`` or ``case`` (— for nothing)."""
    from coding.analysis_data import NO_VALUE

    if name == "kind":
        return {doc.kind}
    if name == "case":
        return {str(c) for c in doc.cases or []} or {NO_VALUE}
    return {doc.variables.get(name, NO_VALUE)}
