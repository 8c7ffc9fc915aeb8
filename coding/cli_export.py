"""CLI commands: export (tables for papers, REFI-QDA). Registered on the main app by :func:`register`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from coding.cli_shared import WhereOpt, where_documents


def export_command(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT",
                                       help="csv | xlsx | docx | latex | md | qdc | qdpx", show_default=False)],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="File to write (or an existing folder).",
                                           show_default=False)],
    project: Annotated[Optional[str], typer.Option(
        "--project", "-p", help="Project: a .sqlite path or a SQLAlchemy URL. Default: $BAOLIAN_PROJECT, "
        "else ./baolian.sqlite.", show_default=False)] = None,
    coder: Annotated[Optional[str], typer.Option(help="Only this coder's codings (default: everyone's).")] = None,
    status: Annotated[str, typer.Option(help="Codings to include: accepted, suggested, or accepted,suggested.")
                      ] = "accepted",
    quotes: Annotated[int, typer.Option("--quotes", help="Quotes per code in the quotes table (典型引语).")] = 3,
    code: Annotated[Optional[list[str]], typer.Option("--code", help="Only this code; repeat for several.")
                    ] = None,
    user: Annotated[Optional[str], typer.Option(help="qdpx: the user recorded as the exporter.")] = None,
    where: WhereOpt = None,
) -> None:
    """Export the project: csv, xlsx (data tables), docx, latex, md (tables for papers), qdc, qdpx (REFI-QDA).

    csv: a zip of CSV files, or one CSV per table when --out is an existing folder.

    Other formats write --out, or baolian-export.<ext> inside it when it is a folder.

    Every export records the codebook version, the filters and the date.
    """
    from coding.cli import _open, acting_user, out
    from coding.exports import check_format, export, resolve_out

    fmt = check_format(fmt)  # before opening the project: a typo gets the list of formats at once
    resolve_out(fmt, out_path)
    p = _open(project)
    if where and fmt == "qdc":
        from coding.errors import BaolianError

        raise BaolianError("a REFI-QDA codebook holds every code, not documents", field="--where",
                           hint="leave out --where, or export qdpx (a project of the chosen documents)")
    documents = where_documents(p, where)
    # in blind mode before adjudication a coder (global --user, else --user here) exports only their own codings
    written = export(p, fmt, out_path, coder=coder, status=status, n_quotes=quotes, codes=code, user=user,
                     as_user=acting_user(p) or user, documents=documents)
    out.print(f"✓ 导出 exported {fmt}: {written}", markup=False)


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
    app.command("export")(export_command)
