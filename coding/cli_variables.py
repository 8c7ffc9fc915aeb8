"""CLI commands `variables` (list), `variables set`, `variables rename`, `variables type` and `variables import`:
document variables (街道, 年份, 职级 …) that analyses group by (`baolian analysis freq --by var:NAME`) and filter
on (`--where 年龄>=60`). Registered by :func:`register`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coding.cli_login import acting_user
from coding.cli_shared import JsonOpt, ProjectOpt, _open, _print_json, out

variables_app = typer.Typer(help="Document variables (文档变量): list, set, rename, import from a spreadsheet.",
                            invoke_without_command=True)


@variables_app.callback()
def list_(ctx: typer.Context, project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """Every live document with its kind, date and variables (a typed variable's type beside its name; in JSON the
    values of number variables as numbers)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from coding.document_variables import variables_frame
    from coding.variable_types import variable_types

    p = _open(project)
    frame = variables_frame(p, typed=True)
    types = variable_types(p)
    if as_json:
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        _print_json([{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in r.items()} for r in records])
        return
    table = Table(*(f"{c} ({types[c]})" if c in types else str(c) for c in frame.columns))
    for row in frame.itertuples(index=False):
        table.add_row(*(str(v) if v is not None and v == v else "" for v in row))
    out.print(table)
    out.print(f"{len(frame)} documents, {len(frame.columns) - 4} variables", markup=False)


@variables_app.command("set")
def set_(
    document: Annotated[str, typer.Argument(help="Document id, title or file name.", show_default=False)],
    name: Annotated[str, typer.Argument(help="Variable name, e.g. 街道.", show_default=False)],
    value: Annotated[str, typer.Argument(help="Its value; \"\" removes the variable from the document.")],
    project: ProjectOpt = None,
) -> None:
    """Set one variable of one document (an admin)."""
    from coding.document_variables import set_variables

    p = _open(project)
    doc = p.find_document(document)
    changed = set_variables(p, {doc.id: {name: value}}, by=acting_user(p))
    out.print(f"🏷️ {doc.title}: {name} = {value!r}" if changed else "没有变化 nothing changed", markup=False)


@variables_app.command("rename")
def rename(old: Annotated[str, typer.Argument(help="The variable's name.", show_default=False)],
           new: Annotated[str, typer.Argument(help="Its new name.", show_default=False)],
           project: ProjectOpt = None) -> None:
    """Rename a variable on every document that has it (an admin)."""
    from coding.document_variables import rename_variable

    p = _open(project)
    changed = rename_variable(p, old, new, by=acting_user(p))
    out.print(f"🏷️ {old} → {new} ({changed} documents)", markup=False)


@variables_app.command("type")
def type_(name: Annotated[str, typer.Argument(help="The variable's name.", show_default=False)],
          kind: Annotated[str, typer.Argument(help="text | integer | float | date | boolean", show_default=False)],
          project: ProjectOpt = None) -> None:
    """Set a variable's type (an admin): every document's value is checked and converted, or nothing changes."""
    from coding.variable_types import TYPES, check_type, set_variable_type

    p = _open(project)
    kind = check_type(kind)
    changed = set_variable_type(p, name, kind, by=acting_user(p))
    out.print(f"🏷️ {name}: {TYPES[kind]} ({changed} values rewritten)", markup=False)


@variables_app.command("import")
def import_(table: Annotated[Path, typer.Argument(help=".xlsx or .csv: a column document_id, document (title) or "
                                                  "filename, one column per variable.", show_default=False)],
            project: ProjectOpt = None) -> None:
    """Set variables from a spreadsheet, all or nothing (an admin); empty cells change nothing."""
    from coding.document_variables import set_variables
    from coding.variable_tables import read_variable_table

    p = _open(project)
    changes = read_variable_table(p, table)
    changed = set_variables(p, changes, by=acting_user(p))
    out.print(f"🏷️ {changed} documents changed ({len(changes)} rows read from {table.name})", markup=False)


def register(app: typer.Typer) -> None:
    """Add `variables` to the `baolian` app."""
    app.add_typer(variables_app, name="variables")
