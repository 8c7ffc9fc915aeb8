"""PDF annotations that carry a note (sticky notes, highlights and other text markup with a comment, text boxes):
what they say, who wrote them and when, and where in the document text they belong. Pure: a pypdf page in,
notes out; :func:`place_notes` finds each note's place in the stored text.

A markup annotation (highlight, underline, strike-out, squiggly) covers the characters under its quadrilaterals;
their positions are estimated from where each piece of text is drawn (an em per CJK character, half an em per
other character, stretched to reach the next piece of the same line). Any other annotation belongs to the first
line of text at the height of its top edge, as a note on a point.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

_SKIPPED = frozenset({"/Popup", "/Link", "/Widget", "/Movie", "/Screen", "/Sound", "/PrinterMark", "/TrapNet",
                      "/Watermark", "/3D", "/RichMedia", "/FileAttachment"})
_MARKUP = frozenset({"/Highlight", "/Underline", "/StrikeOut", "/Squiggly"})
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PdfNote:
    """A note of page ``page`` (0-based): the text under its markup (``covered``; "" for a note on a point) or the
    line of text it sits beside (``line``), its author, date (YYYY-MM-DD or None) and text."""

    page: int
    author: str
    date: str | None
    text: str
    covered: str
    line: str


@dataclass(frozen=True)
class _Piece:  # a piece of text as the page draws it: baseline start, em size, text
    x: float
    y: float
    em: float
    text: str


def _get(annot, key: str):
    """``annot[key]``, resolved if it is a reference, or None."""
    value = annot.get(key)
    return value.get_object() if hasattr(value, "get_object") else value


def _str(value) -> str:
    return "" if value is None or isinstance(value, bytes) else str(value)  # bytes: a string pypdf could not decode


def pdf_date(value) -> str | None:
    """YYYY-MM-DD of a PDF date string (D:YYYYMMDDHHmmSS…), or None if it is not one."""
    match = _PDF_DATE.match(_str(value).strip())
    if not match or not match.group(2) or not match.group(3):
        return None
    year, month, day = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return f"{year}-{month}-{day}"


def _numbers(value) -> list[float]:
    try:
        return [float(v) for v in value] if value is not None else []
    except (TypeError, ValueError):
        return []


def _annotations(page) -> list:
    try:
        annots = page.get("/Annots")
        annots = annots.get_object() if annots is not None else []
        return [a.get_object() for a in annots]
    except Exception:  # a damaged annotation array: the page's text is still worth importing
        return []


def page_annotations(page) -> list:
    """The annotations of a pypdf page that carry a note (a non-empty /Contents), in the order the page lists them."""
    found = []
    for annot in _annotations(page):
        if not hasattr(annot, "get") or _str(_get(annot, "/Subtype")) in _SKIPPED:
            continue
        if _str(_get(annot, "/Contents")).strip():
            found.append(annot)
    return found


def collect_pieces(cm, tm, text: str, font_size: float, pieces: list[_Piece]) -> None:
    """pypdf's visitor_text: remember where a piece of text is drawn."""
    if not text or not text.strip("\n"):
        return
    a, b, c, d, e, f = (float(v) for v in tm)
    ca, cb, cc, cd, ce, cf = (float(v) for v in cm)
    x, y = e * ca + f * cc + ce, e * cb + f * cd + cf
    scale = math.hypot(a * ca + b * cc, a * cb + b * cd) or 1.0
    pieces.append(_Piece(x, y, (float(font_size) or 1.0) * scale, text.rstrip("\n")))


def _char_boxes(pieces: list[_Piece]) -> list[tuple[str, float, float, float, float]]:
    """(character, left, right, baseline, em) for every drawn character, in drawing order."""
    boxes = []
    for i, piece in enumerate(pieces):
        widths = [piece.em if unicodedata.east_asian_width(ch) in "WF" else piece.em / 2 for ch in piece.text]
        total = sum(widths)
        after = pieces[i + 1] if i + 1 < len(pieces) else None
        if after and total and abs(after.y - piece.y) < piece.em / 2 and 0.5 < (after.x - piece.x) / total < 2:
            widths = [w * (after.x - piece.x) / total for w in widths]
        x = piece.x
        for ch, w in zip(piece.text, widths):
            boxes.append((ch, x, x + w, piece.y, piece.em))
            x += w
    return boxes


def _covered(annot, boxes) -> str:
    quads = _numbers(_get(annot, "/QuadPoints"))
    rects = []
    for i in range(0, len(quads) - 7, 8):
        xs, ys = quads[i:i + 8:2], quads[i + 1:i + 8:2]
        rects.append((min(xs), max(xs), min(ys), max(ys)))
    out = []
    for ch, left, right, base, em in boxes:  # the middle of a character: half its width, a third of an em up
        middle, height = (left + right) / 2, base + em / 3
        if any(x0 <= middle <= x1 and y0 <= height <= y1 for x0, x1, y0, y1 in rects):
            out.append(ch)
    return "".join(out).strip()


def _line_at(annot, pieces: list[_Piece]) -> str:
    rect = _numbers(_get(annot, "/Rect"))
    if len(rect) != 4 or not pieces:
        return ""
    top = max(rect[1], rect[3])
    below = [p for p in pieces if p.y <= top + p.em / 2 and p.text.strip()]
    if not below:
        return ""
    y = max(p.y for p in below)
    return "".join(p.text for p in sorted((p for p in below if abs(p.y - y) < p.em / 2), key=lambda p: p.x)).strip()


def page_notes(number: int, annots: list, pieces: list[_Piece]) -> list[PdfNote]:
    """The notes of page ``number`` from its annotations with a note and the pieces of text it draws. A reply
    (/IRT) is a note of its own, placed where the annotation it answers is."""
    boxes = _char_boxes(pieces)
    notes = []
    for annot in annots:
        parent = _get(annot, "/IRT")
        place = parent if hasattr(parent, "get") else annot
        markup = _str(_get(place, "/Subtype")) in _MARKUP
        text = _str(_get(annot, "/Contents")).replace("\r\n", "\n").replace("\r", "\n").strip()
        notes.append(PdfNote(page=number, author=_str(_get(annot, "/T")).strip(),
                             date=pdf_date(_get(annot, "/M")) or pdf_date(_get(annot, "/CreationDate")), text=text,
                             covered=_covered(place, boxes) if markup else "",
                             line="" if markup else _line_at(place, pieces)))
    return notes


def _squeezed(text: str, start: int, end: int) -> tuple[str, list[int]]:
    """``text[start:end]`` without whitespace, and the position in ``text`` of each character kept."""
    chars, where = [], []
    for i in range(start, end):
        if not text[i].isspace():
            chars.append(text[i])
            where.append(i)
    return "".join(chars), where


def place_notes(text: str, page_starts: list[int], notes: list[PdfNote]) -> list[tuple[int, int, PdfNote]]:
    """Where each note belongs in ``text`` (the stored text; ``page_starts`` where each page's text begins):
    (start, end, note), ``start == end`` for a note on a point. The covered text, or the line beside the note, is
    looked for on the note's page, whitespace ignored (lines were joined); a note whose text is not found there
    goes to the start of its page."""
    placed = []
    for note in notes:
        start = page_starts[note.page] if note.page < len(page_starts) else len(text)
        end = page_starts[note.page + 1] if note.page + 1 < len(page_starts) else len(text)
        region, where = _squeezed(text, start, end)
        key = _SPACE.sub("", note.covered or note.line)
        at = region.find(key) if key else -1
        if at < 0 and len(key) > 8:
            at = region.find(key[:8])
            key = key[:8]
        if at < 0:
            placed.append((start, start, note))
        elif note.covered:
            placed.append((where[at], where[at + len(key) - 1] + 1, note))
        else:
            placed.append((where[at], where[at], note))
    return placed
