"""Accounts: who may log in to a project, with which role, and how their password is kept.

Passwords are stored only as Argon2id hashes (argon2-cffi's :class:`~argon2.PasswordHasher`: a random
salt per hash, a deliberately slow, memory-hard function). A hash made with weaker parameters than the
current ones is replaced at the next successful login.

Rules:

- the first account of a project must be an admin, and anyone may create it (bootstrap); from then on
  only accounts act (:mod:`coding.roles`), and only an admin adds, removes or changes accounts;
- removing an account deactivates it: the row stays, and so does everything it did;
- the last active admin can neither be removed nor lose the admin role;
- every change is one transaction with its event row (``user.add``, ``user.role``, ``user.remove``,
  ``user.passwd``); events never contain hashes.

Authentication is here; authorisation (who may do what) is :mod:`coding.roles`; failed log-ins are
throttled per name by :mod:`coding.login_limits` (5 failures in 15 minutes lock the name for 15 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coding import login_limits
from coding.login_limits import LoginError
from coding.errors import BaolianError
from coding.roles import Permission, Role, authorize, has_accounts
from coding.store import Coder, record_event

MIN_PASSWORD = 8
MAX_NAME = 80
HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
LOGIN_FAILED = "wrong user name or password"


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    active: bool

    @property
    def label(self) -> str:
        return Role(self.role).label


def _role(role: str | Role) -> Role:
    try:
        return Role(str(getattr(role, "value", role)).strip().lower())
    except ValueError:
        raise BaolianError(f"unknown role {role!r}", field="role",
                           hint="use one of: admin, coder, viewer") from None


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise BaolianError("the user name is empty", field="name", hint="give a name, e.g. 王老师")
    if len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise BaolianError(f"the user name {name[:20]!r}… is too long or has control characters", field="name",
                           hint=f"use at most {MAX_NAME} printable characters")
    return name


def check_password(password: str) -> str:
    """The password if it is acceptable; otherwise a clear error."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise BaolianError(f"the password is too short: it needs at least {MIN_PASSWORD} characters",
                           field="password", hint="choose a longer password (a few words work well)")
    if not password.strip():
        raise BaolianError("the password is only spaces", field="password", hint="choose a real password")
    return password


def hash_password(password: str) -> str:
    return HASHER.hash(check_password(password))


def _state(row: Coder) -> dict:
    return {"name": row.name, "role": row.role, "active": bool(row.active)}


def _account(session: Session, name: str) -> Coder:
    row = session.scalar(select(Coder).where(Coder.name == name))
    if row is None or row.role is None:
        raise BaolianError(f"{name!r} is not an account of this project", field="name",
                           hint="see the accounts with `baolian user list`")
    return row


def _other_active_admins(session: Session, row: Coder) -> int:
    return session.scalar(select(func.count()).select_from(Coder).where(
        Coder.role == Role.ADMIN.value, Coder.active.is_(True), Coder.id != row.id)) or 0


def _protect_last_admin(session: Session, row: Coder, doing: str) -> None:
    if row.role == Role.ADMIN.value and row.active and _other_active_admins(session, row) == 0:
        raise BaolianError(f"{row.name!r} is the last active admin and cannot be {doing}", field="name",
                           hint="make another account admin first (baolian user role NAME admin)")


# -- queries -----------------------------------------------------------------------------------------------

def accounts_exist(project) -> bool:
    with project.read() as s:
        return has_accounts(s)


def list_users(project, *, include_inactive: bool = True) -> list[Account]:
    """The project's accounts (coders with a role), oldest first."""
    with project.read() as s:
        query = select(Coder).where(Coder.role.is_not(None)).order_by(Coder.id)
        if not include_inactive:
            query = query.where(Coder.active.is_(True))
        return [Account(r.id, r.name, r.role, bool(r.active)) for r in s.scalars(query)]


def role_of(project, name: str | None) -> Role | None:
    """The role ``name`` acts with (admin for anyone in a project without accounts; None: may not act)."""
    from coding.roles import role_of as _role_of

    with project.read() as s:
        return _role_of(s, name)


# -- changes -----------------------------------------------------------------------------------------------

def add_user(project, name: str, password: str, role: str | Role, *, by: str | None) -> Account:
    """Create an account (or give an existing coder name, or a removed account, a password and a role).

    The first account must be an admin and may be created by anyone; after that only an admin adds.
    """
    name, role = _name(name), _role(role)
    digest = hash_password(password)  # slow on purpose: outside the transaction
    with project.transaction() as s:
        if has_accounts(s):
            actor = authorize(s, by, Permission.MANAGE)
        elif role is not Role.ADMIN:
            raise BaolianError("the first account of a project must be an admin", field="role",
                               hint=f"create it with role admin (baolian user add {name} --role admin)")
        else:
            actor = None
        row = s.scalar(select(Coder).where(Coder.name == name))
        if row is not None and row.role is not None and row.active:
            raise BaolianError(f"{name!r} is already an account ({row.role})", field="name",
                               hint="change its role with `baolian user role`, or choose another name")
        before = None if row is None else _state(row)
        if row is None:
            row = Coder(name=name)
            s.add(row)
        row.role, row.password_hash, row.active = role.value, digest, True
        s.flush()
        record_event(s, "user.add", "coder", row.id, before=before, after=_state(row),
                     coder_id=actor if actor is not None else row.id)
        return Account(row.id, row.name, row.role, True)


def set_role(project, name: str, role: str | Role, *, by: str | None) -> Account:
    """Change an active account's role (admin only); the last active admin keeps the admin role."""
    name, role = _name(name), _role(role)
    with project.transaction() as s:
        actor = authorize(s, by, Permission.MANAGE)
        row = _account(s, name)
        if not row.active:
            raise BaolianError(f"the account {name!r} is disabled", field="name",
                               hint=f"enable it again with `baolian user add {name} --role {role.value}`")
        if row.role == role.value:
            return Account(row.id, row.name, row.role, True)
        if role is not Role.ADMIN:
            _protect_last_admin(s, row, "given another role")
        before = _state(row)
        row.role = role.value
        s.flush()
        record_event(s, "user.role", "coder", row.id, before=before, after=_state(row), coder_id=actor)
        return Account(row.id, row.name, row.role, True)


def remove_user(project, name: str, *, by: str | None) -> Account:
    """Deactivate an account (admin only): it can no longer log in; its row and its history stay."""
    name = _name(name)
    with project.transaction() as s:
        actor = authorize(s, by, Permission.MANAGE)
        row = _account(s, name)
        if not row.active:
            raise BaolianError(f"the account {name!r} is already disabled", field="name")
        _protect_last_admin(s, row, "removed")
        before = _state(row)
        row.active = False
        s.flush()
        record_event(s, "user.remove", "coder", row.id, before=before, after=_state(row), coder_id=actor)
        return Account(row.id, row.name, row.role, False)


def change_password(project, name: str, new_password: str, *, by: str | None,
                    old_password: str | None = None) -> None:
    """Set ``name``'s password: by the account itself (any role), or by an admin for anyone.

    ``old_password``, when given, must be the current one (the app asks for it when you change your own).
    """
    name = _name(name)
    digest = hash_password(new_password)
    if old_password is not None:
        verify_login(project, name, old_password)
    with project.transaction() as s:
        is_self = by is not None and by.strip() == name
        actor = authorize(s, by, Permission.READ if is_self else Permission.MANAGE)
        row = _account(s, name)
        row.password_hash = digest
        s.flush()
        record_event(s, "user.passwd", "coder", row.id, before=None, after={"name": name}, coder_id=actor)


# -- login -------------------------------------------------------------------------------------------------

_dummy: list[str] = []


def _burn(password: str) -> None:
    """Spend the time of one verification, so unknown names answer as slowly as wrong passwords."""
    if not _dummy:
        _dummy.append(HASHER.hash("not a password of anyone"))
    try:
        HASHER.verify(_dummy[0], password or "")
    except VerificationError:
        pass


def verify_login(project, name: str, password: str, *, now: datetime | None = None) -> Role:
    """The account's role when ``password`` is right; :class:`LoginError` otherwise (the same message for an
    unknown name and a wrong password). Re-hashes the password when the hashing parameters have changed.

    Throttled (:mod:`coding.login_limits`): too many failures for a name refuse it for a while, even with the
    right password (:class:`~coding.login_limits.LockedOut`); unknown names are counted the same way.
    ``now`` is the clock (tests pass it)."""
    name = (name or "").strip()
    with project.read() as s:
        if not has_accounts(s):
            raise LoginError("this project has no accounts", field="user",
                             hint="create the first admin: baolian user add NAME --role admin")
        row = s.scalar(select(Coder).where(Coder.name == name)) if name else None
        stored = None if row is None or row.role is None else row.password_hash
        role, active = (row.role, bool(row.active)) if row is not None else (None, False)
    state = login_limits.check(project, name, now=now)  # same query for known and unknown names
    try:
        if not stored:
            _burn(password)
            raise VerifyMismatchError
        HASHER.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        until = login_limits.failed(project, name, now=now)
        if until is not None:
            raise login_limits.LockedOut(name, until, login_limits.utc(now)) from None
        raise LoginError(LOGIN_FAILED, field="user", hint="check the name and the password") from None
    if not active:
        raise LoginError(f"the account {name!r} is disabled", field="user", hint="ask an admin to enable it")
    login_limits.succeeded(project, name, state, now=now)
    if HASHER.check_needs_rehash(stored):
        _rehash(project, name, stored, password)
    return Role(role)


def _rehash(project, name: str, stored: str, password: str) -> None:
    digest = HASHER.hash(password)
    with project.transaction() as s:
        row = s.scalar(select(Coder).where(Coder.name == name))
        if row is None or row.password_hash != stored:  # changed meanwhile: leave it
            return
        row.password_hash = digest
        record_event(s, "user.rehash", "coder", row.id, after={"name": name}, coder_id=row.id)
