"""AppTest: the 导出 Export page shows previews that follow the filters and one download button per format.

The buttons' bytes are not visible to AppTest; the bytes come from `coding.exports.export_bytes`, tested
here directly with the page's filters (and every format is read back in tests/test_exports*.py)."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from coding.exports import FORMATS, export_bytes
from coding.project import Project

from .apptest import open_app
from .test_exports import M1_TEXT, build_small

PAGE = "views/exports.py"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app-exports")
    return build_small(str(folder / "small.sqlite"), folder)


def open_page(monkeypatch, path) -> AppTest:
    return open_app(monkeypatch, path, PAGE, timeout=90)


def frame_with(at: AppTest, column: str):
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def test_previews_and_buttons(monkeypatch, small):
    at = open_page(monkeypatch, small["location"])
    assert at.title[0].value == "导出 Export"
    buttons = at.get("download_button")
    assert len(buttons) == len(FORMATS)
    labels = " ".join(str(b.proto.label) for b in buttons)
    for label in ("CSV", "Excel", "Word", "LaTeX", "Markdown", "QDC", "QDPX"):
        assert label in labels
    freq = frame_with(at, "share")
    assert dict(zip(freq["code"], freq["segments"])) == {"F1": 1, "M1": 1, "M1.1": 1, "M2": 1}
    quotes = frame_with(at, "quote")
    assert M1_TEXT in set(quotes["quote"])
    assert len(frame_with(at, "coder")) == 5
    assert any("v1.0.0" in c.value for c in at.caption)


def test_filters_change_the_previews(monkeypatch, small):
    at = open_page(monkeypatch, small["location"])
    at.selectbox(key="exp_coder").set_value("bob").run()
    assert not at.exception
    freq = frame_with(at, "share")
    assert dict(zip(freq["code"], freq["segments"])) == {"M1": 1, "M2": 1}
    at.multiselect(key="exp_codes").set_value(["M2"]).run()
    assert list(frame_with(at, "share")["code"]) == ["M2"]
    assert any("coder=bob" in c.value and "codes=M2" in c.value for c in at.caption)


def test_empty_state(monkeypatch, tmp_path, small):
    path = tmp_path / "copy.sqlite"
    shutil.copyfile(small["location"], path)
    copy = Project.open(path)
    with copy.transaction() as s:  # a coder without codings
        copy.coder_id(s, "cy")
    copy.close()
    at = open_page(monkeypatch, path)
    at.selectbox(key="exp_coder").set_value("cy").run()
    assert not at.exception
    assert any("没有符合条件的编码片段" in i.value for i in at.info)
    assert len(at.get("download_button")) == len(FORMATS)


def test_download_bytes_follow_the_page_filters(small):
    p = Project.open(small["location"])
    try:
        data, name = export_bytes(p, "md", coder="bob", status=("accepted",), codes=None, n_quotes=3)
        assert name == "baolian-export.md"
        text = data.decode("utf-8")
        assert "- 编码员 coder: bob" in text and "| M2 |" in text
        data, name = export_bytes(p, "xlsx")
        assert name.endswith(".xlsx") and data[:2] == b"PK"
    finally:
        p.close()


def test_demo_with_suggestions(monkeypatch, coded_demo, tmp_path):
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(coded_demo, path)
    at = open_page(monkeypatch, path)
    assert any("没有符合条件的编码片段" in i.value for i in at.info)  # nothing accepted yet
    at.toggle(key="exp_pending").set_value(True).run()
    assert not at.exception
    freq = frame_with(at, "share")
    assert freq["segments"].sum() > 200 and abs(freq["share"].sum() - 100) < 1
    assert frame_with(at, "quote").empty  # quotes are accepted codings only
    levels = frame_with(at, "axial")
    assert set(levels["selective"]) >= {"F", "M"}


def test_previews_follow_new_codings(monkeypatch, tmp_path, small):
    from coding.decisions import add_code

    path = tmp_path / "live.sqlite"
    shutil.copyfile(small["location"], path)
    at = open_page(monkeypatch, path)
    assert frame_with(at, "share")["segments"].sum() == 4
    live = Project.open(path)
    add_code(live, small["b"], 0, 4, "M3", coder="ann")
    live.close()
    at.run()
    assert not at.exception
    freq = frame_with(at, "share")
    assert freq["segments"].sum() == 5 and "M3" in set(freq["code"])
