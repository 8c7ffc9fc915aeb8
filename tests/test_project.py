"""The project service: importing into a real SQLite project, atomically, with an event log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from coding.codebook import dump_codebook, load_codebook, parse_codebook
from coding.store import Code, Document, Event, Segment

from .conftest import CODEBOOK, CORPUS


def test_demo_corpus_imports_completely(demo_project):
    docs = demo_project.documents()
    kinds = {d.kind for d in docs}
    assert {"interview", "policy", "minutes", "news"} <= kinds
    assert sum(d.kind == "interview" for d in docs) >= 8
    assert sum(d.kind == "policy" for d in docs) >= 4
    assert sum(d.kind == "minutes" for d in docs) >= 2
    assert sum(d.n_chars for d in docs) >= 60_000
    encodings = {d.encoding for d in docs}
    assert "gb18030" in encodings and "docx" in encodings  # the demo exercises both readers
    for d in docs:
        if d.kind == "interview":
            assert d.n_turns > 10, d.title
            assert any(p["role"] for p in d.participants)


def test_manifest_metadata_is_stored(demo_project):
    doc = demo_project.find_document("i06_wxg_petitioner.txt")
    assert doc.kind == "interview" and doc.date and doc.date.startswith("20")
    assert {"name": "WXG", "role": "信访人"} in doc.participants
    assert "WXG" in doc.cases


def test_segment_offsets_are_code_points_into_the_stored_text(demo_project):
    for summary in demo_project.documents()[:5]:
        doc = demo_project.find_document(summary.id)
        segs = demo_project.segments(summary.id)
        paragraphs = [s for s in segs if s.unit == "paragraph"]
        for s in segs:
            assert doc.text[s.start:s.end] == s.text and s.text.strip() == s.text and s.text
            if s.unit == "sentence":
                assert any(p.start <= s.start and s.end <= p.end for p in paragraphs)
                assert "".join(s.words) == "".join(s.text.split())


def test_codebook_terms_stay_single_words_in_stored_segments(demo_project):
    found = 0
    for summary in demo_project.documents():
        for s in demo_project.segments(summary.id, "sentence"):
            if "工作专班" in s.text:
                assert "工作专班" in s.words, s.words
                found += 1
    assert found > 0


def test_speakers_carried_to_sentences(demo_project):
    segs = demo_project.segments("i01_lhy_vice_district_head.txt", "sentence")
    speakers = {s.speaker for s in segs}
    assert {"访谈者", "LHY"} <= speakers


def test_reimport_does_not_duplicate(project):
    first = project.import_paths([CORPUS / "news"])
    assert len(first.imported) == 1
    second = project.import_paths([CORPUS / "news"])
    assert second.imported == [] and len(second.duplicates) == 1
    assert len(project.documents()) == 1


def test_folder_with_good_and_bad_files(project, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good1.txt").write_text("访谈者：您好。\nLHY：你好，我们开始吧。", encoding="utf-8")
    (folder / "good2.txt").write_bytes("领导包案以后，问题解决得快多了。".encode("gbk"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "gold.jsonl").write_text('{"id": 1}\n', encoding="utf-8")  # data file: skipped, not a document
    report = project.import_paths([folder])
    assert sorted(f for _, f in report.imported) == ["good1.txt", "good2.txt"]
    refused = {r.path.name: r.reason for r in report.refused}
    assert set(refused) == {"empty.txt", "binary.txt"}
    assert "empty" in refused["empty.txt"]
    with project.read() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 2


FAILING_TRIGGER = {
    "sqlite": ["CREATE TRIGGER fail_segment BEFORE INSERT ON segments WHEN NEW.idx = 3 AND NEW.unit = 'sentence' "
               "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"],
    "postgresql": [
        "CREATE FUNCTION fail_segment() RETURNS trigger AS $$ BEGIN IF NEW.idx = 3 AND NEW.unit = 'sentence' "
        "THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER fail_segment BEFORE INSERT ON segments FOR EACH ROW EXECUTE FUNCTION fail_segment()",
    ],
}
DROP_TRIGGER = {"sqlite": "DROP TRIGGER fail_segment", "postgresql": "DROP TRIGGER fail_segment ON segments"}


def test_import_is_one_transaction(project, tmp_path):
    """A database failure in the middle of a document's segments leaves no trace of it."""
    dialect = project.engine.dialect.name
    with project.engine.begin() as conn:
        for statement in FAILING_TRIGGER[dialect]:
            conn.execute(text(statement))
    (tmp_path / "long.txt").write_text("第一句。第二句。第三句。第四句。第五句。", encoding="utf-8")
    with pytest.raises(Exception, match="disk on fire"):
        project.import_paths([tmp_path / "long.txt"])
    with project.read() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 0
        assert s.scalar(select(func.count()).select_from(Segment)) == 0
        assert s.scalar(select(func.count()).select_from(Event).where(Event.action == "document.import")) == 0
    with project.engine.begin() as conn:
        conn.execute(text(DROP_TRIGGER[dialect]))
    report = project.import_paths([tmp_path / "long.txt"])
    assert len(report.imported) == 1


def test_every_import_is_logged(project):
    project.import_paths([CORPUS / "news"], coder="王老师")
    with project.read() as s:
        event = s.scalar(select(Event).where(Event.action == "document.import"))
        assert event.after["filename"].endswith(".txt") and event.after["segments"] > 0
        assert event.coder_id is not None


def test_codebook_versions_and_retired_codes(project):
    codebook = load_codebook(CODEBOOK)
    assert project.set_codebook(codebook) is False  # unchanged: no new version
    data = dump_codebook(codebook).replace('version: "1.0.0"', 'version: "1.0.1"').replace("version: 1.0.0", "version: 1.0.1")
    changed = parse_codebook(data)
    changed = changed.model_copy(update={"codes": [c for c in changed.codes if c.id != "T5"]})
    assert project.set_codebook(changed, coder="admin") is True
    assert project.info()["codebook_version"] == "1.0.1"
    with project.read() as s:
        t5 = s.scalar(select(Code).where(Code.key == "T5"))
        assert t5 is not None and t5.retired  # kept for history, not deleted


def test_info_counts(demo_project):
    info = demo_project.info()
    assert info["documents"] == len(demo_project.documents())
    assert info["segments"] == sum(info["segments_by_unit"].values()) > 0
    assert info["characters"] >= 60_000
    json.dumps(info, ensure_ascii=False, default=str)
