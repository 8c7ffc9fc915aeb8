"""CLI commands `summary grid`, `summary set` and `summary table`: coders' summaries of what each document says about
a code (:mod:`coding.summaries`), over the same functions as the app's Summaries page. Registered by
:func:`register`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from coding.cli_shared import JsonOpt, ProjectOpt, WhereOpt, _open, _print_json, out, where_documents
from coding.errors import BaolianError

summary_app = typer.Typer(no_args_is_help=True, help="Summaries (摘要) of codes per document, and the summary table.")
CodeArg = Annotated[str, typer.Argument(help="Code key, e.g. M5.", show_default=False)]


def _table(frame, title: str) -> None:
    from rich.table import Table

    table = Table(*[str(c) for c in frame.columns], title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    out.print(table)


@summary_app.command("grid")
def grid(code: CodeArg, every: Annotated[bool, typer.Option("--all", help="Also documents without codings of the "
                                                             "code or summaries.")] = False,
         where: WhereOpt = None, project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """Each document's coded segments of CODE beside your (--user) summary and other coders' summaries."""
    from coding.cli_login import acting_user
    from coding.summaries import summary_grid

    p = _open(project)
    user = acting_user(p)
    found = summary_grid(p, code, coder=user, as_user=user, documents=where_documents(p, where),
                         only_coded=not every)
    if as_json:
        _print_json(found.to_dict(orient="records"))
        return
    _table(found[["document_id", "document", "segments", "summary", "others"]], f"摘要 Summaries of {code}")


@summary_app.command("set")
def set_(code: CodeArg,
         document: Annotated[str, typer.Argument(help="Document id, title or file name.", show_default=False)],
         text: Annotated[str, typer.Argument(help="The summary; \"\" removes yours.", show_default=False)],
         project: ProjectOpt = None) -> None:
    """Write (or with "" remove) your summary of CODE in DOCUMENT, as --user. `baolian undo` takes it back."""
    from coding.cli_login import acting_user
    from coding.summaries import set_summaries

    p = _open(project)
    user = acting_user(p)
    if not user:
        raise BaolianError("a summary needs a coder name", field="--user",
                           hint="run as baolian --user NAME summary set …")
    run = set_summaries(p, code, {p.find_document(document).id: text}, coder=user)
    done = "added" if run.added else "changed" if run.changed else "removed" if run.removed else "unchanged"
    out.print(f"🗒️ 摘要 summary of {code} {done}", markup=False)


@summary_app.command("table")
def table(codes: Annotated[Optional[str], typer.Option("--codes", help="Only these codes, comma-separated.",
                                                       show_default=False)] = None,
          where: WhereOpt = None, project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """The summary table: documents × codes, each coder's summary."""
    from coding.cli_login import acting_user
    from coding.summaries import summary_table

    p = _open(project)
    found = summary_table(p, codes=[c.strip() for c in codes.split(",") if c.strip()] if codes else None,
                          as_user=acting_user(p), documents=where_documents(p, where))
    if as_json:
        _print_json(found.to_dict(orient="records"))
        return
    if found.empty:
        out.print("no summaries yet: baolian --user NAME summary set CODE DOCUMENT TEXT", markup=False)
        return
    _table(found, "摘要总表 Summary table")


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
    app.add_typer(summary_app, name="summary")
