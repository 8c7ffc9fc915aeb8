"""AppTest: the import page uploads files, shows per-file results and refusals, and auto-codes."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from coding.decisions import pending_suggestions
from coding.project import Project

from .apptest import open_app
from .conftest import CODEBOOK, CORPUS

PAGE = "views/import_documents.py"
I06_GBK = CORPUS / "interviews/i06_wxg_petitioner.txt"
M01 = CORPUS / "minutes/m01_task_force_first_meeting.txt"


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty project with the codebook, opened by the app."""
    path = tmp_path / "import.sqlite"
    Project.init(path, codebook=CODEBOOK).close()
    monkeypatch.setenv("BAOLIAN_PROJECT", str(path))
    return path


def open_page(coder: str | None = "ann") -> AppTest:
    return open_app(None, None, PAGE, coder=coder)  # the `fresh` fixture set $BAOLIAN_PROJECT


def results_table(at: AppTest):
    """The per-file results (the participants editor is a data frame too)."""
    (table,) = [d.value for d in at.dataframe if "file" in d.value.columns]
    return table


def texts(at: AppTest) -> str:
    return "\n".join(t.value for t in at.text)


def test_renders_with_the_import_button_disabled(fresh):
    at = open_page()
    assert [u.label.split(" ")[0] for u in at.file_uploader] == ["文档", "元数据清单"]
    assert at.file_uploader[0].accept_multiple_files
    assert set(at.file_uploader[0].allowed_type) >= {".txt", ".docx", ".pdf", ".md"}
    assert at.button(key="import_go").disabled


def test_upload_gbk_and_empty_file(fresh):
    at = open_page()
    at.file_uploader(key="import_files_0").set_value([
        ("wxg.txt", I06_GBK.read_bytes(), "text/plain"),
        ("empty.txt", b"", "text/plain"),
    ])
    at.selectbox(key="import_kind").set_value("interview")
    at.text_input(key="import_cases").set_value("WXG, GJQ")
    at.run()
    assert not at.button(key="import_go").disabled
    at.session_state["import_participants"] = {
        "edited_rows": {}, "added_rows": [{"name": "WXG", "role": "信访人"}, {"name": "访谈者", "role": "研究者"}],
        "deleted_rows": [],
    }
    at.button(key="import_go").click().run()
    assert not at.exception
    assert [e.value for e in at.error if "操作未完成" in e.value] == []

    p = Project.open(fresh)
    (doc,) = p.documents()
    assert (doc.title, doc.filename, doc.kind, doc.encoding) == ("wxg", "wxg.txt", "interview", "gb18030")
    assert doc.cases == ["WXG", "GJQ"]
    assert doc.participants == [{"name": "WXG", "role": "信访人"}, {"name": "访谈者", "role": "研究者"}]
    assert p.info()["coders"] == ["ann"]
    assert pending_suggestions(p, coder="ann", document_id=doc.id)  # auto-coding ran
    assert any(s.speaker == "WXG" for s in p.segments(doc.id, unit="turn"))
    p.close()

    assert [m.value for m in at.metric] == ["1", "0", "1"]
    assert any("1 个文件未导入" in e.value for e in at.error)
    assert "empty.txt" in texts(at) and "empty" in texts(at).split("empty.txt", 1)[1]
    results = results_table(at)
    assert list(results["file"]) == ["wxg.txt", "empty.txt"]
    assert results["document"].iloc[0] == doc.id
    assert any("自动编码完成" in s.value for s in at.success)
    assert {link.label for link in at.get("page_link")} >= {"去审核新建议 Review the suggestions"}
    # the uploaders are cleared for the next import, the results stay until then
    assert at.file_uploader(key="import_files_1").value in (None, [])
    at.run()
    assert any("1 个文件未导入" in e.value for e in at.error)


def test_bad_manifest_is_refused_and_nothing_is_stored(fresh):
    at = open_page()
    at.file_uploader(key="import_files_0").set_value(("m01.txt", M01.read_bytes(), "text/plain"))
    at.file_uploader(key="import_manifest_0").set_value(
        ("corpus.yaml", "documents:\n  - file: m01.txt\n    date: 2019-13-40\n".encode(), "application/x-yaml"))
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert "操作未完成" in message and "corpus.yaml:3" in message and "date" in message
    p = Project.open(fresh)
    assert p.documents() == []
    p.close()


def test_manifest_metadata_and_duplicates(fresh):
    at = open_page()
    manifest = (CORPUS / "corpus.yaml").read_bytes()
    at.file_uploader(key="import_files_0").set_value(("m01_task_force_first_meeting.txt", M01.read_bytes(),
                                                      "text/plain"))
    at.file_uploader(key="import_manifest_0").set_value(("corpus.yaml", manifest, "application/x-yaml"))
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception
    p = Project.open(fresh)
    (doc,) = p.documents()
    assert (doc.kind, doc.date) == ("minutes", "2019-03-29")
    assert doc.title.startswith("会议纪要")
    assert at.get("expander")  # the 14 manifest entries without a file are listed, not refused
    assert "interviews/i01_lhy_vice_district_head.txt" in texts(at)
    assert not [e for e in at.error]

    at.file_uploader(key="import_files_1").set_value(("again.txt", M01.read_bytes(), "text/plain"))
    at.run()
    at.button(key="import_go").click().run()
    assert [m.value for m in at.metric] == ["0", "1", "0"]
    assert results_table(at)["document"].iloc[0] == doc.id
    assert len(p.documents()) == 1
    p.close()


def test_role_without_name_is_refused(fresh):
    at = open_page()
    at.file_uploader(key="import_files_0").set_value(("m01.txt", M01.read_bytes(), "text/plain"))
    at.run()
    at.session_state["import_participants"] = {"edited_rows": {}, "added_rows": [{"role": "信访人"}],
                                               "deleted_rows": []}
    at.button(key="import_go").click().run()
    assert not at.exception
    assert any("no name" in e.value for e in at.error)
    p = Project.open(fresh)
    assert p.documents() == []
    p.close()


def test_word_comments_are_counted_and_shown_as_memos(fresh, tmp_path):
    from .test_corpus import word_file_with_comments

    path = word_file_with_comments(tmp_path / "i10.docx", [
        "<w:r><w:t>访谈者：后来呢？</w:t></w:r>",
        '<w:r><w:t>受访者：</w:t></w:r><w:commentRangeStart w:id="3"/><w:r><w:t>区长每个月都来家里看看。</w:t></w:r>'
        '<w:commentRangeEnd w:id="3"/><w:r><w:commentReference w:id="3"/></w:r>',
    ], {3: ("张老师", "&lt;script&gt;M5 回访&lt;/script&gt;")}, date="2021-03-02T08:00:00Z")
    at = open_page()
    at.file_uploader(key="import_files_0").set_value([("i10.docx", path.read_bytes(), "application/octet-stream")])
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception
    assert list(results_table(at)["detail"]) == ["1 条 Word 批注存为备忘 comments stored as memos"]

    memo = "Word 批注 comment（张老师，2021-03-02）\n「区长每个月都来家里看看。」\n<script>M5 回访</script>"
    at.switch_page("views/document_coding.py").run()
    assert not at.exception
    assert any(memo in t.value for t in at.text)  # st.text: shown as written, never as HTML or Markdown
