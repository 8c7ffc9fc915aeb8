"""Who a `baolian` command acts as: the global ``--user`` option and the password check in a project with accounts.

:func:`global_options` is the main app's callback (it reads ``--user`` / $BAOLIAN_USER for this invocation);
changing commands call :func:`acting_user`. Both are re-exported by :mod:`coding.cli`.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from coding.errors import BaolianError

ACTING: dict = {"user": None, "verified": set()}  # set by the global --user option, for this invocation


def global_options(
    user: Annotated[
        Optional[str],
        typer.Option("--user", "-u", envvar="BAOLIAN_USER", show_default=False,
                     help="Who acts, in a project with accounts (password: $BAOLIAN_PASSWORD, else asked). "
                          "Default: $BAOLIAN_USER."),
    ] = None,
) -> None:
    """Baolian 包联: a coding workbench for Chinese qualitative research."""
    ACTING["user"] = user.strip() if user and user.strip() else None
    ACTING["verified"] = set()


def acting_user(p, alias: str | None = None) -> str | None:
    """The user a changing command acts as: --user (else ``alias``, e.g. an old --coder option).

    In a project with accounts the password is checked (from $BAOLIAN_PASSWORD, else a hidden prompt);
    without accounts the name is taken as given, as before. None: nobody named (the core decides).
    """
    import os

    from coding.accounts import accounts_exist, verify_login

    name = ACTING["user"] or (alias.strip() if alias and alias.strip() else None)
    if name is None or not accounts_exist(p) or (p.url, name) in ACTING["verified"]:
        return name
    password = os.environ.get("BAOLIAN_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise BaolianError(f"a password is needed for {name!r}", field="BAOLIAN_PASSWORD",
                               hint="set BAOLIAN_PASSWORD, or run in a terminal to be asked")
        password = typer.prompt(f"密码 password for {name}", hide_input=True, err=True)
    verify_login(p, name, password)
    ACTING["verified"].add((p.url, name))
    return name
