"""Coders' decisions: one transaction each, logged, undoable, never silently overwritten."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import select

from coding.autocode import code_project
from coding.decisions import (
    StaleEdit,
    accept,
    add_code,
    add_memo,
    document_applications,
    history,
    memos,
    pending_suggestions,
    reject,
    remove_code,
    resize,
    undo_last,
)
from coding.errors import BaolianError
from coding.store import CodeApplication, Event

from .conftest import CORPUS


@pytest.fixture
def coded(project):
    project.import_paths([CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml")
    code_project(project)
    return project


def test_accept_and_reject_are_per_coder(coded):
    sugs = pending_suggestions(coded, coder="甲")
    n = len(sugs)
    accept(coded, sugs[0].id, coder="甲")
    reject(coded, [sugs[1].id, sugs[2].id], coder="甲")
    assert len(pending_suggestions(coded, coder="甲")) == n - 3
    assert len(pending_suggestions(coded, coder="乙")) == n  # another coder still has them all
    mine = [a for a in document_applications(coded, sugs[0].document_id, coder="甲", include_pending=False)]
    assert {a.status for a in mine} <= {"accepted", "rejected"}
    assert all(a.coder == "甲" for a in mine)


def test_changing_ones_mind_updates_the_same_decision(coded):
    sug = pending_suggestions(coded, coder="甲")[0]
    first = accept(coded, sug.id, coder="甲")
    second = reject(coded, sug.id, coder="甲")
    assert first == second
    with coded.read() as s:
        rows = s.scalars(select(CodeApplication).where(CodeApplication.suggestion_id == sug.id)).all()
    assert len(rows) == 1 and rows[0].status == "rejected"


def test_add_resize_remove_and_undo(coded):
    doc = coded.documents()[0]
    text = coded.document_text(doc.id)
    app_id = add_code(coded, doc.id, 10, 20, "M3", coder="甲")
    resize(coded, app_id, 12, 30, coder="甲", version=1)
    row = [a for a in document_applications(coded, doc.id, coder="甲") if a.id == app_id][0]
    assert (row.start, row.end, row.version) == (12, 30, 2) and text[12:30]
    remove_code(coded, app_id, coder="甲", version=2)
    assert not [a for a in document_applications(coded, doc.id, coder="甲") if a.id == app_id]
    assert undo_last(coded, coder="甲") == "coding.remove"
    back = [a for a in document_applications(coded, doc.id, coder="甲") if a.id == app_id][0]
    assert (back.start, back.end) == (12, 30)
    assert undo_last(coded, coder="甲") == "coding.resize"
    back = [a for a in document_applications(coded, doc.id, coder="甲") if a.id == app_id][0]
    assert (back.start, back.end) == (10, 20)
    assert undo_last(coded, coder="甲") == "coding.add"
    assert not [a for a in document_applications(coded, doc.id, coder="甲") if a.id == app_id]
    assert undo_last(coded, coder="乙") is None  # nothing of 乙's to undo


def test_bad_decisions_are_clear_errors_and_change_nothing(coded):
    doc = coded.documents()[0]
    with pytest.raises(BaolianError, match="outside the document"):
        add_code(coded, doc.id, 5, 10**7, "M3", coder="甲")
    with pytest.raises(BaolianError, match="unknown code"):
        add_code(coded, doc.id, 0, 5, "M99", coder="甲")
    with pytest.raises(BaolianError, match="group"):
        add_code(coded, doc.id, 0, 5, "M", coder="甲")
    with pytest.raises(BaolianError, match="coder"):
        add_code(coded, doc.id, 0, 5, "M3", coder="")
    sugs = pending_suggestions(coded, coder="甲")
    with pytest.raises(BaolianError, match="no suggestion"):
        accept(coded, [sugs[0].id, 10**9], coder="甲")  # one bad id: the whole batch is refused
    assert len(pending_suggestions(coded, coder="甲")) == len(sugs)


def test_stale_edit_is_refused(coded):
    doc = coded.documents()[0]
    app_id = add_code(coded, doc.id, 10, 20, "M3", coder="甲")
    resize(coded, app_id, 10, 25, coder="乙", version=1)
    with pytest.raises(StaleEdit, match="changed by 乙"):
        resize(coded, app_id, 11, 21, coder="甲", version=1)


def _resize_worker(url: str, app_id: int, start: int, coder: str, barrier, results) -> None:
    from coding.project import Project

    project = Project.open(url)
    barrier.wait()
    try:
        resize(project, app_id, start, start + 10, coder=coder, version=1)
        results.put((coder, "ok"))
    except StaleEdit as exc:
        results.put((coder, str(exc)))


def test_two_processes_editing_the_same_coding(coded):
    # spawned children re-run a blank __main__ (conftest's autouse fixture), never an AppTest script
    doc = coded.documents()[0]
    app_id = add_code(coded, doc.id, 10, 20, "M3", coder="甲")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_resize_worker, args=(coded.url, app_id, start, coder, barrier, results))
             for start, coder in ((30, "甲"), (40, "乙"))]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    outcome = dict(results.get(timeout=5) for _ in procs)
    assert sorted(v == "ok" for v in outcome.values()) == [False, True]  # one wins, one is told to reload
    loser = next(v for v in outcome.values() if v != "ok")
    assert "changed by" in loser and "reload" in loser
    final = [a for a in document_applications(coded, doc.id) if a.id == app_id][0]
    assert final.version == 2


def test_memos_and_history(coded):
    doc = coded.documents()[0]
    memo_id = add_memo(coded, "这里体现了上下协商", coder="甲", document_id=doc.id)
    assert [m["id"] for m in memos(coded, document_id=doc.id)] == [memo_id]
    with pytest.raises(BaolianError, match="empty"):
        add_memo(coded, "   ", coder="甲", document_id=doc.id)
    events = history(coded, coder="甲")
    assert events[0]["action"] == "memo.add"
    with coded.read() as s:
        assert s.scalar(select(Event).where(Event.action == "memo.add")).after["text"] == "这里体现了上下协商"


def test_editing_a_coding_someone_removed_names_who_removed_it(coded):
    doc = coded.documents()[0].id
    app_id = add_code(coded, doc, 0, 4, "M2", coder="甲")
    version = next(a.version for a in document_applications(coded, doc, coder="甲") if a.id == app_id)
    remove_code(coded, app_id, coder="乙", version=version)
    with pytest.raises(StaleEdit, match="乙"):
        resize(coded, app_id, 0, 6, coder="丙", version=version)
    with pytest.raises(BaolianError, match="no coding"):  # without a version seen, it is simply gone
        resize(coded, app_id, 0, 6, coder="丙")


def test_suggestions_on_a_deleted_document_are_not_pending_and_cannot_be_decided(coded):
    from coding.trash import delete_document, restore_document

    doc = coded.documents()[0].id
    mine = [a.id for a in pending_suggestions(coded, coder="甲") if a.document_id == doc]
    assert mine
    delete_document(coded, doc, by="admin")
    assert not [a for a in pending_suggestions(coded, coder="甲") if a.document_id == doc]
    with pytest.raises(BaolianError, match="deleted document"):
        accept(coded, mine[:1], coder="甲")
    restore_document(coded, doc, by="admin")
    assert accept(coded, mine[:1], coder="甲")


def test_memo_edit_and_delete_by_author_or_admin_and_undo(coded):
    from coding.accounts import add_user
    from coding.decisions import delete_memo, edit_memo
    from coding.roles import Forbidden

    doc = coded.documents()[0]
    seg = coded.segments(doc.id, unit="sentence")[2]
    pw = "correct horse 9"
    add_user(coded, "admin", pw, "admin", by=None)
    add_user(coded, "甲", pw, "coder", by="admin")
    add_user(coded, "乙", pw, "coder", by="admin")
    memo_id = add_memo(coded, "初稿", coder="甲", document_id=doc.id, segment_id=seg.id, code="M2")

    def the_memo():
        return next((m for m in memos(coded) if m["id"] == memo_id), None)

    edit_memo(coded, memo_id, "改过的", coder="甲")
    assert the_memo()["text"] == "改过的" and the_memo()["updated_at"] > the_memo()["created_at"]
    with pytest.raises(Forbidden, match="甲's"):
        edit_memo(coded, memo_id, "乙改的", coder="乙")
    with pytest.raises(Forbidden, match="甲's"):
        delete_memo(coded, memo_id, coder="乙")
    with pytest.raises(BaolianError, match="empty"):
        edit_memo(coded, memo_id, " ", coder="甲")
    edit_memo(coded, memo_id, "管理员改的", coder="admin")  # an admin may
    with pytest.raises(BaolianError, match="changed again since"):  # 甲's last edit was changed by the admin since:
        undo_last(coded, coder="甲")  # refused, not overwritten
    assert the_memo()["text"] == "管理员改的"
    assert undo_last(coded, coder="admin") == "memo.edit"
    assert the_memo()["text"] == "改过的"

    before = the_memo()
    delete_memo(coded, memo_id, coder="甲")
    assert the_memo() is None
    assert [e["action"] for e in history(coded, coder="甲")][:2] == ["memo.delete", "memo.edit"]
    assert undo_last(coded, coder="甲") == "memo.delete"
    assert the_memo() == before  # back as it was: text, segment, code, author, times
    with pytest.raises(BaolianError, match="no memo #999999"):
        delete_memo(coded, 999999, coder="甲")
