"""Types of document variables (NVivo's attribute types, MAXQDA's variable types, REFI-QDA's typeOfVariable): a
variable is text unless the team says it holds whole numbers (年龄, 年份), numbers (补偿金额), dates (立案日期) or
yes/no (是否包案). A typed variable's values are checked when set, stored in one canonical text form
(``60``, ``3.5``, ``2020-05-01``, ``是``/``否``), sorted as numbers or dates in analyses, filtered by range
(``年龄>=60``, ``立案日期=2020-01-01..2020-06-30``), written to spreadsheets as numbers and dates, and carried
through REFI-QDA with their type.

The types live in the project setting ``variable_types`` ({name: type}; text is not listed). Changing a type
converts every stored value in one transaction, or refuses and names the document whose value does not fit.
"""

from __future__ import annotations

import operator
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from coding.errors import BaolianError
from coding.roles import Permission, authorize
from coding.store import Document, Setting, record_event

SETTING = "variable_types"
TYPES = {"text": "文本 text", "integer": "整数 whole number", "float": "数值 number", "date": "日期 date",
         "boolean": "是/否 yes/no"}
REFI_TYPES = {"text": "Text", "integer": "Integer", "float": "Float", "date": "Date", "boolean": "Boolean"}
YES, NO = "是", "否"
_YES = {"是", "对", "有", "真", "yes", "y", "true", "t", "1", "✓", "√"}
_NO = {"否", "不是", "错", "无", "没有", "假", "no", "n", "false", "f", "0", "✗", "×"}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_HINTS = {"integer": "write a whole number, e.g. 60", "float": "write a number, e.g. 3.5",
          "date": "write a date as YYYY-MM-DD, e.g. 2020-05-01", "boolean": "write 是 or 否 (yes/no)"}
_WHAT = {"integer": "a whole number", "float": "a number", "date": "a date", "boolean": "是/否 (yes/no)"}


SET_PREFIX = "集合 "  # a yes/no variable "集合 NAME" is a REFI-QDA Set of documents (MAXQDA's document sets)


def set_variable(set_name: str) -> str:
    """The yes/no variable that stands for a document set ``set_name`` (control characters dropped, at most 64)."""
    clean = "".join(ch for ch in set_name if unicodedata.category(ch) not in ("Cc", "Cf")).strip() or "set"
    return (SET_PREFIX + clean)[:64]


def check_type(kind: str, *, field: str = "type") -> str:
    """``kind`` if it is one of :data:`TYPES` (case-insensitive), else a clear error."""
    key = (kind or "").strip().lower()
    if key not in TYPES:
        raise BaolianError(f"unknown variable type {kind!r}", field=field, hint=f"use one of {', '.join(TYPES)}")
    return key


def canonical(kind: str, value, *, field: str) -> str | None:
    """The canonical text of ``value`` as a ``kind`` value, None for no value; a clear error naming ``field`` if
    it is not one. ``value`` may be text (full-width digits, 2020年5月1日, 是/否 …) or a number, date or bool."""
    from coding.document_variables import value_text

    if kind == "text":
        return value_text(value)
    if value is None or (isinstance(value, float) and value != value):
        return None
    if kind == "boolean" and isinstance(value, bool):
        return YES if value else NO
    if kind == "date" and isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise BaolianError(f"{value.isoformat(sep=' ')!r} has a time of day", field=field,
                               hint="a date variable holds dates only; make the variable text to keep the time")
        return value.date().isoformat()
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    result = _parse(kind, text)
    if result is None:
        raise BaolianError(f"{str(value)[:40]!r} is not {_WHAT[kind]}", field=field, hint=_HINTS[kind])
    return result


def _parse(kind: str, text: str) -> str | None:
    if kind == "boolean":
        low = text.lower()
        return YES if low in _YES else NO if low in _NO else None
    if kind == "date":
        m = _DATE.match(re.sub(r"[ T]00:00(:00(\.0+)?)?$", "", text))  # a spreadsheet's date at midnight
        if m is None:
            return None
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    try:
        number = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        return None
    if not number.is_finite() or (number and not -12 <= number.adjusted() <= 15):
        return None  # also 1e999999, which would be a million digits
    if kind == "integer":
        if number != number.to_integral_value():
            return None
        return str(int(number))
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def typed(kind: str, text: str | None):
    """A canonical value as Python: int, float, date, bool (None stays None; text stays text)."""
    if text is None or kind == "text":
        return text
    if kind == "integer":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "date":
        return date.fromisoformat(text)
    return text == YES


def cell_value(kind: str, text: str | None):
    """A stored value for a table cell (editor, spreadsheet): int, float or date for those types; yes/no and text
    stay text, and so does a value that is not of the type."""
    if kind in ("text", "boolean"):
        return text
    try:
        return typed(kind, canonical(kind, text, field="value"))
    except BaolianError:
        return text


def sort_key(kind: str, text: str):
    """Order of values in tables and charts: numbers and dates in their order, text as text; a value that is not
    of the type (— for no value) last."""
    try:
        value = typed(kind, canonical(kind, text, field="value")) if kind != "text" else None
    except BaolianError:
        value = None
    if kind == "text" or value is None:
        return (1, str(text))
    return (0, value)


def ordered(kind: str, values: Iterable[str]) -> list[str]:
    """``values`` (distinct) in :func:`sort_key` order."""
    return sorted(dict.fromkeys(values), key=lambda v: sort_key(kind, v))


def variable_types(project) -> dict[str, str]:
    """{variable name: type} of the variables that are not text."""
    return dict(project.setting(SETTING) or {})


def types_in(session) -> dict[str, str]:
    """:func:`variable_types` inside a caller's session."""
    row = session.get(Setting, SETTING)
    return dict(row.value or {}) if row is not None else {}


def store_types(session, types: Mapping[str, str], *, coder_id: int | None, batch: str | None = None) -> None:
    """Write the ``variable_types`` setting inside the caller's transaction (an event when it changes, of
    ``batch`` when given: undone with the values changed with it)."""
    row = session.get(Setting, SETTING)
    before = dict(row.value or {}) if row is not None else {}
    after = {name: kind for name, kind in types.items() if kind != "text"}
    if after == before:
        return
    if row is None:
        session.add(Setting(key=SETTING, value=after))
    else:
        row.value = after
    record_event(session, "variable.types", "setting", None, before={SETTING: before},
                 after={SETTING: after, **({"batch": batch} if batch else {})}, coder_id=coder_id)


def set_variable_type(project, name: str, kind: str, *, by: str | None) -> int:
    """Make variable ``name`` of type ``kind`` (an admin), converting every document's value to the type's
    canonical form in one transaction; refused, with nothing changed, if a value does not fit (the error names
    the document). Returns how many documents' values were rewritten."""
    from coding.document_variables import value_text

    kind = check_type(kind)
    with project.transaction() as s:
        coder_id = authorize(s, by, Permission.MANAGE)
        docs = list(s.scalars(select(Document).where(Document.deleted_at.is_(None)).order_by(Document.id)))
        having = [d for d in docs if value_text((d.extra or {}).get(name)) is not None]
        if not having:
            raise BaolianError(f"no document has the variable {name!r}", field="variable",
                               hint="give a document a value first, or check the name with `baolian variables`")
        batch = uuid.uuid4().hex  # one undo takes back the type and the values converted
        changed = _convert(s, having, name, kind, coder_id, batch)
        store_types(s, {**types_in(s), name: kind}, coder_id=coder_id, batch=batch)
    return changed


def _convert(session, docs, name: str, kind: str, coder_id: int | None, batch: str | None) -> int:
    """Rewrite ``name``'s value of each of ``docs`` in ``kind``'s canonical form: all, or none if one does not fit
    (the error names the document). Returns how many changed."""
    values = {d.id: canonical(kind, d.extra[name], field=f"{name} of document #{d.id} {d.title!r}") for d in docs}
    changed = [d for d in docs if values[d.id] != d.extra[name]]
    for doc in changed:
        before = dict(doc.extra)
        doc.extra = {**before, name: values[doc.id]}
        record_event(session, "document.variables", "document", doc.id, before={"extra": before},
                     after={"extra": doc.extra, **({"batch": batch} if batch else {})}, coder_id=coder_id)
    return len(changed)


def adopt_types(session, wanted: Mapping[str, str]) -> list[str]:
    """Give variables the types another program declared (a REFI-QDA import), inside the caller's transaction,
    where the project has not typed them otherwise and every live document's value fits; the values are rewritten
    in canonical form. Returns a line for each variable kept as it was, for the import's report. These events
    are the system's (no coder): the import did them, and a coder's undo leaves them alone."""
    from coding.document_variables import value_text

    types, notes = types_in(session), []
    docs = list(session.scalars(select(Document).where(Document.deleted_at.is_(None)).order_by(Document.id)))
    for name, kind in wanted.items():
        if types.get(name, "text") == kind:
            continue
        if name in types:
            notes.append(f"variable {name!r}: the file says {kind}, the project keeps {types[name]}")
            continue
        try:
            _convert(session, [d for d in docs if value_text((d.extra or {}).get(name)) is not None], name, kind,
                     None, None)
        except BaolianError as exc:
            notes.append(f"variable {name!r} kept as text: {exc}")
            continue
        types[name] = kind
    store_types(session, types, coder_id=None)
    return notes


_OPS = (">=", "<=", ">", "<")
COMPARABLE = ("integer", "float", "date")


def check_comparison(kind: str, name: str, op: str) -> None:
    """Refuse a comparison (``op`` other than =) of a variable that is not a whole number, number or date."""
    if op != "=" and kind not in COMPARABLE:
        raise BaolianError(f"{name!r} is a {kind} variable: {op} compares", field=f"--where {name}",
                           hint=f"compare only whole numbers, numbers or dates; set its type, e.g. "
                                f"`baolian variables type {name} integer`")


def condition(kind: str, token: str, *, name: str) -> Callable[[str | None], bool]:
    """A test of a document's canonical value (None for none) for one condition ``token``: a value (equal as the
    type reads it: 60.0 is 60, yes is 是), — for no value, and for whole-number, number and date variables
    ``>=X``, ``<=X``, ``>X``, ``<X`` or a range ``A..B`` (inclusive, either end may be empty); a text value is
    only ever itself (it may well start with < or hold ..). A bad token is refused here, before any document is
    looked at."""
    from coding.analysis_data import NO_VALUE

    field = f"--where {name}"
    if token == NO_VALUE:
        return lambda value: value is None
    if kind not in COMPARABLE or not (token.startswith(_OPS) or ".." in token):
        wanted = canonical(kind, token, field=field)
        return lambda value: value is not None and value == wanted

    def bound(text: str):
        return typed(kind, canonical(kind, text, field=field))

    if ".." in token:
        low, high = (bound(part) for part in token.split("..", 1))
        if low is None and high is None:
            raise BaolianError(f"{token!r} has no ends", field=field, hint=f"write e.g. {name}=2019..2021")
        return lambda value: value is not None and _within(typed(kind, value), low, high)
    op = next(o for o in _OPS if token.startswith(o))
    limit = bound(token[len(op):])
    if limit is None:
        raise BaolianError(f"{token!r} compares with nothing", field=field, hint=f"write e.g. {name}{op}60")
    test = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}[op]
    return lambda value: value is not None and test(typed(kind, value), limit)


def _within(value, low, high) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)
