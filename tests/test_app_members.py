"""Accounts in the app (app.py sidebar login, views/_shared.can, views/members.py) under Streamlit's AppTest,
on real SQLite projects: the login form, wrong passwords, read-only pages for a viewer, admin-only pages,
and the first admin created from the members page."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from coding.accounts import add_user, list_users, verify_login
from coding.project import Project
from coding.roles import Role

from .apptest import open_app

USERS = {"管理员": ("admin", "admin-pass-1"), "编码员": ("coder", "coder-pass-2"), "查看者": ("viewer", "viewer-pass-3")}


@pytest.fixture(scope="module")
def team(coded_demo, tmp_path_factory):
    """A copy of the coded demo project with three accounts."""
    location = str(tmp_path_factory.mktemp("members") / "team.sqlite")
    shutil.copyfile(coded_demo, location)
    p = Project.open(location)
    for name, (role, password) in USERS.items():
        add_user(p, name, password, role, by=None if role == "admin" else "管理员")
    yield location, p
    p.close()


def app(monkeypatch, location: str, *, user: str | None = None, page: str | None = None, **state) -> AppTest:
    return open_app(monkeypatch, location, page, user=user, state=state)


def button(at: AppTest, label_start: str):
    return next(b for b in at.button if b.label.startswith(label_start))


def log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    button(at, "登录 Log in").click().run()
    assert not at.exception, at.exception
    return at


def test_login_form_replaces_the_coder_name_box(monkeypatch, team):
    location, _ = team
    at = app(monkeypatch, location, page="views/document_coding.py")
    keys = [t.key for t in at.text_input]
    assert "login_name" in keys and "login_password" in keys and "coder" not in keys
    assert any("log in on the sidebar" in i.value for i in at.info)
    assert not any(s.value.startswith("🖍️ 文档编码") for s in at.subheader)  # no page before logging in


def test_wrong_password_and_unknown_user_get_the_same_message(monkeypatch, team):
    location, _ = team
    at = log_in(app(monkeypatch, location), "查看者", "not-the-password")
    assert [e.value for e in at.error] == ["登录失败 Login failed: user: wrong user name or password "
                                           "(check the name and the password)"]
    assert "auth_user" not in at.session_state
    wrong = at.error[0].value
    at = log_in(app(monkeypatch, location), "没有这个人", "not-the-password")
    assert [e.value for e in at.error] == [wrong]


def test_login_then_logout(monkeypatch, team):
    location, _ = team
    at = log_in(app(monkeypatch, location), "编码员", USERS["编码员"][1])
    assert not at.error
    assert at.session_state["auth_user"] == "编码员"
    assert any("编码员" in m.value and "coder" in m.value for m in at.sidebar.markdown)
    assert "login_name" not in [t.key for t in at.text_input]
    at.button(key="logout").click().run()
    assert "login_name" in [t.key for t in at.text_input]


def test_viewer_sees_no_enabled_accept_button_but_a_coder_does(monkeypatch, team):
    location, _ = team
    at = app(monkeypatch, location, user="查看者", page="views/document_coding.py", dc_doc=1)
    accept = [b for b in at.button if (b.key or "").startswith("dc_acc_")]
    assert accept and all(b.disabled for b in accept)
    assert any("Read only" in i.value for i in at.info)
    at = app(monkeypatch, location, user="编码员", page="views/document_coding.py", dc_doc=1)
    accept = [b for b in at.button if (b.key or "").startswith("dc_acc_")]
    assert accept and not any(b.disabled for b in accept)


def test_viewer_review_queue_is_read_only(monkeypatch, team):
    location, _ = team
    at = app(monkeypatch, location, user="查看者", page="views/review_queue.py")
    for key in ("rq_accept", "rq_reject", "rq_retrain"):
        assert at.button(key=key).disabled, key


def test_admin_pages_only_for_admins(monkeypatch, team):
    location, _ = team
    at = app(monkeypatch, location, user="编码员", page="views/members.py")
    assert not any(t.value == "成员 Members" for t in at.title)
    at = app(monkeypatch, location, user="管理员", page="views/members.py")
    assert any(t.value == "成员 Members" for t in at.title)
    table = at.dataframe[0].value
    assert list(table["用户 user"]) == list(USERS)


def test_admin_adds_a_member_from_the_page(monkeypatch, team):
    location, p = team
    at = app(monkeypatch, location, user="管理员", page="views/members.py")
    at.text_input(key="mb_add_name").input("新成员")
    at.selectbox(key="mb_add_role").set_value("viewer")
    at.text_input(key="mb_add_pw").input("new-member-pw")
    at.text_input(key="mb_add_pw2").input("new-member-pw")
    button(at, "添加 Add").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert verify_login(p, "新成员", "new-member-pw") is Role.VIEWER


def test_first_admin_from_the_members_page_without_accounts(monkeypatch, coded_demo, tmp_path):
    location = str(tmp_path / "free.sqlite")
    shutil.copyfile(coded_demo, location)
    at = app(monkeypatch, location, coder="随便谁", page="views/members.py")
    assert "coder" in [t.key for t in at.text_input]  # no accounts: the free name box, as before
    at.text_input(key="mb_first_name").input("第一位")
    at.text_input(key="mb_first_pw").input("first-admin-pw")
    at.text_input(key="mb_first_pw2").input("first-admin-pw")
    button(at, "创建管理员").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    p = Project.open(location)
    try:
        assert [(a.name, a.role) for a in list_users(p)] == [("第一位", "admin")]
    finally:
        p.close()
    assert at.session_state["auth_user"] == "第一位"
    assert "login_name" not in [t.key for t in at.text_input] and "coder" not in [t.key for t in at.text_input]
