"""Links between passages: added and removed with checks, listed per document with both ends' text, hidden with a
document in the trash and while blinded, undone by their coder, in the history (real database: SQLite, or
PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import pytest

from coding.decisions import undo_last
from coding.errors import BaolianError
from coding.roles import Forbidden
from coding.segment_links import Passage, add_link, links, remove_link

from .test_analysis_tables import import_small


@pytest.fixture
def docs(project, tmp_path):
    return import_small(project, tmp_path)


def ends(project, **kw) -> list[tuple]:
    return [(link.source.title, link.source.start, link.source.end, link.target.title, link.target.start,
             link.target.end, link.label, link.coder) for link in links(project, **kw)]


def test_link_two_passages_and_list_them(project, docs):
    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    first = add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), label=" 矛盾 contradicts ", coder="ann")
    add_link(project, Passage(b, 0, 3), Passage(c, 1, 4), coder="bob")
    assert ends(project, document_id=a) == [("访谈A", 0, 5, "政策B", 2, 8, "矛盾 contradicts", "ann")]
    assert len(links(project, document_id=b)) == 2 and len(links(project)) == 2
    (link,) = links(project, document_id=a)
    with project.read() as s:
        from coding.store import Document

        text_a, text_b = s.get(Document, a).text, s.get(Document, b).text
    assert link.id == first and link.source.text == text_a[0:5] and link.target.text == text_b[2:8]
    assert link.target.document_id == b and link.source.document_id == a


@pytest.mark.parametrize(("source", "target", "message"), [
    ((1, 0, 0), (2, 0, 3), "is not inside"), ((1, 5, 3), (2, 0, 3), "is not inside"),
    ((1, 0, 10_000), (2, 0, 3), "is not inside"), ((999, 0, 3), (2, 0, 3), "no document #999"),
    ((1, 0, 3), (1, 0, 3), "cannot link to itself"),
])
def test_bad_links_are_refused(project, docs, source, target, message):
    ids = [docs["访谈A"], docs["政策B"]]

    def real(end):
        doc, start, stop = end
        return Passage(ids[doc - 1] if doc in (1, 2) else doc, start, stop)

    with pytest.raises(BaolianError, match=message):
        add_link(project, real(source), real(target), coder="ann")
    assert links(project) == []


def test_the_same_link_twice_and_bad_labels_are_refused(project, docs):
    a, b = docs["访谈A"], docs["政策B"]
    add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), label="解释", coder="ann")
    with pytest.raises(BaolianError, match="already linked"):
        add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), label="解释", coder="ann")
    add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), label="矛盾", coder="ann")  # another label: another link
    with pytest.raises(BaolianError, match="longer than 100"):
        add_link(project, Passage(a, 0, 5), Passage(b, 0, 1), label="长" * 101, coder="ann")
    with pytest.raises(BaolianError, match="control characters"):
        add_link(project, Passage(a, 0, 5), Passage(b, 0, 1), label="a\u202eb", coder="ann")
    assert len(links(project)) == 2


def test_remove_undo_and_history(project, docs):
    from coding.audit import history

    a, b = docs["访谈A"], docs["政策B"]
    link = add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), label="解释", coder="ann")
    remove_link(project, link, coder="ann")
    assert links(project) == []
    assert undo_last(project, coder="ann") == "link.remove"
    assert ends(project) == [("访谈A", 0, 5, "政策B", 2, 8, "解释", "ann")] and links(project)[0].id == link
    assert undo_last(project, coder="ann") == "link.add"
    assert links(project) == []
    summaries = [e.summary for e in history(project, action="link.add")]
    assert summaries and "《访谈A》0–5 → 《政策B》2–8 「解释」" in summaries[0]
    assert [e.summary for e in history(project, document=b) if "link" in e.action or "链接" in e.summary]
    with pytest.raises(BaolianError, match="no link #999"):
        remove_link(project, 999, coder="ann")


def test_only_its_coder_or_an_admin_removes_a_link(project, docs):
    from coding.accounts import add_user

    add_user(project, "boss", "pw-123456-long", "admin", by=None)
    add_user(project, "ann", "pw-123456-long", "coder", by="boss")
    add_user(project, "bob", "pw-123456-long", "coder", by="boss")
    add_user(project, "vic", "pw-123456-long", "viewer", by="boss")
    a, b = docs["访谈A"], docs["政策B"]
    link = add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), coder="ann")
    with pytest.raises(Forbidden):
        add_link(project, Passage(a, 0, 5), Passage(b, 0, 1), coder="vic")
    with pytest.raises(Forbidden, match="another coder's"):
        remove_link(project, link, coder="bob")
    remove_link(project, link, coder="boss")
    assert links(project) == []


def test_links_hide_with_a_document_in_the_trash_and_while_blinded(project, docs):
    from coding.assignments import assign, set_blind
    from coding.trash import delete_document, restore_document

    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    add_link(project, Passage(a, 0, 5), Passage(c, 0, 3), coder="ann")
    add_link(project, Passage(a, 0, 5), Passage(b, 0, 3), coder="bob")
    delete_document(project, c, by="admin")
    assert [link.target.title for link in links(project)] == ["政策B"]
    restore_document(project, c, by="admin")
    assert len(links(project)) == 2
    assign(project, [a], ["ann", "bob"], by="admin")
    set_blind(project, True, by="admin")
    assert [link.coder for link in links(project, as_user="ann")] == ["ann"]
    assert len(links(project)) == 2  # no one asking: everything (an admin's or the CLI's whole view)


def test_links_go_out_to_refi_qda_and_come_back(project, docs, new_location, tmp_path):
    """Each end is a PlainTextSelection and the link a Link from one to the other (schema-valid); an import
    brings the links back once, however often it is imported; a coder's export in blind mode has only theirs."""
    from coding.project import Project
    from coding.refi import export_qdpx, import_refi

    from .test_refi import NS, qde_of, xsd

    a, b = docs["访谈A"], docs["政策B"]
    add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), label="矛盾 contradicts", coder="ann")
    add_link(project, Passage(b, 0, 3), Passage(b, 4, 9), coder="bob")
    out = export_qdpx(project, tmp_path / "links.qdpx")
    root = qde_of(out)
    xsd("Project-mrt2019.xsd").assertValid(root)
    selections = {s.get("guid"): (src.get("name"), int(s.get("startPosition")), int(s.get("endPosition")))
                  for src in root.iterfind("q:Sources/q:TextSource", NS)
                  for s in src.iterfind("q:PlainTextSelection", NS)}
    found = {(selections[k.get("originGUID")], selections[k.get("targetGUID")], k.get("name"))
             for k in root.iterfind("q:Links/q:Link", NS)}
    assert found == {(("访谈A", 0, 5), ("政策B", 2, 8), "矛盾 contradicts"), (("政策B", 0, 3), ("政策B", 4, 9), None)}
    assert qde_of(export_qdpx(project, tmp_path / "again.qdpx")).findall("q:Links/q:Link", NS)[0].get("guid") == \
        root.findall("q:Links/q:Link", NS)[0].get("guid")  # the same project gives the same GUIDs
    fresh = Project.init(new_location("links-fresh"))
    try:
        report = import_refi(fresh, out, user="carol")
        assert report.links_added == 2 and any("links between passages: 2" in line for line in report.lines())
        assert {e[:7] for e in ends(fresh)} == {e[:7] for e in ends(project)}
        assert import_refi(fresh, out, user="carol").links_added == 0  # not twice
    finally:
        fresh.close()
    mine = export_qdpx(project, tmp_path / "ann.qdpx", only_coder="ann")
    assert len(qde_of(mine).findall("q:Links/q:Link", NS)) == 1


def test_the_links_table_of_the_exports(project, docs, tmp_path):
    from openpyxl import load_workbook

    from coding.exports import export

    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), label="解释", coder="ann")
    add_link(project, Passage(c, 0, 3), Passage(c, 4, 9), coder="bob")
    with project.read() as s:
        from coding.store import Document

        text_b = s.get(Document, b).text
    book = load_workbook(export(project, "xlsx", tmp_path / "t.xlsx"), read_only=True)
    header, *rows = list(book["links"].iter_rows(values_only=True))
    first = dict(zip(header, rows[0]))
    assert len(rows) == 2 and (first["label"], first["source_document"], first["target_text"], first["coder"]) == (
        "解释", "访谈A", text_b[2:8], "ann")
    chosen = load_workbook(export(project, "xlsx", tmp_path / "c.xlsx", documents=[c]), read_only=True)
    assert [r[1] for r in list(chosen["links"].iter_rows(values_only=True))[1:]] == [None]  # bob's, no label
    only_ann = load_workbook(export(project, "xlsx", tmp_path / "ann.xlsx", coder="ann"), read_only=True)
    assert len(list(only_ann["links"].iter_rows(values_only=True))) == 2  # header and ann's link


def test_the_links_map_is_a_graph_of_documents(project, docs):
    from coding.segment_links import link_graph

    a, b = docs["访谈A"], docs["政策B"]
    add_link(project, Passage(a, 0, 5), Passage(b, 2, 8), label="矛盾", coder="ann")
    add_link(project, Passage(a, 6, 9), Passage(b, 9, 12), label="矛盾", coder="bob")
    add_link(project, Passage(b, 0, 3), Passage(b, 4, 9), coder="bob")
    with project.transaction() as s:  # a hostile title must not break out of its DOT string
        from coding.store import Document

        s.get(Document, b).title = 'B"] ; x [label="\\\\'
    dot = link_graph(links(project))
    assert f'd{a} -> d{b} [label="矛盾 ×2"];' in dot and f'd{b} -> d{b} [label="×1"];' in dot
    assert f'd{b} [label="#{b} B\\"] ; x [label=\\"\\\\\\\\"];' in dot
    assert dot.count(" -> ") == 2 and dot.startswith("digraph links {") and dot.endswith("}")
