"""Reading .docx files for import: the document body walked in order (paragraphs, tables, content controls,
tracked insertions, fields, text boxes after their paragraph), deleted text and ruby left out. Pure: file in, text out."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from coding.errors import ImportProblem
from coding.readers import read_bytes

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Inside a paragraph: subtrees whose text is not part of the visible paragraph text. Deleted and moved-away
# text (tracked changes), ruby annotations (pinyin above the base text), the fallback copy of a drawing, and
# text boxes (read separately, after their paragraph).
_SKIP = frozenset({f"{_W}del", f"{_W}moveFrom", f"{_W}rt", f"{_W}txbxContent", _MC_FALLBACK})
# Elements that wrap block content (paragraphs, tables, rows, cells): content controls, custom XML, and
# tracked insertions or moves of rows.
_WRAPPERS = frozenset({f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}ins", f"{_W}moveTo"})


def _children(element, tag: str):
    """Children of ``element`` with ``tag``, looking through content controls and other wrappers."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _paragraph(p) -> tuple[str, list]:
    """Visible text of a w:p (runs anywhere inside: hyperlinks, fields, smart tags, content controls,
    tracked insertions) and the text boxes anchored in it."""
    parts: list[str] = []
    boxes: list = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if tag == f"{_W}txbxContent":
                boxes.append(child)
            elif tag in _SKIP:
                continue
            elif tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag in (f"{_W}tab", f"{_W}ptab"):
                parts.append("\t")
            elif tag == f"{_W}br":
                if child.get(f"{_W}type") in (None, "textWrapping"):
                    parts.append("\n")
            elif tag == f"{_W}cr":
                parts.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                parts.append("-")
            else:
                walk(child)

    walk(p)
    return "".join(parts), boxes


def _blocks(container, *, in_cell: bool = False) -> list[str]:
    """Text blocks of a body, cell or text box in document order: one per paragraph (its text boxes after it),
    one per table: a line per row, or rows joined by " / " for a table nested in a cell."""
    blocks: list[str] = []

    def walk(element) -> None:
        for child in element:
            if child.tag == f"{_W}p":
                text, boxes = _paragraph(child)
                blocks.append(text)
                for box in boxes:
                    walk(box)
            elif child.tag == f"{_W}tbl":
                rows = [_row_text(tr) for tr in _children(child, f"{_W}tr")]
                blocks.append(" / ".join(rows) if in_cell else "\n".join(r for r in rows if r.replace("|", "").strip()))
            elif child.tag in _WRAPPERS:
                walk(child)

    walk(container)
    return blocks


def _cell_text(tc) -> str:
    return " ".join(" ".join(text.split()) for text in _blocks(tc, in_cell=True) if text.strip())


def _row_text(tr) -> str:
    # One entry per w:tc: merged cells appear once, not repeated as in python-docx's ``row.cells``.
    return " | ".join(_cell_text(tc) for tc in _children(tr, f"{_W}tc"))


_OTHER_ZIPS = (("xl/workbook.xml", "an Excel workbook (.xlsx)"), ("ppt/presentation.xml", "a PowerPoint file (.pptx)"),
               ("content.xml", "an OpenDocument file (.odt/.ods)"))


def _not_a_word_zip(data: bytes, path: Path) -> None:
    """Raise if the zip archive holds no Word document (naming what it is when that is recognisable)."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # python-docx reports it
    if "word/document.xml" in names or any(n.lower().startswith("word/") for n in names):
        return
    kind = next((what for part, what in _OTHER_ZIPS if part in names), "a zip archive")
    raise ImportProblem(f"is {kind}, not a Word document (.docx)", file=path,
                        hint="open it in its program and save or export it as .docx, or give it its real extension")


def read_docx(path: Path, max_bytes: int | None) -> str:
    """Body paragraphs and tables in document order; paragraphs separated by a blank line, one line per table row
    (cells joined by " | "). Text in content controls, fields, hyperlinks, smart tags and tracked insertions is
    read (tracked deletions are not); a text box follows the paragraph it is anchored in. Headers, footers,
    footnotes and comments are not read."""
    data = read_bytes(path, max_bytes)
    if not data.startswith(b"PK") or not zipfile.is_zipfile(io.BytesIO(data)):
        hint = "save it as .docx in Word/WPS" if data.startswith(b"\xd0\xcf\x11\xe0") else "re-save it as .docx in Word/WPS"
        raise ImportProblem("is not a valid .docx file (not a zip archive)", file=path, hint=hint)
    _not_a_word_zip(data, path)
    from docx import Document

    try:
        doc = Document(io.BytesIO(data))
        blocks = _blocks(doc.element.body)
    except Exception as exc:  # python-docx raises many kinds for broken packages
        raise ImportProblem(f"cannot read the .docx ({type(exc).__name__}: {exc})".replace("\n", " "), file=path,
                            hint="open it in Word/WPS and save it again as .docx") from None
    return "\n\n".join(blocks)


