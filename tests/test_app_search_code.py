"""AppTest: the Search & code page finds passages by whole words, codes the ticked ones as the coder, and the
sidebar's undo takes the whole run back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coding.project import Project
from coding.search_coding import find_passages
from coding.store import Code, CodeApplication, Coder

from .apptest import demo_copy, open_app

PAGE = "views/search_code.py"
PICK = "编码 Code?"


@pytest.fixture
def demo(coded_demo, tmp_path):
    return demo_copy(coded_demo, tmp_path, "search")


def coded_by(path, coder: str, code: str) -> set[tuple[int, int, int]]:
    p = Project.open(path)
    try:
        with p.read() as s:
            return set(s.execute(select(CodeApplication.document_id, CodeApplication.start, CodeApplication.end)
                                 .join(Coder, Coder.id == CodeApplication.coder_id)
                                 .join(Code, Code.id == CodeApplication.code_id)
                                 .where(Coder.name == coder, Code.key == code)).all())
    finally:
        p.close()


def expected(path, query: str) -> list[tuple[int, int, int]]:
    p = Project.open(path)
    try:
        found = find_passages(p, query)
        return [(int(d), int(a), int(b)) for d, a, b in zip(found["document_id"], found["start"], found["end"])]
    finally:
        p.close()


def test_search_tick_code_and_undo(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, coder="ann", timeout=120, no_errors=True)
    assert any("输入要检索的词" in i.value for i in at.info)
    at.text_input(key="sc_query").input("上门 面对面").run()
    at.selectbox(key="sc_code").set_value("M4").run()
    assert not at.exception and not at.error
    spans = expected(demo, "上门 面对面")
    frame = at.dataframe[0].value
    assert len(frame) == len(spans) > 10 and frame[PICK].all() and not frame["已编码 Coded"].any()
    assert all(("上门" in t) or ("面对面" in t) for t in frame["段落 Passage"])

    # untick the first passage, as a user would in the table, then code the rest
    at.session_state[f"sc_editor_{at.session_state['sc_gen']}"] = {
        "edited_rows": {0: {PICK: False}}, "added_rows": [], "deleted_rows": []}
    at.run()
    button = next(b for b in at.button if "为所选编码" in b.label)
    assert f"({len(spans) - 1})" in button.label and "M4" in button.label
    button.click().run()
    assert not at.exception and not at.error
    assert coded_by(demo, "ann", "M4") == set(spans[1:])
    assert any(f"已编码 coded {len(spans) - 1} 处" in s.value for s in at.success)
    frame = at.dataframe[0].value  # a fresh table: coded passages are marked and not ticked
    assert frame["已编码 Coded"].tolist() == [False] + [True] * (len(spans) - 1)
    assert frame[PICK].tolist() == [True] + [False] * (len(spans) - 1)

    next(b for b in at.sidebar.button if "撤销" in b.label).click().run()
    assert not at.exception
    assert coded_by(demo, "ann", "M4") == set()


def test_without_a_coder_the_page_only_searches(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, timeout=120, no_errors=True)
    at.text_input(key="sc_query").input("包联领导").run()
    at.selectbox(key="sc_code").set_value("F1").run()
    assert len(at.dataframe[0].value) == len(expected(demo, "包联领导"))
    assert next(b for b in at.button if "为所选编码" in b.label).disabled
    assert any("请先在侧栏填写编码员姓名" in c.value for c in at.caption)


def test_a_passage_opens_on_the_document_coding_page(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, coder="ann", timeout=120, no_errors=True)
    at.text_input(key="sc_query").input("上门").run()
    frame = at.dataframe[0].value
    starts = frame["位置 Chars"].map(lambda span: int(span.split("–")[0]))
    link = frame["原文 Open"][starts.idxmax()]  # a passage far into its document
    doc, start = (int(x.split("=")[1]) for x in link.split("?")[1].split("&"))
    p = Project.open(demo)
    try:
        sentence = next(s for s in p.segments(doc, unit="sentence") if s.start <= start < s.end)
        paragraphs = p.segments(doc, unit="paragraph")
    finally:
        p.close()
    coding = open_app(monkeypatch, demo, "views/document_coding.py", coder="ann", timeout=120, no_errors=True,
                      query={"doc": str(doc), "at": str(start)})
    assert coding.selectbox(key="dc_doc").value == doc
    assert coding.selectbox(key="dc_seg").value == sentence.id  # the sentence found, on its page
    page_size = int(coding.selectbox(key="dc_per_page").value)
    paragraph = next(i for i, g in enumerate(paragraphs) if g.start <= start < g.end)
    assert coding.session_state["dc_page"] == paragraph // page_size + 1 > 1


def test_the_search_covers_the_documents_chosen(monkeypatch, demo):
    p = Project.open(demo)
    try:
        interviews = {d.id for d in p.documents() if d.kind == "interview"}
    finally:
        p.close()
    at = open_app(monkeypatch, demo, PAGE, coder="ann", timeout=120, no_errors=True)
    at.text_input(key="sc_query").input("上门").run()
    every = at.dataframe[0].value
    at.selectbox(key="sc_where").set_value("kind").run()
    at.multiselect(key="sc_where_kind").set_value(["interview"]).run()
    chosen = at.dataframe[0].value
    assert 0 < len(chosen) < len(every)
    assert {int(link.split("doc=")[1].split("&")[0]) for link in chosen["原文 Open"]} <= interviews


def test_also_inside_words(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, coder="ann", timeout=120, no_errors=True)
    at.text_input(key="sc_query").input("包联").run()
    assert any("没有找到" in i.value for i in at.info)  # the demo has 包联人, 包联领导 … but no word 包联
    at.toggle(key="sc_inside").set_value(True).run()
    p = Project.open(demo)
    try:
        found = find_passages(p, "包联", inside_words=True)
    finally:
        p.close()
    frame = at.dataframe[0].value
    assert len(frame) == len(found) > 10 and all("包联" in t for t in frame["段落 Passage"])


def test_a_concept_lexicon_joins_the_search(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, coder="ann", timeout=120, no_errors=True)
    at.text_input(key="sc_query").input("上门").run()
    at.selectbox(key="sc_concept").set_value("领导").run()
    assert at.text_input(key="sc_query").value == "上门 @领导" and at.selectbox(key="sc_concept").value is None
    at.radio(key="sc_match").set_value("all").run()
    assert not at.exception and not at.error
    p = Project.open(demo)
    try:
        found = find_passages(p, "上门 @领导", match="all")
    finally:
        p.close()
    frame = at.dataframe[0].value
    assert len(frame) == len(found) > 0 and all("上门" in t for t in frame["段落 Passage"])
