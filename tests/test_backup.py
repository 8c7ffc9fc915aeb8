"""`baolian backup` / `baolian restore`: SQLite online backup API and pg_dump/pg_restore; restores compare equal."""

from __future__ import annotations

import sqlite3

import pytest

from coding.backup import backup, backup_kind, nonempty_tables, pg_tool, restore
from coding.cli import main
from coding.decisions import accept, add_memo, pending_suggestions
from coding.errors import BaolianError, StoreError
from coding.migrate import project_checksums
from coding.project import Project
from coding.store.db import sqlite_path

from .conftest import CORPUS


@pytest.fixture
def coded(project):
    project.import_paths([CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml", coder="admin")
    from coding.autocode import code_project

    code_project(project)
    sugs = pending_suggestions(project, coder=None)
    accept(project, [sugs[0].id, sugs[1].id], coder="ann")
    add_memo(project, "备忘 memo", coder="ann", document_id=sugs[0].document_id)
    return project


def test_backup_and_restore_compare_equal(coded, new_location, tmp_path):
    file = tmp_path / "out" / "project.backup"
    report = backup(coded.url, file)
    assert report.kind == ("sqlite" if coded.url.startswith("sqlite") else "pg_dump") == backup_kind(file)
    assert report.rows["code_applications"] > 10 and report.rows["memos"] == 1

    target = new_location("restored")
    restored = restore(file, target)
    original = project_checksums(coded.url)
    assert project_checksums(target) == original
    assert restored.rows == {name: n for name, (n, _) in original.items()}

    # the restored project is a working project: new rows get fresh ids
    p = Project.open(target)
    memo = add_memo(p, "after restore", coder="bob")
    assert memo == 2
    p.close()

    with pytest.raises(BaolianError, match="already holds data"):
        restore(file, target)
    assert project_checksums(target) != original  # untouched: still has the new memo
    restore(file, target, force=True)
    assert project_checksums(target) == original


def test_sqlite_backup_is_consistent_while_a_writer_is_busy(tmp_path):
    p = Project.init(tmp_path / "busy.sqlite")
    add_memo(p, "committed", coder="ann")
    before = project_checksums(p.url)
    # another connection is in the middle of a write transaction (not committed)
    other = sqlite3.connect(sqlite_path(p.url), isolation_level=None, timeout=10)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO memos (text, created_at, updated_at, version) "
                  "VALUES ('uncommitted', '2026-01-01', '2026-01-01', 1)")
    try:
        backup(p.url, tmp_path / "b.sqlite")
    finally:
        other.execute("COMMIT")
        other.close()
    restore(tmp_path / "b.sqlite", tmp_path / "r.sqlite")
    assert project_checksums(tmp_path / "r.sqlite") == before
    assert project_checksums(p.url) != before  # the writer's row did land in the project itself
    p.close()


def test_cli_backup_restore_and_refusals(tmp_path, capsys):
    src = tmp_path / "src.sqlite"
    Project.init(src).close()
    add_memo(Project.open(src), "x", coder="ann")
    assert main(["backup", "--out", str(tmp_path / "b.bak"), "-p", str(src)]) == 0
    assert main(["restore", str(tmp_path / "b.bak"), "-p", str(tmp_path / "r.sqlite")]) == 0
    assert "memos 1" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "b.bak"), "-p", str(tmp_path / "r.sqlite")]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "b.bak"), "-p", str(tmp_path / "r.sqlite"), "--force"]) == 0
    (tmp_path / "junk.bak").write_text("hello")
    assert main(["restore", str(tmp_path / "junk.bak"), "-p", str(tmp_path / "j.sqlite")]) == 2
    assert "not a Baolian backup" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "b.bak"), "-p", "postgresql+psycopg://nobody@127.0.0.1:1/x"]) == 2
    assert "SQLite backup" in capsys.readouterr().err
    assert nonempty_tables(f"sqlite:///{tmp_path / 'nothing.sqlite'}") == []


def test_missing_pg_tools_are_named():
    with pytest.raises(StoreError, match="pg_no_such_tool not found"):
        pg_tool("pg_no_such_tool")
