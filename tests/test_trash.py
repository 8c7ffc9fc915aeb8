"""Deleted documents: soft delete by admins only, hidden everywhere, restored with their codings."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coding.analysis import status_counts
from coding.autocode import code_project
from coding.cli import main
from coding.decisions import accept, pending_suggestions
from coding.review import review_page
from coding.roles import Forbidden
from coding.store import Coder, Document, Event
from coding.trash import delete_document, deleted_documents, restore_document

from .conftest import CORPUS


@pytest.fixture
def team(project):
    """Minutes imported and auto-coded, ann's decisions on document 1, then accounts: boss (admin), ann, vic."""
    project.import_paths([CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml")
    code_project(project)
    sugs = [s for s in pending_suggestions(project, coder=None) if s.document_id == 1]
    accept(project, [s.id for s in sugs[:3]], coder="ann")
    with project.transaction() as s:
        s.scalar(select(Coder).where(Coder.name == "ann")).role = "coder"
        s.add_all([Coder(name="boss", role="admin"), Coder(name="vic", role="viewer")])
    return project


def accepted(project) -> int:
    return int(status_counts(project)["accepted"].sum())


def test_only_admins_delete_and_restore(team):
    for who in ("vic", "ann", None, "stranger"):
        with pytest.raises(Forbidden):
            delete_document(team, 1, by=who)
    assert [d.id for d in team.documents()][0] == 1 and deleted_documents(team) == []
    delete_document(team, 1, by="boss")
    for who in ("vic", "ann"):
        with pytest.raises(Forbidden):
            restore_document(team, 1, by=who)
    assert [d.id for d in deleted_documents(team)] == [1]


def test_deleted_document_disappears_and_comes_back_with_its_codings(team):
    n_docs, n_accepted = len(team.documents()), accepted(team)
    pending = review_page(team, coder=None).total
    assert n_accepted == 3
    delete_document(team, 1, by="boss")
    assert len(team.documents()) == n_docs - 1 and team.info()["documents"] == n_docs - 1
    assert accepted(team) == 0
    assert review_page(team, coder=None).total < pending
    assert all(r.document_id != 1 for r in review_page(team, coder=None).rows)
    with pytest.raises(Exception, match="no document"):
        team.find_document(1)
    (gone,) = deleted_documents(team)
    assert (gone.id, gone.deleted_by, gone.codings) == (1, "boss", 3)

    restore_document(team, 1, by="boss")
    assert len(team.documents()) == n_docs and accepted(team) == n_accepted
    assert review_page(team, coder=None).total == pending
    assert deleted_documents(team) == []
    with team.read() as s:
        events = s.execute(select(Event.action, Event.before, Event.after).where(
            Event.entity == "document", Event.entity_id == 1, Event.action.like("document.%"))
            .order_by(Event.id)).all()
        assert s.get(Document, 1).version == 3
    assert [e.action for e in events] == ["document.import", "document.delete", "document.restore"]
    assert events[1].before["deleted_at"] is None and events[1].after["deleted_at"]
    assert events[2].before["deleted_at"] and events[2].after["deleted_at"] is None


def test_double_delete_and_restore_of_live_document_are_refused(team):
    with pytest.raises(Exception, match="not deleted"):
        restore_document(team, 2, by="boss")
    delete_document(team, 2, by="boss")
    with pytest.raises(Exception, match="already deleted"):
        delete_document(team, 2, by="boss")
    with pytest.raises(Exception, match="no document #999"):
        delete_document(team, 999, by="boss")


def test_cli_document_commands(team, capsys, monkeypatch):
    from coding.accounts import hash_password

    with team.transaction() as s:
        for row in s.scalars(select(Coder).where(Coder.name.in_(("boss", "vic")))):
            row.password_hash = hash_password("correct horse 42")
    monkeypatch.setenv("BAOLIAN_PASSWORD", "correct horse 42")
    url = team.url
    assert main(["document", "delete", "1", "-p", url, "--user", "vic"]) == 2
    assert "viewer" in capsys.readouterr().err
    assert main(["--user", "boss", "document", "delete", "1", "-p", url]) == 0
    assert main(["document", "deleted", "-p", url, "--json"]) == 0
    assert '"deleted_by": "boss"' in capsys.readouterr().out
    monkeypatch.setenv("BAOLIAN_PASSWORD", "wrong")
    assert main(["document", "restore", "1", "-p", url, "--user", "boss"]) == 2
    assert [d.id for d in deleted_documents(team)] == [1]
    monkeypatch.setenv("BAOLIAN_PASSWORD", "correct horse 42")
    assert main(["document", "restore", "1", "-p", url, "--user", "boss"]) == 0
    assert deleted_documents(team) == []
