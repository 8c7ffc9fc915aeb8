"""What every `baolian` command module shares: the consoles, the --project/--json options, opening a project,
JSON output and the progress bar. Imports nothing of the other cli modules, so each can import it at the top."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Piped output (files, other programs) gets wide tables instead of a wrapped 80-column layout.
# markup=False: printed text holds document titles, segments and names, never read as rich markup ("[/x]")
out = Console(highlight=False, soft_wrap=True, markup=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

ProjectOpt = Annotated[
    Optional[str],
    typer.Option(
        "--project", "-p",
        help="Project: a .sqlite path or a SQLAlchemy URL. Default: $BAOLIAN_PROJECT, else ./baolian.sqlite.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
WhereOpt = Annotated[Optional[list[str]], typer.Option(
    "--where", help="Only documents with NAME=VALUE[,VALUE…] (a document variable, kind or case; — for none; "
    "repeatable: all must hold).", show_default=False)]


def check_project_location(project: str | None) -> None:
    """Refuse a SQLite project location that can never be a project file: a folder, or a path below a file.

    Without this, SQLite reports only "unable to open database file", and creating a project below a file
    fails with a raw FileExistsError.
    """
    from coding.errors import StoreError
    from coding.store.db import project_url, sqlite_path

    path = sqlite_path(project_url(project))
    if path is None:
        return
    try:
        if path.is_dir():
            raise StoreError("is a folder, not a project file", file=path,
                             hint=f"give the project's .sqlite file, e.g. --project {path / 'baolian.sqlite'}")
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise StoreError(f"cannot be a project: {parent} is a file, not a folder", file=path,
                                     hint="choose a project path in a folder, e.g. --project baolian.sqlite")
                break
    except OSError as exc:
        raise StoreError(f"cannot look at the project location: {exc.strerror or exc}", file=path,
                         hint="check that you may read the folders on the way") from None


def _open(project: str | None):
    from coding.project import Project

    check_project_location(project)
    return Project.open(project)


def where_documents(p, where: list[str] | None) -> list[int] | None:
    """The documents a --where chooses (None: no --where, every document)."""
    if not where:
        return None
    from coding.document_variables import documents_where, parse_conditions
    from coding.variable_types import variable_types

    return documents_where(p, parse_conditions(where, variable_types(p)))


def check_unit(unit: str) -> None:
    """Refuse a --unit that is not a segment unit (paragraph, sentence, turn)."""
    from coding.errors import BaolianError
    from coding.segment import UNITS

    if unit not in UNITS:
        raise BaolianError(f"unknown unit {unit!r}", field="--unit", hint=f"use one of {', '.join(UNITS)}")


def _print_json(data) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str))


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    )


def code_found(p, found, code: str, user: str, *, query: str, noun: str) -> None:
    """Code the rows of ``found`` (document_id, start, end, coded) not yet coded with ``code`` as ``user``, in one
    batch (`baolian undo` takes it back), and say how many (search, query)."""
    from coding.decisions import code_spans

    todo = found[~found["coded"].astype(bool)]
    run = code_spans(p, zip(todo["document_id"], todo["start"], todo["end"]), code, coder=user, query=query)
    message = f"🏷️ 已编码 coded {len(run.added)} {noun} → {code}"
    if len(found) - len(todo):
        message += f" ({len(found) - len(todo)} already coded)"
    out.print(message + " · undo: baolian undo")
