"""Importing REFI-QDA written "by another program": a .qdpx built here by hand from the standard, with exact
spans where code points, UTF-16 units and bytes differ; and bad input that is refused with the place named,
leaving the project unchanged."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coding.project import Project
from coding.refi import import_refi
from coding.refi.schema import RefiError
from coding.store import (Code, CodeApplication, CodebookVersion, Coder, Document, Event, Memo, Segment)

# The emoji and the flag are outside the BMP: 1 code point, 2 UTF-16 units, 4 UTF-8 bytes each.
TEXT_A = ("访谈者：请谈谈包联工作😀。\n"
          "LHY：领导包联以后，专班每周开会🇨🇳，问题当面解决。\n"
          "访谈者：信访人满意吗？\n"
          "LHY：基本满意，案件已经化解。\n")
TEXT_B = "会议纪要：成立工作专班，由分管副区长牵头。责任部门党组成员担任责任人。"

U1 = "{6f1c8a3e-2b4d-4e8f-9a1b-0c2d3e4f5a61}"  # braces and lower case, as some programs write them
U2 = "7A2B3C4D-5E6F-4A8B-9C0D-1E2F3A4B5C62"
C_PARENT, C_CHILD, C_LEAF, C_OTHER = ("11111111-2222-4333-8444-555555555501", "11111111-2222-4333-8444-555555555502",
                                      "11111111-2222-4333-8444-555555555503", "11111111-2222-4333-8444-555555555504")
S_A, S_B = "22222222-3333-4444-8555-666666666601", "22222222-3333-4444-8555-666666666602"
V_KIND, V_DATE, CASE = ("33333333-4444-4555-8666-777777777701", "33333333-4444-4555-8666-777777777702",
                        "33333333-4444-4555-8666-777777777703")
NOTE = "44444444-5555-4666-8777-888888888801"


def span(text: str, part: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return start, start + len(part)


def sel(guid: str, text: str, part: str, user: str, code: str, *, note: str | None = None,
        bounds: tuple[int, int] | None = None) -> str:
    start, end = bounds or span(text, part)
    noteref = f'<NoteRef targetGUID="{note}"/>' if note else ""
    return (f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}" creatingUser="{user}">'
            f'<Coding guid="{guid[:-2]}99" creatingUser="{user}"><CodeRef targetGUID="{code}"/>{noteref}</Coding>'
            f'</PlainTextSelection>')


def project_xml(*, selections_a: str | None = None, extra_codes: str = "", users: str | None = None,
                source_a_path: str = f"internal://{S_A}.txt", notes: str | None = None) -> str:
    if selections_a is None:
        selections_a = "".join([
            sel("55555555-0000-4000-8000-000000000101", TEXT_A, "请谈谈包联工作😀", U1, C_CHILD),
            # overlapping selections of two users, one spanning the flag
            sel("55555555-0000-4000-8000-000000000201", TEXT_A, "专班每周开会🇨🇳，问题当面解决", U1, C_LEAF,
                note=NOTE),
            sel("55555555-0000-4000-8000-000000000301", TEXT_A, "开会🇨🇳，问题", U2, C_LEAF),
            sel("55555555-0000-4000-8000-000000000401", TEXT_A, "案件已经化解", U2, C_OTHER),
        ])
    users = users if users is not None else (f'<User guid="{U1}" name="王老师"/><User guid="{U2}" name="Li Ming"/>')
    notes = notes if notes is not None else (
        f'<Notes><Note guid="{NOTE}" name="memo" creatingUser="{U1}">'
        f'<PlainTextContent>备忘：会议频率很关键</PlainTextContent></Note></Notes>')
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="外部项目" origin="HandWritten QDA 1.0">
  <Users>{users}</Users>
  <CodeBook><Codes>
    <Code guid="{C_PARENT}" name="机制" isCodable="false" color="#C0392B">
      <Description>上位类别</Description>
      <Code guid="{C_CHILD}" name="信息机制" isCodable="true" color="#E74">
        <Code guid="{C_LEAF}" name="当面沟通" isCodable="true" color="#1f77b4"><Description>面对面</Description></Code>
      </Code>
    </Code>
    <Code guid="{C_OTHER}" name="化解结果" isCodable="true"/>
    {extra_codes}
  </Codes></CodeBook>
  <Variables>
    <Variable guid="{V_KIND}" name="kind" typeOfVariable="Text"/>
    <Variable guid="{V_DATE}" name="Interview date" typeOfVariable="Date"/>
  </Variables>
  <Cases><Case guid="{CASE}" name="WXG"><SourceRef targetGUID="{S_A}"/></Case></Cases>
  <Sources>
    <TextSource guid="{S_A}" name="访谈A" plainTextPath="{source_a_path}">
      {selections_a}
      <VariableValue><VariableRef targetGUID="{V_KIND}"/><TextValue>interview</TextValue></VariableValue>
      <VariableValue><VariableRef targetGUID="{V_DATE}"/><DateValue>2020-10-15</DateValue></VariableValue>
    </TextSource>
    <TextSource guid="{S_B}" name="纪要B">
      <PlainTextContent>{TEXT_B}</PlainTextContent>
      {sel("55555555-0000-4000-8000-000000000501", TEXT_B, "成立工作专班", U2, C_LEAF)}
    </TextSource>
  </Sources>
  {notes}
</Project>"""


def write_qdpx(path: Path, xml: str | None = None, *, sources: dict[str, bytes] | None = None,
               qde_name: str = "project.qde") -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        if xml is not False:
            zf.writestr(qde_name, (xml or project_xml()).encode("utf-8"))
        for name, data in (sources if sources is not None else {f"Sources/{S_A}.txt": TEXT_A.encode()}).items():
            zf.writestr(name, data)
    return path


def counts(p: Project) -> dict[str, int]:
    with p.read() as s:
        return {t.__name__: s.scalar(select(func.count()).select_from(t))
                for t in (Code, CodeApplication, CodebookVersion, Coder, Document, Event, Memo, Segment)}


def test_hand_written_qdpx_imports_with_exact_spans(project, tmp_path):
    assert len(TEXT_A) != len(TEXT_A.encode("utf-16-le")) // 2 != len(TEXT_A.encode("utf-8"))
    report = import_refi(project, write_qdpx(tmp_path / "other.qdpx"), user="admin")
    assert len(report.documents_added) == 2 and report.codings_added == 5 and report.memos_added == 1
    assert set(report.coders) == {"王老师", "Li Ming"}
    docs = {d.title: d for d in project.documents()}
    a, b = docs["访谈A"], docs["纪要B"]
    assert project.document_text(a.id) == TEXT_A and project.document_text(b.id) == TEXT_B
    assert a.kind == "interview" and a.cases == ["WXG"] and a.n_paragraphs == 4
    with project.read() as s:
        rows = s.execute(select(CodeApplication, Code.name, Coder.name)
                         .join(Code, Code.id == CodeApplication.code_id)
                         .join(Coder, Coder.id == CodeApplication.coder_id)).all()
        doc_extra = s.get(Document, a.id).extra
        codes = {c.name: c for c in s.scalars(select(Code))}
        memo = s.scalar(select(Memo))
    got = {(project.document_text(r.document_id)[r.start:r.end], name, coder, r.status, r.origin, r.layer)
           for r, name, coder in rows}
    assert got == {
        ("请谈谈包联工作😀", "信息机制", "王老师", "accepted", "human", "coding"),
        ("专班每周开会🇨🇳，问题当面解决", "当面沟通", "王老师", "accepted", "human", "coding"),
        ("开会🇨🇳，问题", "当面沟通", "Li Ming", "accepted", "human", "coding"),
        ("案件已经化解", "化解结果", "Li Ming", "accepted", "human", "coding"),
        ("成立工作专班", "当面沟通", "Li Ming", "accepted", "human", "coding"),
    }
    assert doc_extra == {"Interview date": "2020-10-15"}
    # hierarchy, colours (#RGB widened), codable flags kept; keys derived, names kept
    assert codes["信息机制"].parent_key == codes["机制"].key and codes["当面沟通"].parent_key == codes["信息机制"].key
    assert codes["信息机制"].color == "#EE7744" and codes["机制"].codable is False
    assert memo.text == "备忘：会议频率很关键" and memo.application_id is not None
    cb = project.codebook()
    assert cb.code(codes["当面沟通"].key).definition == "面对面" and cb.code(codes["当面沟通"].key).draft
    with project.read() as s:
        assert s.scalar(select(Event).where(Event.action == "refi.import")) is not None
    assert import_refi(project, tmp_path / "other.qdpx", user="admin").codings_added == 0  # idempotent


def test_crlf_and_bom_sources_are_counted_as_written(project, tmp_path):
    """A BOM counts as character 0 and \\r\\n as two characters in the file's positions; we store \\n text."""
    raw = "\ufeff第一行\r\n第二行😀包联\r\n"
    start = raw.index("包联")
    xml = project_xml(selections_a=sel("55555555-0000-4000-8000-000000000601", raw, "包联", U1, C_LEAF,
                                       bounds=(start, start + 2)), notes="")
    import_refi(project, write_qdpx(tmp_path / "crlf.qdpx", xml, sources={f"Sources/{S_A}.txt": raw.encode()}),
                user="admin")
    doc = next(d for d in project.documents() if d.title == "访谈A")
    text = project.document_text(doc.id)
    assert text == "第一行\n第二行😀包联\n"
    with project.read() as s:
        row = s.scalar(select(CodeApplication).where(CodeApplication.document_id == doc.id))
    assert text[row.start:row.end] == "包联"


def test_control_characters_of_a_source_are_not_stored_and_positions_follow(project, tmp_path):
    """A text exported from Word holds \\v (manual line break) and \\f (page break); stray C0 controls (NUL,
    ESC, U+001F) come with it. They are stored as \\n or dropped, like every imported document's text, and the
    selections after and across them keep their exact text."""
    raw = "第一行\v第二行\x00😀\x1b包联\x1f工作\f第三页\t表格\r\n末行\x0e"
    pieces = [("包联", U1), ("😀\x1b包联\x1f工作", U2), ("第三页\t表格", U1), ("第一行\v第二行", U2)]
    selections = "".join(sel(f"55555555-0000-4000-8000-00000000{i}701", raw, piece, user, C_LEAF)
                         for i, (piece, user) in enumerate(pieces))
    xml = project_xml(selections_a=selections, notes="")
    import_refi(project, write_qdpx(tmp_path / "ctl.qdpx", xml, sources={f"Sources/{S_A}.txt": raw.encode()}),
                user="admin")
    doc = next(d for d in project.documents() if d.title == "访谈A")
    text = project.document_text(doc.id)
    assert text == "第一行\n第二行😀包联工作\n第三页\t表格\n末行"
    with project.read() as s:
        got = {text[r.start:r.end] for r in s.scalars(select(CodeApplication)
                                                        .where(CodeApplication.document_id == doc.id))}
    assert got == {"包联", "😀包联工作", "第三页\t表格", "第一行\n第二行"}


def bad_files(tmp_path: Path) -> list[tuple[str, Path, str, int | None]]:
    """(name, file, expected message part, expected line or None)."""
    out = []
    no_qde = write_qdpx(tmp_path / "noqde.qdpx", False)
    out.append(("zip without .qde", no_qde, "no project.qde", None))
    not_zip = tmp_path / "notzip.qdpx"
    not_zip.write_text("hello")
    out.append(("not a zip", not_zip, "not a zip archive", None))
    invalid = project_xml().replace('<Code guid="' + C_OTHER + '" name="化解结果" isCodable="true"/>',
                                    '<Code guid="' + C_OTHER + '" name="化解结果"/>')
    line = next(i for i, text in enumerate(invalid.splitlines(), 1) if C_OTHER in text and "<Code " in text)
    out.append(("invalid XML", write_qdpx(tmp_path / "invalid.qdpx", invalid), "isCodable", line))
    broken = project_xml().replace("</Users>", "</Userz>")
    out.append(("not well-formed", write_qdpx(tmp_path / "broken.qdpx", broken), "not well-formed", 3))
    outside = project_xml(selections_a=sel("55555555-0000-4000-8000-000000000701", TEXT_A, "x", U1, C_LEAF,
                                           bounds=(10, len(TEXT_A) + 1)))
    out.append(("selection outside", write_qdpx(tmp_path / "outside.qdpx", outside), "outside the text", None))
    unknown_code = project_xml(selections_a=sel("55555555-0000-4000-8000-000000000801", TEXT_A, "包联", U1,
                                                "99999999-9999-4999-8999-999999999999"))
    out.append(("unknown CodeRef", write_qdpx(tmp_path / "code.qdpx", unknown_code), "names no code", None))
    unknown_user = project_xml(selections_a=sel("55555555-0000-4000-8000-000000000901", TEXT_A, "包联",
                                                "99999999-9999-4999-8999-999999999998", C_LEAF))
    out.append(("unknown user", write_qdpx(tmp_path / "user.qdpx", unknown_user), "names no User", None))
    dup = project_xml(extra_codes=f'<Code guid="{C_LEAF.lower()}" name="重复" isCodable="true"/>')
    out.append(("duplicate GUID", write_qdpx(tmp_path / "dup.qdpx", dup), "duplicate GUID", None))
    gbk = write_qdpx(tmp_path / "gbk.qdpx", sources={f"Sources/{S_A}.txt": TEXT_A.encode("gb18030", "replace")})
    out.append(("non-UTF-8 source", gbk, "not UTF-8", None))
    missing = write_qdpx(tmp_path / "missing.qdpx", sources={})
    out.append(("missing source file", missing, "has no Sources/", None))
    unknown_note = project_xml(notes="")
    out.append(("unknown NoteRef", write_qdpx(tmp_path / "note.qdpx", unknown_note), "names no Note", None))
    qdc = tmp_path / "bad.qdc"
    qdc.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    out.append(("empty qdc Codes", qdc, "Codes", 1))
    return out


def test_bad_input_is_refused_and_nothing_is_imported(project, tmp_path):
    before = counts(project)
    assert before["Code"] > 0
    for name, path, message, line in bad_files(tmp_path):
        with pytest.raises(RefiError) as caught:
            import_refi(project, path, user="admin")
        text = str(caught.value)
        assert message in text, f"{name}: {text}"
        assert str(path) in text, f"{name}: the file is named: {text}"
        if line is not None:
            assert caught.value.line == line, f"{name}: {text}"
        assert counts(project) == before, f"{name}: the project changed"


def test_selection_error_names_the_line(project, tmp_path):
    xml = project_xml(selections_a=sel("55555555-0000-4000-8000-000000000711", TEXT_A, "x", U1, C_LEAF,
                                       bounds=(3, 2000)))
    line = next(i for i, text in enumerate(xml.splitlines(), 1) if 'endPosition="2000"' in text)
    with pytest.raises(RefiError) as caught:
        import_refi(project, write_qdpx(tmp_path / "x.qdpx", xml), user="admin")
    assert caught.value.line == line and "project.qde" in caught.value.file


def test_viewer_may_not_import(project, tmp_path):
    with project.transaction() as s:
        s.add(Coder(name="boss", role="admin"))
        s.add(Coder(name="vera", role="viewer"))
    before = counts(project)
    with pytest.raises(Exception) as caught:
        import_refi(project, write_qdpx(tmp_path / "ok.qdpx"), user="vera")
    assert "viewer" in str(caught.value)
    assert counts(project) == before


def test_imported_codes_are_drafts_of_a_valid_codebook(project, tmp_path):
    from coding.codebook import dump_codebook, parse_codebook
    from coding.errors import CodebookError

    version = project.codebook().version
    import_refi(project, write_qdpx(tmp_path / "other.qdpx"), user="admin")
    cb = project.codebook()
    assert cb.version != version and len(cb.codes) == len(parse_codebook(dump_codebook(cb)).codes)
    imported = [c for c in cb.codes if c.name in ("信息机制", "当面沟通", "化解结果")]
    assert len(imported) == 3 and all(c.draft and c.name_en == c.name for c in imported)
    assert "draft: true" in dump_codebook(cb)
    assert not any(c.draft for c in cb.codes if c.id.startswith(("F", "M")))
    text = re.sub(r"\n\s*draft: true", "", dump_codebook(cb))
    with pytest.raises(CodebookError, match="has no short"):  # without the flag the usual rule holds
        parse_codebook(text)


def test_an_error_in_the_last_source_leaves_the_project_unchanged(project, tmp_path):
    """The first source, its codes and its selections are fine; the last source's selection runs past its text:
    the import is refused as a whole, nothing of the first source is kept."""
    import re

    xml = re.sub(r'(guid="55555555-0000-4000-8000-000000000501" startPosition="\d+" endPosition=")\d+',
                 lambda m: m.group(1) + str(len(TEXT_B) + 5), project_xml())
    assert str(len(TEXT_B) + 5) in xml
    before = counts(project)
    with pytest.raises(RefiError, match="outside the text") as caught:
        import_refi(project, write_qdpx(tmp_path / "late.qdpx", xml), user="admin")
    assert caught.value.line is not None  # says where
    assert counts(project) == before
    assert import_refi(project, write_qdpx(tmp_path / "fine.qdpx"), user="admin")  # the good file still imports
    assert counts(project)["Document"] == before["Document"] + 2
