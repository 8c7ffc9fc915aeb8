"""REFI-QDA export (.qdc, .qdpx) validated with lxml against the shipped XSDs, and the round trip
export -> import into a fresh project (same codes, documents, coded spans, memos)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from coding import decisions
from coding.cli import main
from coding.project import Project
from coding.refi import export_qdc, export_qdpx, import_refi
from coding.refi.guids import FINAL_USER_NAME
from coding.refi.schema import DATA
from coding.store import Code, CodeApplication, Coder, Document, Memo

from .conftest import CODEBOOK, CORPUS

NS = {"q": "urn:QDA-XML:project:1.0", "c": "urn:QDA-XML:codebook:1.0"}
GUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def xsd(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / name)))


def qde_of(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read("project.qde"))


@pytest.fixture(scope="module")
def source(new_location):
    """Five demo documents coded by two coders (same span twice, overlaps), an adjudicated coding, a pending
    suggestion and a rejection (neither exported), and memos on a document, a segment, a coding, a code and
    the project."""
    p = Project.init(new_location("refisrc"), codebook=CODEBOOK)
    files = sorted(CORPUS.glob("interviews/*.txt"))[:3] + sorted(CORPUS.glob("policy/*.txt"))[:2]
    assert not p.import_paths(files, manifest=CORPUS / "corpus.yaml", coder="alice").refused
    docs = p.documents()
    d0, d1 = docs[0], docs[1]
    decisions.add_code(p, d0.id, 0, 12, "M2", coder="alice")
    decisions.add_code(p, d0.id, 0, 12, "M2", coder="bob")  # same span, same code, two coders
    decisions.add_code(p, d0.id, 5, 40, "F1", coder="bob")  # overlaps
    decisions.add_code(p, d0.id, 5, 40, "M1", coder="bob")  # same span, second code
    app = decisions.add_code(p, d1.id, 20, 31, "M3", coder="alice")
    decisions.add_memo(p, "文档备忘 memo on a document", coder="alice", document_id=d0.id)
    decisions.add_memo(p, "编码备忘 memo on a coding", coder="alice", document_id=d1.id, application_id=app)
    decisions.add_memo(p, "代码备忘 memo on a code", coder="bob", code="M2")
    sentence = p.segments(d0.id, "sentence")[1]
    decisions.add_memo(p, "句子备忘 memo on a sentence", coder="bob", document_id=d0.id, segment_id=sentence.id)
    decisions.add_memo(p, "项目备忘 project memo", coder="bob")
    with p.transaction() as s:
        ids = dict(s.execute(select(Code.key, Code.id)).all())
        alice = s.scalar(select(Coder.id).where(Coder.name == "alice"))
        s.add(CodeApplication(document_id=d0.id, start=0, end=12, code_id=ids["M2"], coder_id=alice,
                              origin="human", status="accepted", layer="final", evidence=[]))
        s.add(CodeApplication(document_id=d1.id, start=50, end=60, code_id=ids["M4"], coder_id=None,
                              origin="rule", status="suggested", score=0.9, evidence=[]))
        s.add(CodeApplication(document_id=d1.id, start=70, end=80, code_id=ids["M5"], coder_id=alice,
                              origin="rule", status="rejected", score=0.9, evidence=[]))
    yield p
    p.close()


def spans(p: Project) -> set[tuple]:
    with p.read() as s:
        rows = s.execute(select(Document.title, CodeApplication.start, CodeApplication.end, Code.name, Coder.name,
                                CodeApplication.layer)
                         .join(Document, Document.id == CodeApplication.document_id)
                         .join(Code, Code.id == CodeApplication.code_id)
                         .join(Coder, Coder.id == CodeApplication.coder_id)
                         .where(CodeApplication.status == "accepted"))
        return set(rows)


def codes(p: Project) -> set[tuple]:
    with p.read() as s:
        rows = list(s.scalars(select(Code).where(Code.retired.is_(False))))
    name = {r.key: r.name for r in rows}
    return {(r.name, name.get(r.parent_key), r.color.upper(), r.codable) for r in rows}


def memo_texts(p: Project) -> set[tuple]:
    with p.read() as s:
        return set(s.execute(select(Memo.text, Coder.name).join(Coder, Coder.id == Memo.coder_id)))


def test_qdc_validates_and_nests(source, tmp_path):
    out = export_qdc(source, tmp_path / "codebook.qdc")
    root = etree.parse(str(out))
    xsd("Codebook.xsd").assertValid(root)
    top = root.findall("c:Codes/c:Code", NS)
    assert [c.get("name") for c in top] == [c.name for c in source.codebook().roots()]
    mechanisms = root.find("c:Codes/c:Code[@name='治理机制']", NS)
    nested = mechanisms.find("c:Code[@name='层层嵌套的责任机制']", NS)
    assert nested is not None and len(nested.findall("c:Code", NS)) == 3
    assert all(GUID.match(c.get("guid")) for c in root.iter("{%s}Code" % NS["c"]))
    assert root.getroot().get("origin")
    assert mechanisms.get("isCodable") == "false" and re.match(r"^#[0-9A-F]{6}$", mechanisms.get("color"))
    assert mechanisms.find("c:Description", NS).text.strip()


def test_qdpx_validates_and_follows_what_importers_expect(source, tmp_path):
    out = export_qdpx(source, tmp_path / "p.qdpx", user="alice")
    root = qde_of(out)
    xsd("Project-mrt2019.xsd").assertValid(root)
    assert root.get("origin") and root.get("name")
    guids = [v for el in root.iter() for k, v in el.attrib.items() if k in ("guid", "targetGUID", "creatingUser")]
    assert guids and all(GUID.match(g) for g in guids), "every GUID upper case, no braces"
    names = [c.get("name") for c in root.iter("{%s}Code" % NS["q"])]
    assert len(names) == len(set(names))
    users = {u.get("name"): u.get("guid") for u in root.iterfind("q:Users/q:User", NS)}
    assert set(users) == {"alice", "bob", FINAL_USER_NAME}
    docs = {d.title: d for d in source.documents()}
    with zipfile.ZipFile(out) as zf:
        listed = zf.namelist()
        assert listed[0] == "project.qde" and listed[-1] == "baolian/codebook.yaml"
        assert len([n for n in listed if n.startswith("Sources/") and n.endswith(".txt")]) == len(docs) == 5
        for src in root.iterfind("q:Sources/q:TextSource", NS):
            path = src.get("plainTextPath")
            assert path == f"internal://{src.get('guid')}.txt"
            data = zf.read(f"Sources/{src.get('guid')}.txt")
            text = source.document_text(docs[src.get("name")].id)
            assert data == text.encode("utf-8") and not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
            for sel in src.iterfind("q:PlainTextSelection", NS):
                assert sel.get("creatingUser") in users.values()
                assert 0 <= int(sel.get("startPosition")) < int(sel.get("endPosition")) <= len(text)
    first = root.find("q:Sources/q:TextSource", NS)
    same_span = [s for s in first.iterfind("q:PlainTextSelection", NS)
                 if (s.get("startPosition"), s.get("endPosition")) == ("0", "12")]
    assert sorted(s.get("creatingUser") for s in same_span) == sorted(
        [users["alice"], users["bob"], users[FINAL_USER_NAME]]), "one selection per coder, plus the final layer"
    selections = root.findall(".//q:PlainTextSelection", NS)
    coded = [s for s in selections if s.find("q:Coding", NS) is not None]
    assert len(coded) == 6  # 5 coder codings + 1 final; no pending suggestion, no rejection
    variables = {v.get("name") for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert {"kind", "participants"} <= variables
    assert root.find("q:Cases/q:Case/q:SourceRef", NS) is not None
    notes = root.findall("q:Notes/q:Note", NS)
    assert len(notes) == 5 and len(root.findall(".//q:NoteRef", NS)) == 5
    assert export_qdpx(source, tmp_path / "again.qdpx", user="alice").read_bytes() == out.read_bytes()


def test_demo_project_exports_validate(demo_project, tmp_path):
    qdpx = export_qdpx(demo_project, tmp_path / "demo.qdpx")
    root = qde_of(qdpx)
    xsd("Project-mrt2019.xsd").assertValid(root)
    assert len(root.findall("q:Sources/q:TextSource", NS)) == len(demo_project.documents()) == 15
    xsd("Codebook.xsd").assertValid(etree.parse(str(export_qdc(demo_project, tmp_path / "demo.qdc"))))


def test_refi_exports_carry_codebook_version_filters_and_date(demo_project, tmp_path):
    """Like every other export, .qdc and .qdpx say which codebook version, which codings and as of when."""
    version = demo_project.codebook().version
    stamp = re.compile(rf"codebook: .+ v{re.escape(version)} · 筛选 filters: .+ · 数据截至 data as of: "
                       r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    qdc = etree.parse(str(export_qdc(demo_project, tmp_path / "demo.qdc")))
    comment = qdc.getroot().getprevious()
    assert comment is not None and stamp.search(comment.text), "the .qdc starts with the export stamp"
    qdpx = export_qdpx(demo_project, tmp_path / "demo.qdpx")
    root = qde_of(qdpx)
    description = root.find("q:Description", NS)
    assert description is not None and stamp.search(description.text)
    assert "pending suggestions and rejections left out" in description.text
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", root.get("modifiedDateTime"))
    # the date is the last change, so an unchanged project exports to the same bytes
    assert export_qdpx(demo_project, tmp_path / "again.qdpx").read_bytes() == qdpx.read_bytes()


def test_round_trip_into_an_empty_project(source, new_location, tmp_path):
    out = export_qdpx(source, tmp_path / "p.qdpx")
    fresh = Project.init(new_location("refifresh"))  # no codebook at all
    try:
        report = import_refi(fresh, out, user="carol")
        assert len(report.codes_added) == len(codes(source)) and report.codes_merged == 0
        assert codes(fresh) == codes(source)
        # the codebook Baolian writes beside project.qde brings back keys, English names, definitions and rules
        assert sorted(report.codes_added) == sorted(c.id for c in source.codebook().codes)
        assert {c.id: c for c in fresh.codebook().codes} == {c.id: c for c in source.codebook().codes}
        assert fresh.codebook().concepts == source.codebook().concepts
        assert {d.title: fresh.document_text(d.id) for d in fresh.documents()} == \
            {d.title: source.document_text(d.id) for d in source.documents()}
        assert {(d.title, d.kind, d.date, d.source, tuple(sorted(d.cases)), tuple(map(str, d.participants)))
                for d in fresh.documents()} == \
            {(d.title, d.kind, d.date, d.source, tuple(sorted(d.cases)), tuple(map(str, d.participants)))
             for d in source.documents()}
        assert spans(fresh) == spans(source)
        assert memo_texts(fresh) == memo_texts(source)
        fresh.codebook()  # the imported codebook is valid
        # and it exports again: same spans, codes and texts
        again = export_qdpx(fresh, tmp_path / "again.qdpx")
        xsd("Project-mrt2019.xsd").assertValid(qde_of(again))
        with fresh.read() as s:
            sentence_memo = s.scalar(select(Memo).where(Memo.text.startswith("句子备忘")))
            coding_memo = s.scalar(select(Memo).where(Memo.text.startswith("编码备忘")))
            code_memo = s.scalar(select(Memo).where(Memo.text.startswith("代码备忘")))
        assert sentence_memo.segment_id is not None and coding_memo.application_id is not None
        assert code_memo.code_id is not None
    finally:
        fresh.close()


def test_import_into_the_same_codebook_merges_and_is_idempotent(source, project, tmp_path):
    out = export_qdpx(source, tmp_path / "p.qdpx")
    before = {r[0] for r in codes(project)}
    report = import_refi(project, out, user="carol")
    assert report.codes_added == [] and report.codes_merged == len(before)
    with project.read() as s:
        assert not [k for k in s.scalars(select(Code.key)) if k.startswith("Q")], "matched by GUID, no new keys"
    assert spans(project) == spans(source)
    again = import_refi(project, out, user="carol")
    assert again.codings_added == 0 and again.memos_added == 0 and not again.documents_added
    assert len(again.documents_merged) == 5 and spans(project) == spans(source)


def test_qdc_round_trip(source, new_location, tmp_path):
    out = export_qdc(source, tmp_path / "c.qdc")
    fresh = Project.init(new_location("refiqdc"))
    try:
        report = import_refi(fresh, out, user=None)
        assert report.kind == "qdc" and codes(fresh) == codes(source)
        assert fresh.codebook() is not None and fresh.documents() == []
    finally:
        fresh.close()


def test_cli_import_qdpx(source, new_location, tmp_path, capsys):
    out = export_qdpx(source, tmp_path / "p.qdpx")
    location = new_location("reficli")
    Project.init(location).close()
    assert main(["import", str(out), "--project", str(location), "--coder", "carol"]) == 0
    printed = capsys.readouterr().out
    assert "5 新增 added" in printed and "编码 codings: 6 新增 added" in printed
    bad = tmp_path / "bad.qdpx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("Sources/x.txt", "x")
    assert main(["import", str(bad), "--project", str(location)]) == 2
    assert "no project.qde" in capsys.readouterr().err


def test_qdpx_from_baolian_into_a_project_with_another_codebook(source, new_location, tmp_path):
    """Codes new to the project keep their keys and write-up but not their rules (they need the other
    codebook's concepts); a broken codebook.yaml beside project.qde is ignored, not fatal."""
    out = export_qdpx(source, tmp_path / "p.qdpx")
    other = Project.init(new_location("refiother"))
    try:
        import_refi(other, qdc := export_qdc(source, tmp_path / "c.qdc"), user=None)  # codes only: drafts
        assert all(c.draft for c in other.codebook().codes if c.codable) and qdc.exists()
        report = import_refi(other, out, user="carol")
        assert report.codes_added == [] and spans(other) == spans(source)
    finally:
        other.close()
    broken = tmp_path / "broken.qdpx"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, b"version: [" if item.filename == "baolian/codebook.yaml" else data)
    third = Project.init(new_location("refithird"))
    try:
        report = import_refi(third, broken, user="carol")
        assert any("codebook.yaml ignored" in line for line in report.skipped)
        assert codes(third) == codes(source) and all(k.startswith("Q") for k in report.codes_added)
        assert spans(third) == spans(source)
    finally:
        third.close()


def test_control_characters_in_memos_do_not_break_the_xml(project, tmp_path):
    decisions.add_memo(project, "第一\x0b第二\x1f", coder="ann")
    root = qde_of(export_qdpx(project, tmp_path / "ctl.qdpx"))
    xsd("Project-mrt2019.xsd").assertValid(root)
    assert root.find("q:Notes/q:Note/q:PlainTextContent", NS).text == "第一第二"
    assert root.find("q:NoteRef", NS) is not None  # a project memo hangs on the Project


def test_hard_text_round_trip_is_exact(new_location, tmp_path):
    """Documents imported with a BOM and CRLF, holding non-BMP characters, tabs, XML specials, formula-like
    text and U+FFFF, plus two documents with the same title: the .qdpx validates, its sources are UTF-8 without
    BOM or \\r and every selection is the coded code-point slice; importing it into an empty project gives back
    the same documents (titles included), codes and codings."""
    from coding.corpus import DocumentMeta

    from .test_exports import HARD_PIECES, build_hard

    folder = tmp_path / "src"
    folder.mkdir()
    info = build_hard(new_location("refihard"), folder)
    p = Project.open(info["location"])
    fresh = Project.init(new_location("refihardback"))
    try:
        for name, text in (("same1.txt", "访谈者：第一份访谈，包联工作很好。\n"), ("same2.txt", "访谈者：第二份访谈，包联干部常来。\n")):
            (folder / name).write_text(text, encoding="utf-8")
            p.import_paths([folder / name], defaults=DocumentMeta(title="访谈记录", kind="interview"))
        for d in p.documents():
            if d.title == "访谈记录":
                decisions.add_code(p, d.id, 4, 9, "M1", coder="bob")
        out = export_qdpx(p, tmp_path / "hard.qdpx")
        root = qde_of(out)
        xsd("Project-mrt2019.xsd").assertValid(root)
        by_sha = {}
        for d in p.documents():
            text = p.document_text(d.id)
            by_sha[text] = d
        coded = []
        with zipfile.ZipFile(out) as zf:
            for src in root.iterfind("q:Sources/q:TextSource", NS):
                data = zf.read(f"Sources/{src.get('guid')}.txt")
                assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
                text = data.decode("utf-8")
                assert text in by_sha
                for sel in src.iterfind("q:PlainTextSelection", NS):
                    coded.append(text[int(sel.get("startPosition")):int(sel.get("endPosition"))])
        assert set(HARD_PIECES.values()) <= set(coded)
        report = import_refi(fresh, out, user="carol")
        assert len(report.documents_added) == 4
        assert sorted((d.title, fresh.document_text(d.id)) for d in fresh.documents()) == \
            sorted((d.title, p.document_text(d.id)) for d in p.documents())
        assert codes(fresh) == codes(p)

        def exact(project):
            with project.read() as s:
                rows = s.execute(select(Document.title, Document.text, CodeApplication.start, CodeApplication.end,
                                        Code.name, Coder.name)
                                 .join(Document, Document.id == CodeApplication.document_id)
                                 .join(Code, Code.id == CodeApplication.code_id)
                                 .join(Coder, Coder.id == CodeApplication.coder_id))
                return sorted((title, text[a:b], a, b, code, coder) for title, text, a, b, code, coder in rows)

        assert exact(fresh) == exact(p) and len(exact(p)) == len(HARD_PIECES) + 3
    finally:
        fresh.close()
        p.close()
