"""Accounts and roles (coding/accounts.py, coding/roles.py): password hashing, login, the bootstrap and
last-admin rules, and that a viewer (or a coder, for admin things) cannot change anything by calling the
functions behind the pages and the CLI — on a real project database (SQLite, or PostgreSQL with --db)."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from coding import accounts
from coding.accounts import (
    LoginError,
    add_user,
    change_password,
    list_users,
    remove_user,
    set_role,
    verify_login,
)
from coding.autocode import code_project
from coding.codebook_edit import bump_version, recolor_code
from coding.codebook_save import save_codebook_to_project
from coding.decisions import accept, add_code, add_memo, document_applications, pending_suggestions, reject, \
    remove_code, resize
from coding.errors import BaolianError
from coding.learning import train_from_decisions
from coding.project import Project
from coding.roles import Forbidden, Role
from coding.store import Coder, Event
from coding.store.models import Base

from .conftest import CODEBOOK, CORPUS

ADMIN, CODER, VIEWER = "管理员甲", "编码员乙", "查看者丙"
PW = {ADMIN: "admin-pass-1", CODER: "coder-pass-2", VIEWER: "viewer-pass-3"}


def counts(p: Project) -> dict[str, int]:
    """Rows per table: what "changes nothing" means."""
    with p.read() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.fixture(scope="module")
def team(new_location):
    """A coded project with an admin, a coder (who made one decision and one coding) and a viewer."""
    p = Project.init(new_location("team"), codebook=CODEBOOK)
    p.import_paths([CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml")
    code_project(p)
    add_user(p, ADMIN, PW[ADMIN], "admin", by=None)
    add_user(p, CODER, PW[CODER], "coder", by=ADMIN)
    add_user(p, VIEWER, PW[VIEWER], "viewer", by=ADMIN)
    sug = pending_suggestions(p, coder=CODER, limit=2)
    accept(p, [sug[0].id], coder=CODER)
    add_code(p, sug[1].document_id, sug[1].start, sug[1].end, "M2", coder=CODER)
    yield p
    p.close()


def test_passwords_are_salted_argon2_hashes_never_the_password(team):
    with team.read() as s:
        hashes = dict(s.execute(select(Coder.name, Coder.password_hash).where(Coder.role.is_not(None))).all())
        events = s.scalars(select(Event).where(Event.action.like("user.%"))).all()
    assert set(hashes) == {ADMIN, CODER, VIEWER}
    for name, digest in hashes.items():
        assert digest.startswith("$argon2id$") and PW[name] not in digest
        assert PasswordHasher().verify(digest, PW[name])
    assert len(set(hashes.values())) == 3
    # the same password hashes differently each time (a random salt)
    assert accounts.hash_password("same-password") != accounts.hash_password("same-password")
    assert [e.action for e in events][:3] == ["user.add"] * 3
    logged = json.dumps([[e.before, e.after] for e in events], ensure_ascii=False)
    assert "argon2" not in logged and not any(pw in logged for pw in PW.values())
    assert events[0].after == {"name": ADMIN, "role": "admin", "active": True}


def test_login_gives_the_role_and_one_message_for_unknown_user_and_wrong_password(team):
    assert verify_login(team, ADMIN, PW[ADMIN]) is Role.ADMIN
    assert verify_login(team, VIEWER, PW[VIEWER]) is Role.VIEWER
    with pytest.raises(LoginError) as wrong:
        verify_login(team, ADMIN, PW[CODER])
    with pytest.raises(LoginError) as unknown:
        verify_login(team, "没有这个人", PW[ADMIN])
    assert str(wrong.value) == str(unknown.value) and "wrong user name or password" in str(wrong.value)
    with pytest.raises(LoginError):
        verify_login(team, ADMIN, "")


def test_short_password_refused_with_a_clear_message(team):
    before = counts(team)
    with pytest.raises(BaolianError, match="at least 8 characters"):
        add_user(team, "新人", "short", "coder", by=ADMIN)
    assert counts(team) == before


def test_bootstrap_first_account_must_be_admin_then_only_admins_add(project):
    with pytest.raises(BaolianError, match="first account of a project must be an admin") as first:
        add_user(project, "甲", "long-enough", "coder", by=None)
    assert not isinstance(first.value, Forbidden)
    assert list_users(project) == []
    add_user(project, "甲", "long-enough", "admin", by="anyone at all")  # bootstrap: anyone
    with pytest.raises(Forbidden, match="no user given"):
        add_user(project, "乙", "long-enough", "coder", by=None)
    with pytest.raises(Forbidden, match="not an account"):
        add_user(project, "乙", "long-enough", "coder", by="乙")
    add_user(project, "乙", "long-enough", "coder", by="甲")
    with pytest.raises(Forbidden, match="coder and may not manage"):
        add_user(project, "丙", "long-enough", "viewer", by="乙")
    with pytest.raises(BaolianError, match="already an account"):
        add_user(project, "乙", "long-enough", "viewer", by="甲")
    with pytest.raises(BaolianError, match="unknown role"):
        add_user(project, "丙", "long-enough", "boss", by="甲")
    assert [(a.name, a.role, a.active) for a in list_users(project)] == [("甲", "admin", True), ("乙", "coder", True)]


def test_last_active_admin_is_protected(project):
    add_user(project, "甲", "long-enough", "admin", by=None)
    with pytest.raises(BaolianError, match="last active admin"):
        remove_user(project, "甲", by="甲")
    with pytest.raises(BaolianError, match="last active admin"):
        set_role(project, "甲", "coder", by="甲")
    add_user(project, "乙", "long-enough", "admin", by="甲")
    assert set_role(project, "甲", "viewer", by="乙").role == "viewer"
    with pytest.raises(BaolianError, match="last active admin"):
        remove_user(project, "乙", by="乙")
    set_role(project, "甲", "admin", by="乙")
    removed = remove_user(project, "乙", by="甲")
    assert not removed.active
    # deactivated, not deleted: the row and its history stay, and it can no longer log in or act
    assert [(a.name, a.active) for a in list_users(project)] == [("甲", True), ("乙", False)]
    with pytest.raises(LoginError, match="disabled"):
        verify_login(project, "乙", "long-enough")
    with pytest.raises(Forbidden, match="disabled"):
        add_user(project, "丙", "long-enough", "coder", by="乙")
    with project.read() as s:
        actions = [e.action for e in s.scalars(select(Event).where(Event.entity == "coder").order_by(Event.id))]
    assert actions == ["user.add", "user.add", "user.role", "user.role", "user.remove"]
    add_user(project, "乙", "another-pass", "coder", by="甲")  # adding again enables it
    assert verify_login(project, "乙", "another-pass") is Role.CODER


def test_change_password_own_or_by_admin(project):
    add_user(project, "甲", "long-enough", "admin", by=None)
    add_user(project, "乙", "long-enough", "viewer", by="甲")
    add_user(project, "丙", "long-enough", "coder", by="甲")
    with pytest.raises(LoginError):
        change_password(project, "乙", "new-password", by="乙", old_password="wrong-one")
    change_password(project, "乙", "new-password", by="乙", old_password="long-enough")  # a viewer: own one
    assert verify_login(project, "乙", "new-password") is Role.VIEWER
    with pytest.raises(Forbidden):
        change_password(project, "乙", "coder-chose", by="丙")
    change_password(project, "乙", "admin-reset", by="甲")
    assert verify_login(project, "乙", "admin-reset") is Role.VIEWER
    with pytest.raises(LoginError):
        verify_login(project, "乙", "new-password")


def test_weaker_hash_is_replaced_at_login(project, monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    add_user(project, "甲", "long-enough", "admin", by=None)
    monkeypatch.undo()
    with project.read() as s:
        old = s.scalar(select(Coder.password_hash).where(Coder.name == "甲"))
    assert accounts.HASHER.check_needs_rehash(old)
    assert verify_login(project, "甲", "long-enough") is Role.ADMIN
    with project.read() as s:
        new = s.scalar(select(Coder.password_hash).where(Coder.name == "甲"))
    assert new != old and not accounts.HASHER.check_needs_rehash(new)
    assert verify_login(project, "甲", "long-enough") is Role.ADMIN


def _viewer_actions(p: Project, who: str, tmp_path):
    """Every kind of change, as ``who``; each must be refused."""
    mine = [a for a in document_applications(p, 1, coder=CODER, include_pending=False)] or \
        [a for a in document_applications(p, 2, coder=CODER, include_pending=False)]
    app = mine[0]
    sug = pending_suggestions(p, coder=who, limit=1)[0]
    changed = bump_version(recolor_code(p.codebook(), "M2", "#123456"), "minor")
    return {
        "accept": lambda: accept(p, [sug.id], coder=who),
        "reject": lambda: reject(p, [sug.id], coder=who),
        "add_code": lambda: add_code(p, sug.document_id, sug.start, sug.end, "M2", coder=who),
        "resize": lambda: resize(p, app.id, app.start, app.end - 1, coder=who),
        "remove_code": lambda: remove_code(p, app.id, coder=who),
        "add_memo": lambda: add_memo(p, "备忘", coder=who, document_id=sug.document_id),
        "import_paths": lambda: p.import_paths([CORPUS / "news"], coder=who),
        "set_codebook": lambda: p.set_codebook(changed, coder=who),
        "save_codebook": lambda: save_codebook_to_project(p, changed, tmp_path / "cb.yaml", coder=who),
        "set_setting": lambda: p.set_setting("combine_mode", "mean", coder=who),
        "code_project": lambda: code_project(p, recode_all=True, user=who),
        "train": lambda: train_from_decisions(p, trained_by=who),
        "add_user": lambda: add_user(p, "新人", "long-enough", "viewer", by=who),
        "set_role": lambda: set_role(p, CODER, "viewer", by=who),
        "remove_user": lambda: remove_user(p, CODER, by=who),
    }


@pytest.mark.parametrize("action", ["accept", "reject", "add_code", "resize", "remove_code", "add_memo",
                                    "import_paths", "set_codebook", "save_codebook", "set_setting",
                                    "code_project", "train", "add_user", "set_role", "remove_user"])
def test_viewer_cannot_change_anything(team, action, tmp_path):
    run = _viewer_actions(team, VIEWER, tmp_path)[action]
    before = counts(team)
    with pytest.raises(Forbidden, match="viewer and may not"):
        run()
    assert counts(team) == before
    assert not (tmp_path / "cb.yaml").exists()


@pytest.mark.parametrize("action", ["import_paths", "set_codebook", "save_codebook", "set_setting",
                                    "code_project", "train", "add_user", "set_role", "remove_user"])
def test_coder_cannot_do_admin_things(team, action, tmp_path):
    run = _viewer_actions(team, CODER, tmp_path)[action]
    before = counts(team)
    with pytest.raises(Forbidden, match="coder and may not manage"):
        run()
    assert counts(team) == before


def test_nobody_named_is_refused_once_accounts_exist(team, tmp_path):
    before = counts(team)
    for run in (lambda: team.import_paths([CORPUS / "news"]), lambda: code_project(team),
                lambda: team.set_setting("combine_mode", "mean")):
        with pytest.raises(Forbidden, match="no user given"):
            run()
    assert counts(team) == before


def test_coder_codes_and_admin_manages(team):
    sug = pending_suggestions(team, coder=CODER, limit=1)[0]
    before = counts(team)
    accept(team, [sug.id], coder=CODER)
    assert counts(team)["code_applications"] == before["code_applications"] + 1
    team.set_setting("reviewed_note", "ok", coder=ADMIN)
    with team.read() as s:
        event = s.scalars(select(Event).order_by(Event.id.desc()).limit(1)).one()
        admin_id = s.scalar(select(Coder.id).where(Coder.name == ADMIN))
    assert (event.action, event.coder_id) == ("setting.set", admin_id)


def test_projects_without_accounts_work_as_before(project):
    report = project.import_paths([CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml")
    assert report.imported
    assert code_project(project).added > 0
    project.set_setting("combine_mode", "max")
    assert project.set_codebook(bump_version(recolor_code(project.codebook(), "M2", "#123456"), "minor"))
    sug = pending_suggestions(project, coder="随便谁", limit=1)[0]
    accept(project, [sug.id], coder="随便谁")
    assert list_users(project) == [] and "随便谁" in project.coders()
    with pytest.raises(LoginError, match="no accounts"):
        verify_login(project, "随便谁", "whatever-pass")


def test_a_coder_changes_only_their_own_codings_an_admin_anyones(team):
    add_user(team, "丁", "丁的密码12345", "coder", by=ADMIN)
    doc = team.documents()[0].id
    mine = add_code(team, doc, 0, 6, "M3", coder=CODER)
    before = counts(team)
    with pytest.raises(Forbidden, match="another coder's"):
        resize(team, mine, 0, 8, coder="丁", version=1)
    with pytest.raises(Forbidden, match="another coder's"):
        remove_code(team, mine, coder="丁", version=1)
    assert counts(team) == before
    resize(team, mine, 0, 8, coder=CODER, version=1)  # its coder may
    remove_code(team, mine, coder=ADMIN, version=2)  # and an admin may
    assert mine not in {a.id for a in document_applications(team, doc)}
