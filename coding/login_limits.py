"""Login throttling: after too many failed log-ins for a name, that name is locked out for a while.

The state lives in the project database (so it holds across app restarts and for the CLI), in the
append-only events table: ``login.fail`` (a wrong password, or an unknown name), ``login.lock`` (the
failure that started a lock-out, with ``until``) and ``login.ok`` (a successful log-in after failures:
it resets the count). Every row has ``entity="login"``, no coder and the typed name in ``after`` — the
same for known and unknown names, so the rows and the answers never tell whether a name exists.

Limits are the project setting ``login_limits`` (defaults :data:`DEFAULTS`): ``max_failures`` failures
within ``window_minutes`` lock the name for ``lockout_minutes``, even for the right password.
Every function takes the clock as ``now`` (tests pass it instead of sleeping).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from coding.errors import BaolianError
from coding.store import Event, record_event

SETTING = "login_limits"
DEFAULTS = {"max_failures": 5, "window_minutes": 15, "lockout_minutes": 15}
FAIL, LOCK, OK = "login.fail", "login.lock", "login.ok"


class LoginError(BaolianError):
    """Unknown user or wrong password (one message for both), a disabled account, or a lock-out
    (re-exported by :mod:`coding.accounts`)."""


class LockedOut(LoginError):
    """Too many failed log-ins for this name: refused until ``until`` (UTC)."""

    def __init__(self, name: str, until: datetime, now: datetime) -> None:
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        stamp = f"{until:%Y-%m-%d %H:%M} UTC"
        super().__init__(
            f"登录失败次数过多，已暂时锁定，请于 {stamp}（约 {minutes} 分钟后）再试 — too many failed log-ins "
            f"for this name: try again after {stamp} (in about {minutes} min)",
            field="user", hint="等待锁定结束，或请管理员重设密码 wait, or ask an admin to reset the password")
        self.until = until


@dataclass(frozen=True)
class Limits:
    max_failures: int
    window: timedelta
    lockout: timedelta


def utc(moment: datetime | None) -> datetime:
    """``moment`` (now when None) as an aware UTC datetime (SQLite gives naive UTC values back)."""
    if moment is None:
        return datetime.now(timezone.utc)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _positive(value, key: str) -> int:
    if not _is_count(value):
        raise BaolianError(f"{key} must be a whole number ≥ 1, not {value!r}", field=f"{SETTING}.{key}",
                           hint=f"e.g. {DEFAULTS[key]} (the default)")
    return value


def _stored(project) -> dict[str, int]:
    """The setting's values, with the default for anything not set or not a whole number ≥ 1 (a bad value
    must not stop everyone, the admin included, from logging in)."""
    stored = project.setting(SETTING) or {}
    stored = stored if isinstance(stored, dict) else {}
    return {key: value if _is_count(value := stored.get(key)) else default for key, default in DEFAULTS.items()}


def limits(project) -> Limits:
    """The project's login limits (see :func:`_stored` for values not set or broken)."""
    values = _stored(project)
    return Limits(values["max_failures"], timedelta(minutes=values["window_minutes"]),
                  timedelta(minutes=values["lockout_minutes"]))


def set_limits(project, *, by: str | None, **values: int) -> Limits:
    """Change some of ``max_failures``, ``window_minutes``, ``lockout_minutes`` (admin only)."""
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise BaolianError(f"unknown login limit(s): {', '.join(sorted(unknown))}", field=SETTING,
                           hint=f"use {', '.join(DEFAULTS)}")
    new = {**_stored(project), **{key: _positive(value, key) for key, value in values.items()}}
    project.set_setting(SETTING, new, coder=by)
    return limits(project)


@dataclass(frozen=True)
class State:
    failures: int  # failed attempts counting towards a lock-out
    locked_until: datetime | None


def _state(session: Session, name: str, now: datetime, lim: Limits) -> State:
    since = now - max(lim.window, lim.lockout)
    rows = session.execute(
        select(Event.action, Event.at, Event.after).where(
            Event.entity == "login", Event.action.in_((FAIL, LOCK, OK)), Event.at >= since)
        .order_by(Event.at, Event.id)).all()
    failures: list[datetime] = []
    locked_until = None
    for action, at, after in rows:
        if not isinstance(after, dict) or after.get("name") != name:
            continue
        at = utc(at)
        if action == OK:
            failures, locked_until = [], None
        elif action == LOCK:
            failures = []
            try:
                locked_until = utc(datetime.fromisoformat(after["until"]))
            except (KeyError, TypeError, ValueError):
                locked_until = at + lim.lockout
        elif at > now - lim.window:
            failures.append(at)
    if locked_until is not None and locked_until <= now:
        locked_until = None
    failures = [at for at in failures if at > now - lim.window]
    return State(len(failures), locked_until)


def check(project, name: str, *, now: datetime | None = None) -> State:
    """Raise :class:`LockedOut` while ``name`` is locked out; else its current state."""
    now, lim = utc(now), limits(project)
    with project.read() as s:
        state = _state(s, name, now, lim)
    if state.locked_until is not None:
        raise LockedOut(name, state.locked_until, now)
    return state


def failed(project, name: str, *, now: datetime | None = None) -> datetime | None:
    """Record a failed attempt for ``name``; returns the end of the lock-out it started, if it did."""
    now, lim = utc(now), limits(project)
    with project.transaction() as s:
        state = _state(s, name, now, lim)
        count = state.failures + 1
        event = record_event(s, FAIL, "login", None, after={"name": name, "failures": count})
        event.at = now
        if count < lim.max_failures:
            return None
        until = now + lim.lockout
        lock = record_event(s, LOCK, "login", None,
                            after={"name": name, "failures": count, "until": until.isoformat()})
        lock.at = now
        return until


def succeeded(project, name: str, state: State, *, now: datetime | None = None) -> None:
    """A successful log-in resets the count (an event only when there was something to reset)."""
    if state.failures == 0:
        return
    with project.transaction() as s:
        event = record_event(s, OK, "login", None, after={"name": name, "reset": state.failures})
        event.at = utc(now)
