"""Who may do what: three roles, each a small set of ``can_*`` answers, and one check every change passes.

A project without accounts is a single team's notebook: any name typed on the sidebar (or given with
``--coder``) may do everything, as before accounts existed. Once the project has an account, only
accounts act, each within its role:

- admin: members, codebook, imports, deletions, assignments, adjudication — and everything a coder does;
- coder: codes and memos (their own decisions, their own undo);
- viewer: reads, analysis and exports; changes nothing.

Authentication (passwords) belongs to the shells and :mod:`coding.accounts`; this module only decides
whether a named, already-authenticated user may act, and every function in ``coding`` that changes the
project calls :func:`authorize` inside its transaction, so a viewer cannot change anything, whether
through a page, the CLI or by calling the functions behind them.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from coding.errors import BaolianError
from coding.store import Coder, record_event


class Forbidden(BaolianError):
    """The user's role does not allow the action."""


class Permission(str, Enum):
    READ = "read"
    CODE = "code"
    MANAGE = "manage"


class Role(str, Enum):
    ADMIN = "admin"
    CODER = "coder"
    VIEWER = "viewer"

    def can_read(self) -> bool:
        return True

    def can_code(self) -> bool:
        return self in (Role.ADMIN, Role.CODER)

    def can_manage(self) -> bool:
        return self is Role.ADMIN

    def can(self, permission: Permission) -> bool:
        return getattr(self, f"can_{Permission(permission).value}")()

    @property
    def label(self) -> str:
        return {"admin": "管理员 admin", "coder": "编码员 coder", "viewer": "查看者 viewer"}[self.value]


WHAT = {
    Permission.READ: "read this project",
    Permission.CODE: "code or write memos",
    Permission.MANAGE: "manage the project (members, codebook, imports, deletions, assignments, adjudication)",
}


def has_accounts(session: Session) -> bool:
    """True once any account (a coder with a role) exists: from then on only accounts act."""
    return session.scalar(select(Coder.id).where(Coder.role.is_not(None)).limit(1)) is not None


def coder_row_id(session: Session, name: str) -> int:
    """The id of the coder called ``name``, created (with its event) when new. For projects without accounts."""
    name = name.strip()
    found = session.scalar(select(Coder.id).where(Coder.name == name))
    if found is not None:
        return found
    coder = Coder(name=name)
    session.add(coder)
    session.flush()
    record_event(session, "coder.add", "coder", coder.id, after={"name": name}, coder_id=coder.id)
    return coder.id


def role_of(session: Session, name: str | None) -> Role | None:
    """The role ``name`` acts with: its account's role; admin for anyone in a project without accounts."""
    if not name or not name.strip():
        return None
    if not has_accounts(session):
        return Role.ADMIN
    row = session.scalar(select(Coder).where(Coder.name == name.strip()))
    if row is None or row.role is None or not row.active:
        return None
    return Role(row.role)


def authorize(session: Session, name: str | None, permission: Permission) -> int | None:
    """Check that ``name`` may act with ``permission``; return its coder id (created in a project without accounts).

    Raises :class:`Forbidden` with what to do otherwise. Call it inside the transaction that makes the change.
    """
    permission = Permission(permission)
    if not name or not name.strip():
        if permission is Permission.READ and not has_accounts(session):
            return None
        raise Forbidden("no user given", field="user",
                        hint="log in (app) or pass --user NAME (CLI)" if has_accounts(session)
                        else "choose your name first (侧栏 sidebar / --coder)")
    name = name.strip()
    if not has_accounts(session):
        return coder_row_id(session, name) if permission is not Permission.READ else \
            session.scalar(select(Coder.id).where(Coder.name == name))
    row = session.scalar(select(Coder).where(Coder.name == name))
    if row is None or row.role is None:
        raise Forbidden(f"{name!r} is not an account of this project", field="user",
                        hint="ask an admin to add you (baolian user add)")
    if not row.active:
        raise Forbidden(f"the account {name!r} is disabled", field="user", hint="ask an admin to enable it")
    role = Role(row.role)
    if not role.can(permission):
        raise Forbidden(f"{name!r} is a {role.value} and may not {WHAT[permission]}", field="role",
                        hint="ask an admin for a role that allows it")
    return row.id


def acting(session: Session, name: str | None, permission: Permission) -> int | None:
    """:func:`authorize` for changes whose user is optional: in a project without accounts, no name acts
    anonymously (None), as before accounts existed; with accounts a user is required and checked."""
    if (not name or not name.strip()) and not has_accounts(session):
        return None
    return authorize(session, name, permission)


def require(session: Session, name: str | None, permission: Permission) -> None:
    """Refuse early (before slow work) when ``name`` may not act; writes nothing, also without accounts."""
    if has_accounts(session):
        authorize(session, name, permission)  # with accounts, authorize only reads
