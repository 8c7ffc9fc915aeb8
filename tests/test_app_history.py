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

from .apptest import open_app

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
    return open_app(monkeypatch, path, PAGE, coder=coder, user=account, timeout=120, no_errors=True)


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


def test_blind_coder_sees_only_their_own_coding_work(monkeypatch, demo):
    from coding.assignments import assign, set_blind

    p = Project.open(demo)
    assign(p, [1], ["ann", "bob"], by="boss")  # no accounts: an assigned coder is blinded in blind mode
    set_blind(p, True, by="boss")
    p.close()
    at = open_page(monkeypatch, demo, coder="ann")
    users = set(at.dataframe[0].value[at.dataframe[0].value["操作 Action"].str.startswith(("coding.", "memo."))]
                ["用户 User"])
    assert users == {"ann"}  # bob's memo is hidden
    assert "<script>" not in "".join(at.dataframe[0].value[SUMMARY])
    at = open_page(monkeypatch, demo, coder="boss")  # not assigned: sees everyone's
    assert "bob" in set(at.dataframe[0].value["用户 User"])


def test_undo_button_undoes_only_my_own_last_change(monkeypatch, demo):
    at = open_page(monkeypatch, demo, coder="ann")
    at.button(key="hist_undo").click().run()
    assert not at.exception and not at.error
    assert any("已撤销 undone" in t.value and "添加编码" in t.value for t in at.text)
    assert "coding.add" not in set(at.dataframe[0].value["操作 Action"].iloc[:1])  # the newest row is the undo
    assert at.dataframe[0].value["操作 Action"].iloc[0] == "undo"
    p = Project.open(demo)
    from coding.decisions import document_applications, memos

    assert not document_applications(p, 1, coder="ann", include_pending=False)  # ann's coding is gone
    assert len(memos(p, document_id=1)) == 1  # bob's memo stays
    p.close()
    at.button(key="hist_undo").click().run()
    assert any("nothing of yours to undo" in t.value for t in at.text)


def test_cli_undo(demo, capsys):
    from coding.cli import main

    assert main(["--user", "bob", "undo", "-p", str(demo)]) == 0
    assert "已撤销 undone: 写备忘" in capsys.readouterr().out
    assert main(["--user", "bob", "undo", "-p", str(demo)]) == 0
    assert "nothing of yours to undo" in capsys.readouterr().out
    assert main(["undo", "-p", str(demo)]) == 2  # nobody named
