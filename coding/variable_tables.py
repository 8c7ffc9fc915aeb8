"""Document variables from a spreadsheet (a file on disk, or the bytes of an upload): one row per document, named
in a column document_id / document (the title) / filename, every other column a variable. Pure: bytes and the
project's documents in, the values to set out (:func:`coding.document_variables.set_variables` stores them).
Errors name the file, the row as the spreadsheet numbers it (the header is row 1) and the column."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from coding.document_variables import BUILT_IN, check_name, value_text
from coding.errors import BaolianError

ID_COLUMNS = ("document_id", "id", "文档编号")
TITLE_COLUMNS = ("document", "title", "文档", "标题")
FILE_COLUMNS = ("filename", "file", "文件", "文件名")
SUFFIXES = (".xlsx", ".xlsm", ".csv")


def read_variable_table(project, path) -> dict[int, dict[str, str]]:
    """:func:`parse_variable_table` of a file."""
    path = Path(path)
    _check_suffix(path.name, path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BaolianError(f"cannot read the file ({exc.strerror or exc})", file=path, hint="check the path") from None
    from coding.variable_types import variable_types

    return parse_variable_table(data, str(path), project.documents(), types=variable_types(project))


def parse_variable_table(data: bytes, name: str, documents: Sequence,
                         types: Mapping[str, str] | None = None) -> dict[int, dict[str, str]]:
    """{document id: {variable: value}} from the spreadsheet ``data`` (.xlsx, or .csv in UTF-8 with or without
    BOM or GB18030, as ``name`` ends); ``documents`` have id, title and filename. An empty cell changes nothing.
    The values of typed variables (``types``: {name: type}) are checked here, so that an error names the row."""
    from coding.variable_types import canonical

    types = types or {}
    frame = _frame(data, name)
    columns = [str(c).strip() for c in frame.columns]
    frame.columns = columns
    key = next((c for c in columns if c.lower() in ID_COLUMNS + TITLE_COLUMNS + FILE_COLUMNS), None)
    if key is None:
        raise BaolianError("no column names the documents", file=name, line=1, field="header",
                           hint="add a column document_id, document (the title) or filename")
    names = [c for c in columns if c != key and c.lower() not in BUILT_IN and not c.startswith("Unnamed:")]
    for column in names:
        check_name(column, field=f"column {column!r} of {Path(name).name}")
    by_key = ({str(d.id): d.id for d in documents} if key.lower() in ID_COLUMNS else
              {d.title: d.id for d in documents} if key.lower() in TITLE_COLUMNS else
              {d.filename: d.id for d in documents})
    changes: dict[int, dict[str, str]] = {}
    for row, record in enumerate(frame.to_dict(orient="records"), start=2):
        ref = value_text(record[key])
        if ref is None:
            continue
        ref = ref[:-2] if key.lower() in ID_COLUMNS and ref.endswith(".0") else ref
        if ref not in by_key:
            raise BaolianError(f"no document {ref!r} in the project", file=name, line=row, field=key,
                               hint="check the name against the project's documents (baolian documents)")
        try:
            values = {n: canonical(types.get(n, "text"), record[n], field=f"column {n!r}") for n in names}
        except BaolianError as exc:
            raise BaolianError(exc.message, file=name, line=row, field=exc.field, hint=exc.hint) from None
        changes.setdefault(by_key[ref], {}).update({n: v for n, v in values.items() if v is not None})
    return changes


def _check_suffix(name: str, where) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise BaolianError(f"unsupported table type {suffix or name!r}", file=where, hint="use .xlsx or .csv")
    return suffix


def _frame(data: bytes, name: str) -> pd.DataFrame:
    if _check_suffix(name, name) == ".csv":
        for codec in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(codec)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise BaolianError("is neither UTF-8 nor GB18030 text", file=name, hint="save it as CSV UTF-8")
    try:
        if name.lower().endswith(".csv"):
            return pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False)
        return pd.read_excel(io.BytesIO(data), dtype=object)
    except Exception as exc:  # pandas and openpyxl raise many kinds for a damaged file
        raise BaolianError(f"cannot read the table ({type(exc).__name__}: {exc})".replace("\n", " "), file=name,
                           hint="open it and save it again as .xlsx or CSV UTF-8") from None
