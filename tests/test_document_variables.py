"""Document variables: set, remove, rename and import them from a spreadsheet (checked, all or nothing, in the
event log), group analyses by them, and carry them through a REFI-QDA export and import (real database: SQLite, or
PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import pandas as pd
import pytest

from coding.analysis import code_frequencies
from coding.decisions import add_code
from coding.document_variables import (
    rename_variable,
    set_variables,
    variable_names,
    variables_frame,
)
from coding.errors import BaolianError
from coding.roles import Forbidden
from coding.store import Event
from coding.variable_tables import read_variable_table

from .conftest import CORPUS
from .test_analysis_tables import import_small
from .test_cli import cli_project  # noqa: F401  (fixture)


@pytest.fixture
def docs(project, tmp_path):
    return import_small(project, tmp_path)


def values(project) -> dict[str, dict]:
    frame = variables_frame(project)
    names = [c for c in frame.columns if c not in ("document_id", "document", "kind", "date")]
    return {r["document"]: {n: r[n] for n in names if r[n] is not None} for _, r in frame.iterrows()}


def test_set_remove_and_list(project, docs):
    a, b = docs["访谈A"], docs["政策B"]
    assert set_variables(project, {a: {"街道": " X街道 ", "年份": 2020}, b: {"街道": "Y街道"}}, by="admin") == 2
    assert variable_names(project) == ["街道", "年份"]
    assert values(project) == {"访谈A": {"街道": "X街道", "年份": "2020"}, "政策B": {"街道": "Y街道"}, "删除C": {}}
    assert set_variables(project, {a: {"街道": "X街道"}}, by="admin") == 0  # no change, no event
    assert set_variables(project, {a: {"年份": ""}, b: {"街道": None}}, by="admin") == 2
    assert values(project)["访谈A"] == {"街道": "X街道"} and values(project)["政策B"] == {}
    with project.read() as s:
        events = [e for e in s.query(Event).order_by(Event.id) if e.action == "document.variables"]
    assert len(events) == 4 and events[-1].before == {"extra": {"街道": "Y街道"}} and events[-1].after["extra"] == {}


@pytest.mark.parametrize(("name", "message"), [("", "needs a name"), ("kind", "built-in"), ("Title", "built-in"),
                                               ("x" * 65, "longer than 64"), ("街\u200b道", "control characters"),
                                               ("var:街道", "built-in")])
def test_bad_names_are_refused_and_nothing_is_saved(project, docs, name, message):
    with pytest.raises(BaolianError, match=message):
        set_variables(project, {docs["访谈A"]: {"街道": "X"}, docs["政策B"]: {name: "Y"}}, by="admin")
    assert variable_names(project) == []  # the first document's change went with the refused one


def test_bad_values_and_documents_are_refused(project, docs):
    with pytest.raises(BaolianError, match="longer than 2000"):
        set_variables(project, {docs["访谈A"]: {"备注": "长" * 2001}}, by="admin")
    with pytest.raises(BaolianError, match="no document #999"):
        set_variables(project, {999: {"街道": "X"}}, by="admin")


def test_only_an_admin_sets_variables(project, docs):
    from coding.accounts import add_user

    add_user(project, "boss", "pw-123456-long", "admin", by=None)
    add_user(project, "coder1", "pw-123456-long", "coder", by="boss")
    with pytest.raises(Forbidden):
        set_variables(project, {docs["访谈A"]: {"街道": "X"}}, by="coder1")
    assert set_variables(project, {docs["访谈A"]: {"街道": "X"}}, by="boss") == 1


def test_rename(project, docs):
    a, b = docs["访谈A"], docs["政策B"]
    set_variables(project, {a: {"街道": "X", "区": "东"}, b: {"街道": "Y"}}, by="admin")
    with pytest.raises(BaolianError, match="already has a variable '区'"):
        rename_variable(project, "街道", "区", by="admin")
    with pytest.raises(BaolianError, match="no document has the variable"):
        rename_variable(project, "镇", "乡", by="admin")
    assert rename_variable(project, "街道", "街道办", by="admin") == 2
    assert values(project)["访谈A"] == {"区": "东", "街道办": "X"} and values(project)["政策B"] == {"街道办": "Y"}


def test_spreadsheets_set_variables(project, docs, tmp_path):
    csv = tmp_path / "vars.csv"
    csv.write_text("文件名,街道,年份\na.txt,X街道,2020\nb.txt,,2021\n", encoding="gb18030")
    changes = read_variable_table(project, csv)
    assert changes == {docs["访谈A"]: {"街道": "X街道", "年份": "2020"}, docs["政策B"]: {"年份": "2021"}}
    xlsx = tmp_path / "vars.xlsx"
    pd.DataFrame({"document_id": [docs["政策B"], docs["访谈A"]], "职级": ["副处", None], "年份": [2019, 2020],
                  "访谈日期": [pd.Timestamp("2020-10-15"), pd.Timestamp("2020-10-16 09:30")], "得分": [3.0, 2.5],
                  "kind": ["ignored", "ignored"]}).to_excel(xlsx, index=False)
    assert read_variable_table(project, xlsx) == {
        docs["政策B"]: {"职级": "副处", "年份": "2019", "访谈日期": "2020-10-15", "得分": "3"},
        docs["访谈A"]: {"年份": "2020", "访谈日期": "2020-10-16 09:30:00", "得分": "2.5"}}
    titled = tmp_path / "titles.csv"
    titled.write_text("\ufeffdocument,街道\n访谈A,X\n没有这份,Y\n", encoding="utf-8")
    with pytest.raises(BaolianError) as refused:
        read_variable_table(project, titled)
    assert (refused.value.line, refused.value.field) == (3, "document") and "没有这份" in str(refused.value)
    headless = tmp_path / "headless.csv"
    headless.write_text("名字,街道\nA,X\n", encoding="utf-8")
    with pytest.raises(BaolianError, match="no column names the documents"):
        read_variable_table(project, headless)
    with pytest.raises(BaolianError, match="unsupported table type"):
        read_variable_table(project, tmp_path / "vars.ods")


def test_frequencies_by_a_variable(project, docs):
    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    sa, sb = project.segments(a, "sentence"), project.segments(b, "sentence")
    for doc, seg in ((a, sa[0]), (a, sa[1]), (b, sb[0])):
        add_code(project, doc, seg.start, seg.end, "M1", coder="ann")
    set_variables(project, {a: {"街道": "X"}, c: {"街道": "X"}}, by="admin")
    freq = code_frequencies(project, by="var:街道")
    got = {r["var:街道"]: (r["segments"], r["documents"], r["document_share"]) for _, r in freq.iterrows()}
    assert got == {"X": (2, 1, 0.5), "—": (1, 1, 1.0)}  # X: A and C, only A coded; —: B
    with pytest.raises(BaolianError, match="var:街道"):
        code_frequencies(project, by="var:年份")


def test_variables_go_out_to_refi_qda_and_come_back(project, docs, new_location, tmp_path):
    from coding.project import Project
    from coding.refi import export_qdpx, import_refi

    from .test_refi import NS, qde_of, xsd

    set_variables(project, {docs["访谈A"]: {"街道": "X<街>道", "年份": "2020"}, docs["政策B"]: {"街道": "Y"}}, by="admin")
    out = export_qdpx(project, tmp_path / "vars.qdpx")
    root = qde_of(out)
    xsd("Project-mrt2019.xsd").assertValid(root)
    declared = [v.get("name") for v in root.iterfind("q:Variables/q:Variable", NS)]
    assert {"街道", "年份"} <= set(declared) and len(declared) == len(set(declared))
    fresh = Project.init(new_location("vars-fresh"))
    try:
        import_refi(fresh, out, user="carol")
        assert values(fresh) == values(project)
    finally:
        fresh.close()


def test_the_documents_table_of_the_exports_carries_the_variables(project, docs, tmp_path):
    import zipfile

    from openpyxl import load_workbook

    from coding.exports import export
    from coding.trash import delete_document

    set_variables(project, {docs["访谈A"]: {"街道": "X街道", "年份": "2020"}}, by="admin")
    delete_document(project, docs["删除C"], by="admin")
    book = load_workbook(export(project, "xlsx", tmp_path / "t.xlsx"), read_only=True)
    rows = list(book["documents"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:10] == ("document_id", "document", "kind", "date", "source", "filename", "characters", "sentences",
                           "cases", "participants") and header[10:] == ("街道", "年份")
    assert [r[1] for r in body] == ["访谈A", "政策B"]  # not the document in the trash
    first = dict(zip(header, body[0]))
    assert (first["街道"], first["年份"], first["cases"], first["participants"]) == ("X街道", "2020", "C1、C2",
                                                                                  "访谈者（研究者）、甲（包联人）")
    assert dict(zip(header, body[1]))["街道"] is None
    with zipfile.ZipFile(export(project, "csv", tmp_path / "t.zip")) as zf:
        name = next(n for n in zf.namelist() if n.endswith("documents.csv"))
        csv = pd.read_csv(zf.open(name), encoding="utf-8-sig", dtype=str)
    assert list(csv["街道"].fillna("")) == ["X街道", ""]


def test_conditions_pick_documents(project, docs):
    from coding.document_variables import condition_values, documents_where, parse_conditions

    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    set_variables(project, {a: {"街道": "X"}, b: {"街道": "Y"}}, by="admin")
    assert parse_conditions(["街道=X,Y", "kind=interview", "街道=Z"]) == {"街道": ["X", "Y", "Z"], "kind": ["interview"]}
    with pytest.raises(BaolianError, match="bad condition"):
        parse_conditions(["街道"])
    assert documents_where(project, {"街道": ["X", "—"]}) == [a, c]
    assert documents_where(project, {"街道": ["X", "Y"], "kind": ["policy"]}) == [b]
    assert documents_where(project, {"case": ["C1"]}) == [a, b] and documents_where(project, {"case": ["—"]}) == [c]
    assert condition_values(project, "街道") == ["X", "Y", "—"] and condition_values(project, "case") == ["C1", "C2", "—"]
    with pytest.raises(BaolianError, match="no variable '镇'"):
        documents_where(project, {"镇": ["X"]})


def test_analyses_count_only_the_documents_chosen(project, docs):
    from coding.analysis import code_document_matrix, cooccurrence
    from coding.analysis_words import kwic, word_frequencies

    a, b = docs["访谈A"], docs["政策B"]
    sa, sb = project.segments(a, "sentence"), project.segments(b, "sentence")
    for doc, seg, code in ((a, sa[1], "M1"), (a, sa[1], "M2"), (b, sb[0], "M1"), (b, sb[0], "M2"), (b, sb[1], "M1")):
        add_code(project, doc, seg.start, seg.end, code, coder="ann")
    only_b = [b]
    freq = code_frequencies(project, by="kind", documents=only_b)
    assert dict(zip(freq["code"], freq["segments"])) == {"M1": 2, "M2": 1} and set(freq["kind"]) == {"policy"}
    assert freq["document_share"].tolist() == [1.0, 1.0]  # of the one document chosen
    assert list(code_document_matrix(project, documents=only_b).columns) == ["政策B"]
    assert cooccurrence(project, documents=only_b)["count"].tolist() == [1]
    assert cooccurrence(project)["count"].tolist() == [2]
    assert set(kwic(project, "包联领导", documents=only_b)["document"]) == {"政策B"}
    assert set(kwic(project, code="M1", documents=[a])["document"]) == {"访谈A"}
    words = word_frequencies(project, documents=only_b, top=None, min_length=1)
    assert "督办" in set(words["word"]) and "干部" not in set(words["word"])


def test_exports_of_the_documents_chosen(project, docs, tmp_path):
    from openpyxl import load_workbook

    from coding.decisions import add_memo
    from coding.exports import export

    a, b = docs["访谈A"], docs["政策B"]
    sa, sb = project.segments(a, "sentence"), project.segments(b, "sentence")
    add_code(project, a, sa[1].start, sa[1].end, "M1", coder="ann")
    add_code(project, b, sb[0].start, sb[0].end, "M1", coder="ann")
    add_code(project, b, sb[1].start, sb[1].end, "M2", coder="ann")
    add_memo(project, "A 的备忘", coder="ann", document_id=a)
    add_memo(project, "项目备忘", coder="ann")
    book = load_workbook(export(project, "xlsx", tmp_path / "b.xlsx", documents=[b]), read_only=True)
    sheet = {name: list(book[name].iter_rows(values_only=True)) for name in ("metadata", "frequencies", "documents",
                                                                              "segments", "memos")}
    assert ("documents", "政策B") in sheet["metadata"]
    header = sheet["frequencies"][0]
    assert {(r[header.index("code")], r[header.index("segments")]) for r in sheet["frequencies"][1:]} == {
        ("M1", 1), ("M2", 1)}
    assert [r[1] for r in sheet["documents"][1:]] == ["政策B"]
    assert {r[sheet["segments"][0].index("document")] for r in sheet["segments"][1:]} == {"政策B"}
    assert [r[-1] for r in sheet["memos"][1:]] == ["项目备忘"]  # not the memo on the other document
    whole = load_workbook(export(project, "xlsx", tmp_path / "all.xlsx"), read_only=True)
    assert len(list(whole["segments"].iter_rows())) == 4


def test_a_refi_qda_project_of_the_documents_chosen(project, docs, new_location, tmp_path):
    """qdpx with chosen documents: only their sources, codings, memos and cases, the whole codebook, schema-valid,
    and an import of it brings exactly that."""
    import zipfile

    from coding.decisions import add_memo
    from coding.exports import export
    from coding.project import Project
    from coding.refi import import_refi

    from .test_refi import NS, qde_of, xsd

    a, b = docs["访谈A"], docs["政策B"]
    sa, sb = project.segments(a, "sentence"), project.segments(b, "sentence")
    add_code(project, a, sa[1].start, sa[1].end, "M1", coder="ann")
    add_code(project, b, sb[0].start, sb[0].end, "M2", coder="ann")
    add_memo(project, "A 的备忘", coder="ann", document_id=a)
    add_memo(project, "B 的备忘", coder="ann", document_id=b)
    add_memo(project, "项目备忘", coder="ann")
    out = export(project, "qdpx", tmp_path / "b.qdpx", documents=[b])
    root = qde_of(out)
    xsd("Project-mrt2019.xsd").assertValid(root)
    assert [s.get("name") for s in root.iterfind("q:Sources/q:TextSource", NS)] == ["政策B"]
    assert len(root.findall(".//q:Coding", NS)) == 1
    notes = {n.findtext("q:PlainTextContent", namespaces=NS) or n.get("name") for n in root.iterfind("q:Notes/q:Note", NS)}
    assert any("B 的备忘" in n for n in notes) and any("项目备忘" in n for n in notes)
    assert not any("A 的备忘" in n for n in notes)
    whole = qde_of(export(project, "qdpx", tmp_path / "all.qdpx"))
    assert len(whole.findall("q:Sources/q:TextSource", NS)) == 3 and len(whole.findall(".//q:Coding", NS)) == 2
    assert len(root.findall(".//q:CodeBook//q:Code", NS)) == len(whole.findall(".//q:CodeBook//q:Code", NS))
    with zipfile.ZipFile(out) as zf:
        assert f"1 documents chosen (document ids {b})" in zf.read("project.qde").decode("utf-8")
    fresh = Project.init(new_location("qdpx-chosen"))
    try:
        import_refi(fresh, out, user="carol")
        assert [d.title for d in fresh.documents()] == ["政策B"]
    finally:
        fresh.close()


def test_cli_export_where(cli_project, capsys, tmp_path):  # noqa: F811
    from .test_cli import run

    p = str(cli_project)
    assert run(capsys, "import", str(CORPUS), "--project", p)[0] == 0
    code, out, err = run(capsys, "export", "xlsx", "--out", str(tmp_path / "i.xlsx"), "--where", "kind=interview",
                         "--project", p)
    assert code == 0, err
    code, _, err = run(capsys, "export", "qdc", "--out", str(tmp_path / "p.qdc"), "--where", "kind=interview",
                       "--project", p)
    assert code == 2 and "holds every code, not documents" in err
    code, out, err = run(capsys, "export", "qdpx", "--out", str(tmp_path / "p.qdpx"), "--where", "kind=interview",
                         "--project", p)
    assert code == 0, err
    from coding.project import Project

    from .test_refi import NS, qde_of

    opened = Project.open(cli_project)
    kinds = {d.title: d.kind for d in opened.documents()}
    opened.close()
    names = [s.get("name") for s in qde_of(tmp_path / "p.qdpx").iterfind("q:Sources/q:TextSource", NS)]
    assert names and {kinds[n] for n in names} == {"interview"}


def test_the_history_says_what_changed(project, docs):
    from coding.audit import history as audit_history

    a = docs["访谈A"]
    set_variables(project, {a: {"街道": "X", "年份": "2020"}}, by="admin")
    set_variables(project, {a: {"街道": "Y", "年份": None}}, by="admin")
    summaries = [e.summary for e in audit_history(project, document=a, action="document.variables")]
    assert summaries[0].endswith("《访谈A》 街道: X → Y; 年份: 2020 → −")
    assert summaries[1].endswith("《访谈A》 街道: + X; 年份: + 2020")


def test_word_frequencies_by_a_variable(project, docs):
    from coding.analysis_words import word_frequencies

    set_variables(project, {docs["访谈A"]: {"街道": "X"}}, by="admin")
    words = word_frequencies(project, by="var:街道", top=None, min_length=2)
    groups = {value: set(part["word"]) for value, part in words.groupby("var:街道")}
    assert set(groups) == {"X", "—"}  # 政策B has no value (删除C's words are counted too: it is live here)
    assert "干部" in groups["X"] and "干部" not in groups["—"] and "督办" in groups["—"]
    with pytest.raises(BaolianError, match="var:街道"):
        word_frequencies(project, by="var:年份")
