"""Summaries: a coder's summary of what a document says about a code, beside its coded segments (summary grid),
saved as one batch that one undo takes back, and the documents × codes summary table of the exports (real
database: SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import csv

import pytest

from coding.assignments import assign, set_blind
from coding.decisions import add_code, memo_target, memos, undo_last
from coding.errors import BaolianError
from coding.exports import export
from coding.summaries import set_summaries, summaries, summary_grid, summary_table
from coding.trash import delete_document

from .test_analysis_tables import import_small


@pytest.fixture
def docs(project, tmp_path):
    """ann: M5 on A1 and A2, M4.2 on B0; bob: M5 on B2; nothing on C."""
    found = import_small(project, tmp_path)
    a, b = found["访谈A"], found["政策B"]
    sa, sb = project.segments(a, "sentence"), project.segments(b, "sentence")
    for doc, seg, key, who in ((a, sa[1], "M5", "ann"), (a, sa[2], "M5", "ann"), (b, sb[0], "M4.2", "ann"),
                               (b, sb[2], "M5", "bob")):
        add_code(project, doc, seg.start, seg.end, key, coder=who)
    return found


def test_the_grid_shows_coded_segments_and_summaries(project, docs):
    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    grid = summary_grid(project, "M5", coder="ann")
    assert grid["document"].tolist() == ["访谈A", "政策B"]  # C has no M5
    assert grid["segments"].tolist() == [2, 1]
    assert grid["coded_text"].tolist() == ["甲：包联领导每周都来。\n我们建立了包联制度，包联干部很辛苦。", "第三条　考核问责。"]
    assert grid["summary"].tolist() == ["", ""] and grid["others"].tolist() == ["", ""]
    every = summary_grid(project, "M5", coder="ann", only_coded=False)
    assert every["document"].tolist() == ["访谈A", "政策B", "删除C"] and every["segments"].tolist() == [2, 1, 0]
    assert summary_grid(project, "M4", coder="ann")["document"].tolist() == ["政策B"]  # M4.2 counts for M4
    assert summary_grid(project, "M5", coder="ann", segment_coder="bob")["segments"].tolist() == [1]
    assert summary_grid(project, "M5", coder="ann", documents=[b])["document"].tolist() == ["政策B"]

    run = set_summaries(project, "M5", {a: "  包联领导常来，干部辛苦 ", c: "删前写的"}, coder="ann")
    assert (run.added, run.changed, run.removed) == (2, 0, 0)
    set_summaries(project, "M5", {a: "领导每周都来"}, coder="bob")
    grid = summary_grid(project, "M5", coder="ann")
    assert grid["document"].tolist() == ["访谈A", "政策B", "删除C"]  # C: no M5 segment, but a summary
    assert grid["summary"].tolist() == ["包联领导常来，干部辛苦", "", "删前写的"]  # stripped
    assert grid["others"].tolist() == ["bob: 领导每周都来", "", ""]
    assert summary_grid(project, "M5", coder="bob")["summary"].tolist() == ["领导每周都来", "", ""]
    delete_document(project, c, by="ann")
    assert summary_grid(project, "M5", coder="ann")["document"].tolist() == ["访谈A", "政策B"]
    on = {m["text"]: memo_target(m) for m in memos(project)}
    assert on["包联领导常来，干部辛苦"] == "summary"


def test_saving_is_one_batch_and_one_undo_takes_it_back(project, docs):
    a, b = docs["访谈A"], docs["政策B"]
    set_summaries(project, "M5", {a: "第一稿", b: "政策要求"}, coder="ann")
    run = set_summaries(project, "M5", {a: "第二稿", b: "", docs["删除C"]: ""}, coder="ann")
    assert (run.added, run.changed, run.removed) == (0, 1, 1)
    assert dict(zip(summaries(project)["document_id"], summaries(project)["text"])) == {a: "第二稿"}
    assert set_summaries(project, "M5", {a: "第二稿"}, coder="ann") == type(run)(0, 0, 0)  # nothing changed
    assert undo_last(project, coder="ann") == "memo.delete ×2"  # the edit and the removal together (named by the last)
    assert dict(zip(summaries(project)["document_id"], summaries(project)["text"])) == {a: "第一稿", b: "政策要求"}
    assert undo_last(project, coder="ann") == "memo.add ×2"
    assert summaries(project).empty


def test_the_summary_table_and_its_export(project, docs, tmp_path):
    a, b = docs["访谈A"], docs["政策B"]
    assert "文档摘要表" not in export(project, "md", tmp_path / "none.md").read_text(encoding="utf-8")
    set_summaries(project, "M5", {b: "考核问责", a: "每周都来"}, coder="ann")
    set_summaries(project, "M4", {b: "责任制"}, coder="ann")
    set_summaries(project, "M5", {b: "问责"}, coder="bob")
    table = summary_table(project)
    assert list(table.columns) == ["document_id", "document", "M4", "M5"]  # codebook order
    assert table["document"].tolist() == ["访谈A", "政策B"]  # import order
    assert table["M4"].tolist() == ["", "ann: 责任制"]
    assert table["M5"].tolist() == ["ann: 每周都来", "ann: 考核问责\nbob: 问责"]
    assert list(summary_table(project, codes=["M5"], documents=[b])["M5"]) == ["ann: 考核问责\nbob: 问责"]
    assert summary_table(project, codes=["F1"]).empty

    folder = tmp_path / "out"
    folder.mkdir()
    export(project, "csv", folder, codes=["M5"])
    rows = list(csv.DictReader(open(folder / "summaries.csv", encoding="utf-8-sig")))
    assert [(r["document"], r["M5"]) for r in rows] == [("访谈A", "ann: 每周都来"), ("政策B", "ann: 考核问责\nbob: 问责")]
    assert "M4" not in rows[0]
    markdown = export(project, "md", tmp_path / "paper.md").read_text(encoding="utf-8")
    assert "文档摘要表（文档 × 编码）" in markdown and "ann: 考核问责 bob: 问责" in markdown
    assert markdown.index("文档摘要表") < markdown.index("附录：编码本")
    from docx import Document as Word

    word = Word(str(export(project, "docx", tmp_path / "paper.docx", codes=["M4"])))
    (table,) = [t for t in word.tables if t.rows[0].cells[0].text == "文档" and len(t.columns) == 2]
    header = [c.text for c in table.rows[0].cells]
    assert header[0] == "文档" and header[1].startswith("M4 ")
    assert [c.text for c in table.rows[1].cells] == ["政策B", "ann: 责任制"]
    export(project, "csv", folder, coder="bob")
    rows = list(csv.DictReader(open(folder / "summaries.csv", encoding="utf-8-sig")))
    assert [(r["document"], r["M5"]) for r in rows] == [("政策B", "bob: 问责")]


def test_blinded_coders_see_only_their_own_summaries(project, docs):
    a = docs["访谈A"]
    set_summaries(project, "M5", {a: "ann 的摘要"}, coder="ann")
    set_summaries(project, "M5", {a: "bob 的摘要"}, coder="bob")
    assign(project, [a], ["ann", "bob"], by="ann")
    set_blind(project, True, by="ann")
    assert summaries(project, as_user="bob")["text"].tolist() == ["bob 的摘要"]
    grid = summary_grid(project, "M5", coder="bob", as_user="bob")
    assert grid.loc[grid["document_id"] == a, "others"].tolist() == [""]
    assert summary_table(project, as_user="bob")["M5"].tolist() == ["bob: bob 的摘要"]


def test_bad_summaries_are_refused(project, docs):
    with pytest.raises(BaolianError, match="unknown code X1") as err:
        summary_table(project, codes=["M5", "X1"])
    assert err.value.field == "codes"
    with pytest.raises(BaolianError, match="unknown code 'X1'") as err:
        summary_grid(project, "X1", coder="ann")
    assert err.value.field == "code"
    with pytest.raises(BaolianError, match="unknown code 'X1'"):
        set_summaries(project, "X1", {docs["访谈A"]: "x"}, coder="ann")
    with pytest.raises(BaolianError, match="no document #999") as err:
        set_summaries(project, "M5", {docs["访谈A"]: "不会留下", 999: "x"}, coder="ann")
    assert err.value.field == "document"
    assert summaries(project).empty  # all or nothing
