"""AppTest: the Summaries page lists each document's coded segments of a code beside the coder's summary, saves
what was written in the table as one batch (one undo takes it back), and shows the summary table."""

from __future__ import annotations

import pytest

from coding.project import Project
from coding.summaries import summaries, summary_grid

from .apptest import demo_copy, open_app

PAGE = "views/summaries.py"
MINE = "我的摘要 My summary"


@pytest.fixture
def demo(coded_demo, tmp_path):
    return demo_copy(coded_demo, tmp_path, "summaries")


def stored(path) -> dict[tuple[int, str, str], str]:
    p = Project.open(path)
    try:
        return {(int(r.document_id), r.code, r.coder): r.text for r in summaries(p).itertuples()}
    finally:
        p.close()


def test_write_save_and_undo_summaries(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, coder="ann", timeout=120, no_errors=True)
    assert any("选择一个编码" in i.value for i in at.info)
    at.toggle(key="sum_pending").set_value(True).run()
    at.selectbox(key="sum_code").set_value("M5").run()
    assert not at.exception and not at.error
    p = Project.open(demo)
    try:
        expected = summary_grid(p, "M5", coder="ann", status=("accepted", "pending"))
    finally:
        p.close()
    frame = at.dataframe[0].value
    assert frame["文档 Document"].tolist() == expected["document"].tolist() and len(frame) > 3
    assert frame["片段 Segments"].tolist() == expected["segments"].tolist()
    assert (frame[MINE] == "").all()

    key = f"sum_editor_{at.session_state['sum_gen']}"
    at.session_state[key] = {"edited_rows": {0: {MINE: "多次上门，一户一策"}, 2: {MINE: "  "}},
                             "added_rows": [], "deleted_rows": []}
    at.run()
    button = next(b for b in at.button if "保存摘要" in b.label)
    assert "(1)" in button.label  # a blank cell that was blank is no change
    button.click().run()
    assert not at.exception and not at.error
    first = int(expected["document_id"].iloc[0])
    assert stored(demo) == {(first, "M5", "ann"): "多次上门，一户一策"}
    assert any("新增 1 added" in s.value for s in at.success)
    assert at.dataframe[0].value[MINE].iloc[0] == "多次上门，一户一策"
    summary = at.dataframe[1].value
    assert summary.columns.tolist() == ["document", "M5"] and summary["M5"].tolist() == ["ann: 多次上门，一户一策"]

    next(b for b in at.sidebar.button if "撤销" in b.label).click().run()
    assert not at.exception
    assert stored(demo) == {}


def test_without_a_coder_the_grid_is_read_only(monkeypatch, demo):
    at = open_app(monkeypatch, demo, PAGE, timeout=120, no_errors=True)
    at.toggle(key="sum_pending").set_value(True).run()
    at.selectbox(key="sum_code").set_value("F1").run()
    assert len(at.dataframe[0].value) > 0
    assert next(b for b in at.button if "保存摘要" in b.label).disabled
    assert any("请先在侧栏填写编码员姓名" in c.value for c in at.caption)
    at.toggle(key="sum_pending").set_value(False).run()  # the demo copy has no accepted codings
    assert any("没有文档含此编码" in i.value for i in at.info)
