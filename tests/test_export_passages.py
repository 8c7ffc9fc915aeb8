"""The passages of a search or a coding query as a Word table of quotes: numbered, in document order, with their
document, speaker (and codes), the search named in the notes; read back with python-docx (SQLite, or PostgreSQL
with --db=postgresql)."""

from __future__ import annotations

import io

from docx import Document as Word

from coding.coding_query import CodingQuery, run_query
from coding.decisions import add_code
from coding.exports.passages import passages_docx
from coding.search_coding import find_passages

from .test_analysis_tables import import_small


def table_of(data: bytes):
    word = Word(io.BytesIO(data))
    (table,) = word.tables
    return [[c.text for c in row.cells] for row in table.rows], "\n".join(p.text for p in word.paragraphs)


def test_search_passages_as_quotes(project, tmp_path):
    import_small(project, tmp_path)
    found = find_passages(project, "包联 考核")
    rows, text = table_of(passages_docx(project, found, caption="检索结果", asked="检索 search: 包联 考核"))
    assert rows[0] == ["序号", "引语", "来源文档", "说话人"]
    assert rows[1:] == [["1", "访谈者：请谈谈包联工作。", "访谈A", "访谈者"],
                        ["2", "我们建立了包联制度，包联干部很辛苦。", "访谈A", "甲"],
                        ["3", "第三条 考核问责。", "政策B", "—"]]  # spaces of a table cell are one plain space
    assert "表 1 检索结果" in text and "检索 search: 包联 考核；共 3 处" in text and "Baolian" in text


def test_coding_query_passages_carry_their_codes(project, tmp_path):
    docs = import_small(project, tmp_path)
    a = docs["访谈A"]
    sa = project.segments(a, "sentence")
    for seg, key in ((sa[1], "M2"), (sa[2], "M2"), (sa[2], "M5")):
        add_code(project, a, seg.start, seg.end, key, coder="ann")
    query = CodingQuery.of(["M2", "M5"], near=1)
    found = run_query(project, query)
    rows, text = table_of(passages_docx(project, found, caption="编码查询结果", asked=query.describe()))
    assert rows[0][-1] == "编码" and [r[-1] for r in rows[1:]] == ["M2", "M2、M5"]
    assert "M2 AND M5 (sentence, near 1)" in text
    empty, _ = table_of(passages_docx(project, found.iloc[0:0], caption="编码查询结果", asked=query.describe()))
    assert empty[1][0].startswith("（无数据")
