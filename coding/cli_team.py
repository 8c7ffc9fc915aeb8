"""CLI commands: accounts and roles (`baolian user ...`). Registered on the main app by :func:`register`.

The acting admin is the global ``--user`` (or $BAOLIAN_USER) with $BAOLIAN_PASSWORD; a new password is
read from $BAOLIAN_NEW_PASSWORD, else asked twice on the terminal. The first account of a project must
be an admin and needs no acting user.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

user_app = typer.Typer(no_args_is_help=True,
                       help="账户与角色 Accounts and roles: add, list, remove, change role or password.")

NameArg = Annotated[str, typer.Argument(help="The account's user name.", show_default=False)]
# the same as coding.cli.ProjectOpt (not imported: coding.cli imports this module while it loads)
ProjectOpt = Annotated[
    Optional[str],
    typer.Option("--project", "-p", show_default=False,
                 help="Project: a .sqlite path or a SQLAlchemy URL. Default: $BAOLIAN_PROJECT, else ./baolian.sqlite."),
]
ROLES_HELP = "admin (members, codebook, imports) | coder (codes and memos) | viewer (reads only)"


def _new_password(name: str) -> str:
    from coding.accounts import check_password
    from coding.errors import BaolianError

    password = os.environ.get("BAOLIAN_NEW_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise BaolianError(f"a new password is needed for {name!r}", field="BAOLIAN_NEW_PASSWORD",
                               hint="set BAOLIAN_NEW_PASSWORD, or run in a terminal to be asked")
        password = typer.prompt(f"新密码 new password for {name}", hide_input=True, confirmation_prompt=True,
                                err=True)
    return check_password(password)


def _project(project):
    from coding.cli import _open

    return _open(project)


def add(
    name: NameArg,
    role: Annotated[str, typer.Option("--role", "-r", help=ROLES_HELP)] = "coder",
    project: ProjectOpt = None,
) -> None:
    """Add an account (the first one must be an admin; after that an admin adds: --user ADMIN)."""
    from coding.accounts import accounts_exist, add_user
    from coding.cli import acting_user, out

    p = _project(project)
    by = acting_user(p) if accounts_exist(p) else None
    account = add_user(p, name, _new_password(name), role, by=by)
    out.print(f"✓ 已添加 added {account.name} ({account.label})", markup=False)


def list_(project: ProjectOpt = None,
          as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False) -> None:
    """List the project's accounts with their roles (removed accounts are shown as inactive)."""
    from rich.table import Table

    from coding.accounts import list_users
    from coding.cli import _print_json, out

    accounts = list_users(_project(project))
    if as_json:
        _print_json([{"name": a.name, "role": a.role, "active": a.active} for a in accounts])
        return
    if not accounts:
        out.print("没有账户 no accounts: anyone may act under any name. "
                  "Create the first admin: baolian user add NAME --role admin", markup=False)
        return
    table = Table("用户 user", "角色 role", "状态 status")
    for a in accounts:
        table.add_row(a.name, a.label, "启用 active" if a.active else "停用 removed")
    out.print(table)


def remove(name: NameArg, project: ProjectOpt = None) -> None:
    """Deactivate an account (admin only); its history stays. The last active admin cannot be removed."""
    from coding.accounts import remove_user
    from coding.cli import acting_user, out

    p = _project(project)
    remove_user(p, name, by=acting_user(p))
    out.print(f"✓ 已停用 removed {name}", markup=False)


def role(
    name: NameArg,
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help=ROLES_HELP, show_default=False)],
    project: ProjectOpt = None,
) -> None:
    """Change an account's role (admin only)."""
    from coding.accounts import set_role
    from coding.cli import acting_user, out

    p = _project(project)
    account = set_role(p, name, new_role, by=acting_user(p))
    out.print(f"✓ {account.name}: {account.label}", markup=False)


def passwd(name: NameArg, project: ProjectOpt = None) -> None:
    """Change a password: your own (--user NAME or NAME itself, with $BAOLIAN_PASSWORD) or, as admin, anyone's."""
    from coding.accounts import change_password
    from coding.cli import acting_user, out

    p = _project(project)
    by = acting_user(p, name)
    change_password(p, name, _new_password(name), by=by)
    out.print(f"✓ 已更改密码 password changed for {name}", markup=False)


def register(app) -> None:
    """Add `baolian user ...` to the `baolian` app."""
    user_app.command("add")(add)
    user_app.command("list")(list_)
    user_app.command("remove")(remove)
    user_app.command("role")(role)
    user_app.command("passwd")(passwd)
    app.add_typer(user_app, name="user")
