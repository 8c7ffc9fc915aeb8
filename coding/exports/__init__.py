"""Exports: data tables (CSV, XLSX), tables for papers (DOCX, LaTeX, Markdown) and REFI-QDA (QDC, QDPX).

One entry point, :func:`export`, used by the CLI (``baolian export``) and the app's Export page::

    export(project, "xlsx", Path("tables.xlsx"), status=("accepted",), coder=None, n_quotes=3)

Every export carries the codebook and its version, the filters used and the date (a ``metadata`` sheet
or CSV file, a section and table notes in the paper formats). What each table holds and how it is counted
is described in :mod:`coding.exports.tables`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from coding.errors import BaolianError

FORMATS = {
    "csv": ("zip", "CSV 表格（zip，或文件夹中每表一个 CSV）"),
    "xlsx": ("xlsx", "Excel 工作簿，每表一个工作表"),
    "docx": ("docx", "Word 论文表格（三线表）"),
    "latex": ("tex", "LaTeX 论文表格（booktabs，xelatex + ctex）"),
    "md": ("md", "Markdown 表格"),
    "qdc": ("qdc", "REFI-QDA 编码本 codebook"),
    "qdpx": ("qdpx", "REFI-QDA 项目 project"),
}
PAPER_FORMATS = ("docx", "latex", "md")


def default_name(fmt: str) -> str:
    return f"baolian-export.{FORMATS[fmt][0]}"


def check_format(fmt: str) -> str:
    name = (fmt or "").strip().lower()
    if name == "tex":
        name = "latex"
    if name not in FORMATS:
        raise BaolianError(f"unknown export format {fmt!r}", field="FORMAT",
                           hint=f"use one of: {', '.join(FORMATS)}")
    return name


def resolve_out(fmt: str, out: str | Path) -> Path:
    """Where to write: ``out`` itself, or a default file name inside it when it is a folder (except CSV,
    which writes one file per table into a folder). Refuses a path whose folder does not exist."""
    path = Path(out).expanduser()
    if path.is_dir():
        return path if fmt == "csv" else path / default_name(fmt)
    if fmt == "csv" and path.suffix.lower() != ".zip":
        raise BaolianError(f"csv writes several tables: {str(path)!r} is neither a .zip file nor an existing folder",
                           field="--out", hint="give FILE.zip, or a folder that exists for one CSV per table")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise BaolianError(f"folder {str(parent)!r} does not exist", field="--out",
                           hint="create the folder first, or write into an existing one")
    return path


def export(project, fmt: str, out: str | Path, *, coder: str | None = None,
           status: Iterable[str] | str = ("accepted",), n_quotes: int = 3, codes: Iterable[str] | None = None,
           user: str | None = None, as_user: str | None = None, documents: Iterable[int] | None = None) -> Path:
    """Write ``project`` as ``fmt`` to ``out``; returns the path written (a folder for CSV into a folder).

    ``status``: "accepted" and/or "suggested" (undecided machine suggestions); ``coder``: only that
    coder's codings (everyone's when None); ``codes``: only these codes; ``n_quotes``: quotes per code in
    the quotes table; ``user``: the user REFI-QDA records as the exporter (qdpx); ``as_user``: who is
    asking — in blind mode before adjudication a coder exports only their own codings (and memos);
    ``documents``: only these documents (the tables count only them; a REFI-QDA project holds only them, with
    the whole codebook; a REFI-QDA codebook is always whole).
    """
    fmt = check_format(fmt)
    path = resolve_out(fmt, out)
    from coding.analysis_data import visible_coder

    own = visible_coder(project, None, as_user)
    if own is not None:
        coder = own
    if fmt == "qdc":
        from coding.refi import export_qdc

        return export_qdc(project, path)
    if fmt == "qdpx":
        from coding.refi import export_qdpx

        return export_qdpx(project, path, user=user, only_coder=own,
                           documents=None if documents is None else list(documents))
    from coding.exports import tables as tb

    filters = tb.make_filters(status, coder, codes, n_quotes, documents)
    t = tb.build(project, filters, data=fmt in ("csv", "xlsx"))
    try:
        if fmt == "csv":
            from coding.exports.tabular import write_csv

            return write_csv(t, path)
        if fmt == "xlsx":
            from coding.exports.tabular import write_xlsx

            return write_xlsx(t, path)
        from coding.exports.paper import paper_tables

        writer = {"docx": "coding.exports.docx", "latex": "coding.exports.latex",
                  "md": "coding.exports.markdown"}[fmt]
        import importlib

        return importlib.import_module(writer).write(paper_tables(t), t.meta, path)
    except OSError as err:  # e.g. the file is open in Excel or Word (Windows locks it), or the disk is full
        raise BaolianError(f"cannot write the export: {err.strerror or err}", file=err.filename or path,
                           field="--out", hint="close the file if another program has it open, or choose "
                           "another file or a folder you can write to") from None


def export_bytes(project, fmt: str, **options) -> tuple[bytes, str]:
    """The export as bytes with its file name (for download buttons): written to a temporary file."""
    import tempfile

    fmt = check_format(fmt)
    with tempfile.TemporaryDirectory() as folder:
        path = export(project, fmt, Path(folder) / default_name(fmt), **options)
        return path.read_bytes(), path.name
