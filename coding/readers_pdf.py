"""Reading .pdf files for import: the text layer (pypdf), paragraphs rebuilt from the lines, scans and
garbled text layers refused, annotations with a note kept (see coding.readers_pdf_notes). Pure: file in, text
out."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from coding.errors import ImportProblem
from coding.normalise import NONCHARACTERS, anchor, without_anchors
from coding.readers import _MIN_PLAUSIBILITY, _SAMPLE_CHARS, plausibility, read_bytes
from coding.readers_pdf_notes import PdfNote, collect_pieces, page_annotations, page_notes

_PAGE_NUMBER = re.compile(r"^[\s\-—–·・]*(第\s*\d+\s*页(\s*[,，/／]?\s*共\s*\d+\s*页)?|\d+(\s*/\s*\d+)?|page\s*\d+)[\s\-—–·・]*$",
                          re.IGNORECASE)
_INDENT = re.compile(r"^(\u3000|\s{2,})")


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in "WF"


def _join(left: str, right: str, marks: str = "") -> str:
    """``left`` and ``right`` joined (see :func:`join_pdf_lines`), with the anchors ``marks`` where ``right``
    starts."""
    if not left:
        return marks + right
    if _wide(left[-1]) or _wide(right[0]):
        return left + marks + right
    return left + " " + marks + right


def page_anchor(number: int) -> str:
    """The name of the anchor :func:`join_pdf_lines` puts where page ``number`` (0-based) starts."""
    return f"p{number}"


def join_pdf_lines(pages: list[str], *, mark_pages: bool = False) -> str:
    """Rebuild paragraphs from the text lines of each page.

    A page-number-only first/last line is dropped. A new paragraph starts at a blank line, at an
    indented line (U+3000 or 2+ spaces), and after a line clearly shorter than the page's full lines
    (< 85 % of the widest). Other lines are joined: without a space when either side is CJK/full-width,
    with one space otherwise. A paragraph continues across a page break if the page ends with a full line.
    With ``mark_pages``, an anchor (:func:`page_anchor`) marks where each page's text starts (an empty page's,
    where the next text starts).
    """
    paragraphs: list[str] = []
    cur = ""
    pending = ""  # page anchors not yet placed
    for number, page in enumerate(pages):
        if mark_pages:
            pending += anchor(page_anchor(number))
        lines = [ln.rstrip() for ln in page.split("\n")]
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if lines and _PAGE_NUMBER.match(lines[-1]):
            lines.pop()
        if lines and _PAGE_NUMBER.match(lines[0]):
            lines.pop(0)
        full = 0.85 * max((_width(ln.strip()) for ln in lines), default=0)
        ended = False
        for line in lines:
            text = line.strip()
            if not text:
                ended = True
                continue
            if cur and (ended or _INDENT.match(line)):
                paragraphs.append(cur)
                cur = ""
            cur = _join(cur, text, pending)
            pending = ""
            ended = _width(text) < full
        if cur and ended:
            paragraphs.append(cur)
            cur = ""
    if cur or pending:
        paragraphs.append(cur + pending)
    return "\n\n".join(paragraphs)


@dataclass(frozen=True)
class PdfContent:
    text: str  # with an anchor where each page starts (see coding.normalise.normalise_anchored)
    pages: int
    notes: tuple[PdfNote, ...]  # annotations with a note, page by page


def read_pdf(path: Path, max_bytes: int | None) -> PdfContent:
    """Text layer of a PDF (pypdf), with paragraphs rebuilt by :func:`join_pdf_lines`, and its notes."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    data = read_bytes(path, max_bytes)
    if b"%PDF-" not in data[:1024]:
        raise ImportProblem("is not a PDF file (no %PDF header)", file=path, hint="check the file; give it its real extension")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError:
                opened = 0
            if not opened:
                raise ImportProblem("PDF is encrypted (password protected)", file=path,
                                    hint="save an unprotected copy, e.g. qpdf --decrypt --password=PW in.pdf out.pdf")
        pages, notes = [], []
        for number, page in enumerate(reader.pages):
            annots = page_annotations(page)
            if annots:
                pieces = []
                pages.append(page.extract_text(visitor_text=lambda t, cm, tm, _font, size, pieces=pieces:
                                               collect_pieces(cm, tm, t, size, pieces)) or "")
                notes.extend(page_notes(number, annots, pieces))
            else:
                pages.append(page.extract_text() or "")
    except ImportProblem:
        raise
    except Exception as exc:  # pypdf raises many kinds for damaged files
        raise ImportProblem(f"cannot read the PDF ({type(exc).__name__}: {exc})".replace("\n", " "), file=path,
                            hint="open it and save/export it again as PDF") from None
    pages = [page.translate(NONCHARACTERS) for page in pages]
    marked = join_pdf_lines(pages, mark_pages=True)
    text = without_anchors(marked)
    if not text.strip():
        raise ImportProblem(f"PDF has no text layer ({len(pages)} page(s) of images only, e.g. a scan)", file=path,
                            hint="run OCR first, e.g. ocrmypdf -l chi_sim in.pdf out.pdf, and import the result")
    if _garbled(text):
        raise ImportProblem("PDF text layer is garbled (its fonts have no Unicode map, so the text comes out as "
                            "unrelated symbols)", file=path,
                            hint="replace the text layer by OCR, e.g. ocrmypdf --force-ocr -l chi_sim in.pdf out.pdf, "
                                 "and import the result")
    return PdfContent(marked, len(pages), tuple(notes))


def _garbled(text: str) -> bool:
    """True for text extracted through fonts without a Unicode map: the glyph numbers come out as code points,
    so control characters (glyphs 1-31, 127-159) and implausible characters abound."""
    sample = text[:_SAMPLE_CHARS]
    visible = sum(1 for ch in sample if not ch.isspace())
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and not ch.isspace())
    return (controls >= 5 and controls > 0.01 * visible) or plausibility(sample) < _MIN_PLAUSIBILITY
