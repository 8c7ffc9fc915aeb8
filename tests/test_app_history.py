"""AppTest: the 历史 History page shows the audit trail with filters; admins delete and restore documents there."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from coding.decisions import add_code, add_memo
from coding.project import Project
from coding.store import Coder, Document
from coding.trash import delete_document, deleted_documents

from .conftest import ROOT

PAGE = "views/history.py"
SUMMARY = "摘要 Summary"


@pytest.fixture
def demo(coded_demo, tmp_path):
    path = tmp_path / "history.sqlite"  # a path of its own: views/_shared caches the project by path
    shutil.copyfile(coded_demo, path)
    p = Project.open(path)
    add_code(p, 1, 0, 4, "R1", coder="ann")
    add_memo(p, "<script>alert(1)</script> **粗体**", coder="bob", document_id=1)
    p.close()
    return path


def open_page(monkeypatch, path, *, coder: str | None = "ann", account: str | None = None) -> AppTest:
    monkeypatch.setenv("BAOLIAN_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if coder:
        at.session_state["coder"] = coder
    if account:
        at.session_state["auth_user"] = account
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def rendered(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_event_table_with_filters_and_escaping(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    table = at.dataframe[0].value
    assert table[SUMMARY].iloc[0].startswith("bob 写备忘 wrote a memo")
    added = table[table["操作 Action"] == "coding.add"]
    assert list(added["用户 User"]) == ["ann"] and "R1" in added[SUMMARY].iloc[0]
    assert "<script>" in table[SUMMARY].iloc[0] and "<script>" not in rendered(at)

    at.selectbox(key="hist_kind").set_value("code").run()
    at.selectbox(key="hist_code").set_value("R1").run()
    assert list(at.dataframe[0].value["操作 Action"]) == ["coding.add"]
    at.selectbox(key="hist_kind").set_value("user").run()
    at.selectbox(key="hist_user").set_value("bob").run()
    assert set(at.dataframe[0].value["用户 User"]) == {"bob"}
    at.selectbox(key="hist_kind").set_value("document").run()
    at.selectbox(key="hist_doc").set_value(1).run()
    actions = list(at.dataframe[0].value["操作 Action"])
    assert actions[0] == "memo.add" and actions[-1] == "document.import"
    at.selectbox(key="hist_kind").set_value("segment").run()
    at.number_input(key="hist_seg").set_value(999999).run()
    assert "no segment #999999" in at.error[0].value


def test_admin_deletes_and_restores_a_document(monkeypatch, demo):
    at = open_page(monkeypatch, demo, coder="boss")  # no accounts: anyone named may manage
    assert any("回收站是空的" in c.value for c in at.caption)
    at.selectbox(key="hist_delete_doc").set_value(3).run()
    assert at.button(key="hist_delete").disabled
    at.checkbox(key="hist_delete_sure_0").check().run()
    at.button(key="hist_delete").click().run()
    assert not at.exception
    p = Project.open(demo)
    assert [d.id for d in deleted_documents(p)] == [3]
    assert any("#3 " in t.value for t in at.text)
    at.button(key="hist_restore_3").click().run()
    assert deleted_documents(p) == [] and 3 in [d.id for d in p.documents()]
    p.close()


def test_viewers_see_history_but_no_trash(monkeypatch, demo):
    p = Project.open(demo)
    with p.transaction() as s:
        s.scalar(select(Coder).where(Coder.name == "ann")).role = "viewer"
        s.add(Coder(name="boss", role="admin"))
    delete_document(p, 2, by="boss")
    p.close()
    at = open_page(monkeypatch, demo, coder=None, account="ann")
    assert at.dataframe[0].value["操作 Action"].iloc[0] == "document.delete"
    assert not [b for b in at.button if b.key and b.key.startswith("hist_restore")]
    assert "只有管理员" in rendered(at)
    at = open_page(monkeypatch, demo, coder=None, account="boss")
    at.button(key="hist_restore_2").click().run()
    p = Project.open(demo)
    with p.read() as s:
        assert s.get(Document, 2).deleted_at is None
    p.close()
