"""`baolian migrate`: a coded project copied SQLite -> (PostgreSQL with --db=postgresql) -> SQLite loses nothing."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
from sqlalchemy import JSON, Text, cast, select

from coding.cli import main
from coding.decisions import accept, add_code, add_memo, pending_suggestions, reject, resize
from coding.errors import StoreError
from coding.migrate import migrate, project_checksums, tables
from coding.project import Project
from coding.store import CodeApplication, Document, Event, TrainedModel
from coding.store.db import current_revision, head_revision, open_engine

MODEL_BYTES = bytes(range(256)) * 40 + b"\x00\xff end"


@pytest.fixture
def source(coded_demo, tmp_path):
    """A copy of the coded demo with decisions, a memo, a trained model's bytes and a deleted document."""
    path = tmp_path / "source.sqlite"
    shutil.copyfile(coded_demo, path)
    p = Project.open(path)
    sugs = pending_suggestions(p, coder=None)
    accept(p, [sugs[0].id, sugs[1].id], coder="ann")
    reject(p, [sugs[2].id], coder="bob")
    new = add_code(p, sugs[3].document_id, 0, 5, "R1", coder="ann")
    resize(p, new, 1, 6, coder="ann", version=1)
    add_memo(p, "备忘 <b>memo</b> ✓", coder="bob", document_id=sugs[0].document_id)
    with p.transaction() as s:
        s.add(TrainedModel(version="test-model", n_examples=3, scores={"macro_f1": 0.5, "per": {"M2": [1, 2]}},
                           data=MODEL_BYTES))
        doc = s.get(Document, 15)
        doc.deleted_at = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
        doc.extra = {"键": ["值", 1, None, {"nested": True}]}
    p.close()
    return path


def rows_of(location) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key, datetimes as UTC instants, independent of checksums."""
    engine = open_engine(location)
    out = {}
    with engine.connect() as conn:
        for table in tables():
            rows = []
            # JSON read as stored text, so SQL NULL and JSON null are told apart
            columns = [cast(c, Text) if isinstance(c.type, JSON) else c for c in table.columns]
            for row in conn.execute(select(*columns).order_by(*table.primary_key.columns)):
                values = []
                for column, v in zip(table.columns, row):
                    if isinstance(v, datetime):
                        v = (v.replace(tzinfo=timezone.utc) if v.tzinfo is None else v).timestamp()
                    elif isinstance(v, memoryview):
                        v = bytes(v)
                    elif isinstance(column.type, JSON) and v is not None:
                        v = ("json", json.dumps(json.loads(v), sort_keys=True))
                    values.append(v)
                rows.append(tuple(values))
            out[table.name] = rows
    engine.dispose()
    return out


def test_round_trip_keeps_every_row(source, new_location, tmp_path):
    middle = new_location("migrated")
    there = migrate(source, middle)
    back = tmp_path / "back.sqlite"
    again = migrate(middle, back)

    original = rows_of(source)
    assert rows_of(middle) == original
    assert rows_of(back) == original
    assert {t.table: t.rows for t in there.tables} == {name: len(rows) for name, rows in original.items()}
    assert project_checksums(source) == project_checksums(middle) == project_checksums(back)
    assert there.tables == again.tables
    assert there.total_rows > 3000
    with open_engine(back).connect() as conn:  # SQL NULL stays SQL NULL (not JSON null) after two copies
        from sqlalchemy import text

        assert conn.execute(text("SELECT COUNT(*) FROM code_applications WHERE based_on IS NULL")).scalar() \
            == len(original["code_applications"])
    engine = open_engine(middle)
    assert current_revision(engine) == head_revision()
    engine.dispose()

    p = Project.open(middle)
    with p.read() as s:
        model = s.scalar(select(TrainedModel).where(TrainedModel.version == "test-model"))
        assert bytes(model.data) == MODEL_BYTES and model.scores["per"] == {"M2": [1, 2]}
        doc = s.get(Document, 15)
        assert doc.deleted_at.astimezone(timezone.utc) == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
        assert doc.extra == {"键": ["值", 1, None, {"nested": True}]}
        last_event = s.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
        last_app = s.scalar(select(CodeApplication.id).order_by(CodeApplication.id.desc()).limit(1))
    assert [d.id for d in p.documents()] == list(range(1, 15))  # the deleted one stays deleted
    # ids continue after the copied ones (PostgreSQL sequences were reset)
    new_id = add_code(p, 1, 0, 3, "R1", coder="carol")
    assert new_id == last_app + 1
    with p.read() as s:
        assert s.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) > last_event
    p.close()


def test_destination_must_be_empty(source, new_location):
    target = new_location("busy")
    Project.init(target).close()
    migrate(source, target)
    before = project_checksums(target)
    with pytest.raises(StoreError, match="destination is not empty"):
        migrate(source, target)
    assert project_checksums(target) == before


def test_same_project_refused(source):
    with pytest.raises(Exception, match="same project"):
        migrate(source, source)


def test_cli_reports_counts_and_checksums(source, tmp_path, capsys):
    target = tmp_path / "cli.sqlite"
    assert main(["migrate", "--from", str(source), "--to", str(target), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    sums = project_checksums(source)
    assert {t["table"]: (t["rows"], t["checksum"]) for t in report["tables"]} == sums
    assert main(["migrate", "--from", str(source), "--to", str(target)]) == 2
    assert "not empty" in capsys.readouterr().err
