"""AppTest: document variables are added and edited on the Overview page (admins), shown read only to others,
and the Analysis page groups frequencies by them."""

from __future__ import annotations

import pytest

from coding.document_variables import set_variables, variables_frame
from coding.project import Project

from .apptest import demo_copy, open_app

OVERVIEW, ANALYSIS = "views/overview.py", "views/frequencies.py"


@pytest.fixture
def demo(coded_demo, tmp_path):
    return demo_copy(coded_demo, tmp_path, "variables")


def stored(path) -> dict[int, dict]:
    """Document id -> its variables, less 层级, which the demo corpus gives every document."""
    p = Project.open(path)
    try:
        frame = variables_frame(p)
        names = [c for c in frame.columns if c not in ("document_id", "document", "kind", "date")]
        return {int(r["document_id"]): {n: r[n] for n in names if r[n] is not None and n != "层级"}
                for _, r in frame.iterrows()}
    finally:
        p.close()


def editor(at):
    (frame,) = [d.value for d in at.dataframe if "文档 document" in d.value.columns or "document" in d.value.columns]
    return frame


def test_an_admin_adds_a_variable_and_fills_it_in(monkeypatch, demo):
    at = open_app(monkeypatch, demo, OVERVIEW, coder="ann", timeout=120, no_errors=True)
    at.text_input(key="ov_new_name").input("kind").run()
    next(b for b in at.button if "添加变量列" in b.label).click().run()
    assert any("built-in" in e.value for e in at.error)  # refused with the reason, nothing added
    at.text_input(key="ov_new_name").input("街道").run()
    next(b for b in at.button if "添加变量列" in b.label).click().run()
    assert not at.exception
    assert "街道" in at.dataframe[-1].value.columns
    at.session_state[f"ov_vars_{at.session_state['ov_vars_gen']}"] = {
        "edited_rows": {0: {"街道": "X街道"}, 2: {"街道": "<b>Y</b>"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    next(b for b in at.button if "保存变量" in b.label).click().run()
    assert not at.exception and not at.error
    first, third = sorted(stored(demo))[0], sorted(stored(demo))[2]
    assert stored(demo)[first] == {"街道": "X街道"} and stored(demo)[third] == {"街道": "<b>Y</b>"}
    assert any("已保存 saved: 2" in s.value for s in at.success)

    at = open_app(monkeypatch, demo, ANALYSIS, timeout=120, no_errors=True)
    at.toggle(key="freq_pending").set_value(True).run()  # the demo fixture has suggestions, no decisions
    at.selectbox(key="freq_by").set_value("var:街道").run()
    assert not at.exception and not at.error
    assert any({"X街道", "<b>Y</b>", "—"} <= set(d.value.columns) for d in at.dataframe)


def test_without_a_coder_the_variables_are_read_only(monkeypatch, demo):
    p = Project.open(demo)
    try:
        set_variables(p, {p.documents()[0].id: {"年份": "2020"}}, by="admin")
    finally:
        p.close()
    at = open_app(monkeypatch, demo, OVERVIEW, timeout=120, no_errors=True)
    assert not [b for b in at.button if "保存变量" in b.label]
    assert any("年份" in d.value.columns and "2020" in set(d.value["年份"].dropna()) for d in at.dataframe)


def test_an_admin_imports_a_spreadsheet(monkeypatch, demo, tmp_path):
    p = Project.open(demo)
    try:
        first, second = [d for d in p.documents()][:2]
    finally:
        p.close()
    at = open_app(monkeypatch, demo, OVERVIEW, coder="ann", timeout=120, no_errors=True)
    bad = f"filename,街道\n{first.filename},X\nnope.txt,Y\n".encode("utf-8")
    at.file_uploader(key="ov_vars_file").set_value(("vars.csv", bad, "text/csv")).run()
    next(b for b in at.button if "导入变量" in b.label).click().run()
    assert any("vars.csv:3: filename: no document 'nope.txt'" in e.value for e in at.error)
    assert stored(demo)[first.id] == {}  # nothing of a refused table is saved
    good = f"filename,街道,年份\n{first.filename},X,2020\n{second.filename},,2021\n".encode("utf-8")
    at.file_uploader(key="ov_vars_file").set_value(("vars.csv", good, "text/csv")).run()
    next(b for b in at.button if "导入变量" in b.label).click().run()
    assert not at.exception and not at.error
    assert stored(demo)[first.id] == {"街道": "X", "年份": "2020"} and stored(demo)[second.id] == {"年份": "2021"}
    assert any("2 份文档有变化" in s.value for s in at.success)


def test_the_analysis_page_counts_only_the_documents_chosen(monkeypatch, demo):
    p = Project.open(demo)
    try:
        first = p.documents()[0]
        set_variables(p, {first.id: {"街道": "X街道"}}, by="admin")
    finally:
        p.close()
    at = open_app(monkeypatch, demo, ANALYSIS, timeout=120, no_errors=True)
    at.toggle(key="freq_pending").set_value(True).run()
    at.selectbox(key="freq_by").set_value("document").run()
    assert any(len(d.value.columns) > 4 for d in at.dataframe if "total" in d.value.columns)  # many documents
    at.selectbox(key="analysis_where").set_value("街道").run()
    at.multiselect(key="analysis_where_街道").set_value(["X街道"]).run()
    assert not at.exception and not at.error
    assert any("1 份文档 documents" in c.value for c in at.caption)
    (wide,) = [d.value for d in at.dataframe if "total" in d.value.columns]
    assert list(wide.columns) == ["code", "name", first.title, "total"]


def test_hostile_variable_values_stay_text(monkeypatch, demo):
    hostile = "<img src=x onerror=alert(1)>**粗**"
    p = Project.open(demo)
    try:
        set_variables(p, {p.documents()[0].id: {"[链接](javascript:alert(1))": hostile}}, by="admin")
    finally:
        p.close()
    at = open_app(monkeypatch, demo, ANALYSIS, timeout=120, no_errors=True)
    at.selectbox(key="analysis_where").set_value("[链接](javascript:alert(1))").run()
    at.multiselect(key="analysis_where_[链接](javascript:alert(1))").set_value([hostile]).run()
    (caption,) = [c.value for c in at.caption if "份文档 documents" in c.value]
    assert "<img" not in caption and "&lt;img" in caption and "\\*\\*粗\\*\\*" in caption
    assert "\\[链接\\](javascript:alert(1))" in caption  # a link neither rendered nor followed


def test_memos_and_document_coding_of_the_documents_chosen(monkeypatch, demo):
    from coding.decisions import add_memo

    p = Project.open(demo)
    try:
        interview, policy = (next(d for d in p.documents() if d.kind == kind) for kind in ("interview", "policy"))
        add_memo(p, "访谈的备忘", coder="ann", document_id=interview.id)
        add_memo(p, "政策的备忘", coder="ann", document_id=policy.id)
        add_memo(p, "项目备忘", coder="ann")
        policies = {d.id for d in p.documents() if d.kind == "policy"}
    finally:
        p.close()
    at = open_app(monkeypatch, demo, "views/memos.py", coder="ann", timeout=120, no_errors=True)
    at.selectbox(key="memo_where").set_value("kind").run()
    at.multiselect(key="memo_where_kind").set_value(["policy"]).run()
    (frame,) = [d.value for d in at.dataframe]
    assert list(frame["备忘 Memo"]) == ["政策的备忘", "项目备忘"]
    coding = open_app(monkeypatch, demo, "views/document_coding.py", coder="ann", timeout=120, no_errors=True)
    coding.selectbox(key="dc_where").set_value("kind").run()
    coding.multiselect(key="dc_where_kind").set_value(["policy"]).run()
    assert not coding.exception and not coding.error
    labels = coding.selectbox(key="dc_doc").options  # "#13 [政策文件 policy] title"
    assert sorted(int(label[1:].split(" ")[0]) for label in labels) == sorted(policies)
    assert coding.selectbox(key="dc_doc").value in policies


def type_as_integer(monkeypatch, demo, name: str):
    """The Overview page after an admin picked ``name`` and the type integer and clicked 设定类型."""
    at = open_app(monkeypatch, demo, OVERVIEW, coder="ann", timeout=120, no_errors=True)
    at.selectbox(key="ov_type_name").set_value(name).run()
    at.selectbox(key=f"ov_type_kind_{name}").set_value("integer").run()
    next(b for b in at.button if "设定类型" in b.label).click().run()
    return at


def test_an_admin_types_a_variable_and_the_analysis_filters_a_range(monkeypatch, demo):
    p = Project.open(demo)
    try:
        ids = [d.id for d in p.documents()][:4]
        set_variables(p, {ids[0]: {"年龄": "9"}, ids[1]: {"年龄": "60"}, ids[2]: {"年龄": "100"},
                          ids[3]: {"年龄": "不详"}}, by="admin")
    finally:
        p.close()
    at = type_as_integer(monkeypatch, demo, "年龄")
    assert any("不详" in e.value and "not a whole number" in e.value for e in at.error)  # refused, with the reason
    p = Project.open(demo)
    try:
        set_variables(p, {ids[3]: {"年龄": ""}}, by="admin")
    finally:
        p.close()
    at = type_as_integer(monkeypatch, demo, "年龄")
    assert not at.exception and not at.error
    assert any("年龄 → 整数" in s.value for s in at.success)
    ages = editor(at)["年龄"].dropna().tolist()
    assert sorted(ages) == [9, 60, 100]  # numbers in the editor, not text

    at = open_app(monkeypatch, demo, ANALYSIS, timeout=120, no_errors=True)
    at.toggle(key="freq_pending").set_value(True).run()
    at.selectbox(key="freq_by").set_value("var:年龄").run()
    (wide,) = [d.value for d in at.dataframe if "total" in d.value.columns]
    assert list(wide.columns)[2:] == ["9", "60", "100", "—", "total"]  # in numeric order
    at.selectbox(key="analysis_where").set_value("年龄").run()
    at.slider(key="analysis_where_年龄_range").set_range(50, 100).run()
    assert not at.exception and not at.error
    assert any("2 份文档 documents" in c.value and "[50, 100]" in c.value for c in at.caption)
    (wide,) = [d.value for d in at.dataframe if "total" in d.value.columns]
    assert list(wide.columns)[2:] == ["60", "100", "total"]
