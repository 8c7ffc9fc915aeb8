"""AppTest: the Coding query page finds the units with a combination of codes, codes the ticked ones with another
code as the coder, and the sidebar's undo takes the whole run back."""

from __future__ import annotations

import pytest

from coding.coding_query import CodingQuery, run_query
from coding.project import Project

from .apptest import demo_copy, open_app
from .test_app_search_code import coded_by

PAGE = "views/coding_query.py"
PICK = "编码 Code?"


@pytest.fixture
def demo(coded_demo, tmp_path):
    return demo_copy(coded_demo, tmp_path, "query")


def expected(path, query: CodingQuery, **selection) -> list[tuple[int, int, int]]:
    p = Project.open(path)
    try:
        found = run_query(p, query, **selection)
        return [(int(d), int(a), int(b)) for d, a, b in zip(found["document_id"], found["start"], found["end"])]
    finally:
        p.close()


def test_query_tick_code_and_undo(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, coder="ann", timeout=120, no_errors=True)
    assert any("选择要查询的编码" in i.value for i in at.info)
    at.multiselect(key="cq_codes").set_value(["M2", "M5"]).run()
    assert any("没有找到" in i.value for i in at.info)  # nothing accepted yet in the demo copy
    at.toggle(key="cq_pending").set_value(True).run()
    at.number_input(key="cq_near").set_value(1).run()
    at.selectbox(key="cq_target").set_value("M3").run()
    assert not at.exception and not at.error
    spans = expected(demo, CodingQuery.of(["M2", "M5"], near=1), status=("accepted", "pending"))
    frame = at.dataframe[0].value
    assert len(frame) == len(spans) > 5 and frame[PICK].all() and not frame["已编码 Coded"].any()
    assert set(frame["编码 Codes"]) <= {"M2", "M5", "M2、M5"} and set(frame["邻近 Near"]) <= {"", "M2", "M5"}
    assert (frame["邻近 Near"] != "").any()
    assert any("M2 AND M5 (sentence, near 1)" in c.value for c in at.caption)

    at.session_state[f"cq_editor_{at.session_state['cq_gen']}"] = {
        "edited_rows": {0: {PICK: False}}, "added_rows": [], "deleted_rows": []}
    at.run()
    button = next(b for b in at.button if "为所选编码" in b.label)
    assert f"({len(spans) - 1})" in button.label and "M3" in button.label
    button.click().run()
    assert not at.exception and not at.error
    assert coded_by(demo, "ann", "M3") == set(spans[1:])
    assert any(f"已编码 coded {len(spans) - 1} 处" in s.value for s in at.success)
    frame = at.dataframe[0].value
    assert frame["已编码 Coded"].tolist() == [False] + [True] * (len(spans) - 1)

    next(b for b in at.sidebar.button if "撤销" in b.label).click().run()
    assert not at.exception
    assert coded_by(demo, "ann", "M3") == set()


def test_exclusions_paragraphs_and_bad_queries(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, timeout=120, no_errors=True)
    at.toggle(key="cq_pending").set_value(True).run()
    at.multiselect(key="cq_codes").set_value(["M4"]).run()
    at.multiselect(key="cq_exclude").set_value(["F3"]).run()
    at.radio(key="cq_level").set_value("paragraph").run()
    spans = expected(demo, CodingQuery.of(["M4"], exclude=["F3"], level="paragraph"), status=("accepted", "pending"))
    frame = at.dataframe[0].value
    assert len(frame) == len(spans) > 0
    every = expected(demo, CodingQuery.of(["M4"], level="paragraph"), status=("accepted", "pending"))
    assert len(spans) < len(every)
    assert next(b for b in at.button if "为所选编码" in b.label).disabled  # no coder name, no target code
    at.multiselect(key="cq_exclude").set_value(["M4"]).run()
    assert not at.exception
    assert any("both asked for and excluded" in e.value for e in at.error)


def test_a_co_occurrence_link_opens_the_query(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, timeout=120, no_errors=True, state={"cq_pending": True},
                  query={"codes": "M2,M4,X9", "level": "paragraph"})
    assert at.multiselect(key="cq_codes").value == ["M2", "M4"]  # an unknown key in the link is dropped
    assert at.radio(key="cq_level").value == "paragraph"
    spans = expected(demo, CodingQuery.of(["M2", "M4"], level="paragraph"), status=("accepted", "pending"))
    assert len(at.dataframe[0].value) == len(spans) > 0


def test_only_units_said_by_a_role(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, timeout=120, no_errors=True, state={"cq_pending": True})
    assert "包联人" in at.multiselect(key="cq_roles").options and "信访人" in at.multiselect(key="cq_roles").options
    at.multiselect(key="cq_codes").set_value(["M2"]).run()
    every = len(at.dataframe[0].value)
    at.multiselect(key="cq_roles").set_value(["包联人"]).run()
    frame = at.dataframe[0].value
    spans = expected(demo, CodingQuery.of(["M2"], roles=["包联人"]), status=("accepted", "pending"))
    assert 0 < len(frame) == len(spans) < every and set(frame["角色 Role"]) == {"包联人"}


def test_save_load_and_delete_a_query(monkeypatch, demo):
    from coding.saved_queries import saved_queries

    at = open_app(monkeypatch, demo, PAGE, coder="ann", timeout=120, no_errors=True, state={"cq_pending": True})
    at.multiselect(key="cq_codes").set_value(["M2", "M5"]).run()
    at.number_input(key="cq_near").set_value(1).run()
    at.text_input(key="cq_save_name").input("上门与<b>一事一策</b>").run()
    at.button(key="cq_save").click().run()
    assert not at.exception and not at.error
    assert any("已保存查询" in s.value for s in at.success)
    p = Project.open(demo)
    try:
        assert saved_queries(p) == {"上门与<b>一事一策</b>": CodingQuery.of(["M2", "M5"], near=1)}
    finally:
        p.close()
    # another session loads it into the fields
    other = open_app(monkeypatch, demo, PAGE, coder="bob", timeout=120, no_errors=True, state={"cq_pending": True})
    other.selectbox(key="cq_saved").set_value("上门与<b>一事一策</b>").run()
    assert other.multiselect(key="cq_codes").value == ["M2", "M5"] and other.number_input(key="cq_near").value == 1
    assert len(other.dataframe[0].value) == len(expected(demo, CodingQuery.of(["M2", "M5"], near=1),
                                                         status=("accepted", "pending")))
    at.button(key="cq_delete").click().run()
    assert not at.exception and any("已删除查询" in s.value for s in at.success)
    p = Project.open(demo)
    try:
        assert saved_queries(p) == {}
    finally:
        p.close()
