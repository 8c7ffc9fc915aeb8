"""AppTest: the import page takes REFI-QDA .qdpx/.qdc uploads and shows the import report or the error."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from coding.project import Project

from .apptest import open_app
from .conftest import CODEBOOK
from .test_refi_import import write_qdpx

PAGE = "views/import_documents.py"


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    path = tmp_path / "refi-app.sqlite"
    Project.init(path, codebook=CODEBOOK).close()
    monkeypatch.setenv("BAOLIAN_PROJECT", str(path))
    return path


def open_page() -> AppTest:
    return open_app(None, None, PAGE, coder="ann")  # the `fresh` fixture set $BAOLIAN_PROJECT


def test_upload_qdpx_shows_the_report(fresh, tmp_path):
    at = open_page()
    assert {".qdpx", ".qdc"} <= set(at.file_uploader[0].allowed_type)
    data = write_qdpx(tmp_path / "外部.qdpx").read_bytes()
    at.file_uploader(key="import_files_0").set_value(("外部.qdpx", data, "application/zip"))
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    shown = "\n".join(t.value for t in at.text)
    assert "编码 codings: 5 新增 added" in shown and "文档 documents: 2 新增 added" in shown
    assert any("外部.qdpx" in s.value for s in at.success)
    p = Project.open(fresh)
    assert {d.title for d in p.documents()} == {"访谈A", "纪要B"}
    p.close()


def test_bad_qdpx_shows_the_error_and_imports_nothing(fresh, tmp_path):
    at = open_page()
    data = write_qdpx(tmp_path / "bad.qdpx", False).read_bytes()
    at.file_uploader(key="import_files_0").set_value(("bad.qdpx", data, "application/zip"))
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert "操作未完成" in message and "bad.qdpx" in message and "no project.qde" in message
    assert "baolian-refi-" not in message  # the uploaded name, not the temporary path
    p = Project.open(fresh)
    assert p.documents() == []
    p.close()
