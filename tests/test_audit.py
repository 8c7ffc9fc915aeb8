"""The audit trail: history per segment, code, document and user, with who/when/what/before/after."""

from __future__ import annotations

import json

import pytest

from coding.audit import history
from coding.autocode import code_project
from coding.cli import main
from coding.codebook import load_codebook
from coding.decisions import accept, add_code, add_memo, pending_suggestions, reject, remove_code, resize, undo_last
from coding.errors import BaolianError
from coding.trash import delete_document

from .conftest import CODEBOOK, CORPUS


@pytest.fixture
def worked(project):
    """Minutes imported and coded; ann and bob work on the first sentence of document 1."""
    project.import_paths([CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml", coder="boss")
    code_project(project)
    seg = project.segments(1, "sentence")[3]
    other = project.segments(1, "sentence")[10]
    app = add_code(project, 1, seg.start, seg.end, "R1", coder="ann")
    resize(project, app, seg.start + 1, seg.end, coder="ann", version=1)
    add_code(project, 1, other.start, other.end, "R1", coder="bob")
    add_memo(project, "注意 <script>", coder="bob", document_id=1, segment_id=seg.id)
    sug = pending_suggestions(project, coder=None)[0]
    accept(project, sug.id, coder="bob")
    reject(project, sug.id, coder="ann")
    gone = add_code(project, 1, seg.start, seg.start + 2, "M2", coder="bob")
    remove_code(project, gone, coder="bob")
    undo_last(project, coder="bob")  # brings the removed coding back
    return {"seg": seg, "other": other, "app": app, "sug": sug}


def test_segment_history_lists_only_codings_on_that_segment(project, worked):
    seg = worked["seg"]
    entries = history(project, segment=seg.id)
    actions = [e.action for e in entries]
    assert actions == ["undo", "coding.remove", "coding.add", "memo.add", "coding.resize", "coding.add"]
    resized = entries[4]
    assert resized.user == "ann" and resized.before["start"] == seg.start and resized.after["start"] == seg.start + 1
    assert f"{seg.start}–{seg.end} → {seg.start + 1}–{seg.end}" in resized.summary
    assert "R1" in resized.summary and "ann" in resized.summary
    assert entries[0].at >= entries[-1].at
    assert all(e.action != "coding.add" or e.user != "bob" or e.after["start"] == seg.start
               for e in entries)  # bob's coding on another sentence is not here
    other = history(project, segment=worked["other"].id)
    assert [(e.action, e.user) for e in other] == [("coding.add", "bob")]


def test_code_document_and_user_history(project, worked):
    r1 = history(project, code="R1")
    assert [e.action for e in r1] == ["coding.add", "coding.resize", "coding.add"]
    m2 = {e.action for e in history(project, code="M2")}
    assert {"coding.add", "coding.remove", "undo"} <= m2
    by_ann = history(project, user="ann")
    assert {e.user for e in by_ann} == {"ann"}
    assert {"coding.add", "coding.resize", "coding.reject"} <= {e.action for e in by_ann}
    doc = history(project, document=1)
    assert doc[-1].action == "document.import" and doc[-1].user == "boss"
    assert "autocode.document" in {e.action for e in doc}
    assert all(e.entity != "document" or e.entity_id == 1 for e in doc)
    both = history(project, document=1, user="ann")
    assert both and {e.user for e in both} == {"ann"}
    assert len(history(project, limit=3)) == 3


def test_every_kind_of_change_is_in_the_log(project, worked):
    delete_document(project, 2, by="boss")
    project.set_codebook(load_codebook(CODEBOOK).model_copy(update={"version": "9.9.9"}), coder="boss")
    actions = {e.action for e in history(project, limit=None)}
    assert {"document.import", "autocode.document", "coding.add", "coding.resize", "coding.accept",
            "coding.reject", "coding.remove", "memo.add", "undo", "document.delete", "codebook.load",
            "coder.add"} <= actions
    deleted = history(project, document=2)[0]
    assert deleted.action == "document.delete" and deleted.user == "boss" and "删除文档" in deleted.summary
    from coding.decisions import delete_memo, edit_memo, memos

    [memo] = memos(project)
    edit_memo(project, memo["id"], "改过的备忘", coder="bob")
    delete_memo(project, memo["id"], coder="bob")
    edited, removed = history(project, limit=2)[::-1]
    assert (edited.action, removed.action) == ("memo.edit", "memo.delete")
    assert "改备忘" in edited.summary and "改过的备忘" in edited.summary and edited.user == "bob"
    assert "删备忘" in removed.summary and "改过的备忘" in removed.summary
    assert [e.action for e in history(project, segment=worked["seg"].id, limit=2)] == ["memo.delete", "memo.edit"]


def test_unknown_filters_are_clear_errors(project):
    for kwargs, field in (({"segment": 99999}, "--segment"), ({"code": "NOPE"}, "--code"),
                          ({"document": 424242}, "--document"), ({"user": "nobody"}, "--user")):
        with pytest.raises(BaolianError) as info:
            history(project, **kwargs)
        assert info.value.field == field


def test_cli_history_json_and_table(project, worked, capsys):
    assert main(["history", "-p", project.url, "--segment", str(worked["seg"].id), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["action"] for d in data][-1] == "coding.add" and data[-1]["user"] == "ann"
    assert {"id", "at", "user", "action", "before", "after", "summary"} <= set(data[0])
    assert main(["history", "-p", project.url, "--code", "R1"]) == 0
    text = capsys.readouterr().out
    assert "coding.resize" in text and "3 events" in text
    assert main(["history", "-p", project.url, "--code", "ZZ"]) == 2


def test_adjudication_shows_in_segment_code_and_document_history(project, worked):
    from coding.adjudication import decide

    seg = worked["seg"]
    decide(project, document_id=1, code="R1", choice="ann", by="boss", segment_id=seg.id, coders=["ann", "bob"])
    for entries in (history(project, segment=seg.id), history(project, code="R1"), history(project, document=1)):
        assert entries[0].action == "adjudication.decide" and entries[0].user == "boss"
        assert "裁定" in entries[0].summary and "R1" in entries[0].summary
    assert history(project, segment=worked["other"].id)[0].action != "adjudication.decide"


def _events(project, action):
    from sqlalchemy import select

    from coding.store import Event

    with project.read() as s:
        return list(s.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def test_undo_covers_decisions_memos_resize_and_remove_and_is_logged(project, worked):
    from coding.decisions import document_applications, memos

    seg = worked["seg"]
    sug = pending_suggestions(project, coder="cat")[0]
    accept(project, sug.id, coder="cat")
    reject(project, sug.id, coder="cat")  # changes the same decision row
    memo = add_memo(project, "先记下", coder="cat", document_id=1)
    app = add_code(project, 1, seg.start, seg.end, "R1", coder="cat")
    resize(project, app, seg.start, seg.end - 1, coder="cat", version=1)
    remove_code(project, app, coder="cat", version=2)

    def mine():
        return {(a.id, a.start, a.end, a.status) for a in document_applications(project, 1, coder="cat",
                                                                                 include_pending=False)}
    assert undo_last(project, coder="cat") == "coding.remove"
    assert (app, seg.start, seg.end - 1, "accepted") in mine()
    assert undo_last(project, coder="cat") == "coding.resize"
    assert (app, seg.start, seg.end, "accepted") in mine()
    assert undo_last(project, coder="cat") == "coding.add"
    assert app not in {a[0] for a in mine()}
    assert undo_last(project, coder="cat") == "memo.add"
    assert memo not in {m["id"] for m in memos(project)}
    assert undo_last(project, coder="cat") == "coding.reject"
    assert {a[3] for a in mine()} == {"accepted"}
    assert undo_last(project, coder="cat") == "coding.accept"
    assert mine() == set()
    assert sug.id in {a.id for a in pending_suggestions(project, coder="cat")}
    assert undo_last(project, coder="cat") is None  # nothing of cat's left (coder.add is not undoable)
    undos = [e for e in _events(project, "undo") if e.coder_id == _events(project, "memo.add")[-1].coder_id]
    assert len(undos) == 6  # every undo is an event of its own ...
    memo_undo = next(e for e in undos if e.entity == "memo")
    assert memo_undo.before["text"] == "先记下"  # ... that keeps what it took away
    assert history(project, user="cat")[0].action == "undo"


def test_undo_never_touches_anyone_elses_work(project, worked):
    from coding.decisions import StaleEdit, document_applications

    seg = worked["seg"]
    assert undo_last(project, coder="dan") is None  # dan did nothing: nobody else's action is undone
    app = add_code(project, 1, seg.start, seg.end, "M2", coder="dan")
    resize(project, app, seg.start + 1, seg.end, coder="eve", version=1)  # eve changes dan's coding
    with pytest.raises(StaleEdit, match="changed by eve"):
        undo_last(project, coder="dan")  # undoing dan's add would silently drop eve's change
    assert app in {a.id for a in document_applications(project, 1, coder="dan")}
    assert undo_last(project, coder="eve") == "coding.resize"  # eve's own change can be undone
    assert undo_last(project, coder="dan") == "coding.add"  # and then dan's add again
    assert app not in {a.id for a in document_applications(project, 1)}


def test_role_changes_imports_deletions_and_codebook_edits_show_before_and_after(project, worked):
    from coding.accounts import add_user, remove_user, set_role
    from coding.trash import restore_document

    add_user(project, "boss", "a long admin password", "admin", by=None)
    add_user(project, "ann", "a long coder password", "coder", by="boss")
    set_role(project, "ann", "viewer", by="boss")
    remove_user(project, "ann", by="boss")
    delete_document(project, 2, by="boss")
    restore_document(project, 2, by="boss")
    cb = project.codebook()
    first = next(c for c in cb.codes if c.codable)
    edited = cb.model_copy(update={"version": "9.9.9", "codes": [
        c.model_copy(update={"name": "改过的名称"}) if c.id == first.id else c for c in cb.codes]})
    project.set_codebook(edited, coder="boss")

    log = {e.action: e for e in reversed(history(project, limit=None))}  # the latest of each action
    role = log["user.role"]
    assert role.user == "boss" and role.before["role"] == "coder" and role.after["role"] == "viewer"
    assert log["user.remove"].before["active"] and not log["user.remove"].after["active"]
    assert log["document.import"].after["filename"] and log["document.import"].user == "boss"
    assert log["document.delete"].before["deleted_at"] is None and log["document.delete"].after["deleted_at"]
    assert log["document.restore"].after["deleted_at"] is None
    book = log["codebook.load"]
    assert book.user == "boss" and book.after["version"] == "9.9.9" and book.before["version"] != "9.9.9"
    assert book.changes["changed"] == {first.id: {"name": [first.name, "改过的名称"]}}
    assert book.changes["added"] == [] and book.changes["removed"] == []
    assert f"修改 changed {first.id}" in book.summary
    assert history(project, code=first.id)  # the code's own history still answers


def test_removing_a_coding_keeps_its_memos_and_undo_links_them_again(project, worked):
    from coding.decisions import memos

    seg = worked["seg"]
    app = add_code(project, 1, seg.start, seg.end, "M2", coder="fay")
    memo = add_memo(project, "为何编为 M2", coder="fay", document_id=1, application_id=app)
    remove_code(project, app, coder="fay")
    assert next(m for m in memos(project) if m["id"] == memo)["application_id"] is None  # kept, unlinked
    assert history(project, user="fay")[0].before["memo_ids"] == [memo]
    assert undo_last(project, coder="fay") == "coding.remove"
    assert next(m for m in memos(project) if m["id"] == memo)["application_id"] == app
