"""`baolian user add|list|remove|role|passwd` and the global --user option, run in-process through main()
with the passwords in environment variables, on a real project (SQLite, or PostgreSQL with --db)."""

from __future__ import annotations

import json

import pytest

from coding.accounts import verify_login
from coding.cli import main
from coding.project import Project
from coding.roles import Role

from .conftest import CODEBOOK, CORPUS


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def env(monkeypatch):
    for key in ("BAOLIAN_USER", "BAOLIAN_PASSWORD", "BAOLIAN_NEW_PASSWORD", "BAOLIAN_PROJECT"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.fixture
def team_cli(new_location, capsys, env):
    """A CLI project with an admin 'ann', a coder 'bob' and a viewer 'vic', made with `baolian user add`."""
    location = str(new_location("cli-users"))
    env.setenv("BAOLIAN_PROJECT", location)
    assert run(capsys, "init", "--codebook", str(CODEBOOK))[0] == 0
    env.setenv("BAOLIAN_NEW_PASSWORD", "ann-password")
    code, out, err = run(capsys, "user", "add", "ann", "--role", "admin")  # bootstrap: no --user needed
    assert code == 0, err
    assert "ann" in out and "admin" in out
    env.setenv("BAOLIAN_USER", "ann")
    env.setenv("BAOLIAN_PASSWORD", "ann-password")
    for name, role in (("bob", "coder"), ("vic", "viewer")):
        env.setenv("BAOLIAN_NEW_PASSWORD", f"{name}-password")
        code, _, err = run(capsys, "user", "add", name, "--role", role)
        assert code == 0, err
    env.delenv("BAOLIAN_USER")
    env.delenv("BAOLIAN_PASSWORD")
    env.delenv("BAOLIAN_NEW_PASSWORD")
    return location


def as_user(env, name: str, password: str | None = None) -> None:
    env.setenv("BAOLIAN_USER", name)
    env.setenv("BAOLIAN_PASSWORD", password or f"{name}-password")


def test_list_json_and_table(team_cli, capsys):
    code, out, _ = run(capsys, "user", "list", "--json")
    assert code == 0
    assert json.loads(out) == [{"name": "ann", "role": "admin", "active": True},
                               {"name": "bob", "role": "coder", "active": True},
                               {"name": "vic", "role": "viewer", "active": True}]
    code, out, _ = run(capsys, "user", "list")
    assert code == 0 and "查看者 viewer" in out


def test_first_account_must_be_admin_and_password_long_enough(new_location, capsys, env):
    location = str(new_location("cli-boot"))
    assert run(capsys, "init", "--project", location, "--codebook", str(CODEBOOK))[0] == 0
    env.setenv("BAOLIAN_NEW_PASSWORD", "long-enough")
    code, _, err = run(capsys, "user", "add", "bob", "--role", "coder", "--project", location)
    assert code == 2 and "first account of a project must be an admin" in err
    env.setenv("BAOLIAN_NEW_PASSWORD", "short")
    code, _, err = run(capsys, "user", "add", "ann", "--role", "admin", "--project", location)
    assert code == 2 and "at least 8 characters" in err
    env.delenv("BAOLIAN_NEW_PASSWORD")
    code, _, err = run(capsys, "user", "add", "ann", "--role", "admin", "--project", location)
    assert code == 2 and "BAOLIAN_NEW_PASSWORD" in err  # no terminal to ask on: a clear message
    code, out, _ = run(capsys, "user", "list", "--json", "--project", location)
    assert json.loads(out) == []


def test_viewer_import_is_refused_with_exit_2(team_cli, capsys, env):
    as_user(env, "vic")
    code, out, err = run(capsys, "import", str(CORPUS / "news"))
    assert code == 2
    assert "'vic' is a viewer and may not manage" in err and "Traceback" not in err
    as_user(env, "bob")
    code, _, err = run(capsys, "import", str(CORPUS / "news"))
    assert code == 2 and "'bob' is a coder" in err
    env.delenv("BAOLIAN_USER")
    code, _, err = run(capsys, "import", str(CORPUS / "news"))
    assert code == 2 and "no user given" in err
    code, _, err = run(capsys, "import", str(CORPUS / "news"), "--coder", "ann")  # bob's password is not ann's
    assert code == 2 and "wrong user name or password" in err
    env.delenv("BAOLIAN_PASSWORD")
    code, _, err = run(capsys, "import", str(CORPUS / "news"), "--coder", "ann")  # a name alone is not enough
    assert code == 2 and "BAOLIAN_PASSWORD" in err
    code, out, _ = run(capsys, "documents", "--json")
    assert json.loads(out) == []
    as_user(env, "ann")
    code, out, err = run(capsys, "import", str(CORPUS / "news"))
    assert code == 0, err
    assert "imported" in out


def test_wrong_password_is_refused(team_cli, capsys, env):
    as_user(env, "ann", "not-her-password")
    code, _, err = run(capsys, "import", str(CORPUS / "news"))
    assert code == 2 and "wrong user name or password" in err
    as_user(env, "nobody", "not-her-password")
    code, _, err2 = run(capsys, "import", str(CORPUS / "news"))
    assert code == 2 and err2 == err


def test_viewer_cannot_code_train_or_manage_users(team_cli, capsys, env):
    as_user(env, "vic")
    env.setenv("BAOLIAN_NEW_PASSWORD", "new-person-pw")
    for argv in (["code"], ["train"], ["user", "add", "eve", "--role", "coder"], ["user", "role", "bob", "admin"],
                 ["user", "remove", "bob"], ["user", "passwd", "bob"]):
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert "may not" in err, (argv, err)


def test_admin_changes_roles_removes_and_resets_passwords(team_cli, capsys, env):
    as_user(env, "ann")
    code, out, err = run(capsys, "-u", "ann", "user", "role", "vic", "coder")
    assert code == 0, err
    assert "编码员 coder" in out
    code, _, err = run(capsys, "user", "remove", "ann")
    assert code == 2 and "last active admin" in err
    assert run(capsys, "user", "remove", "bob")[0] == 0
    env.setenv("BAOLIAN_NEW_PASSWORD", "vic-new-password")
    assert run(capsys, "user", "passwd", "vic")[0] == 0
    code, out, _ = run(capsys, "user", "list", "--json")
    assert [(u["name"], u["role"], u["active"]) for u in json.loads(out)] == [
        ("ann", "admin", True), ("bob", "coder", False), ("vic", "coder", True)]
    p = Project.open(team_cli)
    try:
        assert verify_login(p, "vic", "vic-new-password") is Role.CODER
    finally:
        p.close()
    as_user(env, "bob")
    code, _, err = run(capsys, "import", str(CORPUS / "news"))
    assert code == 2 and "disabled" in err


def test_own_password_change_needs_the_current_one(team_cli, capsys, env):
    env.setenv("BAOLIAN_NEW_PASSWORD", "bob-second-pw")
    env.setenv("BAOLIAN_PASSWORD", "wrong-password")
    code, _, err = run(capsys, "user", "passwd", "bob")
    assert code == 2 and "wrong user name or password" in err
    env.setenv("BAOLIAN_PASSWORD", "bob-password")
    assert run(capsys, "user", "passwd", "bob")[0] == 0
    p = Project.open(team_cli)
    try:
        assert verify_login(p, "bob", "bob-second-pw") is Role.CODER
    finally:
        p.close()


def test_without_accounts_commands_work_as_before(new_location, capsys, env):
    location = str(new_location("cli-free"))
    assert run(capsys, "init", "--project", location, "--codebook", str(CODEBOOK))[0] == 0
    code, out, err = run(capsys, "import", str(CORPUS / "news"), "--project", location, "--coder", "王老师")
    assert code == 0, err
    code, out, err = run(capsys, "code", "--project", location)
    assert code == 0, err
    assert "documents coded" in out
