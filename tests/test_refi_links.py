"""Relations between codes travel through REFI-QDA as <Link> elements from code to code: Baolian writes them (valid
against the schema) and reads them back, also from a file written by another program, where links to anything
but codes are reported as skipped (real database: SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

from coding.codebook import load_codebook
from coding.codebook_edit import add_relation
from coding.codebook.io import save_codebook
from coding.decisions import memos
from coding.project import Project
from coding.refi import export_qdpx, import_refi
from coding.refi.guids import code_guid

from .conftest import CODEBOOK, CORPUS
from .test_refi import qde_of, xsd
from .test_refi_import import C_CHILD, C_LEAF, C_OTHER, S_A, project_xml, write_qdpx

NS = "{urn:QDA-XML:project:1.0}"


def related(codebook) -> list[tuple[str, str, str, str]]:
    return [(r.source, r.label, r.target, r.direction) for r in codebook.relations]


def test_relations_are_exported_as_links_and_come_back(new_location, tmp_path):
    codebook = load_codebook(CODEBOOK)
    codebook = add_relation(codebook, "F1", "M3", "促成 enables")
    codebook = add_relation(codebook, "M2", "M5", "提供信息 informs", direction="both", note="上门才知道")
    codebook = add_relation(codebook, "F3", "M4", "相关 goes with", direction="none")
    path = tmp_path / "codebook.yaml"
    save_codebook(codebook, path)
    source = Project.init(new_location("links-src"), codebook=path)
    try:
        source.import_paths(sorted(CORPUS.glob("interviews/*.txt"))[:1])
        out = export_qdpx(source, tmp_path / "p.qdpx")
    finally:
        source.close()
    root = qde_of(out)
    xsd("Project-mrt2019.xsd").assertValid(root)
    links = root.findall(f"{NS}Links/{NS}Link")
    assert [(x.get("name"), x.get("direction"), x.get("originGUID"), x.get("targetGUID")) for x in links] == [
        ("促成 enables", "OneWay", code_guid("F1"), code_guid("M3")),
        ("提供信息 informs", "Bidirectional", code_guid("M2"), code_guid("M5")),
        ("相关 goes with", "Associative", code_guid("F3"), code_guid("M4"))]
    notes = {n.get("guid"): n.findtext(f"{NS}PlainTextContent") for n in root.iterfind(f"{NS}Notes/{NS}Note")}
    refs = [[notes[r.get("targetGUID")] for r in x.iterfind(f"{NS}NoteRef")] for x in links]
    assert refs == [[], ["上门才知道"], []]  # a relation's note is a Note its link refers to
    same = Project.init(new_location("links-same"), codebook=CODEBOOK)  # the codebook without the relations
    try:
        report = import_refi(same, out, user="carol")
        assert report.relations_added == 3 and related(same.codebook()) == related(codebook)
        assert [r.note for r in same.codebook().relations] == [None, "上门才知道", None]
        assert not any(m["text"] == "上门才知道" for m in memos(same))  # not also a memo
    finally:
        same.close()
    fresh = Project.init(new_location("links-fresh"))
    try:
        report = import_refi(fresh, out, user="carol")
        assert related(fresh.codebook()) == related(codebook)
        assert fresh.codebook().relations[1].note == "上门才知道"  # from the codebook Baolian writes beside it
        assert report.relations_added == 0  # the links repeat what that codebook already holds
    finally:
        fresh.close()


def test_links_from_another_program_become_relations(project, tmp_path):
    links = (f'<Links><Link guid="66666666-0000-4000-8000-000000000001" name="导致" direction="OneWay" '
             f'originGUID="{C_LEAF}" targetGUID="{C_OTHER}"/>'
             f'<Link guid="66666666-0000-4000-8000-000000000002" direction="Associative" '
             f'originGUID="{C_CHILD}" targetGUID="{C_OTHER}"/>'
             f'<Link guid="66666666-0000-4000-8000-000000000003" name="出处" originGUID="{C_LEAF}" '
             f'targetGUID="{S_A}"/></Links>')
    xml = project_xml().replace("</Project>", f"{links}</Project>")
    path = write_qdpx(tmp_path / "links.qdpx", xml)
    report = import_refi(project, path, user="carol")
    assert report.relations_added == 2 and "编码关系 relations: 2 新增 added" in report.lines()
    assert any("Link 出处" in s for s in report.skipped)  # a link to a source is not a relation
    names = {c.name: c.id for c in project.codebook().codes}
    assert related(project.codebook()) == [
        (names["当面沟通"], "导致", names["化解结果"], "one-way"),
        (names["信息机制"], "关联 related", names["化解结果"], "none")]
    again = import_refi(project, path, user="carol")
    assert again.relations_added == 0 and len(project.codebook().relations) == 2


def test_summaries_travel_as_notes_of_both_their_document_and_their_code(new_location, tmp_path):
    from coding.summaries import set_summaries, summaries

    source = Project.init(new_location("sum-src"), codebook=CODEBOOK)
    try:
        source.import_paths(sorted(CORPUS.glob("interviews/*.txt"))[:2])
        first, second = (d.id for d in source.documents())
        set_summaries(source, "M5", {first: "一户一策：就业与社保", second: "看病是关键"}, coder="ann")
        out = export_qdpx(source, tmp_path / "s.qdpx")
        titles = {d.id: d.title for d in source.documents()}
        before = {(titles[r.document_id], r.code, r.coder, r.text) for r in summaries(source).itertuples()}
    finally:
        source.close()
    root = qde_of(out)
    xsd("Project-mrt2019.xsd").assertValid(root)
    notes = {n.get("guid"): n.findtext(f"{NS}PlainTextContent") for n in root.iterfind(f"{NS}Notes/{NS}Note")}
    code_refs = [notes[r.get("targetGUID")] for c in root.iter(f"{NS}Code") if c.get("guid") == code_guid("M5")
                 for r in c.iterfind(f"{NS}NoteRef")]
    source_refs = [notes[r.get("targetGUID")] for t in root.iter(f"{NS}TextSource") for r in t.iterfind(f"{NS}NoteRef")]
    assert sorted(code_refs) == sorted(source_refs) == ["一户一策：就业与社保", "看病是关键"]
    fresh = Project.init(new_location("sum-fresh"))
    try:
        report = import_refi(fresh, out, user="carol")
        titles = {d.id: d.title for d in fresh.documents()}
        assert {(titles[r.document_id], r.code, r.coder, r.text) for r in summaries(fresh).itertuples()} == before
        assert report.memos_added == 2  # one memo each, not one on the document and another on the code
    finally:
        fresh.close()
