"""The `baolian` command line: a thin shell over :class:`coding.project.Project`.

This module holds the app, its global ``--user`` option and :func:`main` (user errors become one stderr
line, exit status 2). The commands live in the ``cli_*`` modules, each adding its own with ``register(app)``:
:mod:`coding.cli_project` (init, import, documents, segments, tokens, info), :mod:`coding.cli_autocode`
(code, train, demo), then annotate/evaluate, analysis, export, team, agreement, adjudication, admin, memos, search, query,
summaries and variables.
Shared helpers are in :mod:`coding.cli_shared`, the acting user in :mod:`coding.cli_login`; both are
re-exported here (``from coding.cli import _open, acting_user, out`` works).
"""

from __future__ import annotations

import re
import sys

import click
import typer

from coding.cli_login import ACTING, acting_user, global_options
from coding.cli_shared import JsonOpt, ProjectOpt, _open, _print_json, err, out, progress_bar
from coding.errors import BaolianError

# typer >= 0.26 vendors click as typer._click: catch its exceptions and click's alike.
try:
    from typer._click.exceptions import ClickException as _TyperClickError
    from typer._click.exceptions import UsageError as _TyperUsageError
except ImportError:  # older typer raises click's own exceptions
    _TyperClickError, _TyperUsageError = click.exceptions.ClickException, click.exceptions.UsageError
USAGE_ERRORS = (click.exceptions.UsageError, _TyperUsageError)
CLICK_ERRORS = (click.exceptions.ClickException, _TyperClickError)
EXITS = (click.exceptions.Exit, typer.Exit)
ABORTS = (click.exceptions.Abort, typer.Abort, KeyboardInterrupt)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Baolian 包联: a coding workbench for Chinese qualitative research.",
)
app.callback()(global_options)


def _register_commands() -> None:
    from coding import (cli_adjudicate, cli_admin, cli_agreement, cli_analysis, cli_autocode, cli_coding, cli_export,
                        cli_links, cli_memos, cli_project, cli_query, cli_search, cli_summaries, cli_team,
                        cli_variables)

    for module in (cli_project, cli_autocode, cli_coding, cli_analysis, cli_export, cli_team, cli_agreement,
                   cli_adjudicate, cli_admin, cli_memos, cli_links, cli_search, cli_query, cli_summaries,
                   cli_variables):
        module.register(app)


_register_commands()


_SQLA_BACKGROUND = re.compile(r"\s*\(Background on this error at: \S+\)")


def one_line(text: str) -> str:
    """A message as one line: SQLAlchemy's "(Background on this error at: URL)" dropped, line breaks and runs of
    spaces (e.g. from a database driver's multi-line message) collapsed to one space."""
    return " ".join(_SQLA_BACKGROUND.sub("", str(text)).split())


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become one line on stderr and exit status 2."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="baolian")
    except BaolianError as exc:
        err.print(f"错误 error: {one_line(exc)}", markup=False)
        return 2
    except USAGE_ERRORS as exc:
        message = one_line(exc.format_message())
        if not message:  # no arguments at all: the help was printed
            return 2
        err.print(f"错误 usage: {message}", markup=False)
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            err.print(f"see `{ctx.command_path} --help`", markup=False)
        return 2
    except CLICK_ERRORS as exc:
        err.print(f"错误 error: {one_line(exc.format_message())}", markup=False)
        return 2
    except ABORTS:
        err.print("中止 aborted")
        return 1
    except EXITS as exc:
        return getattr(exc, "exit_code", getattr(exc, "code", 0)) or 0
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        err.print(f"内部错误 internal error: {type(exc).__name__}: {one_line(exc)} (please report this)", markup=False)
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())


# the shared helpers are re-exported for the cli_* modules
__all__ = ["ABORTS", "ACTING", "CLICK_ERRORS", "EXITS", "USAGE_ERRORS", "JsonOpt", "ProjectOpt", "_open",
           "_print_json", "acting_user", "app", "err", "main", "out", "progress_bar", "run"]


if __name__ == "__main__":
    run()
