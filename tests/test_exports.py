"""Exports: the tables' content on a hand-built project with known codings; CSV and XLSX read back.

The small project (see :func:`build_small`) has two documents and five codings by two coders:
ann and bob both code the same span M1 (one span, two coders), ann codes M1.1 and F1, bob codes M2,
and ann rejects nothing; one text holds every LaTeX/Markdown special character.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from coding.corpus import DocumentMeta, Participant
from coding.decisions import add_code
from coding.errors import BaolianError
from coding.exports import FORMATS, check_format, export, resolve_out
from coding.exports import tables as tb
from coding.project import Project

from .conftest import CODEBOOK

SPECIAL = r"费用 50% & 成本 $100 #1 {注} ~a ^b \c _d |e 都要说清楚。"
INTERVIEW = ("访谈者：请谈谈包联工作。\n"
             "LHY：包案领导牵头抓总，责任到人，五包责任制落实了，层层压实。\n"
             f"LHY：{SPECIAL}\n")
POLICY = "各级领导包案化解信访积案，部门解决不了的交给区领导。\n"
M1_TEXT = "包案领导牵头抓总，责任到人，五包责任制落实了，层层压实。"


def build_small(location: str, folder: Path) -> dict:
    """The small project described in the module docstring; returns the expected facts."""
    p = Project.init(location, codebook=CODEBOOK)
    (folder / "a.txt").write_text(INTERVIEW, encoding="utf-8")
    (folder / "b.txt").write_text(POLICY, encoding="utf-8")
    people = (Participant("访谈者", "研究者"), Participant("LHY", "包联人"))
    p.import_paths([folder / "a.txt"], defaults=DocumentMeta(title="访谈A", kind="interview", participants=people))
    p.import_paths([folder / "b.txt"], defaults=DocumentMeta(title="政策B", kind="policy"))
    docs = {d.title: d.id for d in p.documents()}
    a, b = docs["访谈A"], docs["政策B"]
    text_a, text_b = p.document_text(a), p.document_text(b)

    def span(text, piece):
        start = text.index(piece)
        return start, start + len(piece)

    m1 = span(text_a, M1_TEXT)
    special = span(text_a, SPECIAL)
    f1 = span(text_b, POLICY.strip())
    add_code(p, a, *m1, "M1", coder="ann")
    add_code(p, a, *m1, "M1", coder="bob")
    add_code(p, a, *special, "M1.1", coder="ann")
    add_code(p, a, *special, "M2", coder="bob")
    add_code(p, b, *f1, "F1", coder="ann")
    p.close()
    return {"location": location, "a": a, "b": b, "m1": m1, "special": special, "f1": f1}


@pytest.fixture(scope="module")
def small(new_location, tmp_path_factory):
    return build_small(new_location("exports"), tmp_path_factory.mktemp("exports-src"))


@pytest.fixture
def p(small):
    project = Project.open(small["location"])
    yield project
    project.close()


def test_filters_validate_status_and_quotes():
    f = tb.make_filters("pending, accepted", coder="ann", n_quotes=2)
    assert f.status == ("accepted", "suggested") and f.coder == "ann" and f.n_quotes == 2
    with pytest.raises(BaolianError, match="unknown status 'approved'"):
        tb.make_filters("approved")
    with pytest.raises(BaolianError, match="at least 1"):
        tb.make_filters("accepted", n_quotes=0)


def test_format_names_and_output_folder(tmp_path):
    assert check_format("TeX") == "latex"
    with pytest.raises(BaolianError) as info:
        check_format("pdf")
    assert "csv, xlsx, docx, latex, md, qdc, qdpx" in str(info.value)
    assert list(FORMATS) == ["csv", "xlsx", "docx", "latex", "md", "qdc", "qdpx"]
    with pytest.raises(BaolianError, match="does not exist"):
        resolve_out("xlsx", tmp_path / "missing" / "t.xlsx")
    assert resolve_out("xlsx", tmp_path) == tmp_path / "baolian-export.xlsx"
    assert resolve_out("csv", tmp_path) == tmp_path
    with pytest.raises(BaolianError, match="neither a .zip file nor an existing folder"):
        resolve_out("csv", tmp_path / "tables.csv")


def test_frequencies_count_each_span_once(p, small):
    t = tb.build(p, tb.make_filters())
    freq = t.frequencies.set_index("code")
    assert list(t.frequencies["code"]) == ["F1", "M1", "M1.1", "M2"]  # codebook order
    assert freq["segments"].to_dict() == {"F1": 1, "M1": 1, "M1.1": 1, "M2": 1}
    assert freq.loc["M1", "share"] == 25.0
    assert freq.loc["M1", "characters"] == small["m1"][1] - small["m1"][0]
    assert freq["documents"].sum() == 4
    assert len(t.segments) == 5 and set(t.segments["coder"]) == {"ann", "bob"}
    ann = tb.build(p, tb.make_filters(coder="ann"))
    assert ann.frequencies.set_index("code")["segments"].to_dict() == {"F1": 1, "M1": 1, "M1.1": 1}


def test_segments_carry_document_speaker_and_text(p, small):
    segs = tb.build(p, tb.make_filters()).segments
    row = segs[(segs["code"] == "M2")].iloc[0]
    assert row["document"] == "访谈A" and row["kind"] == "interview"
    assert row["speaker"] == "LHY" and row["coder"] == "bob" and row["status"] == "accepted"
    assert row["text"] == SPECIAL and (row["start"], row["end"]) == small["special"]


def test_quotes_prefer_indicator_hits_and_agreement(p):
    segs = tb.build(p, tb.make_filters()).segments
    codebook = p.codebook()
    q = tb.quotes(segs, codebook, n=3)
    m1 = q[q["code"] == "M1"]
    assert len(m1) == 1 and m1.iloc[0]["quote"] == M1_TEXT
    assert m1.iloc[0]["indicator_hits"] >= 3 and m1.iloc[0]["coders"] == 2  # 责任到人, 五包责任制, 层层压实 …
    assert list(q["code"]) == ["F1", "M1", "M1.1", "M2"] and set(q["rank"]) == {1}
    # a second M1 span with no indicator ranks after the first
    extra = segs[segs["code"] == "M1"].iloc[[0]].assign(text="无关的句子", start=0, end=5, coder="cy")
    import pandas as pd

    ranked = tb.quotes(pd.concat([segs, extra]), codebook, n=1)
    assert ranked[ranked["code"] == "M1"].iloc[0]["quote"] == M1_TEXT


def test_three_level_table_from_hierarchy(p):
    levels = tb.build(p, tb.make_filters()).levels
    rows = {r["open"]: r for r in levels.to_dict("records")}
    assert rows["M1.1"]["axial"] == "M1" and rows["M1.1"]["selective"] == "M"
    assert rows["M1"]["axial"] == "M1" and rows["F1"]["selective"] == "F"
    assert rows["M1"]["segments"] == 1 and rows["M1"]["example"] == M1_TEXT
    assert rows["M1.1"]["selective_name"] == "治理机制"


def test_levels_count_what_the_frequency_table_counts(new_location, tmp_path):
    """Two more M1 codes inside the already coded sentence: still one segment in both tables (3 spans)."""
    small = build_small(new_location("levels"), tmp_path)
    p = Project.open(small["location"])
    try:
        start = small["m1"][0]
        add_code(p, small["a"], start, start + 4, "M1", coder="cy")
        add_code(p, small["a"], start + 5, start + 10, "M1", coder="cy")
        t = tb.build(p, tb.make_filters())
        assert len(tb.spans(t.segments[t.segments["code"] == "M1"])) == 3
        assert t.frequencies.set_index("code").loc["M1", "segments"] == 1
        assert t.levels.set_index("open").loc["M1", "segments"] == 1
    finally:
        p.close()


def test_codebook_appendix_has_definitions_and_exclusions(p):
    book = tb.codebook_appendix(p.codebook())
    m1 = book.set_index("code").loc["M1"]
    assert m1["definition"].startswith("领导包联把责任分成") and "五包责任制" in m1["use_when"]
    assert "（改用 M1.1）" in m1["not_when"] and m1["examples"]


def test_csv_zip_and_folder(p, small, tmp_path):
    written = export(p, "csv", tmp_path / "tables.zip")
    with zipfile.ZipFile(written) as archive:
        names = archive.namelist()
        freq = list(csv.DictReader(io.StringIO(archive.read("frequencies.csv").decode("utf-8-sig"))))
        meta = dict(csv.reader(io.StringIO(archive.read("metadata.csv").decode("utf-8-sig"))))
    assert {"metadata.csv", "frequencies.csv", "segments.csv", "matrix.csv", "cooccurrence.csv",
            "quotes.csv", "coding_levels.csv", "codebook.csv"} <= set(names)
    assert {r["code"]: r["segments"] for r in freq} == {"F1": "1", "M1": "1", "M1.1": "1", "M2": "1"}
    assert meta["codebook_version"] == "1.0.0" and meta["status"] == "accepted" and meta["exported_at"]
    folder = tmp_path / "csv"
    folder.mkdir()
    assert export(p, "csv", folder, coder="ann") == folder
    segs = list(csv.DictReader(open(folder / "segments.csv", encoding="utf-8-sig")))
    assert len(segs) == 3 and {s["coder"] for s in segs} == {"ann"}
    assert any(s["text"] == SPECIAL for s in segs)


def test_xlsx_sheets_and_counts(p, tmp_path):
    from openpyxl import load_workbook

    written = export(p, "xlsx", tmp_path / "t.xlsx")
    book = load_workbook(written, read_only=True)
    assert book.sheetnames[:2] == ["metadata", "frequencies"]
    assert {"matrix", "cooccurrence", "segments", "quotes", "coding_levels", "codebook"} <= set(book.sheetnames)
    rows = list(book["segments"].values)
    assert len(rows) == 1 + 5
    header = rows[0]
    for column in ("document", "speaker", "code", "coder", "status", "text"):
        assert column in header
    meta = {k: v for k, v in list(book["metadata"].values)[1:]}
    assert meta["codebook_version"] == "1.0.0" and meta["coder"] == "全部 all"
    freq = list(book["frequencies"].values)
    assert sum(r[header_index(freq, "segments")] for r in freq[1:]) == 4


def header_index(rows, name):
    return list(rows[0]).index(name)


def test_suggestions_on_request(tmp_path, new_location):
    from coding.autocode import code_project
    from coding.decisions import pending_suggestions

    info = build_small(new_location("exports-sug"), tmp_path)
    p = Project.open(info["location"])
    try:
        code_project(p)
        pending = pending_suggestions(p, coder=None)
        assert pending, "the rules should suggest something on this text"
        accepted = tb.build(p, tb.make_filters())
        both = tb.build(p, tb.make_filters("accepted,suggested"))
        assert len(accepted.segments) == 5
        suggested = both.segments[both.segments["status"] == "suggested"]
        assert len(suggested) == len(pending) and suggested["coder"].isna().all()
        # quotes never show a suggestion
        assert set(both.quotes["quote"]) <= set(both.segments.loc[both.segments["status"] == "accepted", "text"])
    finally:
        p.close()


def test_xlsx_matrix_and_cooccurrence_values(p, tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(export(p, "xlsx", tmp_path / "m.xlsx"), read_only=True)
    matrix = list(book["matrix"].values)
    header = list(matrix[0])
    assert header[0] == "code" and {"访谈A", "政策B"} <= set(header)
    cells = {r[0]: dict(zip(header[1:], r[1:])) for r in matrix[1:]}
    assert cells["M1"]["访谈A"] == 1 and cells["M1"]["政策B"] == 0 and cells["F1"]["政策B"] == 1
    cooc = list(book["cooccurrence"].values)
    assert list(cooc[0]) == ["code_a", "code_b", "count", "jaccard"]
    assert [tuple(r) for r in cooc[1:]] == [("M1.1", "M2", 1, 1.0)]  # coded on the same sentence


def test_code_filter_keeps_sub_codes(p, tmp_path):
    t = tb.build(p, tb.make_filters(codes=["M1"]), data=True)
    assert list(t.frequencies["code"]) == ["M1", "M1.1"]
    assert set(t.segments["code"]) == {"M1", "M1.1"}
    assert list(t.codebook["code"]) == ["M1", "M1.1", "M1.2", "M1.3"]
    assert set(t.data["matrix"]["code"]) <= {"M1", "M1.1", "M1.2", "M1.3"}
    assert t.data["cooccurrence"].empty
    assert t.meta["codes"] == "M1"


def test_data_exports_group_by_role_case_and_coder_with_percent_shares(p, tmp_path):
    """The XLSX/CSV hold frequencies by document kind, speaker role, case and coder, shares in per cent
    with one decimal, the code names in the matrix and co-occurrence at sentence and paragraph level."""
    from openpyxl import load_workbook

    book = load_workbook(export(p, "xlsx", tmp_path / "g.xlsx"), read_only=True)

    def table(name):
        rows = list(book[name].values)
        return [dict(zip(rows[0], r)) for r in rows[1:]]

    assert "share_pct" in list(book["frequencies"].values)[0]
    kind = {(r["code"], r["kind"]): r for r in table("frequencies_by_kind")}
    assert kind[("M1", "interview")]["share_pct"] == 33.3 and kind[("F1", "policy")]["share_pct"] == 100.0
    assert kind[("M1", "interview")]["kind_label"] == "访谈 interview"
    assert kind[("F1", "policy")]["document_share_pct"] == 100.0
    coder = {(r["code"], r["coder"]): r["segments"] for r in table("frequencies_by_coder")}
    assert coder == {("F1", "ann"): 1, ("M1", "ann"): 1, ("M1", "bob"): 1, ("M1.1", "ann"): 1, ("M2", "bob"): 1}
    role = {(r["code"], r["speaker_role"]) for r in table("frequencies_by_speaker_role")}
    assert ("M1", "包联人") in role and ("F1", "—") in role
    assert {r["case"] for r in table("frequencies_by_case")} == {"—"}  # no document names a case
    matrix = table("matrix")
    assert {r["code"]: r["name"] for r in matrix}["M1"] == "层层嵌套的责任机制"
    assert [(r["code_a"], r["code_b"], r["count"], r["jaccard"]) for r in table("cooccurrence_paragraph")] == \
        [("M1.1", "M2", 1, 1.0)]  # each line is its own paragraph here
    with zipfile.ZipFile(export(p, "csv", tmp_path / "g.zip")) as archive:
        assert {"frequencies_by_speaker_role.csv", "frequencies_by_case.csv", "frequencies_by_coder.csv",
                "cooccurrence_paragraph.csv"} <= set(archive.namelist())


def test_xlsx_formats_shares_and_jaccard(p, tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(export(p, "xlsx", tmp_path / "f.xlsx"))
    freq = book["frequencies"]
    header = [c.value for c in freq[1]]
    assert freq.cell(2, header.index("share_pct") + 1).number_format == "0.0"
    assert freq.cell(2, header.index("segments") + 1).number_format == "General"
    cooc = book["cooccurrence"]
    assert cooc.cell(2, [c.value for c in cooc[1]].index("jaccard") + 1).number_format == "0.000"


# -- hard text: non-BMP characters, CRLF, BOM, tabs, formula-like and XML-special text ----------------------

HARD_RAW = ("\ufeff访谈者：请谈谈𠀀包联😀工作。\r\n"
            "LHY：=SUM(A1:A2)\t费用 50% & <b>\"x\"</b> &amp; 都要说清楚。\r\n"
            "LHY：+1 -2 @3 第三句话😀𠀀。\r\n"
            "LHY：#N/A\r\n"
            "LHY：坏字符\uffff也要导出。\r\n")
HARD_PIECES = {"M1": "请谈谈𠀀包联😀工作。", "M2": "=SUM(A1:A2)\t费用 50% & <b>\"x\"</b> &amp; 都要说清楚。",
               "M1.1": "+1 -2 @3 第三句话😀𠀀。", "F1": "😀𠀀", "M3": "#N/A", "M4": "坏字符\uffff也要导出。"}
LONG_TEXT = "𠀀" * 20000 + "。"  # 20,001 code points, 40,001 UTF-16 units: more than an Excel cell holds


def build_hard(location: str, folder: Path) -> dict:
    """Two documents written with a BOM and CRLF, coded on the pieces above (the F1 piece is the last match)."""
    p = Project.init(location, codebook=CODEBOOK)
    (folder / "hard.txt").write_bytes(HARD_RAW.encode("utf-8"))
    (folder / "long.txt").write_bytes(("\ufeff" + LONG_TEXT + "\r\n").encode("utf-8"))
    people = (Participant("访谈者", "研究者"), Participant("LHY", "包联人"))
    p.import_paths([folder / "hard.txt"], defaults=DocumentMeta(title="=难<&>文本", kind="interview",
                                                                participants=people))
    p.import_paths([folder / "long.txt"], defaults=DocumentMeta(title="长文档", kind="policy"))
    docs = {d.title: d.id for d in p.documents()}
    hard, long = docs["=难<&>文本"], docs["长文档"]
    text = p.document_text(hard)
    assert "\r" not in text and "\ufeff" not in text and p.document_text(long) == LONG_TEXT
    spans = {}
    for code, piece in HARD_PIECES.items():
        start = text.rindex(piece)
        spans[code] = (start, start + len(piece))
        add_code(p, hard, *spans[code], code, coder="ann")
    add_code(p, long, 0, len(LONG_TEXT), "F1", coder="bob")
    p.close()
    return {"location": location, "hard": hard, "long": long, "spans": spans}


@pytest.fixture(scope="module")
def hard(new_location, tmp_path_factory):
    return build_hard(new_location("exports-hard"), tmp_path_factory.mktemp("exports-hard-src"))


@pytest.fixture
def hp(hard):
    project = Project.open(hard["location"])
    yield project
    project.close()


def test_csv_spans_are_code_point_slices_of_the_stored_text(hp, hard, tmp_path):
    with zipfile.ZipFile(export(hp, "csv", tmp_path / "hard.zip")) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("segments.csv").decode("utf-8-sig"))))
    assert len(rows) == len(HARD_PIECES) + 1
    for row in rows:
        text = hp.document_text(int(row["document_id"]))
        assert row["text"] == text[int(row["start"]):int(row["end"])]
    assert {(r["code"], r["start"], r["end"]) for r in rows if int(r["document_id"]) == hard["hard"]} == \
        {(code, str(a), str(b)) for code, (a, b) in hard["spans"].items()}


def test_xlsx_text_is_never_a_formula_or_an_error_value(hp, tmp_path):
    """openpyxl stores a string starting with '=' as a formula and '#N/A' as an error value; both must stay
    the coded text, and text Excel would read as a formula when the cell is edited gets the quote prefix."""
    from openpyxl import load_workbook

    path = export(hp, "xlsx", tmp_path / "hard.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any("<f>" in x or 't="e"' in x for x in sheets)
    book = load_workbook(path)
    sheet = book["segments"]
    header = [c.value for c in sheet[1]]
    cells = {row[header.index("code")].value: row[header.index("text")] for row in sheet.iter_rows(min_row=2)}
    for code in ("M2", "M1.1", "M3"):
        assert cells[code].data_type == "s" and cells[code].value == HARD_PIECES[code]
    assert cells["M2"].quotePrefix and cells["M1.1"].quotePrefix and not cells["M1"].quotePrefix
    assert cells["M1"].value == HARD_PIECES["M1"]
    title = [c for c in book["matrix"][1] if c.value == "=难<&>文本"]
    assert title and title[0].data_type == "s"  # a document title is a column header of the matrix


def test_xlsx_cells_without_characters_a_worksheet_cannot_hold(hp, tmp_path):
    """U+FFFF (kept by the import) crashed the writer; it becomes a space, in every sheet."""
    from openpyxl import load_workbook

    book = load_workbook(export(hp, "xlsx", tmp_path / "bad.xlsx"))
    sheet = book["segments"]
    header = [c.value for c in sheet[1]]
    texts = {row[header.index("code")].value: row[header.index("text")].value for row in sheet.iter_rows(min_row=2)}
    assert texts["M4"] == HARD_PIECES["M4"].replace("\uffff", " ")


def test_xlsx_long_text_is_cut_visibly_to_what_excel_holds(hp, tmp_path):
    """Excel holds 32,767 UTF-16 units per cell: the 20,001-character text of rare ideographs (40,001 units) is
    cut with a marker saying so, and without pandas' warning on the terminal; the CSV keeps all of it."""
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = export(hp, "xlsx", tmp_path / "long.xlsx")
    sheet = load_workbook(path)["segments"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("document")].value == "长文档")
    value = row[header.index("text")].value
    assert len(value.encode("utf-16-le")) // 2 <= 32767
    assert value.endswith("full text in the CSV export］") and "20001 characters" in value
    assert value.startswith("𠀀" * 10000) and row[header.index("end")].value == len(LONG_TEXT)
    with zipfile.ZipFile(export(hp, "csv", tmp_path / "long.zip")) as archive:
        assert LONG_TEXT in archive.read("segments.csv").decode("utf-8-sig")


def test_memos_sheet_says_what_each_memo_is_on(project, tmp_path):
    from openpyxl import load_workbook

    from coding.decisions import add_memo, memos
    from coding.trash import delete_document

    (tmp_path / "a.txt").write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "b.txt").write_text(POLICY, encoding="utf-8")
    project.import_paths([tmp_path / "a.txt", tmp_path / "b.txt"])
    a, b = (d.id for d in project.documents())
    text = project.document_text(a)
    sentence = next(s for s in project.segments(a, unit="sentence") if M1_TEXT in text[s.start:s.end])
    coding = add_code(project, a, sentence.start, sentence.end, "M1", coder="ann")
    add_memo(project, "=这句是 M1 的典型", coder="ann", document_id=a, segment_id=sentence.id)
    add_memo(project, "整篇访谈的背景", coder="bob", document_id=a)
    add_memo(project, "M5 的边界要再议", coder="ann", code="M5")
    add_memo(project, "编码理由", coder="ann", document_id=a, application_id=coding)
    add_memo(project, "项目备忘", coder="bob")
    add_memo(project, "政策文件的备忘", coder="ann", document_id=b)
    delete_document(project, b, by="ann")  # in the trash: its memo is not exported

    book = load_workbook(export(project, "xlsx", tmp_path / "t.xlsx"))
    rows = list(book["memos"].iter_rows(values_only=True))
    header, body = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    assert header[:4] == ("memo", "document_id", "document", "on")
    assert [(r["on"], r["document"], r["code"], r["coder"], r["text"]) for r in body] == [
        ("sentence", "a", None, "ann", "=这句是 M1 的典型"),
        ("document", "a", None, "bob", "整篇访谈的背景"),
        ("code", None, "M5", "ann", "M5 的边界要再议"),
        ("coding", "a", None, "ann", "编码理由"),
        ("project", None, None, "bob", "项目备忘"),
    ]
    first = body[0]
    assert (first["start"], first["end"]) == (sentence.start, sentence.end)
    assert first["segment_text"] == text[sentence.start:sentence.end] and M1_TEXT in first["segment_text"]
    assert book["memos"].cell(row=2, column=13).data_type == "s"  # "=..." stays text, never a formula
    assert first["created_at"].endswith("UTC")

    folder = tmp_path / "csv"
    folder.mkdir()
    export(project, "csv", folder, coder="bob")  # one coder's export: their memos only
    rows = list(csv.DictReader(open(folder / "memos.csv", encoding="utf-8-sig")))
    assert [r["text"] for r in rows] == ["整篇访谈的背景", "项目备忘"]
    assert len(memos(project)) == 6
