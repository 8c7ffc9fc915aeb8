"""The store: migrations match the models, opening fails clearly, transactions are atomic."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from coding.errors import StoreError
from coding.store import Base, Document, open_engine
from coding.store.db import current_revision, head_revision


def test_migrations_create_exactly_the_models_schema(tmp_path):
    engine = open_engine(tmp_path / "m.sqlite", create=True)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    for name in ("documents", "segments", "codes", "code_applications", "memos", "coders", "events"):
        assert name in tables


def test_opening_twice_is_idempotent(tmp_path):
    path = tmp_path / "twice.sqlite"
    open_engine(path, create=True).dispose()
    engine = open_engine(path)
    assert current_revision(engine) == head_revision()


def test_missing_project_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError) as info:
        open_engine(tmp_path / "nope.sqlite")
    assert "nope.sqlite" in str(info.value) and "baolian init" in str(info.value)


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError) as info:
        open_engine(bad)
    assert "bad.sqlite" in str(info.value)


def test_bad_url_is_a_clear_error():
    with pytest.raises(StoreError) as info:
        open_engine("nosuchdialect://x/y")
    assert "--project" in str(info.value)


def test_transaction_rolls_back_everything(project):
    with pytest.raises(RuntimeError):
        with project.transaction() as s:
            s.add(Document(title="t", filename="t.txt", kind="other", sha256="0" * 64, text="abc",
                           n_chars=3, encoding="utf-8", format="txt", participants=[], cases=[], extra={}))
            s.flush()
            raise RuntimeError("boom")
    with project.read() as s:
        assert s.scalar(select(Document).where(Document.sha256 == "0" * 64)) is None


def test_foreign_keys_enforced_on_sqlite(project):
    if project.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragma")
    with project.read() as s:
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
