"""Importing uploaded bytes: per-file results, manifest matching by name, nothing left behind."""

from __future__ import annotations

import tempfile

import pytest

from coding.corpus import DocumentMeta, Participant
from coding.errors import ImportProblem
from coding.uploads import (
    DUPLICATE,
    IMPORTED,
    REFUSED,
    Upload,
    import_uploads,
    parse_cases,
    parse_participants,
    participants_from_rows,
    safe_name,
)

from .conftest import CORPUS

I01 = CORPUS / "interviews/i01_lhy_vice_district_head.txt"
I06_GBK = CORPUS / "interviews/i06_wxg_petitioner.txt"
M01 = CORPUS / "minutes/m01_task_force_first_meeting.txt"


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """Send temporary folders to a folder of this test, to check they are removed."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def upload(path, name=None) -> Upload:
    return Upload(name or path.name, path.read_bytes())


def test_form_fields():
    assert parse_cases(" WXG, GJQ，ZSQ、WXG  LHY;") == ("WXG", "GJQ", "ZSQ", "LHY")
    assert parse_cases(None) == ()
    assert parse_participants("LHY:包联人\n访谈者：研究者\n\nWXG") == (
        Participant("LHY", "包联人"), Participant("访谈者", "研究者"), Participant("WXG", None))
    rows = [{"name": "LHY", "role": "包联人"}, {"name": float("nan"), "role": None}, {"name": " ZYM ", "role": ""}]
    assert participants_from_rows(rows) == (Participant("LHY", "包联人"), Participant("ZYM", None))
    with pytest.raises(ImportProblem, match="no name"):
        participants_from_rows([{"name": None, "role": "信访人"}])


def test_safe_names():
    assert safe_name("../../etc/passwd.txt", 0) == "passwd.txt"
    assert safe_name("C:\\Users\\x\\访谈.txt", 1) == "访谈.txt"
    assert safe_name("..", 2) == "upload_2"
    assert safe_name("", 3) == "upload_3"
    assert safe_name("a\x00b\n.txt", 4) == "ab.txt"


def test_good_gbk_and_empty_files(project, scratch):
    seen = []
    defaults = DocumentMeta(kind="interview", participants=(Participant("WXG", "信访人"),), cases=("WXG",))
    report = import_uploads(project, [upload(I06_GBK, "wxg.txt"), Upload("empty.txt", b"")], defaults=defaults,
                            coder="ann", progress=lambda f, label: seen.append((f, label)))
    assert [(r.name, r.status) for r in report.results] == [("wxg.txt", IMPORTED), ("empty.txt", REFUSED)]
    assert "empty" in report.refused[0].detail and "/" not in report.refused[0].detail
    (doc,) = project.documents()
    assert doc.id == report.imported[0].document_id
    assert (doc.title, doc.kind, doc.encoding, doc.cases) == ("wxg", "interview", "gb18030", ["WXG"])
    assert doc.participants == [{"name": "WXG", "role": "信访人"}]
    assert "访谈者" in project.document_text(doc.id)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert not any(name in label for _, label in seen for name in ("wxg", "empty"))
    assert list(scratch.iterdir()) == []  # the temporary folder is gone


def test_manifest_matches_uploads_by_file_name(project, scratch):
    report = import_uploads(project, [upload(I01), upload(M01)], manifest=upload(CORPUS / "corpus.yaml"),
                            defaults=DocumentMeta(kind="other"))
    assert [r.status for r in report.results] == [IMPORTED, IMPORTED]
    docs = {d.filename: d for d in project.documents()}
    assert docs[I01.name].title == "访谈记录：L区分管信访工作副区长LHY"
    assert (docs[M01.name].kind, docs[M01.name].date) == ("minutes", "2019-03-29")
    assert "interviews/i06_wxg_petitioner.txt" in report.unlisted
    assert len(report.unlisted) == 13  # every entry of the demo manifest but the two uploaded
    assert list(scratch.iterdir()) == []


def test_bad_manifest_stores_nothing(project, scratch):
    bad = Upload("my corpus.yaml", b"documents:\n  - file: a.txt\n    kind: novel\n")
    with pytest.raises(ImportProblem) as caught:
        import_uploads(project, [upload(I01)], manifest=bad)
    assert caught.value.file == "my corpus.yaml" and caught.value.line == 3 and caught.value.field == "kind"
    assert project.documents() == []
    assert list(scratch.iterdir()) == []


def test_manifest_cannot_place_files_outside_the_folder(project, scratch):
    manifest = Upload("corpus.yaml", "documents:\n  - file: ../x.txt\n    kind: news\n".encode())
    report = import_uploads(project, [Upload("x.txt", "信访积案化解。".encode())], manifest=manifest,
                            defaults=DocumentMeta(kind="policy"))
    assert report.results[0].status == IMPORTED
    assert project.documents()[0].kind == "policy"  # not the entry's kind: it names a file outside
    assert list(scratch.iterdir()) == []  # nothing written beside the temporary folder either


def test_duplicates_and_same_names(project, scratch):
    first = import_uploads(project, [upload(M01)])
    again = import_uploads(project, [upload(M01), Upload("m.txt", "第一份。".encode()),
                                     Upload("m.txt", "第二份。".encode())])
    assert [r.status for r in again.results] == [DUPLICATE, IMPORTED, IMPORTED]
    assert again.results[0].document_id == first.results[0].document_id
    assert again.results[0].detail == "m01_task_force_first_meeting"
    assert len(project.documents()) == 3


def test_no_files(project):
    with pytest.raises(ImportProblem, match="no files"):
        import_uploads(project, [])


def test_an_uploaded_word_file_says_how_many_comments_became_memos(project, tmp_path, scratch):
    from coding.decisions import memos

    from .test_corpus import word_file_with_comments

    path = word_file_with_comments(tmp_path / "m09.docx", [
        '<w:commentRangeStart w:id="1"/><w:r><w:t>专班两周内答复。</w:t></w:r><w:commentRangeEnd w:id="1"/>'
        '<w:r><w:commentReference w:id="1"/></w:r><w:r><w:t>散会。</w:t></w:r><w:r><w:commentReference w:id="2"/></w:r>',
    ], {1: ("&lt;b&gt;乙", "F3"), 2: ("&lt;b&gt;乙", "会议结束")})
    report = import_uploads(project, [upload(path)])
    [result] = report.results
    assert (result.status, result.detail) == (IMPORTED, "2 条 Word 批注存为备忘 comments stored as memos")
    assert [m["text"] for m in memos(project)] == ["Word 批注 comment（<b>乙）\n「专班两周内答复。」\nF3",
                                                    "Word 批注 comment（<b>乙）\n会议结束"]
    assert not list(scratch.iterdir())
