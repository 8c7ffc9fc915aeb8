"""PDF annotations with a note (sticky notes, highlights with a comment, replies, text boxes) become comments of
the imported document and memos on the sentence they belong to. The PDFs are the hand-written fixtures of
test_corpus with annotations added by pypdf's writer, the way a PDF reader saves them."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText, Highlight, Link, Popup, Text
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

from coding.corpus import read_document
from coding.normalise import without_anchors
from coding.readers_pdf import join_pdf_lines
from coding.readers_pdf_notes import pdf_date

from .test_corpus import cjk_pdf, write

# Lines start at x=60, y=780 and go down by 16 points; every character is 12 points wide (an em of the CJK font).
PAGE1 = ["关于信访积案化解工作的情况通报",
         "区委决定由区级领导包联重点信访积案，每位",
         "领导包联一至两件，做到一案一策、一包到底。",
         "包联领导每月上门走访。"]
PAGE2 = ["- 2 -", "截至年底，已化解积案二十三件。"]


def _y(line: int) -> float:
    return 780 - 16 * line


def _quad(line: int, first: int, last: int) -> list[float]:
    """The quadrilateral over characters first..last (inclusive) of a line, as PDF readers write it."""
    x0, x1, y = 60 + 12 * first, 60 + 12 * (last + 1), _y(line)
    return [x0, y + 11, x1, y + 11, x0, y - 2, x1, y - 2]


def _highlight(quads: list[float], contents: str, author: str = "", date: str = "") -> Highlight:
    xs, ys = quads[0::2], quads[1::2]
    note = Highlight(rect=(min(xs), min(ys), max(xs), max(ys)), quad_points=ArrayObject(map(FloatObject, quads)))
    return _say(note, contents, author, date)


def _say(annot, contents: str, author: str = "", date: str = "", key: str = "/M"):
    annot[NameObject("/Contents")] = TextStringObject(contents)
    if author:
        annot[NameObject("/T")] = TextStringObject(author)
    if date:
        annot[NameObject(key)] = TextStringObject(date)
    return annot


def annotated_pdf(path, notes: dict[int, list]) -> object:
    """The two-page fixture with ``notes`` (page number -> annotations, a reply as ("reply", index, annotation))."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cjk_pdf([PAGE1, PAGE2]))))
    for page, annots in notes.items():
        added = []
        for annot in annots:
            if isinstance(annot, tuple):
                _, parent, annot = annot
                annot[NameObject("/IRT")] = added[parent].indirect_reference
            added.append(writer.add_annotation(page, annot))
    buffer = io.BytesIO()
    writer.write(buffer)
    return write(path, buffer.getvalue())


def test_pdf_notes_come_with_the_text_they_cover(tmp_path):
    highlight = _highlight(_quad(1, 5, 10), "包联到人 F1", "张老师", "D:20210302101500+08'00'")
    reply = _say(Text(rect=(120, 770, 140, 790), text=""), "同意，F1", "李老师", "D:20210303")
    across = _highlight(_quad(1, 18, 19) + _quad(2, 0, 3), "跨行的高亮\r\n第二行")
    sticky = _say(Text(rect=(400, 720, 420, 738), text=""), "M5？上门走访")
    popup = _say(Popup(rect=(400, 600, 500, 700)), "弹出窗口不是批注")
    link = _say(Link(rect=(60, 760, 200, 780), url="https://example.org"), "链接")
    empty = _highlight(_quad(0, 0, 3), "")
    free = _say(FreeText(text="", rect=(300, 740, 500, 770)), "文本框：成效", "王", "D:20201231235959Z", "/CreationDate")
    nowhere = _highlight([60, 120, 200, 120, 60, 100, 200, 100], "空白处的高亮")
    path = annotated_pdf(tmp_path / "notice.pdf", {0: [highlight, ("reply", 0, reply), across, sticky, popup, link,
                                                       empty], 1: [free, nowhere]})
    doc = read_document(path)
    text = doc.text
    assert text == ("关于信访积案化解工作的情况通报\n\n区委决定由区级领导包联重点信访积案，每位领导包联一至两件，做到一案一策、"
                    "一包到底。包联领导每月上门走访。\n\n截至年底，已化解积案二十三件。")
    found = [(text[c.start:c.end], text[c.start:c.start + 4], c.author, c.date, c.text, c.source) for c in doc.comments]
    page2 = text.index("截至")
    assert found == [
        ("区级领导包联", "区级领导", "张老师", "2021-03-02", "包联到人 F1", "PDF"),
        ("区级领导包联", "区级领导", "李老师", "2021-03-03", "同意，F1", "PDF"),
        ("每位领导包联", "每位领导", "", None, "跨行的高亮\n第二行", "PDF"),
        ("", "包联领导", "", None, "M5？上门走访", "PDF"),
        ("", "截至年底", "王", "2020-12-31", "文本框：成效", "PDF"),
        ("", "截至年底", "", None, "空白处的高亮", "PDF"),
    ]
    assert [c.start for c in doc.comments][3:] == [text.index("包联领导每月"), page2, page2]


def test_a_pdf_without_notes_has_no_comments_and_its_text_no_anchors(tmp_path):
    doc = read_document(annotated_pdf(tmp_path / "plain.pdf", {}))
    assert doc.comments == ()
    assert "\ufdd0" not in doc.text and doc.text.endswith("二十三件。")


@pytest.mark.parametrize("pages", [
    ["abc def ghi jkl\nmno"], ["Page one ends here.\nshort", "Page two starts."], ["第一页的一整行文字，\n第一页最后一行没有完", "结，第二页接着写。"],
    ["", "  \n1", "第 3 页"], ["A full line of Latin text here\nthat goes on", "- 2 -\nand on."], ["", "中文", "", "English"],
])
def test_page_anchors_change_nothing_in_the_text(pages):
    assert without_anchors(join_pdf_lines(pages, mark_pages=True)) == join_pdf_lines(pages)


def test_noncharacters_in_a_pdf_cannot_forge_a_page_anchor(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cjk_pdf([["正文\ufdd0p1\ufdd1第一页。", "短"], ["第二页。"]]))))
    writer.add_annotation(1, _say(Text(rect=(0, 0, 10, 10), text=""), "第二页的批注"))
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = read_document(write(tmp_path / "forged.pdf", buffer.getvalue()))
    assert doc.text == "正文p1第一页。短\n\n第二页。"
    [note] = doc.comments
    assert note.start == doc.text.index("第二页")


@pytest.mark.parametrize(("raw", "date"), [("D:20210302101500+08'00'", "2021-03-02"), ("20201231", "2020-12-31"),
                                           ("D:2021", None), ("D:20211340", None), ("昨天", None), (None, None)])
def test_pdf_dates(raw, date):
    assert pdf_date(raw) == date


def test_notes_through_references_and_a_reply_to_nothing(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cjk_pdf([PAGE1]))))
    note = _highlight(_quad(3, 4, 7), "")
    note[NameObject("/Contents")] = writer._add_object(TextStringObject("间接的批注"))
    writer.add_annotation(0, note)
    orphan = _say(Text(rect=(300, 750, 320, 766), text=""), "回复已删除的批注")
    orphan[NameObject("/IRT")] = writer._add_object(FloatObject(3))
    writer.add_annotation(0, orphan)
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = read_document(write(tmp_path / "refs.pdf", buffer.getvalue()))
    assert [(doc.text[c.start:c.start + 4], doc.text[c.start:c.end], c.text) for c in doc.comments] == [
        ("区委决定", "", "回复已删除的批注"), ("每月上门", "每月上门", "间接的批注")]


def test_pdf_annotations_that_are_not_a_list_are_ignored(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cjk_pdf([PAGE1]))))
    writer.pages[0][NameObject("/Annots")] = DictionaryObject({NameObject("/Contents"): TextStringObject("坏的")})
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = read_document(write(tmp_path / "odd.pdf", buffer.getvalue()))
    assert doc.comments == () and doc.text.startswith("关于信访积案")


def test_an_uploaded_pdf_with_notes_stores_them_as_memos_on_their_sentences(project, tmp_path):
    from coding.decisions import memos
    from coding.uploads import IMPORTED, import_uploads

    from .test_uploads import upload

    path = annotated_pdf(tmp_path / "通报.pdf", {0: [_highlight(_quad(3, 0, 3), "<b>M1</b>", "甲", "D:20210302")],
                                                 1: [_say(Text(rect=(300, 760, 320, 780), text=""), "成效")]})
    [result] = import_uploads(project, [upload(path)]).results
    assert (result.status, result.detail) == (IMPORTED, "2 条 PDF 批注存为备忘 comments stored as memos")
    [doc] = project.documents()
    text = project.document_text(doc.id)
    found = []
    for memo in memos(project):
        sentence = next(s for s in project.segments(doc.id, unit="sentence") if s.id == memo["segment_id"])
        found.append((memo["text"], text[sentence.start:sentence.end]))
    assert found == [("PDF 批注 comment（甲，2021-03-02）\n「包联领导」\n<b>M1</b>", "包联领导每月上门走访。"),
                     ("PDF 批注 comment\n成效", "截至年底，已化解积案二十三件。")]
