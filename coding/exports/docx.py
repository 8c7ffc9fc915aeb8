"""DOCX export: the tables for papers as Word three-line tables (三线表), Chinese font set.

Three-line style: a thick top and bottom rule (1.5 pt), a thin rule under the header row (0.75 pt), no
vertical lines and no other horizontal lines. Every run gets an East Asian font (``w:eastAsia``, 宋体 by
default) and a Latin font (Times New Roman). The caption "表 n …" stands above each table and the notes
line "注：…" below it; the codebook is an appendix ("附表 n"). An opening section lists the metadata
(codebook version, filters, date).
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from coding.exports.paper import META_LABELS, PaperTable, clean

EAST_ASIA_FONT = "宋体"
LATIN_FONT = "Times New Roman"
HEADING_EAST_ASIA_FONT = "黑体"
THICK, THIN = 12, 6  # border sizes in eighths of a point: 1.5 pt and 0.75 pt
_AFTER_BORDERS = ("shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription")


def set_fonts(run_or_style, east_asia: str = EAST_ASIA_FONT, latin: str = LATIN_FONT) -> None:
    """Latin font on ascii/hAnsi/cs and the East Asian font on w:eastAsia."""
    run_or_style.font.name = latin
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _border(parent, edge: str, size: int | None) -> None:
    el = OxmlElement(f"w:{edge}")
    if size is None:
        el.set(qn("w:val"), "nil")
    else:
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
    parent.append(el)


def three_line(table) -> None:
    """Table borders: top and bottom THICK, no inner or vertical lines; header cells get a THIN bottom rule."""
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for edge, size in (("top", THICK), ("left", None), ("bottom", THICK), ("right", None),
                       ("insideH", None), ("insideV", None)):
        _border(borders, edge, size)
    # schema order (CT_TblPr): tblBorders comes before shd, tblLayout, tblCellMar, tblLook …
    after = [tbl_pr.find(qn(f"w:{tag}")) for tag in _AFTER_BORDERS]
    following = next((el for el in after if el is not None), None)
    if following is not None:
        following.addprevious(borders)
    else:
        tbl_pr.append(borders)
    for cell in table.rows[0].cells:
        tc_pr = cell._tc.get_or_add_tcPr()
        cell_borders = OxmlElement("w:tcBorders")
        _border(cell_borders, "top", THICK)
        _border(cell_borders, "bottom", THIN)
        tc_pr.append(cell_borders)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _para(doc_or_cell, text: str, *, size: float = 10.5, bold: bool = False, align=None,
          east_asia: str = EAST_ASIA_FONT):
    p = doc_or_cell.add_paragraph()
    if align is not None:
        p.alignment = align
    run = p.add_run(clean(text))
    run.font.size = Pt(size)
    run.bold = bold
    set_fonts(run, east_asia)
    return p


def _cell_text(cell, text: str, *, bold: bool = False, right: bool = False) -> None:
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run(text)
    run.font.size = Pt(9)
    run.bold = bold
    set_fonts(run)


def add_table(doc, table: PaperTable, number: int, width_cm: float) -> None:
    prefix = "附表" if table.appendix else "表"
    caption = _para(doc, f"{prefix} {number} {table.caption}", size=10.5, bold=True,
                    align=WD_ALIGN_PARAGRAPH.CENTER, east_asia=HEADING_EAST_ASIA_FONT)
    caption.paragraph_format.keep_with_next = True
    rows = table.rows or (("（无数据 no data）",) + ("",) * (len(table.columns) - 1),)
    t = doc.add_table(rows=1 + len(rows), cols=len(table.columns))
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for i, name in enumerate(table.columns):
        _cell_text(t.rows[0].cells[i], name, bold=True, right=table.numeric[i])
    _repeat_header(t.rows[0])
    for r, row in enumerate(rows, start=1):
        cells = t.rows[r].cells
        for i, value in enumerate(row):
            _cell_text(cells[i], value, right=table.numeric[i])
    for i, w in enumerate(table.widths):
        t.columns[i].width = Cm(width_cm * w)  # the grid (LibreOffice) and each cell (Word)
        for cell in t.columns[i].cells:
            cell.width = Cm(width_cm * w)
    three_line(t)
    _para(doc, f"注：{table.notes}", size=9)


def render(tables: list[PaperTable], meta: dict[str, str]):
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for edge in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, edge, Cm(2.0))
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    set_fonts(normal)
    width_cm = 29.7 - 4.0
    _para(doc, "包联 Baolian 导出 Export", size=14, bold=True, east_asia=HEADING_EAST_ASIA_FONT)
    for key, value in meta.items():
        _para(doc, f"{META_LABELS.get(key, key)}: {value}", size=9)
    numbers = {False: 0, True: 0}
    for table in tables:
        numbers[table.appendix] += 1
        if table.appendix and numbers[True] == 1:
            doc.add_page_break()
        add_table(doc, table, numbers[table.appendix], width_cm)
    core = doc.core_properties
    core.title = f"Baolian export · {meta.get('codebook', '')} v{meta.get('codebook_version', '')}"
    core.comments = "; ".join(f"{k}={v}" for k, v in meta.items())
    return doc


def write(tables: list[PaperTable], meta: dict[str, str], out: Path) -> Path:
    render(tables, meta).save(str(out))
    return out
