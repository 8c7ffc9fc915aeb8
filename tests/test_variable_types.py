"""Typed document variables (whole number, number, date, yes/no): values checked and stored in one canonical form,
types set with every value converted or nothing changed, renamed with their variable, compared and ranged in
conditions, ordered as numbers in analyses, written to spreadsheets as numbers and through REFI-QDA with their type
(real database: SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

from datetime import date

import pytest

from coding.document_variables import (
    condition_values,
    documents_where,
    parse_conditions,
    rename_variable,
    set_variables,
    variables_frame,
)
from coding.errors import BaolianError
from coding.roles import Forbidden
from coding.store import Event
from coding.variable_types import canonical, condition, set_variable_type, variable_types

from .test_analysis_tables import import_small


@pytest.fixture
def docs(project, tmp_path):
    return import_small(project, tmp_path)


def stored(project, name: str) -> dict[str, str | None]:
    return {d.title: d.variables.get(name) for d in project.documents()}


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("integer", "６０", "60"), ("integer", "1,200", "1200"), ("integer", 60.0, "60"), ("integer", " -3 ", "-3"),
    ("float", "3.50", "3.5"), ("float", 2.25, "2.25"), ("float", "1e-5", "0.00001"), ("float", "100", "100"),
    ("date", "2020年5月1日", "2020-05-01"), ("date", "2020/5/1", "2020-05-01"), ("date", date(2020, 5, 1), "2020-05-01"),
    ("date", "2020-05-01 00:00:00", "2020-05-01"), ("boolean", "Yes", "是"), ("boolean", "否", "否"),
    ("boolean", True, "是"), ("boolean", "0", "否"), ("text", " 东 ", "东"), ("integer", "", None), ("date", None, None),
])
def test_values_are_read_in_one_canonical_form(kind, value, expected):
    assert canonical(kind, value, field="v") == expected


@pytest.mark.parametrize(("kind", "value", "message"), [
    ("integer", "3.5", "not a whole number"), ("integer", "六十", "not a whole number"), ("float", "nan", "not a number"),
    ("float", "abc", "not a number"), ("date", "2020-13-01", "not a date"), ("date", "2020-05", "not a date"),
    ("boolean", "maybe", "not 是/否"), ("integer", "1e999999", "not a whole number"), ("float", "1e-40", "not a number"),
])
def test_values_of_the_wrong_kind_are_refused(kind, value, message):
    with pytest.raises(BaolianError, match=message) as refused:
        canonical(kind, value, field="年龄")
    assert refused.value.field == "年龄" and refused.value.hint


def test_a_type_converts_every_value_or_nothing(project, docs):
    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    set_variables(project, {a: {"年龄": "６０"}, b: {"年龄": "45.0"}, c: {"年龄": "不详"}}, by="admin")
    with pytest.raises(BaolianError, match="not a whole number") as refused:
        set_variable_type(project, "年龄", "integer", by="admin")
    assert "删除C" in refused.value.field  # names the document whose value does not fit
    assert variable_types(project) == {} and stored(project, "年龄") == {"访谈A": "６０", "政策B": "45.0", "删除C": "不详"}
    set_variables(project, {c: {"年龄": ""}}, by="admin")
    assert set_variable_type(project, "年龄", "integer", by="admin") == 2
    assert variable_types(project) == {"年龄": "integer"}
    assert stored(project, "年龄") == {"访谈A": "60", "政策B": "45", "删除C": None}
    with project.read() as s:
        actions = [e.action for e in s.query(Event).order_by(Event.id)]
    assert actions[-3:] == ["document.variables", "document.variables", "variable.types"]
    from coding.audit import history as audit_history

    (typed,) = audit_history(project, action="variable.types")
    assert typed.summary.endswith("年龄: text → integer")
    assert set_variable_type(project, "年龄", "text", by="admin") == 0 and variable_types(project) == {}
    with pytest.raises(BaolianError, match="unknown variable type 'number'"):
        set_variable_type(project, "年龄", "number", by="admin")
    with pytest.raises(BaolianError, match="no document has the variable '籍贯'"):
        set_variable_type(project, "籍贯", "integer", by="admin")


def test_values_of_a_typed_variable_are_checked_when_set(project, docs):
    a, b = docs["访谈A"], docs["政策B"]
    set_variables(project, {a: {"立案日期": "2020-01-05"}}, by="admin")
    set_variable_type(project, "立案日期", "date", by="admin")
    assert set_variables(project, {b: {"立案日期": "2021年3月9日"}}, by="admin") == 1
    assert stored(project, "立案日期")["政策B"] == "2021-03-09"
    with pytest.raises(BaolianError, match="not a date") as refused:
        set_variables(project, {a: {"街道": "X"}, b: {"立案日期": "去年"}}, by="admin")
    assert "政策B" in refused.value.field
    assert stored(project, "街道")["访谈A"] is None  # the whole change was refused


def test_only_an_admin_sets_a_type(project, docs):
    from coding.accounts import add_user

    add_user(project, "boss", "pw-123456-long", "admin", by=None)
    add_user(project, "coder1", "pw-123456-long", "coder", by="boss")
    set_variables(project, {docs["访谈A"]: {"年龄": "60"}}, by="boss")
    with pytest.raises(Forbidden):
        set_variable_type(project, "年龄", "integer", by="coder1")
    assert variable_types(project) == {}


def test_a_renamed_variable_keeps_its_type(project, docs):
    set_variables(project, {docs["访谈A"]: {"年龄": "60"}}, by="admin")
    set_variable_type(project, "年龄", "integer", by="admin")
    rename_variable(project, "年龄", "受访者年龄", by="admin")
    assert variable_types(project) == {"受访者年龄": "integer"}
    with pytest.raises(BaolianError, match="not a whole number"):
        set_variables(project, {docs["政策B"]: {"受访者年龄": "五十"}}, by="admin")


def test_conditions_compare_numbers_and_dates(project, docs):
    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    set_variables(project, {a: {"年龄": "9", "立案日期": "2020-01-05", "街道": "<b>..X"},
                            b: {"年龄": "60", "立案日期": "2021-03-09"}, c: {"年龄": "100"}}, by="admin")
    set_variable_type(project, "年龄", "integer", by="admin")
    set_variable_type(project, "立案日期", "date", by="admin")
    types = variable_types(project)
    assert documents_where(project, parse_conditions(["年龄>=60"], types)) == [b, c]
    assert documents_where(project, parse_conditions(["年龄<60"], types)) == [a]  # 9 < 60 as numbers, not as text
    assert documents_where(project, parse_conditions(["年龄=10..99"], types)) == [b]
    assert documents_where(project, parse_conditions(["年龄=60.0,100"], types)) == [b, c]
    assert documents_where(project, parse_conditions(["立案日期=2020-01-01..2020-12-31"], types)) == [a]
    assert documents_where(project, parse_conditions(["立案日期>2020年6月1日"], types)) == [b]
    assert documents_where(project, parse_conditions(["立案日期=—"], types)) == [c]
    assert documents_where(project, {"街道": ["<b>..X"]}) == [a]  # a text value is only ever itself
    assert condition_values(project, "年龄") == ["9", "60", "100"]
    with pytest.raises(BaolianError, match="'街道' is a text variable") as refused:
        parse_conditions(["街道>=3"], types)
    assert "baolian variables type 街道 integer" in refused.value.hint
    with pytest.raises(BaolianError, match="not a whole number"):
        documents_where(project, {"年龄": [">=sixty"]})
    with pytest.raises(BaolianError, match="has no ends"):
        condition("integer", "..", name="年龄")


def test_tables_get_numbers_and_dates(project, docs, tmp_path):
    from openpyxl import load_workbook

    from coding.exports import export
    from coding.variable_tables import read_variable_table

    a, b = docs["访谈A"], docs["政策B"]
    set_variables(project, {a: {"年龄": "60", "得分": "2.5", "立案日期": "2020-01-05", "包案": "是"}}, by="admin")
    for name, kind in (("年龄", "integer"), ("得分", "float"), ("立案日期", "date"), ("包案", "boolean")):
        set_variable_type(project, name, kind, by="admin")
    frame = variables_frame(project, typed=True)
    first = frame[frame["document_id"] == a].iloc[0]
    assert (first["年龄"], first["得分"], first["立案日期"], first["包案"]) == (60, 2.5, date(2020, 1, 5), "是")
    assert variables_frame(project)["年龄"].tolist()[0] == "60"  # untyped by default
    with project.transaction() as s:  # a value written around the checks keeps its column text, never mixed
        from coding.store import Document

        s.get(Document, b).extra = {"年龄": "不详"}
    assert variables_frame(project, typed=True).set_index("document_id")["年龄"].to_dict() == {
        a: "60", b: "不详", docs["删除C"]: None}
    set_variables(project, {b: {"年龄": None}}, by="admin")
    book = load_workbook(export(project, "xlsx", tmp_path / "t.xlsx"), read_only=True)
    header, row, *_ = book["documents"].iter_rows(values_only=True)
    cells = dict(zip(header, row))
    assert cells["年龄"] == 60 and cells["得分"] == 2.5 and cells["立案日期"].date() == date(2020, 1, 5)
    sheet = tmp_path / "vars.csv"
    sheet.write_text(f"document_id,年龄,包案\n{a},61,否\n{b},七十,是\n", encoding="utf-8")
    with pytest.raises(BaolianError, match="not a whole number") as refused:
        read_variable_table(project, sheet)
    assert (refused.value.file, refused.value.line, refused.value.field) == (str(sheet), 3, "column '年龄'")
    sheet.write_text(f"document_id,年龄,包案\n{a},61,否\n{b},70,yes\n", encoding="utf-8")
    assert read_variable_table(project, sheet) == {a: {"年龄": "61", "包案": "否"}, b: {"年龄": "70", "包案": "是"}}


def test_types_go_out_to_refi_qda_and_come_back(project, docs, new_location, tmp_path):
    from coding.project import Project
    from coding.refi import export_qdpx, import_refi

    from .test_refi import NS, qde_of, xsd

    a, b = docs["访谈A"], docs["政策B"]
    set_variables(project, {a: {"年龄": "60", "得分": "2.5", "立案日期": "2020-01-05", "包案": "是", "街道": "X"},
                            b: {"年龄": "45", "包案": "否"}}, by="admin")
    for name, kind in (("年龄", "integer"), ("得分", "float"), ("立案日期", "date"), ("包案", "boolean")):
        set_variable_type(project, name, kind, by="admin")
    out = export_qdpx(project, tmp_path / "typed.qdpx")
    root = qde_of(out)
    xsd("Project-mrt2019.xsd").assertValid(root)
    declared = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert {k: declared[k] for k in ("年龄", "得分", "立案日期", "包案", "街道")} == {
        "年龄": "Integer", "得分": "Float", "立案日期": "Date", "包案": "Boolean", "街道": "Text"}
    source = root.find("q:Sources/q:TextSource", NS)
    written = {vv.find("q:VariableRef", NS).get("targetGUID"): vv[1].tag.split("}")[1] + "=" + vv[1].text
               for vv in source.iterfind("q:VariableValue", NS)}
    assert {"IntegerValue=60", "FloatValue=2.5", "DateValue=2020-01-05", "BooleanValue=true"} <= set(written.values())
    fresh = Project.init(new_location("typed-fresh"))
    try:
        import_refi(fresh, out, user="carol")
        assert variable_types(fresh) == variable_types(project)
        assert stored(fresh, "包案") == stored(project, "包案") and stored(fresh, "年龄") == stored(project, "年龄")
    finally:
        fresh.close()


def test_a_declared_type_the_values_do_not_fit_stays_text(project, docs, new_location, tmp_path):
    """Another program's file says Integer but a value is not one: the variable comes in as text, and the
    import's report says so."""
    import zipfile

    from coding.project import Project
    from coding.refi import export_qdpx, import_refi

    set_variables(project, {docs["访谈A"]: {"年龄": "60"}, docs["政策B"]: {"年龄": "45"}}, by="admin")
    set_variable_type(project, "年龄", "integer", by="admin")
    out = export_qdpx(project, tmp_path / "typed.qdpx")
    broken = tmp_path / "broken.qdpx"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "project.qde":
                data = data.replace(b"<IntegerValue>45</IntegerValue>", b"<IntegerValue>046</IntegerValue>")
                data = data.replace(b"<IntegerValue>60</IntegerValue>", b"<TextValue>sixty</TextValue>")
            dst.writestr(item, data)
    fresh = Project.init(new_location("typed-broken"))
    try:
        report = import_refi(fresh, broken, user="carol")
        assert variable_types(fresh) == {} and sorted(v for v in stored(fresh, "年龄").values() if v) == ["046", "sixty"]
        assert any("'年龄' kept as text" in line and "sixty" in line for line in report.skipped)
    finally:
        fresh.close()


def test_undo_takes_back_values_and_a_type_with_its_conversion(project, docs):
    from coding.decisions import undo_last

    a, b = docs["访谈A"], docs["政策B"]
    set_variables(project, {a: {"年龄": "６０"}, b: {"年龄": "45"}}, by="admin")
    set_variable_type(project, "年龄", "integer", by="admin")
    assert undo_last(project, coder="admin") == "variable.types ×2"  # the type and the one value it rewrote
    assert variable_types(project) == {} and stored(project, "年龄")["访谈A"] == "６０"
    assert undo_last(project, coder="admin") == "document.variables ×2"  # both documents' values, one batch
    assert stored(project, "年龄") == {"访谈A": None, "政策B": None, "删除C": None}
    set_variables(project, {a: {"街道": "X"}}, by="admin")
    set_variables(project, {a: {"街道": "Y"}}, by="admin")
    with project.transaction() as s:  # someone changes the document behind the undo's back
        from coding.store import Document

        s.get(Document, a).extra = {"街道": "Z"}
    with pytest.raises(BaolianError, match="changed again since"):
        undo_last(project, coder="admin")
    assert stored(project, "街道")["访谈A"] == "Z"


def test_document_sets_go_out_as_sets_and_come_back_as_yes_no_variables(project, docs, new_location, tmp_path):
    """A yes/no variable 集合 NAME is also a REFI-QDA Set of its documents; a Set in another program's file (MAXQDA's
    document sets) comes in as that variable, typed yes/no; its codes are reported, not imported."""
    import zipfile

    from lxml import etree

    from coding.project import Project
    from coding.refi import export_qdpx, import_refi

    from .test_refi import NS, qde_of, xsd

    a, b = docs["访谈A"], docs["政策B"]
    set_variables(project, {a: {"集合 第一轮": "是"}, b: {"集合 第一轮": "否"}}, by="admin")
    set_variable_type(project, "集合 第一轮", "boolean", by="admin")
    out = export_qdpx(project, tmp_path / "sets.qdpx")
    root = qde_of(out)
    xsd("Project-mrt2019.xsd").assertValid(root)
    names = {s.get("guid"): s.get("name") for s in root.iterfind("q:Sources/q:TextSource", NS)}
    (found,) = root.findall("q:Sets/q:Set", NS)
    assert found.get("name") == "第一轮"
    assert [names[m.get("targetGUID")] for m in found.iterfind("q:MemberSource", NS)] == ["访谈A"]
    # another program's file: the same set with a code in it too, and the variable left out
    code_guid = root.find(".//q:CodeBook//q:Code", NS).get("guid")
    foreign = tmp_path / "foreign.qdpx"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(foreign, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "project.qde":
                tree = etree.fromstring(data)
                variable = tree.find("q:Variables/q:Variable[@name='集合 第一轮']", NS)
                for value in tree.iterfind(".//q:VariableValue", NS):
                    if value.find("q:VariableRef", NS).get("targetGUID") == variable.get("guid"):
                        value.getparent().remove(value)
                variable.getparent().remove(variable)
                member = tree.find("q:Sets/q:Set", NS)
                member.insert(0, etree.Element(f"{{{NS['q']}}}MemberCode", targetGUID=code_guid))
                data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
            dst.writestr(item, data)
    fresh = Project.init(new_location("sets-fresh"))
    try:
        report = import_refi(fresh, foreign, user="carol")
        assert report.sets == ["集合 第一轮"] and any("集合 sets" in line for line in report.lines())
        assert any("Set '第一轮': 1 code(s)" in line for line in report.skipped)
        assert variable_types(fresh)["集合 第一轮"] == "boolean"
        assert stored(fresh, "集合 第一轮")["访谈A"] == "是"
        assert documents_where(fresh, {"集合 第一轮": ["是"]}) == [d.id for d in fresh.documents() if d.title == "访谈A"]
    finally:
        fresh.close()
