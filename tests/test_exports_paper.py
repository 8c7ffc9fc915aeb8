"""Tables for papers: DOCX (python-docx: three-line borders, 宋体 East Asian font, caption, notes), LaTeX
(syntax check; a real xelatex compile where one is installed) and Markdown (pipe escaping)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from coding.exports import export
from coding.exports import latex as tex
from coding.exports import markdown as md
from coding.project import Project

from .test_exports import HARD_PIECES, M1_TEXT, SPECIAL, hard, hp, p, small  # noqa: F401 - fixtures


def _xelatex_missing() -> bool:
    if shutil.which("xelatex") is not None:
        return False
    if os.environ.get("BAOLIAN_REQUIRE_XELATEX") == "1":  # set by .ci/run: a compile must happen there
        pytest.fail("xelatex is required here (BAOLIAN_REQUIRE_XELATEX=1) but not installed")
    return True


needs_xelatex = pytest.mark.skipif(_xelatex_missing(), reason="xelatex is not installed here; syntax check only")


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# -- DOCX --------------------------------------------------------------------------------------------------

def _borders(element, tag):
    found = element.find(f".//{W}{tag}")
    assert found is not None, f"no {tag}"
    return {child.tag.removeprefix(W): (child.get(f"{W}val"), child.get(f"{W}sz")) for child in found}


def test_docx_three_line_tables_with_captions_and_notes(p, tmp_path):
    from docx import Document

    doc = Document(str(export(p, "docx", tmp_path / "t.docx", n_quotes=2)))
    assert len(doc.tables) == 4
    body = list(doc.element.body)
    for number, table in enumerate(doc.tables, start=1):
        tbl = table._tbl
        borders = _borders(tbl.tblPr, "tblBorders")
        assert borders["top"] == ("single", "12") and borders["bottom"] == ("single", "12")
        assert {borders[e][0] for e in ("left", "right", "insideH", "insideV")} == {"nil"}
        for cell in table.rows[0].cells:
            assert _borders(cell._tc.tcPr, "tcBorders")["bottom"] == ("single", "6")
        for row in table.rows[1:]:
            assert all(cell._tc.tcPr.find(f"{W}tcBorders") is None for cell in row.cells)
        i = body.index(tbl)
        caption, notes = body[i - 1], body[i + 1]
        caption_text = "".join(caption.itertext())
        assert caption_text.startswith("附表 1 " if number == 4 else f"表 {number} ")
        assert "".join(notes.itertext()).startswith("注：")
    captions = [par.text for par in doc.paragraphs if par.text.startswith(("表 ", "附表 "))]
    assert captions == ["表 1 编码频次统计", "表 2 典型引语", "表 3 三级编码表（开放式编码 → 主轴编码 → 选择性编码）",
                        "附表 1 附录：编码本"]
    freq = doc.tables[0]
    assert [c.text for c in freq.rows[0].cells] == ["编码", "名称", "片段数", "占比（%）", "文档数", "字数"]
    assert [r.cells[0].text for r in freq.rows[1:]] == ["F1", "M1", "M1.1", "M2"]
    assert [r.cells[2].text for r in freq.rows[1:]] == ["1", "1", "1", "1"]
    quotes = doc.tables[1]
    assert any(r.cells[3].text == M1_TEXT and r.cells[4].text == "访谈A" and r.cells[5].text == "LHY"
               for r in quotes.rows[1:])
    assert any(SPECIAL in r.cells[3].text for r in quotes.rows[1:])
    # every run names an East Asian font; body text 宋体 with a Latin font
    runs = doc.element.body.findall(f".//{W}r")
    fonts = [r.find(f"{W}rPr/{W}rFonts") for r in runs if r.find(f"{W}t") is not None]
    assert fonts and all(f is not None and f.get(f"{W}eastAsia") for f in fonts)
    cell_run = freq.rows[1].cells[0].paragraphs[0].runs[0]._r
    assert cell_run.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "宋体"
    assert cell_run.find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "Times New Roman"
    normal = doc.styles["Normal"].element.find(f"{W}rPr/{W}rFonts")
    assert normal.get(f"{W}eastAsia") == "宋体"
    # metadata: codebook version, filters, date
    text = "\n".join(par.text for par in doc.paragraphs)
    assert "编码本版本 codebook version: 1.0.0" in text and "编码状态 status: accepted" in text
    assert re.search(r"导出时间 exported: \d{4}-\d\d-\d\d", text)
    assert "codebook_version=1.0.0" in doc.core_properties.comments


def test_docx_of_a_project_without_codings(project, tmp_path):
    from docx import Document

    doc = Document(str(export(project, "docx", tmp_path / "empty.docx")))
    assert doc.tables[0].rows[1].cells[0].text == "（无数据 no data）"
    assert len(doc.tables[3].rows) > 20  # the codebook appendix is there anyway


# -- LaTeX -------------------------------------------------------------------------------------------------

def latex_problems(src: str) -> list[str]:
    """A syntax check: braces balance, environments nest, no unescaped special character outside the
    comment lines, and every tabular row has as many cells as the column spec."""
    problems, stack, depth = [], [], 0
    lines = [line for line in src.splitlines() if not line.startswith("%")]
    text = "\n".join(lines)
    i = 0
    cols = None
    row_cells = 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+)", text[i:])
            if m:
                name = m.group(1)
                if name in ("begin", "end"):
                    env = re.match(r"\\(?:begin|end)\{([^}]*)\}", text[i:])
                    if env is None:
                        problems.append(f"bad \\{name} at {i}")
                    elif name == "begin":
                        stack.append(env.group(1))
                        if env.group(1) == "longtable":
                            spec = re.match(r"\\begin\{longtable\}\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}",
                                            text[i:])
                            cols = len(re.findall(r"p\{", spec.group(1))) if spec else None
                    elif not stack or stack.pop() != env.group(1):
                        problems.append(f"\\end{{{env.group(1)}}} does not close the open environment")
                    elif env.group(1) == "longtable":
                        cols = None
                i += len(m.group(0))
                continue
            if text[i + 1:i + 2] == "\\" and cols is not None:  # end of a table row
                if row_cells not in (1, cols):
                    problems.append(f"row with {row_cells} cells, expected {cols}: {text[max(0, i - 80):i]}")
                row_cells = 1
            i += 2  # an escaped character (\#, \{, \\ …)
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                problems.append(f"unbalanced }} at {i}")
                depth = 0
        elif ch == "&":
            if cols is None:
                problems.append(f"& outside a table at {i}")
            row_cells += 1
        elif ch in "#$%_^~":
            problems.append(f"unescaped {ch!r} at {i}: {text[max(0, i - 30):i + 30]}")
        i += 1
    if depth:
        problems.append(f"{depth} unclosed braces")
    if stack:
        problems.append(f"unclosed environments {stack}")
    return problems


def test_latex_escape_every_special_character():
    assert tex.escape("a#b$c%d&e_f{g}h~i^j\\k") == (
        r"a\#b\$c\%d\&e\_f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k")
    assert tex.escape("百分之50%，见附件#2") == r"百分之50\%，见附件\#2"
    assert latex_problems(tex.escape(SPECIAL + "\n第二行")) == []


def test_latex_rows_starting_with_a_bracket_or_star():
    from coding.exports.paper import PaperTable

    table = PaperTable("t", "标题", ("a", "b"), (("[注] 开头", "x"), ("*号", "y"), ("普通", "z")), "注释",
                       (0.5, 0.5), (False, False))
    src = tex.render_table(table)
    assert "\n{}[注] 开头 & x \\\\" in src and "\n{}*号 & y" in src and "\n普通 & z" in src
    assert latex_problems(src) == []


def test_the_syntax_check_catches_mistakes():
    assert latex_problems(r"\begin{document} 50% \end{document}")
    assert latex_problems(r"\begin{document} {a \end{document}")
    assert latex_problems(r"\begin{table} \end{document}")


def test_latex_document(p, tmp_path):
    src = export(p, "latex", tmp_path / "t.tex").read_text(encoding="utf-8")
    assert latex_problems(src) == []
    assert r"\documentclass[UTF8,a4paper]{ctexart}" in src and r"\usepackage{booktabs,longtable,array}" in src
    assert src.count(r"\toprule") == 8 and src.count(r"\bottomrule") == 4  # first and continued heads
    for key in ("frequencies", "quotes", "levels", "codebook"):
        assert rf"\label{{tab:{key}}}" in src
    assert r"\caption{典型引语}" in src
    assert tex.escape(SPECIAL) in src and SPECIAL not in src
    assert "% 编码本版本 codebook version: 1.0.0" in src and r"注：" in src
    assert re.search(r"M1 & 层层嵌套的责任机制 & 1 & 25\.0 & 1 & \d+ \\\\", src)


@needs_xelatex
def test_latex_compiles_with_xelatex(p, tmp_path):
    path = export(p, "latex", tmp_path / "t.tex")
    run = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", path.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "t.pdf").pages)
    flat = "".join(text.split())
    for piece in ("50%", "$100", "#1", "~a", "^b", "\\c", "_d", "|e"):  # the specials print as themselves
        assert piece in flat, piece


@needs_xelatex
def test_demo_export_with_suggestions_compiles(coded_demo, tmp_path):
    p = Project.open(coded_demo)
    try:
        path = export(p, "latex", tmp_path / "demo.tex", status="accepted,suggested")
    finally:
        p.close()
    assert latex_problems(path.read_text(encoding="utf-8")) == []
    run = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", path.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]


# -- Markdown ----------------------------------------------------------------------------------------------

def cells(line: str) -> list[str]:
    """Cells of a pipe-table row, splitting on unescaped pipes only."""
    inner = line.strip()[1:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def test_markdown_pipes_escaped(p, tmp_path):
    src = export(p, "md", tmp_path / "t.md").read_text(encoding="utf-8")
    assert "- 编码本版本 codebook version: 1.0.0" in src and "- 编码状态 status: accepted" in src
    assert "**表 2 典型引语**" in src and "**附表 1 附录：编码本**" in src
    tables, current = [], None
    for line in src.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            current.append(cells(line))
        else:
            current = None
    assert len(tables) == 4
    for table in tables:
        assert len({len(row) for row in table}) == 1  # every row as wide as the header
    quotes = tables[1]
    special = [row for row in quotes if "\\|e" in row[3]]
    assert special and special[0][3] == md.escape(SPECIAL)
    assert md.escape("a|b") == r"a\|b" and md.escape("<b>") == r"\<b\>"
    assert ["F1", "M1", "M1.1", "M2"] == [row[0] for row in tables[0][2:]]


def test_paper_formats_follow_the_coder_filter(p, tmp_path):
    src = export(p, "md", tmp_path / "bob.md", coder="bob").read_text(encoding="utf-8")
    assert "- 编码员 coder: bob" in src
    first = src.split("**表 2")[0]
    assert "| M2 |" in first and "| F1 |" not in first


def test_long_quotes_are_shortened_in_paper_tables_only(p):
    import pandas as pd

    from coding.exports import paper
    from coding.exports import tables as tb

    t = tb.build(p, tb.make_filters())
    long = "长" * 500
    t.quotes = pd.concat([t.quotes, t.quotes.iloc[[0]].assign(quote=long, rank=2)], ignore_index=True)
    rendered = paper.quotes_table(t)
    assert ("长" * paper.MAX_QUOTE + "……") in {row[3] for row in rendered.rows}
    assert long in set(t.quotes["quote"])


def test_a_short_fragment_is_quoted_last(p):
    from coding.exports import tables as tb

    segs = tb.build(p, tb.make_filters()).segments
    m1 = segs[segs["code"] == "M1"].iloc[[0]]
    import pandas as pd

    fragment = m1.assign(text="五包", start=100, end=102, coder="cy")  # one indicator, but only two characters
    plain = m1.assign(text="这一句没有任何指示词但足够长可以引用。", start=200, end=219, coder="cy")
    ranked = tb.quotes(pd.concat([fragment, plain]), p.codebook(), n=2)
    assert list(ranked["quote"]) == ["五包", "这一句没有任何指示词但足够长可以引用。"]  # indicator hits still first
    ranked = tb.quotes(pd.concat([fragment.assign(text="协调"), plain]), p.codebook(), n=2)
    assert list(ranked["quote"]) == ["这一句没有任何指示词但足够长可以引用。", "协调"]


def test_quotes_cut_from_a_longer_quotation_lose_the_unmatched_mark():
    from coding.exports.paper import MAX_QUOTE, _shorten

    assert _shorten("“这些积案在部门层面转了十几年，说明单靠一个部门解决不了。") == "这些积案在部门层面转了十几年，说明单靠一个部门解决不了。"
    assert _shorten("大家按政策放心去办。”") == "大家按政策放心去办。"
    assert _shorten("他说，“我们心里踏实多了。”") == "他说，“我们心里踏实多了。”"  # balanced: kept
    assert _shorten("「一件一策」") == "「一件一策」"
    assert _shorten("长" * (MAX_QUOTE + 5)) == "长" * MAX_QUOTE + "……"


def test_long_quotes_are_not_cut_inside_a_character():
    from coding.exports.paper import MAX_QUOTE, _shorten

    flag = "长" * (MAX_QUOTE - 1) + "🇨🇳" + "尾" * 5  # the cut would fall between the flag's two code points
    assert _shorten(flag) == "长" * (MAX_QUOTE - 1) + "……"
    pair = "长" * (MAX_QUOTE - 2) + "🇨🇳" + "尾" * 5  # the whole flag fits
    assert _shorten(pair) == "长" * (MAX_QUOTE - 2) + "🇨🇳……"
    family = "长" * (MAX_QUOTE - 2) + "👨\u200d👩\u200d👧" + "尾"
    assert _shorten(family) == "长" * (MAX_QUOTE - 2) + "……"
    accent = "e" * (MAX_QUOTE - 1) + "e\u0301" + "x" * 3  # e + combining acute
    assert _shorten(accent) == "e" * (MAX_QUOTE - 1) + "……"


def test_markdown_cells_render_as_the_quoted_text(hp, tmp_path):
    """Rendered by a CommonMark parser (markdown-it, tables on), every quote cell shows the quote itself:
    entities such as &amp; stay literal, and so do <b>, ~, ^, $, pipes and the non-BMP characters."""
    import html

    from markdown_it import MarkdownIt

    src = export(hp, "md", tmp_path / "hard.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(src)
    cells = {html.unescape(c) for c in re.findall(r"<td(?: [^>]*)?>(.*?)</td>", rendered)}
    for code in ("M1", "M2", "M1.1", "F1"):
        assert " ".join(HARD_PIECES[code].split()) in cells, code
    assert "a &amp; b ~~c~~ ^d^ $e$ <i>f</i> | g" in {
        html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", MarkdownIt("commonmark").enable("table").enable(
            "strikethrough").render("| x |\n|---|\n| " + md.escape("a &amp; b ~~c~~ ^d^ $e$ <i>f</i> | g") + " |"))}


def test_latex_escape_keeps_the_tex_ligatures_from_changing_quotes():
    assert tex.escape('说"好" it\'s `x` 2019--2020 <<a>> ,,b') == (
        r"说\textquotedbl{}好\textquotedbl{} it\textquotesingle{}s \textasciigrave{}x\textasciigrave{} "
        r"2019-{}-2020 <{}<a>{}> ,{},b")
    assert tex.escape("a-b, c<d>e") == "a-b, c<d>e"  # single characters need nothing
    assert latex_problems(tex.escape('"--" <<' + SPECIAL)) == []


@needs_xelatex
def test_latex_of_hard_text_prints_every_quote_as_written(hp, tmp_path):
    """Straight quotes, <b>, &amp;, formula-like text and --: the PDF shows them as they are in the document
    (the TeX ligatures turned " into ” before)."""
    path = export(hp, "latex", tmp_path / "hard.tex")
    run = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", path.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    from pypdf import PdfReader

    flat = "".join("".join(page.extract_text() for page in PdfReader(tmp_path / "hard.pdf").pages).split())
    for piece in ('<b>"x"</b>', "&amp;", "=SUM(A1:A2)", "+1-2@3", "#N/A"):
        assert piece in flat, piece
    assert "”" not in flat
