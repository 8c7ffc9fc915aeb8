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
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ProjectOpt = Annotated[
    Optional[str],
    typer.Option(
        "--project", "-p",
        help="Project: a .sqlite path or a SQLAlchemy URL. Default: $BAOLIAN_PROJECT, else ./baolian.sqlite.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _open(project: str | None):
    from coding.project import Project

    return Project.open(project)


def _print_json(data) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str))


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    )
