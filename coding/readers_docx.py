"""Reading .docx files for import: the document body walked in order (paragraphs, tables, content controls,
tracked insertions, fields, text boxes after their paragraph), deleted text and ruby left out; footnotes and
endnotes marked where they are referenced and their text added after the body, comments with anchors where they
start and end. Pure: file in, text out."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from coding.errors import ImportProblem
from coding.normalise import NONCHARACTERS, anchor
from coding.readers import read_bytes

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
_COMMENTS_EXTENDED = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
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


@dataclass(frozen=True)
class WordComment:
    """A Word comment (批注): its author, date (YYYY-MM-DD, or None) and text; it covers the text between the
    anchors ``start_anchor`` and ``end_anchor`` of :attr:`DocxContent.text` (the same place for a comment on a
    point)."""

    id: str
    author: str
    date: str | None
    text: str

    @property
    def start_anchor(self) -> str:
        return f"c{self.id}s"

    @property
    def end_anchor(self) -> str:
        return f"c{self.id}e"


@dataclass(frozen=True)
class DocxContent:
    text: str  # with the comments' anchors in it (see coding.normalise.normalise_anchored)
    comments: tuple[WordComment, ...]


class _Marks:
    """What a walk through the body puts into the text besides its runs: footnote and endnote marks, numbered in
    the order the body refers to them, as Word numbers them (footnotes 1, 2, 3 …; endnotes i, ii, iii …, Word's
    default formats), and the anchors of comments."""

    NOTES = {f"{_W}footnoteReference": "footnote", f"{_W}endnoteReference": "endnote"}
    COMMENTS = frozenset({f"{_W}commentRangeStart", f"{_W}commentRangeEnd", f"{_W}commentReference"})

    def __init__(self, notes: dict[str, dict[str, object]], comments: dict[str, WordComment]):
        self.notes = notes  # kind -> note id -> w:footnote / w:endnote element
        self.comments = comments
        self.used: dict[str, list[str]] = {"footnote": [], "endnote": []}
        self.anchored: set[str] = set()  # anchors already placed
        self.in_notes = False

    def mark(self, element) -> str:
        """What to put in the text where ``element`` (a note reference or comment mark) is."""
        if element.tag in self.NOTES:
            return "" if self.in_notes else self._note(element)
        comment = self.comments.get(element.get(f"{_W}id"))
        if comment is None:
            return ""
        start, end = comment.start_anchor, comment.end_anchor
        if element.tag == f"{_W}commentRangeStart":
            names = [start]
        elif element.tag == f"{_W}commentRangeEnd":
            names = [end] if start in self.anchored else []
        else:  # the reference: a comment on a point when no range was marked
            names = [] if start in self.anchored else [start, end]
        names = [n for n in names if n not in self.anchored]
        self.anchored.update(names)
        return "".join(anchor(n) for n in names)

    def _note(self, reference) -> str:  # '' for a custom mark (its text follows in the run)
        kind = self.NOTES[reference.tag]
        note_id = reference.get(f"{_W}id")
        if note_id not in self.notes.get(kind, {}):
            return ""
        if note_id not in self.used[kind]:
            self.used[kind].append(note_id)
        custom = reference.get(f"{_W}customMarkFollows") in ("1", "true", "on")
        return "" if custom else f"[{self.label(kind, self.used[kind].index(note_id) + 1)}]"

    @staticmethod
    def label(kind: str, number: int) -> str:
        return str(number) if kind == "footnote" else _roman(number)

    def note_blocks(self) -> list[str]:
        """One block per referenced note, footnotes then endnotes: its mark, a space and its text."""
        out = []
        self.in_notes = True
        for kind in ("footnote", "endnote"):
            for number, note_id in enumerate(self.used[kind], start=1):
                text = "\n".join(t.strip() for t in _blocks(self.notes[kind][note_id], marks=self) if t.strip())
                if text:
                    out.append(f"[{self.label(kind, number)}] {text}")
        return out


def _roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def _part_root(doc, reltype):
    from lxml import etree

    # A document is untrusted input: no entities (which could pull in a local file), no DTD, no network.
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    for rel in doc.part.rels.values():
        if rel.reltype == reltype and not rel.is_external:
            return etree.fromstring(rel.target_part.blob, parser)
    return None


def _marks(doc) -> _Marks:
    """The document's footnotes and endnotes by id (separators, which carry no text, left out) and comments."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    notes: dict[str, dict[str, object]] = {}
    for kind, reltype in (("footnote", RT.FOOTNOTES), ("endnote", RT.ENDNOTES)):
        root = _part_root(doc, reltype)
        if root is not None:
            notes[kind] = {n.get(f"{_W}id"): n for n in root.iter(f"{_W}{kind}")
                           if n.get(f"{_W}type") in (None, "normal")}
    comments: dict[str, WordComment] = {}
    last_paragraph: dict[str, str] = {}  # comment id -> w14:paraId of its last paragraph (commentsExtended uses it)
    root = _part_root(doc, RT.COMMENTS)
    for element in (() if root is None else root.iter(f"{_W}comment")):
        comment_id = element.get(f"{_W}id") or ""
        text = "\n".join(t.strip() for t in _blocks(element, marks=None) if t.strip())
        if comment_id.isdigit() and text:
            date = (element.get(f"{_W}date") or "")[:10]
            comments[comment_id] = WordComment(comment_id, (element.get(f"{_W}author") or "").strip(),
                                               date if len(date) == 10 else None, text)
            paragraphs = list(element.iter(f"{_W}p"))
            if paragraphs and paragraphs[-1].get(f"{_W14}paraId"):
                last_paragraph[comment_id] = paragraphs[-1].get(f"{_W14}paraId")
    return _Marks(notes, _threads(comments, last_paragraph, _part_root(doc, _COMMENTS_EXTENDED)))


def _threads(comments: dict[str, WordComment], last_paragraph: dict[str, str], extended) -> dict[str, WordComment]:
    """Replies (Word 2013+: commentsExtended links a reply's last paragraph to its parent's) folded into the
    comment they answer, one line each ("↳ author（date）：text"), and "（已解决 resolved）" after a thread marked done;
    the replies themselves are then no comments of their own. Without commentsExtended every comment stands alone."""
    if extended is None:
        return comments
    parent_of, done = {}, set()
    for entry in extended.iter(f"{_W15}commentEx"):
        para = entry.get(f"{_W15}paraId")
        if entry.get(f"{_W15}paraIdParent"):
            parent_of[para] = entry.get(f"{_W15}paraIdParent")
        if entry.get(f"{_W15}done") == "1":
            done.add(para)
    by_paragraph = {para: cid for cid, para in last_paragraph.items()}

    def root(cid: str) -> str:
        seen = {cid}
        while (up := by_paragraph.get(parent_of.get(last_paragraph.get(cid, ""), ""))) and up not in seen:
            seen.add(up)
            cid = up
        return cid

    replies: dict[str, list[WordComment]] = {}
    for cid, comment in comments.items():
        if (top := root(cid)) != cid:
            replies.setdefault(top, []).append(comment)
    threads = {}
    for cid, comment in comments.items():
        if root(cid) != cid:
            continue
        lines = [comment.text, *(f"↳ {r.author or '?'}" + (f"（{r.date}）" if r.date else "") + f"：{r.text}"
                                 for r in replies.get(cid, []))]
        if last_paragraph.get(cid) in done:
            lines.append("（已解决 resolved）")
        threads[cid] = replace(comment, text="\n".join(lines))
    return threads


def _paragraph(p, marks: _Marks | None) -> tuple[str, list]:
    """Visible text of a w:p (runs anywhere inside: hyperlinks, fields, smart tags, content controls,
    tracked insertions), with note marks and comment anchors, and the text boxes anchored in it."""
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
                parts.append((child.text or "").translate(NONCHARACTERS))
            elif tag in (f"{_W}tab", f"{_W}ptab"):
                parts.append("\t")
            elif tag == f"{_W}br":
                if child.get(f"{_W}type") in (None, "textWrapping"):
                    parts.append("\n")
            elif tag == f"{_W}cr":
                parts.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                parts.append("-")
            elif tag in _Marks.NOTES or tag in _Marks.COMMENTS:
                if marks is not None:
                    parts.append(marks.mark(child))
            else:
                walk(child)

    walk(p)
    return "".join(parts), boxes


def _blocks(container, *, marks: _Marks | None, in_cell: bool = False) -> list[str]:
    """Text blocks of a body, cell or text box in document order: one per paragraph (its text boxes after it),
    one per table: a line per row, or rows joined by " / " for a table nested in a cell."""
    blocks: list[str] = []

    def walk(element) -> None:
        for child in element:
            if child.tag == f"{_W}p":
                text, boxes = _paragraph(child, marks)
                blocks.append(text)
                for box in boxes:
                    walk(box)
            elif child.tag == f"{_W}tbl":
                rows = [_row_text(tr, marks) for tr in _children(child, f"{_W}tr")]
                blocks.append(" / ".join(rows) if in_cell else "\n".join(r for r in rows if r.replace("|", "").strip()))
            elif child.tag in _WRAPPERS:
                walk(child)

    walk(container)
    return blocks


def _cell_text(tc, marks: _Marks | None) -> str:
    return " ".join(" ".join(text.split()) for text in _blocks(tc, marks=marks, in_cell=True) if text.strip())


def _row_text(tr, marks: _Marks | None) -> str:
    # One entry per w:tc: merged cells appear once, not repeated as in python-docx's ``row.cells``.
    return " | ".join(_cell_text(tc, marks) for tc in _children(tr, f"{_W}tc"))


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


def read_docx(path: Path, max_bytes: int | None) -> DocxContent:
    """Body paragraphs and tables in document order; paragraphs separated by a blank line, one line per table row
    (cells joined by " | "). Text in content controls, fields, hyperlinks, smart tags and tracked insertions is
    read (tracked deletions are not); a text box follows the paragraph it is anchored in. A footnote or endnote
    is marked where it is referenced ([1], [2] … for footnotes, [i], [ii] … for endnotes, as Word numbers them)
    and its text follows the body as a block of its own ("[1] text"), so that it can be coded and the body's
    positions do not depend on it. Comments (批注) come with anchors where they start and end (see
    :class:`WordComment`). Headers and footers are not read."""
    data = read_bytes(path, max_bytes)
    if not data.startswith(b"PK") or not zipfile.is_zipfile(io.BytesIO(data)):
        hint = "save it as .docx in Word/WPS" if data.startswith(b"\xd0\xcf\x11\xe0") else "re-save it as .docx in Word/WPS"
        raise ImportProblem("is not a valid .docx file (not a zip archive)", file=path, hint=hint)
    _not_a_word_zip(data, path)
    from docx import Document

    try:
        doc = Document(io.BytesIO(data))
        marks = _marks(doc)
        blocks = _blocks(doc.element.body, marks=marks) + marks.note_blocks()
    except Exception as exc:  # python-docx raises many kinds for broken packages
        raise ImportProblem(f"cannot read the .docx ({type(exc).__name__}: {exc})".replace("\n", " "), file=path,
                            hint="open it in Word/WPS and save it again as .docx") from None
    placed = [c for c in marks.comments.values() if c.start_anchor in marks.anchored]
    return DocxContent("\n\n".join(blocks), tuple(placed))


