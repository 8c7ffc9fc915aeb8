"""Document import (coding.corpus / coding.readers): real files built in tmp_path, no mocks."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from coding.corpus import (
    DEFAULT_MAX_BYTES,
    KINDS,
    DocumentMeta,
    ImportedDocument,
    Participant,
    Refusal,
    collect,
    load_manifest,
    normalise_text,
    read_document,
    read_text_file,
)
from coding.errors import ImportProblem
from coding.readers_pdf import join_pdf_lines

SIMPLIFIED = (
    "访谈对象：LHY，L区分管信访工作的副区长。\n"
    "访谈者：请您介绍一下包联工作的基本情况。\n"
    "LHY：包联工作是指由一名区级领导牵头，会同相关职能部门的负责人，共同负责一名重点信访人的矛盾化解和稳控工作。"
    "这项制度从二零一八年开始在全区推行，到现在已经覆盖了所有的重点信访案件。过去很多问题之所以长期得不到解决，"
    "主要是因为部门之间相互推诿，谁都不愿意承担责任。现在有了包联领导，就有人拍板了。\n"
)
TRADITIONAL = (
    "訪談對象：LHY，L區分管信訪工作的副區長。\n"
    "訪談者：請您介紹一下包聯工作的基本情況。\n"
    "LHY：包聯工作是指由一名區級領導牽頭，會同相關職能部門的負責人，共同負責一名重點信訪人的矛盾化解和穩控工作。"
    "這項制度從二零一八年開始在全區推行，到現在已經覆蓋了所有的重點信訪案件。過去很多問題之所以長期得不到解決，"
    "主要是因為部門之間相互推諉，誰都不願意承擔責任。現在有了包聯領導，就有人拍板了。\n"
)

ENCODINGS = [  # (codec used to write, text, accepted reported names)
    ("utf-8", SIMPLIFIED, {"utf-8"}),
    ("utf-8-sig", SIMPLIFIED, {"utf-8-sig"}),
    ("utf-16", SIMPLIFIED, {"utf-16"}),
    ("utf-16-le", SIMPLIFIED, {"utf-16-le"}),
    ("utf-16-be", TRADITIONAL, {"utf-16-be"}),
    ("utf-32", SIMPLIFIED, {"utf-32"}),
    ("gb2312", SIMPLIFIED, {"gb18030"}),
    ("gbk", SIMPLIFIED, {"gb18030"}),
    ("gbk", TRADITIONAL, {"gb18030"}),
    ("gb18030", SIMPLIFIED + "𠀀𪚥\n", {"gb18030"}),
    ("big5", TRADITIONAL, {"big5"}),
    ("cp950", TRADITIONAL, {"big5", "cp950"}),
]


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------- PDF fixtures (hand-written PDF bytes)

def build_pdf(objects: list[bytes]) -> bytes:
    """A valid PDF from object bodies 1..n (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def pdf_pages(contents: list[bytes], font: bytes | None) -> bytes:
    n = len(contents)
    font_ref = 3 + 2 * n
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n)).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n]
    for i, content in enumerate(contents):
        res = b"<< /Font << /F1 %d 0 R >> >>" % font_ref if font else b"<< >>"
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources " + res
                    + b" /Contents %d 0 R >>" % (4 + 2 * i))
        objs.append(_stream(content))
    if font:
        objs.append(font)
    return build_pdf(objs)


CJK_FONT = (b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts "
            b"[<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
            b"/Ordering (GB1) /Supplement 2 >> /FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light "
            b"/Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 "
            b"/StemV 93 >> /DW 1000 >>] >>")
ASCII_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def text_ops(lines: list[str], cjk: bool) -> bytes:
    ops = [b"BT /F1 12 Tf 16 TL 60 780 Td"]
    for line in lines:
        if cjk:
            ops.append(b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj T*")
        else:
            ops.append(b"(" + line.encode("latin-1") + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def cjk_pdf(pages: list[list[str]]) -> bytes:
    return pdf_pages([text_ops(lines, True) for lines in pages], CJK_FONT)


def rectangle_pdf(pages: int = 2) -> bytes:
    return pdf_pages([b"0.2 0.2 0.8 rg 100 100 300 400 re f"] * pages, None)


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize(("codec", "text", "names"), ENCODINGS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ENCODINGS)])
def test_each_encoding_decodes_exactly(tmp_path, codec, text, names):
    path = write(tmp_path / "doc.txt", text.encode(codec))
    decoded, encoding = read_text_file(path)
    assert decoded == text
    assert encoding in names
    doc = read_document(path)
    assert doc.text == normalise_text(text)
    assert doc.encoding == encoding and doc.format == "txt"


def test_encoding_is_detected_from_bytes_not_extension(tmp_path):
    md = write(tmp_path / "notes.md", TRADITIONAL.encode("big5"))
    bare = write(tmp_path / "README", SIMPLIFIED.encode("gbk"))
    assert read_document(md).encoding == "big5" and read_document(md).format == "md"
    assert read_document(bare).encoding == "gb18030" and read_document(bare).format == "txt"


@pytest.mark.parametrize("n", [12, 20, 30, 60])
def test_short_gbk_and_big5_lines_are_told_apart(tmp_path, n):
    simp = SIMPLIFIED.splitlines()[2][:n]
    trad = TRADITIONAL.splitlines()[2][:n]
    assert read_text_file(write(tmp_path / "s.txt", simp.encode("gbk"))) == (simp, "gb18030")
    assert read_text_file(write(tmp_path / "t.txt", trad.encode("big5"))) == (trad, "big5")


def test_read_text_file_decodes_without_normalising(tmp_path):
    raw = "\u3000\u3000第一段。\r\n第二段。  \r\n"
    assert read_text_file(write(tmp_path / "raw.txt", raw.encode("gb18030"))) == (raw, "gb18030")


def test_stray_nul_bytes_in_text_are_tolerated_and_removed(tmp_path):
    utf8 = write(tmp_path / "nul8.txt", SIMPLIFIED.encode("utf-8") + b"\x00")
    gbk = write(tmp_path / "nulgb.txt", SIMPLIFIED.encode("gbk") + b"\x00")
    assert read_document(utf8).encoding == "utf-8" and read_document(gbk).encoding == "gb18030"
    assert read_document(utf8).text == read_document(gbk).text == normalise_text(SIMPLIFIED)


# ---------------------------------------------------------------- normalisation

def test_crlf_normalised_and_offsets_stable(tmp_path):
    lf = "第一段：访谈者提问。\n\n第二段：LHY回答。\n\n第三段"
    crlf = write(tmp_path / "crlf.txt", lf.replace("\n", "\r\n").encode("gbk"))
    cr = write(tmp_path / "cr.txt", lf.replace("\n", "\r").encode("utf-8"))
    plain = write(tmp_path / "lf.txt", lf.encode("utf-8"))
    docs = [read_document(p) for p in (crlf, cr, plain)]
    assert {d.text for d in docs} == {lf}
    assert {d.sha256 for d in docs} == {hashlib.sha256(lf.encode("utf-8")).hexdigest()}
    assert docs[0].text.index("第三段") == lf.index("第三段")


def test_normalise_rules():
    raw = "\ufeff\u3000\u3000第一段，全角标点：（一）ＡＢＣ１２３。  \r\n\r\n\r\n\r\n  第\u200b二\u200c段\u200d\u2060\ufeff\t\r\n\u3000第三段\x00"
    out = normalise_text(raw)
    assert out == "第一段，全角标点：（一）ＡＢＣ１２３。\n\n第二段\n第三段"
    assert normalise_text(out) == out
    assert normalise_text("e\u0301") == "\u00e9"  # NFC
    assert normalise_text("a\n\nb") == "a\n\nb"  # one blank line is kept
    assert normalise_text("a  b\t c") == "a  b\t c"  # inner whitespace kept
    assert normalise_text("a\u2028b\x0cc") == "a\nb\nc"


def test_zero_width_removed_and_full_width_kept_in_document(tmp_path):
    path = write(tmp_path / "zw.txt", "信\u200b访\u2060人：ＷＸＧ，“我要反映问题！”\n".encode("utf-16"))
    assert read_document(path).text == "信访人：ＷＸＧ，“我要反映问题！”"


# ---------------------------------------------------------------- docx

def test_docx_paragraphs_and_tables_in_order(tmp_path):
    d = docx.Document()
    d.add_paragraph("会议名称：包联工作推进会")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("姓名", "职务", "包联对象"), ("LHY", "副区长", "WXG"), ("ZYM", "党组成员", "GJQ")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("")
    d.add_paragraph("\u3000\u3000会议议定事项：一、由LHY牵头，两周内答复信访人。")
    merged = d.add_table(rows=2, cols=2)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    merged.cell(1, 0).text = "左"
    merged.cell(1, 1).text = "右"
    d.add_paragraph("记录：SLF")
    path = tmp_path / "minutes.docx"
    d.save(str(path))
    doc = read_document(path)
    assert doc.format == "docx" and doc.encoding == "docx"
    assert doc.text == (
        "会议名称：包联工作推进会\n\n"
        "姓名 | 职务 | 包联对象\nLHY | 副区长 | WXG\nZYM | 党组成员 | GJQ\n\n"
        "会议议定事项：一、由LHY牵头，两周内答复信访人。\n\n"
        "合并单元格\n左 | 右\n\n"
        "记录：SLF"
    )


def test_docx_not_zip_and_without_text_refused(tmp_path):
    fake = write(tmp_path / "fake.docx", "这不是Word文件".encode("utf-8"))
    with pytest.raises(ImportProblem, match="not a valid .docx") as err:
        read_document(fake)
    assert "fake.docx" in str(err.value) and err.value.hint
    blank = tmp_path / "blank.docx"
    d = docx.Document()
    d.add_paragraph("   ")
    d.save(str(blank))
    with pytest.raises(ImportProblem, match="no text") as err:
        read_document(blank)
    assert "blank.docx" in str(err.value)
    other_zip = tmp_path / "sheet.docx"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ImportProblem, match="is a zip archive, not a Word document") as err:
        read_document(other_zip)
    assert "sheet.docx" in str(err.value)


# ---------------------------------------------------------------- pdf

def test_ascii_pdf_text_extracted(tmp_path):
    lines = ["The district set up a contact system for petition cases in", "2018, covering all key cases.", "",
             "Second paragraph."]
    path = write(tmp_path / "report.pdf", pdf_pages([text_ops(lines, False)], ASCII_FONT))
    doc = read_document(path)
    assert (doc.format, doc.encoding) == ("pdf", "pdf")
    assert doc.text == ("The district set up a contact system for petition cases in 2018, covering all key cases.\n\n"
                        "Second paragraph.")


def test_cjk_pdf_lines_joined_without_spaces_and_paragraphs_kept(tmp_path):
    page1 = ["一、基本情况：信访人WXG于2019年多次到区", "信访局反映退役安置问题。", "二、处理经过",
             "\u3000\u3000区里明确由副区长LHY包联，会同退役军", "人事务局、X街道共同研究化解方案，并"]
    page2 = ["- 2 -", "于当年十月答复信访人。", "第 2 页"]
    path = write(tmp_path / "notice.pdf", cjk_pdf([page1, page2]))
    assert PdfReader(path).pages[0].extract_text()  # the fixture really has a text layer
    assert read_document(path).text == (
        "一、基本情况：信访人WXG于2019年多次到区信访局反映退役安置问题。\n\n"
        "二、处理经过\n\n"
        "区里明确由副区长LHY包联，会同退役军人事务局、X街道共同研究化解方案，并于当年十月答复信访人。"
    )


def test_join_pdf_lines_rules():
    # each list item is one page of extracted text
    assert join_pdf_lines(["abc def ghi jkl\nmno"]) == "abc def ghi jkl mno"
    assert join_pdf_lines(["中文全角行，长度一样的\n行宽相同的第二行文字，\n继续。"]) == "中文全角行，长度一样的行宽相同的第二行文字，继续。"
    assert join_pdf_lines(["短行。\n\n新段落"]) == "短行。\n\n新段落"
    assert join_pdf_lines(["第一页的一整行文字，\n第一页最后一行没有完", "结，第二页接着写。"]) == (
        "第一页的一整行文字，第一页最后一行没有完结，第二页接着写。")
    assert join_pdf_lines(["Page one ends here.\nshort", "Page two starts."]) == (
        "Page one ends here. short\n\nPage two starts.")
    assert join_pdf_lines(["", "  \n1", "第 3 页"]) == ""


def test_pdf_without_text_layer_refused_with_ocr_hint(tmp_path):
    path = write(tmp_path / "scan.pdf", rectangle_pdf())
    with pytest.raises(ImportProblem) as err:
        read_document(path)
    assert "no text layer" in err.value.message and "ocrmypdf" in err.value.hint
    assert "scan.pdf" in str(err.value)


def test_encrypted_pdf_refused_but_empty_password_opened(tmp_path):
    def encrypted(user: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cjk_pdf([["保密文件内容。"]]))))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="RC4-128")
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()

    locked = write(tmp_path / "locked.pdf", encrypted("secret"))
    with pytest.raises(ImportProblem, match="encrypted") as err:
        read_document(locked)
    assert "locked.pdf" in str(err.value) and "qpdf" in err.value.hint
    opened = write(tmp_path / "owner_only.pdf", encrypted(""))
    assert read_document(opened).text == "保密文件内容。"


def test_damaged_pdf_refused(tmp_path):
    for name, data in [("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog"), ("nopdf.pdf", b"hello world")]:
        with pytest.raises(ImportProblem) as err:
            read_document(write(tmp_path / name, data))
        assert name in str(err.value) and err.value.hint


# ---------------------------------------------------------------- refusals

def refused(path: Path, **kw) -> ImportProblem:
    with pytest.raises(ImportProblem) as err:
        read_document(path, **kw)
    assert path.name in str(err.value), str(err.value)
    assert err.value.file == str(path) and err.value.hint
    return err.value


def test_bad_inputs_refused_with_file_named(tmp_path):
    assert "does not exist" in refused(tmp_path / "missing.txt").message
    folder = tmp_path / "folder"
    folder.mkdir()
    assert "folder" in refused(folder).message
    assert "empty" in refused(write(tmp_path / "empty.txt", b"")).message
    assert "no text" in refused(write(tmp_path / "blank.txt", " \r\n\u3000\n\t".encode("utf-8"))).message
    png = write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert "looks like a binary file" in refused(png).message
    ctrl = write(tmp_path / "ctrl.txt", bytes([1, 2, 3, 4, 5, 6, 7, 8, 0x41]) * 50)
    assert "looks like a binary file" in refused(ctrl).message
    junk = write(tmp_path / "junk.txt", b"\x81\x20\x8d\x20\xff\x20" * 40 + b"\x81")  # odd length: not UTF-16
    assert "decode" in refused(junk).message
    garbled = write(tmp_path / "garbled.txt", b"\x81\x20\x8d\x20\xff\x20" * 40)  # decodes only as nonsense UTF-16
    assert "cannot tell the text encoding" in refused(garbled).message
    bad_bom = write(tmp_path / "badbom.txt", b"\xef\xbb\xbf" + SIMPLIFIED.encode("gbk"))
    assert "UTF-8 byte-order mark" in refused(bad_bom).message
    unsupported = write(tmp_path / "old.doc", b"\xd0\xcf\x11\xe0whatever")
    problem = refused(unsupported)
    assert ".txt" in problem.message and ".docx" in problem.message and ".pdf" in problem.message
    assert "save it as .docx" in problem.hint


def test_size_limit_names_size_limit_and_option(tmp_path):
    path = write(tmp_path / "big.txt", SIMPLIFIED * 10)
    problem = refused(path, max_bytes=1024)
    assert "KB" in problem.message and "1.0 KB" in problem.message
    assert "--max-mb" in problem.hint
    assert read_document(path, max_bytes=None).text
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024


# ---------------------------------------------------------------- metadata

def test_title_default_and_meta_passed(tmp_path):
    path = write(tmp_path / "i01_lhy.txt", SIMPLIFIED)
    assert read_document(path).meta == DocumentMeta(title="i01_lhy")
    meta = DocumentMeta(title="访谈记录", kind="interview", date="2020-10-15", cases=("WXG",))
    doc = read_document(path, meta)
    assert isinstance(doc, ImportedDocument) and doc.meta == meta and doc.filename == "i01_lhy.txt"
    with pytest.raises(ImportProblem) as err:
        read_document(path, DocumentMeta(kind="speech"))
    assert err.value.field == "kind"


MANIFEST = """\
documents:
  - file: interviews/i01.txt
    title: 访谈记录：L区分管信访工作副区长LHY
    kind: interview
    date: 2020-10-15
    source: 课题组田野访谈（重建材料）
    participants:
      - {name: 访谈者, role: 研究者}
      - {name: LHY, role: 包联人}
    cases: [WXG, GJQ]
  - file: ./policy/p01.txt
    kind: policy
    extra: {文号: Q政办发〔2018〕12号}
"""


def test_load_manifest(tmp_path):
    path = write(tmp_path / "corpus.yaml", MANIFEST)
    metas = load_manifest(path)
    assert set(metas) == {"interviews/i01.txt", "policy/p01.txt"}
    i01 = metas["interviews/i01.txt"]
    assert i01 == DocumentMeta(title="访谈记录：L区分管信访工作副区长LHY", kind="interview", date="2020-10-15",
                               source="课题组田野访谈（重建材料）",
                               participants=(Participant("访谈者", "研究者"), Participant("LHY", "包联人")),
                               cases=("WXG", "GJQ"))
    assert metas["policy/p01.txt"].extra == {"文号": "Q政办发〔2018〕12号"}


@pytest.mark.parametrize(("text", "line", "field", "words"), [
    (MANIFEST.replace("kind: policy", "kind: speech"), 12, "kind", "unknown kind"),
    (MANIFEST.replace("2020-10-15", "2020-13-45"), 5, "date", "bad date"),
    (MANIFEST.replace("2020-10-15", "15.10.2020"), 5, "date", "bad date"),
    (MANIFEST.replace("    source:", "    sauce:"), 6, "sauce", "unknown key"),
    (MANIFEST.replace("{name: LHY, role: 包联人}", "{name: LHY, rank: 包联人}"), 9, "rank", "unknown key"),
    (MANIFEST.replace("    cases: [WXG, GJQ]", "    cases: [WXG, GJQ"), 11, None, "invalid YAML"),
    (MANIFEST.replace("  - file: ./policy/p01.txt", "  - title: 无文件"), 11, "file", "no 'file:'"),
    (MANIFEST.replace("./policy/p01.txt", "interviews/i01.txt"), 11, "file", "listed twice"),
    ("docs: []\n", 1, "docs", "unknown key"),
])
def test_bad_manifest_names_file_line_and_field(tmp_path, text, line, field, words):
    path = write(tmp_path / "corpus.yaml", text)
    with pytest.raises(ImportProblem) as err:
        load_manifest(path)
    problem = err.value
    assert problem.file == str(path) and problem.line == line and problem.field == field
    assert words in problem.message
    assert f"corpus.yaml:{line}" in str(problem)


# ---------------------------------------------------------------- collect

def make_corpus(root: Path) -> None:
    write(root / "interviews" / "i01.txt", SIMPLIFIED.encode("gbk"))
    write(root / "interviews" / "i02.txt", TRADITIONAL.encode("big5"))
    write(root / "policy" / "p01.txt", "Q市L区关于建立领导包联信访案件制度的通知\n\n一、总体要求")
    write(root / "corpus.yaml", MANIFEST)
    write(root / "_manifest_news.yaml", "documents: []\n")
    write(root / ".hidden.txt", "hidden")
    write(root / "interviews" / "~$i01.docx", b"lock")


def test_collect_folder_with_manifest_and_defaults(tmp_path):
    root = tmp_path / "corpus"
    make_corpus(root)
    calls = []
    docs, refusals = collect([root], defaults=DocumentMeta(source="默认来源", cases=("ZSQ",)),
                             progress=lambda done, total, path: calls.append((done, total, path.name)))
    assert refusals == []
    assert [d.path.relative_to(root).as_posix() for d in docs] == ["interviews/i01.txt", "interviews/i02.txt",
                                                                   "policy/p01.txt"]
    i01, i02, p01 = docs
    assert i01.meta.title == "访谈记录：L区分管信访工作副区长LHY" and i01.meta.kind == "interview"
    assert i01.meta.source == "课题组田野访谈（重建材料）" and i01.meta.cases == ("WXG", "GJQ")
    assert i01.encoding == "gb18030" and i02.encoding == "big5"
    assert i02.meta == DocumentMeta(title="i02", source="默认来源", cases=("ZSQ",))  # not in manifest: defaults
    assert p01.meta.kind == "policy" and p01.meta.source == "默认来源" and p01.meta.cases == ("ZSQ",)
    assert p01.meta.title == "p01" and p01.meta.extra == {"文号": "Q政办发〔2018〕12号"}
    assert calls == [(1, 3, "i01.txt"), (2, 3, "i02.txt"), (3, 3, "p01.txt")]


def test_collect_explicit_manifest_for_single_files(tmp_path):
    root = tmp_path / "corpus"
    make_corpus(root)
    manifest = write(tmp_path / "meta" / "m.yaml", MANIFEST.replace("file: interviews/", "file: ../corpus/interviews/")
                     .replace("./policy/p01.txt", "../corpus/policy/p01.txt"))
    docs, refusals = collect([root / "interviews" / "i01.txt"], manifest=manifest, defaults=DocumentMeta(title="缺省"))
    assert refusals == []
    assert docs[0].meta.kind == "interview" and docs[0].meta.title.startswith("访谈记录")
    docs, _ = collect([root / "interviews" / "i02.txt"], manifest=manifest, defaults=DocumentMeta(title="缺省"))
    assert docs[0].meta.title == "缺省"


def test_collect_good_and_bad_files(tmp_path):
    root = tmp_path / "mixed"
    write(root / "a_good.txt", SIMPLIFIED)
    write(root / "b_empty.txt", b"")
    write(root / "c_binary.txt", bytes(range(256)) * 8)
    write(root / "d_scan.pdf", rectangle_pdf())
    write(root / "e_photo.jpg", b"\xff\xd8\xff\xe0" + bytes(100))
    write(root / "f_fake.docx", b"not a zip")
    write(root / "sub" / "g_good.md", "# 会议纪要\n\nLHY：要把问题解决在基层。")
    d = docx.Document()
    d.add_paragraph("新闻：L区推行领导包联信访制度")
    d.save(str(root / "sub" / "h_good.docx"))
    write(root / "sub" / "i_same.txt", SIMPLIFIED.encode("utf-16"))  # same text as a_good.txt
    docs, refusals = collect([root, tmp_path / "nowhere.txt"])
    assert [d.filename for d in docs] == ["a_good.txt", "g_good.md", "h_good.docx"]
    reasons = {r.path.name: r.reason for r in refusals}
    assert set(reasons) == {"b_empty.txt", "c_binary.txt", "d_scan.pdf", "e_photo.jpg", "f_fake.docx", "i_same.txt",
                            "nowhere.txt"}
    assert all(isinstance(r, Refusal) and "\n" not in r.reason for r in refusals)
    assert "ocrmypdf" in reasons["d_scan.pdf"] and "binary" in reasons["c_binary.txt"]
    assert "unsupported" in reasons["e_photo.jpg"] and "a_good.txt" in reasons["i_same.txt"]
    assert "does not exist" in reasons["nowhere.txt"]


def test_same_file_twice_gives_one_document_and_one_refusal(tmp_path):
    path = write(tmp_path / "i01.txt", SIMPLIFIED)
    docs, refusals = collect([path, path])
    assert len(docs) == 1 and len(refusals) == 1 and refusals[0].path == path
    docs, refusals = collect([tmp_path, path])
    assert len(docs) == 1 and len(refusals) == 1


def test_manifest_entry_without_file_is_refused(tmp_path):
    root = tmp_path / "corpus"
    make_corpus(root)
    (root / "policy" / "p01.txt").unlink()
    docs, refusals = collect([root, root / "interviews"])  # the manifest is read once
    assert len(docs) == 2 and len(refusals) == 3  # i01 and i02 given twice, p01 missing
    docs, refusals = collect([root])
    assert len(docs) == 2
    assert [r.path.name for r in refusals] == ["p01.txt"]
    assert "does not exist" in refusals[0].reason and "corpus.yaml (line 11)" in refusals[0].reason


def test_bad_manifest_stops_collect_and_bad_defaults_too(tmp_path):
    root = tmp_path / "corpus"
    make_corpus(root)
    write(root / "corpus.yaml", MANIFEST.replace("kind: policy", "kind: notice"))
    with pytest.raises(ImportProblem) as err:
        collect([root])
    assert err.value.line == 12 and err.value.field == "kind"
    with pytest.raises(ImportProblem) as err:
        collect([root / "policy"], defaults=DocumentMeta(kind="notice"))
    assert err.value.field == "kind" and all(k in err.value.hint for k in KINDS)


def test_yaml_passed_as_document_is_refused(tmp_path):
    path = write(tmp_path / "corpus.yaml", MANIFEST)
    docs, refusals = collect([path])
    assert docs == [] and "--manifest" in refusals[0].reason


# ---------------------------------------------------------------- audit: damaged and unusual inputs

@pytest.mark.parametrize(("codec", "text", "label"), [
    ("gbk", "包联工作由区级领导牵头负责，会同相关部门共同化解矛盾。\n", "GB18030/GBK"),
    ("big5", TRADITIONAL, "Big5"),
    ("utf-8", SIMPLIFIED, "UTF-8"),
])
def test_chinese_text_with_a_few_invalid_bytes_is_refused_not_imported_as_mojibake(tmp_path, codec, text, label):
    good = text.encode(codec)
    cut = good.index("\n".encode(codec)) + 1 if text.count("\n") > 1 else 0  # damage the second line if any
    cut += 4  # after two characters of that line
    data = good[:cut] + b"\xff\xff" + good[cut:]
    path = write(tmp_path / "damaged.txt", data)
    with pytest.raises(ImportProblem) as err:
        read_document(path)
    problem = err.value
    assert label in problem.message and "invalid byte" in problem.message
    assert problem.line == (2 if cut > 4 else 1) and f"damaged.txt:{problem.line}" in str(problem)
    assert "UTF-8" in problem.hint


def test_single_byte_text_is_not_taken_for_damaged_chinese(tmp_path):
    path = write(tmp_path / "letter.txt", "Café résumé — “quoted” text, façade, über".encode("cp1252"))
    assert read_document(path).text == "Café résumé — “quoted” text, façade, über"


def test_docx_text_in_content_controls_fields_insertions_and_text_boxes_is_read(tmp_path):
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    shapes = ('xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
              'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
              'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
              'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"')
    track = 'w:author="SLF" w:date="2020-10-15T00:00:00Z"'
    d = docx.Document()
    d.add_paragraph("会议名称：包联工作推进会")
    blocks = [
        f'<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>模板控件里的正文。</w:t></w:r></w:p></w:sdtContent></w:sdt>',
        f'<w:p {w}><w:r><w:t>由LHY</w:t></w:r><w:ins w:id="1" {track}><w:r><w:t>牵头，</w:t></w:r></w:ins>'
        f'<w:del w:id="2" {track}><w:r><w:delText>不必</w:delText></w:r></w:del><w:r><w:t>两周内答复。</w:t></w:r></w:p>',
        f'<w:p {w}><w:r><w:t>日期：</w:t></w:r><w:fldSimple w:instr="DATE"><w:r><w:t>2020年10月15日</w:t></w:r>'
        f'</w:fldSimple><w:smartTag w:uri="u" w:element="place"><w:r><w:t>L区</w:t></w:r></w:smartTag></w:p>',
        f'<w:p {w} {shapes}><w:r><w:t>见右侧方框。</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps">'
        '<w:drawing><wp:anchor><a:graphic><a:graphicData uri="wps"><wps:wsp><wps:txbx><w:txbxContent>'
        '<w:p><w:r><w:t>方框：信访人诉求摘要</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData>'
        '</a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r>'
        '<w:t>方框：信访人诉求摘要</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent>'
        '</w:r></w:p>',
    ]
    body = d.element.body
    for xml in blocks:
        body.insert(len(body) - 1, parse_xml(xml))  # before the final w:sectPr
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "姓名"
    table.cell(0, 1)._tc.append(parse_xml(
        f'<w:sdt {w}><w:sdtContent><w:p><w:r><w:t>LHY（控件）</w:t></w:r></w:p></w:sdtContent></w:sdt>'))
    d.add_paragraph("记录：SLF")
    path = tmp_path / "template.docx"
    d.save(str(path))
    assert read_document(path).text == (
        "会议名称：包联工作推进会\n\n模板控件里的正文。\n\n由LHY牵头，两周内答复。\n\n日期：2020年10月15日L区\n\n"
        "见右侧方框。\n\n方框：信访人诉求摘要\n\n姓名 | LHY（控件）\n\n记录：SLF"
    )


def test_zip_of_something_else_named_docx_says_what_it_is(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "访谈名单"
    path = tmp_path / "名单.docx"
    book.save(str(path))
    with pytest.raises(ImportProblem, match="is an Excel workbook") as err:
        read_document(path)
    assert "名单.docx" in str(err.value) and "docx" in err.value.hint


UNMAPPED_FONT = (b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts "
                 b"[<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SimSun /CIDSystemInfo << /Registry (Adobe) "
                 b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor << /Type /FontDescriptor /FontName "
                 b"/ABCDEF+SimSun /Flags 6 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 880 /Descent -120 "
                 b"/CapHeight 880 /StemV 93 >> /DW 1000 >>] >>")


def test_pdf_whose_fonts_have_no_unicode_map_is_refused_as_garbled(tmp_path):
    # A subset font without /ToUnicode: the text layer holds glyph numbers 1..N, not characters.
    lines = [range(i * 20 + 1, i * 20 + 21) for i in range(15)]
    ops = [b"BT /F1 12 Tf 16 TL 60 780 Td"]
    ops += [b"<" + b"".join(g.to_bytes(2, "big") for g in line).hex().encode() + b"> Tj T*" for line in lines]
    ops.append(b"ET")
    path = write(tmp_path / "通知.pdf", pdf_pages([b"\n".join(ops)], UNMAPPED_FONT))
    with pytest.raises(ImportProblem, match="garbled") as err:
        read_document(path)
    assert "通知.pdf" in str(err.value) and "ocrmypdf --force-ocr" in err.value.hint


def test_manifest_with_unclosed_quote_names_the_line_where_it_starts(tmp_path):
    path = write(tmp_path / "corpus.yaml", 'documents:\n  - file: a.txt\n    title: "未闭合\n    kind: interview\n')
    with pytest.raises(ImportProblem, match="invalid YAML") as err:
        load_manifest(path)
    assert "at line 3" in err.value.message


def _as_nobody(func):
    """Run ``func`` without root's right to read anything (root ignores file permissions); returns its result."""
    import os
    import pickle

    if os.geteuid() != 0:
        return func()
    read, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop to nobody, report the result through the pipe
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            data = pickle.dumps(("ok", func()))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            data = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
        os.write(write_end, data)
        os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    status, value = pickle.loads(b"".join(chunks))
    assert status == "ok", value
    return value


def test_unreadable_folders_and_files_are_refused_not_a_crash():
    import os
    import shutil
    import stat
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="baolian-perm-"))  # not under pytest's private tmp: nobody must enter
    try:
        root.chmod(0o755)
        write(root / "在此" / "good.txt", SIMPLIFIED)
        write(root / "在此" / "locked" / "inside.txt", TRADITIONAL)
        write(root / "在此" / "secret.txt", "保密")
        (root / "在此").chmod(0o755)
        (root / "在此" / "secret.txt").chmod(0)
        (root / "在此" / "locked").chmod(0)

        def run():
            out = []
            for paths in ([root / "在此"], [root / "在此" / "locked"], [root / "在此" / "locked" / "inside.txt"]):
                docs, refusals = collect(paths)
                out.append(([d.filename for d in docs], [(r.path.name, r.reason) for r in refusals]))
            return out

        whole, folder, inside = _as_nobody(run)
    finally:
        for p in (root / "在此" / "locked", root / "在此" / "secret.txt"):
            p.chmod(stat.S_IRWXU)
        shutil.rmtree(root)
    assert whole[0] == ["good.txt"]
    reasons = dict(whole[1])
    assert "cannot open the folder" in reasons["locked"] and "Permission denied" in reasons["locked"]
    assert "cannot read the file" in reasons["secret.txt"]
    assert folder == ([], [("locked", reasons["locked"])])
    assert inside[0] == [] and "cannot access the file" in inside[1][0][1] and os.sep not in inside[1][0][0]


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def add_docx_part(path: Path, name: str, xml: str) -> None:
    """Add word/{name}s.xml (footnote, endnote or comment) to a saved .docx as Word writes it: the part, the
    relationship from the document and the content-type override."""
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    rel = (f'<Relationship Id="rIdX{name}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           f'relationships/{name}s" Target="{name}s.xml"/>')
    files["word/_rels/document.xml.rels"] = files["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", rel.encode() + b"</Relationships>")
    override = (f'<Override PartName="/word/{name}s.xml" ContentType="application/'
                f'vnd.openxmlformats-officedocument.wordprocessingml.{name}s+xml"/>')
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(b"</Types>", override.encode() + b"</Types>")
    files[f"word/{name}s.xml"] = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{xml}'.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in files.items():
            z.writestr(n, data)


def word_file_with_comments(path: Path, paragraphs: list[str], comments: dict[int, tuple[str, str]],
                            date: str | None = None) -> Path:
    """A .docx of these paragraphs (w:p inner XML) and comments (id -> (author, text), XML-escaped)."""
    from docx.oxml import parse_xml

    d = docx.Document()
    for inner in paragraphs:
        d.element.body.insert(len(d.element.body) - 1, parse_xml(f'<w:p xmlns:w="{W_NS}">{inner}</w:p>'))
    d.save(str(path))
    when = f' w:date="{date}"' if date else ""
    add_docx_part(path, "comment", f'<w:comments xmlns:w="{W_NS}">' + "".join(
        f'<w:comment w:id="{i}" w:author="{author}"{when}><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:comment>'
        for i, (author, text) in comments.items()) + "</w:comments>")
    return path


def _add_notes_part(path: Path, kind: str, notes: dict[str, str]) -> None:
    """word/{kind}s.xml with Word's separator notes and these notes (id -> text)."""
    body = "".join(
        f'<w:{kind} w:id="{i}"><w:p><w:r><w:rPr><w:rStyle w:val="{kind.capitalize()}Reference"/></w:rPr>'
        f'<w:{kind}Ref/></w:r><w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:{kind}>'
        for i, text in notes.items())
    add_docx_part(path, kind, f'<w:{kind}s xmlns:w="{W_NS}">'
                  f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
                  f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r>'
                  f'</w:p></w:{kind}>{body}</w:{kind}s>')


def test_docx_footnotes_and_endnotes_are_marked_and_follow_the_body(tmp_path):
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    d = docx.Document()
    d.add_paragraph("第一段。")
    body = d.element.body
    paragraphs = [
        # footnote 7 is referenced first, so Word shows it as 1; endnote 3 as i
        f'<w:p {w}><w:r><w:t>区级领导包案</w:t></w:r><w:r><w:footnoteReference w:id="7"/></w:r>'
        f'<w:r><w:t>，一案一策</w:t></w:r><w:r><w:endnoteReference w:id="3"/></w:r><w:r><w:t>。</w:t></w:r></w:p>',
        f'<w:p {w}><w:r><w:t>专班</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r>'
        f'<w:r><w:t>两周内答复。</w:t></w:r><w:r><w:footnoteReference w:id="99"/></w:r></w:p>',  # 99: no such note
    ]
    for xml in paragraphs:
        body.insert(len(body) - 1, parse_xml(xml))
    path = tmp_path / "通知.docx"
    d.save(str(path))
    _add_notes_part(path, "footnote", {"2": "专班由信访局牵头。", "7": "见《包联工作方案》第三条。", "8": "未引用的脚注"})
    _add_notes_part(path, "endnote", {"3": "资料来源：L区信访局。"})
    text = read_document(path).text
    assert text == ("第一段。\n\n区级领导包案[1]，一案一策[i]。\n\n专班[2]两周内答复。\n\n"
                    "[1] 见《包联工作方案》第三条。\n\n[2] 专班由信访局牵头。\n\n[i] 资料来源：L区信访局。")
    # positions in the body do not depend on the notes
    assert text.index("专班[2]") == len("第一段。\n\n区级领导包案[1]，一案一策[i]。\n\n")


def test_docx_comments_come_with_the_text_they_cover(tmp_path):
    from docx.oxml import parse_xml

    from coding.corpus import DocumentComment

    w = f'xmlns:w="{W_NS}"'
    d = docx.Document()
    d.add_paragraph("访谈编号：I-01")
    body = d.element.body
    ref = '<w:r><w:commentReference w:id="{}"/></w:r>'
    paragraphs = [
        # indentation before the comment's start, removed by normalisation
        f'<w:p {w}><w:r><w:t xml:space="preserve">　　</w:t></w:r><w:commentRangeStart w:id="1"/>'
        f'<w:r><w:t>LHY：我们坚持</w:t></w:r><w:r><w:t>一案一策</w:t></w:r><w:commentRangeEnd w:id="1"/>{ref.format(1)}'
        f'<w:r><w:t>，领导</w:t></w:r><w:commentRangeStart w:id="2"/><w:r><w:t>包案</w:t></w:r></w:p>',
        # comment 2 ends in the next paragraph; comment 3 is on a point; U+FDD0 in the text is dropped
        f'<w:p {w}><w:r><w:t xml:space="preserve">到底。  </w:t></w:r><w:commentRangeEnd w:id="2"/>{ref.format(2)}'
        f'<w:r><w:t>第二句﷐。</w:t></w:r>{ref.format(3)}<w:r><w:t>完</w:t></w:r>'
        f'<w:commentRangeStart w:id="9"/><w:r><w:t>无此批注</w:t></w:r><w:commentRangeEnd w:id="9"/></w:p>',
    ]
    for xml in paragraphs:
        body.insert(len(body) - 1, parse_xml(xml))
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "问题"
    table.cell(0, 1)._tc.append(parse_xml(
        f'<w:p {w}><w:commentRangeStart w:id="4"/><w:r><w:t>稳控</w:t></w:r><w:commentRangeEnd w:id="4"/>'
        f'{ref.format(4)}</w:p>'))
    path = tmp_path / "访谈.docx"
    d.save(str(path))
    comment = ('<w:comment w:id="{0}" w:author="{1}" w:date="2020-10-16T09:30:00Z" w:initials="Z"><w:p><w:r>'
               '<w:annotationRef/></w:r><w:r><w:t>{2}</w:t></w:r></w:p></w:comment>')
    add_docx_part(path, "comment", f'<w:comments xmlns:w="{W_NS}">'
                  + comment.format(1, "张老师", "M5 的典型表述") + comment.format(2, "李", "跨段")
                  + comment.format(3, "", "这里缺一句") + comment.format(4, "张老师", "表格里的批注")
                  + comment.format(5, "张老师", "正文没有引用这条") + '</w:comments>')
    doc = read_document(path)
    assert doc.text == ("访谈编号：I-01\n\nLHY：我们坚持一案一策，领导包案\n\n到底。  第二句。完无此批注\n\n"
                        "问题 | 稳控")
    covered = [(doc.text[c.start:c.end], c.author, c.date, c.text) for c in doc.comments]
    assert covered == [("LHY：我们坚持一案一策", "张老师", "2020-10-16", "M5 的典型表述"),
                       ("包案\n\n到底。  ", "李", "2020-10-16", "跨段"),
                       ("", "", "2020-10-16", "这里缺一句"),
                       ("稳控", "张老师", "2020-10-16", "表格里的批注")]
    assert doc.comments[2] == DocumentComment(doc.text.index("完"), doc.text.index("完"), "", "2020-10-16", "这里缺一句")


def test_anchors_follow_the_text_through_normalisation():
    import random

    from coding.normalise import anchor, normalise_anchored

    rng = random.Random(7)
    alphabet = ["包", "联", "a", " ", "\u3000", "\t", "\n", "\r\n", "\u200b", "\x07", "e\u0301"]
    checked = 0
    for _ in range(1000):
        pieces, plain, where = [], "", {}  # where: anchor -> its offset in the text without anchors
        for i in range(rng.randint(0, 12)):
            chunk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
            pieces.append(chunk)
            plain += chunk
            if rng.random() < 0.5:
                pieces.append(anchor(f"a{i}"))
                where[f"a{i}"] = len(plain)
        text, at = normalise_anchored("".join(pieces))
        assert text == normalise_text(plain)
        assert sorted(at) == sorted(where)
        order = [at[n] for n in where]
        assert order == sorted(order) and all(0 <= p <= len(text) for p in order)
        for name, offset in where.items():  # a visible character right after an anchor is where the anchor points
            if plain[offset:offset + 1] in ("包", "联", "a"):
                assert text[at[name]] == plain[offset]
                checked += 1
    assert checked > 500


def test_docx_comments_part_cannot_pull_in_a_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容", encoding="utf-8")
    d = docx.Document()
    d.add_paragraph("正文")
    from docx.oxml import parse_xml

    d.paragraphs[0]._p.append(parse_xml(f'<w:r xmlns:w="{W_NS}"><w:commentReference w:id="1"/></w:r>'))
    path = tmp_path / "xxe.docx"
    d.save(str(path))
    add_docx_part(path, "comment", f'<!DOCTYPE c [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
                  f'<w:comments xmlns:w="{W_NS}"><w:comment w:id="1" w:author="x"><w:p><w:r><w:t>看&s;</w:t></w:r>'
                  f'</w:p></w:comment></w:comments>')
    try:
        doc = read_document(path)
    except ImportProblem as err:  # refused with a clear error is fine too
        assert "xxe.docx" in str(err) and "机密" not in str(err)
    else:
        assert "机密" not in doc.text and all("机密" not in c.text for c in doc.comments)


def test_docx_comments_written_by_python_docx_are_read(tmp_path):
    """A second writer of comments than the XML above: python-docx's own add_comment (parts, relationships and
    content types as it writes them), two comments on runs of different paragraphs."""
    d = docx.Document()
    first = d.add_paragraph("访谈者：后来呢？")
    answer = d.add_paragraph("LHY：")
    run = answer.add_run("我们一户一策，定期回访。")
    d.add_comment([run], text="M5", author="张老师", initials="Z")
    d.add_comment(first.runs, text="问句不编码", author="李", initials="L")
    path = tmp_path / "i11.docx"
    d.save(str(path))
    doc = read_document(path)
    assert doc.text == "访谈者：后来呢？\n\nLHY：我们一户一策，定期回访。"
    assert [(doc.text[c.start:c.end], c.author, c.text) for c in doc.comments] == [
        ("访谈者：后来呢？", "李", "问句不编码"), ("我们一户一策，定期回访。", "张老师", "M5")]


def test_docx_comment_replies_are_folded_into_the_comment_they_answer(tmp_path):
    w14 = "http://schemas.microsoft.com/office/word/2010/wordml"
    w15 = "http://schemas.microsoft.com/office/word/2012/wordml"
    ranges = "".join(f'<w:commentRangeStart w:id="{i}"/>' for i in (0, 1, 2))
    ends = "".join(f'<w:commentRangeEnd w:id="{i}"/><w:r><w:commentReference w:id="{i}"/></w:r>' for i in (0, 1, 2))
    path = word_file_with_comments(tmp_path / "thread.docx", [
        f"<w:r><w:t>开场。</w:t></w:r>{ranges}<w:r><w:t>领导每月上门。</w:t></w:r>{ends}",
        '<w:commentRangeStart w:id="3"/><w:r><w:t>另一句。</w:t></w:r><w:commentRangeEnd w:id="3"/>'
        '<w:r><w:commentReference w:id="3"/></w:r>'], {})
    body = []
    for i, author, date, text in ((0, "张老师", "2021-03-02", "M5？"), (1, "李老师", "2021-03-03", "同意"),
                                  (2, "张老师", "", "好"), (3, "王", "2021-03-04", "F1")):
        when = f' w:date="{date}T08:00:00Z"' if date else ""
        body.append(f'<w:comment w:id="{i}" w:author="{author}"{when}><w:p w14:paraId="0000000{i}">'
                    f'<w:r><w:t>{text}</w:t></w:r></w:p></w:comment>')
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files["word/comments.xml"] = (f'<w:comments xmlns:w="{W_NS}" xmlns:w14="{w14}">' + "".join(body)
                                  + "</w:comments>").encode("utf-8")
    files["word/commentsExtended.xml"] = (
        f'<w15:commentsEx xmlns:w15="{w15}"><w15:commentEx w15:paraId="00000000" w15:done="1"/>'
        '<w15:commentEx w15:paraId="00000001" w15:paraIdParent="00000000" w15:done="0"/>'
        '<w15:commentEx w15:paraId="00000002" w15:paraIdParent="00000001" w15:done="0"/>'
        '<w15:commentEx w15:paraId="00000003" w15:done="0"/></w15:commentsEx>').encode("utf-8")
    files["word/_rels/document.xml.rels"] = files["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdX9" Type="http://schemas.microsoft.com/office/2011/relationships/'
        b'commentsExtended" Target="commentsExtended.xml"/></Relationships>')
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/word/commentsExtended.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.commentsExtended+xml"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    doc = read_document(path)
    assert [(doc.text[c.start:c.end], c.author, c.date, c.text) for c in doc.comments] == [
        ("领导每月上门。", "张老师", "2021-03-02", "M5？\n↳ 李老师（2021-03-03）：同意\n↳ 张老师：好\n（已解决 resolved）"),
        ("另一句。", "王", "2021-03-04", "F1"),
    ]
