"""Code line: where in one document each code is, unit by unit, on a small hand-coded project whose answer is known
(real database: SQLite, or PostgreSQL with --db=postgresql); and its chart renders offline."""

from __future__ import annotations

import pytest

from coding.analysis_codeline import code_line
from coding.charts import chart_bytes, code_line_chart
from coding.decisions import add_code
from coding.errors import BaolianError
from coding.trash import delete_document

from .test_analysis_tables import import_small


@pytest.fixture
def docs(project, tmp_path):
    """A: sentences A0..A2 (paragraphs [A0], [A1 A2]); ann: M2 on A0, M4.2 on A2, M5 across A1-A2; bob: M2 on A2."""
    found = import_small(project, tmp_path)
    a = found["访谈A"]
    sa = project.segments(a, "sentence")
    add_code(project, a, sa[0].start, sa[0].end, "M2", coder="ann")
    add_code(project, a, sa[2].start, sa[2].end, "M4.2", coder="ann")
    add_code(project, a, sa[1].start + 2, sa[2].start + 3, "M5", coder="ann")  # across two sentences
    add_code(project, a, sa[2].start, sa[2].end, "M2", coder="bob")
    return found


def cells(line):
    return list(zip(line["code"], line["position"]))


def test_each_code_at_each_unit_it_touches(project, docs):
    a = docs["访谈A"]
    line, n = code_line(project, a, level="sentence")
    assert n == 3
    assert cells(line) == [("M2", 1), ("M2", 3), ("M4.2", 3), ("M5", 2), ("M5", 3)]  # codebook order
    assert line.loc[0, "label"].startswith("M2 ") and line.loc[0, "color"].startswith("#")
    assert line.loc[0, "text"] == "访谈者：请谈谈包联工作。" and line.loc[0, "speaker"] == "访谈者"
    text = project.document_text(a)
    assert all(text[s:e].strip() for s, e in zip(line["start"], line["end"]))
    rolled, _ = code_line(project, a, level="sentence", rollup=True)
    assert cells(rolled) == [("M2", 1), ("M2", 3), ("M4", 3), ("M5", 2), ("M5", 3)]
    para, n = code_line(project, a)
    assert n == 2 and cells(para) == [("M2", 1), ("M2", 2), ("M4.2", 2), ("M5", 2)]
    assert cells(code_line(project, a, level="sentence", coder="bob")[0]) == [("M2", 3)]
    empty, n = code_line(project, docs["政策B"])
    assert empty.empty and n == 2


def test_the_chart_renders(project, docs):
    line, n = code_line(project, docs["访谈A"], level="sentence")
    svg = chart_bytes(code_line_chart(line, n, level="sentence", title="访谈A"), "svg").decode("utf-8")
    assert "访谈A" in svg and "M4.2" in svg and "句 sentence 1–3" in svg
    with pytest.raises(BaolianError, match="no codings"):
        code_line_chart(line.iloc[0:0], n)


def test_bad_requests_are_refused(project, docs):
    with pytest.raises(BaolianError, match="unknown level"):
        code_line(project, docs["访谈A"], level="page")
    c = docs["删除C"]
    delete_document(project, c, by="ann")
    with pytest.raises(BaolianError, match=f"document #{c} has no paragraphs") as err:
        code_line(project, c)
    assert err.value.field == "document"
