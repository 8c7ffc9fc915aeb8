"""AppTest: the Memos page lists every memo with what it is on, filters them, and writes project and code memos."""

from __future__ import annotations

import shutil

import pytest

from coding.decisions import add_memo, memos
from coding.project import Project

from .apptest import open_app

PAGE = "views/memos.py"


@pytest.fixture
def demo(coded_demo, tmp_path):
    path = tmp_path / "memos.sqlite"
    shutil.copyfile(coded_demo, path)
    p = Project.open(path)
    yield path, p
    p.close()


def table(at):
    (frame,) = [d.value for d in at.dataframe]
    return frame


def test_memos_listed_filtered_and_written(monkeypatch, demo):
    path, p = demo
    doc = p.documents()[0]
    seg = p.segments(doc.id, unit="sentence")[1]
    add_memo(p, "<b>句子</b>上的备忘", coder="甲", document_id=doc.id, segment_id=seg.id)
    add_memo(p, "文档背景", coder="乙", document_id=doc.id)
    at = open_app(monkeypatch, path, PAGE, coder="甲", no_errors=True)
    frame = table(at)
    assert list(frame["备忘 Memo"]) == ["<b>句子</b>上的备忘", "文档背景"]
    assert list(frame["关于 On"]) == ["句子 sentence", "文档 document"]
    assert frame["片段 Segment"].iloc[0] == p.document_text(doc.id)[seg.start:seg.end][:60] + (
        "…" if seg.end - seg.start > 60 else "")
    assert list(frame["文档 Document"]) == [doc.title, doc.title]

    at.selectbox(key="memo_target").set_value("M5")
    at.text_area(key="memo_text").input("M5 与 M2 的边界")
    next(b for b in at.button if "保存备忘" in b.label).click().run()
    assert not at.exception and not at.error
    at.selectbox(key="memo_target").set_value("")
    at.text_area(key="memo_text").input("项目总备忘")
    next(b for b in at.button if "保存备忘" in b.label).click().run()
    assert [(m["code"], m["coder"], m["document_id"]) for m in memos(p)][2:] == [("M5", "甲", None),
                                                                                (None, "甲", None)]
    frame = table(at)
    assert list(frame["关于 On"])[2:] == ["编码类目 code", "项目 project"]

    at.multiselect(key="memo_coders").set_value(["乙"]).run()
    assert list(table(at)["备忘 Memo"]) == ["文档背景"]
    at.multiselect(key="memo_coders").set_value([]).run()
    at.selectbox(key="memo_code").set_value("M5").run()
    assert list(table(at)["备忘 Memo"]) == ["M5 与 M2 的边界"]
    at.selectbox(key="memo_code").set_value("").run()
    at.text_input(key="memo_words").input("背景").run()
    assert list(table(at)["备忘 Memo"]) == ["文档背景"]


def test_without_a_coder_nothing_can_be_written(monkeypatch, demo):
    path, _ = demo
    at = open_app(monkeypatch, path, PAGE, no_errors=True)
    assert next(b for b in at.button if "保存备忘" in b.label).disabled
    assert any("还没有备忘" in i.value for i in at.info)
