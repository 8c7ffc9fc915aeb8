"""Login throttling (coding/login_limits.py through coding.accounts.verify_login): too many failed log-ins lock a
name out for a while, in the project database — on real projects (SQLite, or PostgreSQL with --db), through the
function, the app's login form (AppTest) and the CLI. The clock is passed in; nothing sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from coding import login_limits
from coding.accounts import LoginError, add_user, change_password, verify_login
from coding.cli import main
from coding.errors import BaolianError
from coding.login_limits import LockedOut
from coding.project import Project
from coding.roles import Role
from coding.store import Event

from .apptest import open_app
from .conftest import CODEBOOK, CORPUS

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
PW = {"ann": "ann-password", "bob": "bob-password"}


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def team(new_location):
    location = new_location("throttle")
    p = Project.init(location, codebook=CODEBOOK)
    add_user(p, "ann", PW["ann"], "admin", by=None)
    add_user(p, "bob", PW["bob"], "coder", by="ann")
    yield location, p
    p.close()


def fail(p: Project, name: str, times: int, at: datetime) -> None:
    for i in range(times):
        with pytest.raises(LoginError):
            verify_login(p, name, "wrong-password", now=at + timedelta(seconds=i))


def login_events(p: Project) -> list[tuple[str, dict, int | None, int | None]]:
    with p.read() as s:
        rows = s.execute(select(Event.action, Event.after, Event.coder_id, Event.entity_id)
                         .where(Event.entity == "login").order_by(Event.id)).all()
    return [tuple(r) for r in rows]


def test_five_failures_lock_the_name_even_for_the_right_password(team):
    _, p = team
    fail(p, "bob", 4, minutes(0))
    with pytest.raises(LockedOut) as fifth:  # the fifth failure starts the lock-out and says so
        verify_login(p, "bob", "wrong-password", now=minutes(1))
    with pytest.raises(LockedOut) as locked:
        verify_login(p, "bob", PW["bob"], now=minutes(2))
    message = str(locked.value)
    assert "登录失败次数过多" in message and message.index("登录") < message.index("too many")
    assert "2026-11-27 09:16 UTC" in message and "约 14 分钟后" in message and "in about 14 min" in message
    assert isinstance(locked.value, BaolianError) and locked.value.hint
    assert fifth.value.until == locked.value.until == minutes(16)
    assert verify_login(p, "ann", PW["ann"], now=minutes(2)) is Role.ADMIN  # only that name is locked
    actions = [a for a, *_ in login_events(p)]
    assert actions == ["login.fail"] * 5 + ["login.lock"]
    assert login_events(p)[-1][1] == {"name": "bob", "failures": 5, "until": minutes(16).isoformat()}


def test_after_the_lock_out_the_right_password_works(team):
    _, p = team
    fail(p, "bob", 5, minutes(0))
    with pytest.raises(LockedOut):
        verify_login(p, "bob", PW["bob"], now=minutes(15))
    assert verify_login(p, "bob", PW["bob"], now=minutes(15.1)) is Role.CODER
    # after a lock-out the count starts afresh: one more failure does not lock again
    fail(p, "bob", 1, minutes(16))
    assert verify_login(p, "bob", PW["bob"], now=minutes(17)) is Role.CODER


def test_success_resets_the_count(team):
    _, p = team
    fail(p, "bob", 4, minutes(0))
    assert verify_login(p, "bob", PW["bob"], now=minutes(1)) is Role.CODER
    fail(p, "bob", 4, minutes(2))  # 8 failures in 15 minutes, but never 5 since the last success
    assert verify_login(p, "bob", PW["bob"], now=minutes(3)) is Role.CODER
    assert [a for a, *_ in login_events(p)].count("login.ok") == 2
    assert verify_login(p, "bob", PW["bob"], now=minutes(4)) is Role.CODER  # nothing to reset: no event
    assert [a for a, *_ in login_events(p)].count("login.ok") == 2


def test_failures_older_than_the_window_do_not_count(team):
    _, p = team
    fail(p, "bob", 4, minutes(0))
    fail(p, "bob", 1, minutes(16))
    assert verify_login(p, "bob", PW["bob"], now=minutes(17)) is Role.CODER


def test_unknown_names_are_throttled_the_same_way(team):
    _, p = team
    known, unknown = [], []
    for i in range(4):
        with pytest.raises(LoginError) as a:
            verify_login(p, "bob", "wrong-password", now=minutes(i))
        with pytest.raises(LoginError) as b:
            verify_login(p, "没有这个人", "wrong-password", now=minutes(i))
        known.append(str(a.value))
        unknown.append(str(b.value))
    with pytest.raises(LockedOut) as a:
        verify_login(p, "bob", "wrong-password", now=minutes(4))
    with pytest.raises(LockedOut) as b:
        verify_login(p, "没有这个人", "wrong-password", now=minutes(4))
    assert known == unknown and str(a.value) == str(b.value)
    with pytest.raises(LockedOut):
        verify_login(p, "没有这个人", "anything", now=minutes(5))
    events = login_events(p)
    rows = {name: [(a, c, e) for a, after, c, e in events if after["name"] == name] for name in ("bob", "没有这个人")}
    assert rows["bob"] == rows["没有这个人"]  # the same rows: nothing tells whether the name exists
    assert all(c is None and e is None for *_, c, e in events)


def test_limits_are_a_setting(team):
    _, p = team
    assert login_limits.limits(p) == login_limits.Limits(5, timedelta(minutes=15), timedelta(minutes=15))
    with pytest.raises(BaolianError):
        login_limits.set_limits(p, max_failures=2, by="bob")  # a coder may not change them
    with pytest.raises(BaolianError, match="whole number"):
        login_limits.set_limits(p, max_failures=0, by="ann")
    p.set_setting(login_limits.SETTING, {"max_failures": "x", "window_minutes": -1}, coder="ann")
    assert login_limits.limits(p).max_failures == 5  # a bad stored value falls back to the default
    login_limits.set_limits(p, max_failures=2, lockout_minutes=60, by="ann")
    assert p.setting(login_limits.SETTING) == {"max_failures": 2, "window_minutes": 15, "lockout_minutes": 60}
    fail(p, "bob", 1, minutes(0))
    with pytest.raises(LockedOut) as locked:
        verify_login(p, "bob", "wrong-password", now=minutes(1))
    assert locked.value.until == minutes(61)


def test_change_password_with_the_old_one_is_throttled_too(team):
    _, p = team
    fail(p, "bob", 5, datetime.now(timezone.utc) - timedelta(minutes=1))  # change_password uses the real clock
    with pytest.raises(LockedOut):
        change_password(p, "bob", "a-new-password", by="bob", old_password=PW["bob"])


def test_the_app_login_shows_the_lock_out(monkeypatch, team):
    location, p = team
    now = datetime.now(timezone.utc)
    fail(p, "bob", 5, now - timedelta(minutes=1))
    at = open_app(monkeypatch, location)
    at.text_input(key="login_name").input("bob")
    at.text_input(key="login_password").input(PW["bob"])
    next(b for b in at.button if b.label.startswith("登录 Log in")).click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("登录失败 Login failed:")
    assert "登录失败次数过多" in errors[0] and "UTC" in errors[0] and "Traceback" not in errors[0]
    assert "auth_user" not in at.session_state


def test_the_cli_login_shows_the_lock_out_as_one_line(monkeypatch, team, capsys):
    location, p = team
    for key in ("BAOLIAN_USER", "BAOLIAN_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("BAOLIAN_PROJECT", str(location))
    monkeypatch.setenv("BAOLIAN_USER", "bob")
    monkeypatch.setenv("BAOLIAN_PASSWORD", "wrong-password")
    for _ in range(4):
        assert main(["import", str(CORPUS / "news")]) == 2
        assert "wrong user name or password" in capsys.readouterr().err
    monkeypatch.setenv("BAOLIAN_PASSWORD", PW["bob"])
    fail(p, "bob", 1, datetime.now(timezone.utc))
    assert main(["import", str(CORPUS / "news")]) == 2
    err = capsys.readouterr().err
    assert "登录失败次数过多" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert p.documents() == []
