"""Adjudication on a hand-built two-coder project: disagreements found exactly, decisions as a 'final' layer."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from coding.adjudication import decide, decision_history, disagreements, final_coding
from coding.assignments import assign
from coding.decisions import add_code, document_applications, reject
from coding.errors import BaolianError
from coding.roles import Forbidden
from coding.store import Code, CodeApplication, Coder, Event

TEXT = "第一句话。第二句话很长。第三句。\n\n第二段第一句。第二段第二句。\n"
# sentences: S1 [0,5) S2 [5,12) S3 [12,16) S4 [18,25) S5 [25,32)


@pytest.fixture
def two(project, tmp_path):
    """Coders A and B assigned to one document; C (not assigned) coded it too."""
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    assert not project.import_paths([tmp_path / "t.txt"]).refused
    doc = project.documents()[0].id
    sent = [s.id for s in project.segments(doc, "sentence")]
    assert [(s.start, s.end) for s in project.segments(doc, "sentence")] == [(0, 5), (5, 12), (12, 16), (18, 25),
                                                                             (25, 32)]
    assign(project, [doc], ["A", "B"], by="lead")
    ids = {
        "A_F1": add_code(project, doc, 0, 4, "F1", coder="A"),
        "B_F1": add_code(project, doc, 1, 5, "F1", coder="B"),
        "A_F2": add_code(project, doc, 5, 12, "F2", coder="A"),
        "B_M2": add_code(project, doc, 12, 16, "M2", coder="B"),
        "A_M1": add_code(project, doc, 18, 22, "M1", coder="A"),
        "B_M1": add_code(project, doc, 20, 25, "M1", coder="B"),
        "A_M3": add_code(project, doc, 20, 30, "M3", coder="A"),  # crosses S4 and S5
        "B_M3": add_code(project, doc, 26, 28, "M3", coder="B"),
        "C_F3": add_code(project, doc, 0, 5, "F3", coder="C"),
    }
    with project.transaction() as s:  # a suggestion of F2 on S2 that B turned down: B does not have F2 there
        code_id = s.scalar(select(Code.id).where(Code.key == "F2"))
        sug = CodeApplication(document_id=doc, start=5, end=12, code_id=code_id, coder_id=None, origin="rule",
                              status="suggested", score=0.8, evidence=[])
        s.add(sug)
        s.flush()
        ids["sug"] = sug.id
    reject(project, ids["sug"], coder="B")
    return project, doc, sent, ids


def key(d) -> tuple:
    return d.segment_id, d.code, d.having


def originals(p) -> dict:
    with p.read() as s:
        return {r.id: (r.start, r.end, r.status, r.coder_id, r.version, r.layer) for r in
                s.scalars(select(CodeApplication).where(CodeApplication.layer == "coding"))}


def finals(p) -> list[CodeApplication]:
    with p.read() as s:
        return list(s.scalars(select(CodeApplication).where(CodeApplication.layer == "final")
                              .order_by(CodeApplication.id)))


def test_disagreements_are_found_exactly(two):
    p, doc, sent, ids = two
    report = disagreements(p)
    assert report.coders == {doc: ("A", "B")}  # the assigned coders, C left out
    assert [key(d) for d in report.items] == [(sent[1], "F2", ("A",)), (sent[2], "M2", ("B",)),
                                              (sent[3], "M3", ("A",))]
    assert report.agreements == 3 and report.units == 6 and report.decided == 0
    m3 = report.items[2]
    assert m3.missing == ("B",) and m3.text == "第二段第一句。" and m3.sentence == 4
    assert [(x.application_id, x.start, x.end, x.text) for x in m3.spans["A"]] == [
        (ids["A_M3"], 20, 30, TEXT[20:30])]
    assert m3.spans["B"] == []
    # filters
    assert [key(d) for d in disagreements(p, code="M2").items] == [(sent[2], "M2", ("B",))]
    assert disagreements(p, code="F1").items == [] and disagreements(p, code="F1").agreements == 1
    assert len(disagreements(p, document_id=doc).items) == 3
    # other coders compared: A and C agree nowhere
    other = disagreements(p, coders=["A", "C"])
    assert other.agreements == 0 and len(other.items) == 6
    assert (sent[0], "F3", ("C",)) in [key(d) for d in other.items]
    with pytest.raises(BaolianError, match="no coder 'Z'"):
        disagreements(p, coders=["A", "Z"])
    with pytest.raises(BaolianError, match="two or more"):
        disagreements(p, coders=["A"])


def test_decide_coder_merge_and_none_write_final_rows(two):
    p, doc, sent, ids = two
    before = originals(p)
    with p.read() as s:
        lead = s.scalar(select(Coder.id).where(Coder.name == "lead"))

    made = decide(p, document_id=doc, code="F2", choice="A", by="lead", segment_id=sent[1])
    row = finals(p)[0]
    assert [row.id] == made
    assert (row.start, row.end, row.status, row.layer, row.origin, row.coder_id, row.segment_id) == (
        5, 12, "accepted", "final", "human", lead, sent[1])
    assert row.based_on == [ids["A_F2"]]

    decide(p, document_id=doc, code="M2", choice="A", by="lead", segment_id=sent[2])  # A did not code it: none
    none = finals(p)[-1]
    assert (none.start, none.end, none.status, none.based_on) == (12, 16, "rejected", [ids["B_M2"]])

    decide(p, document_id=doc, code="M3", choice="merge", by="lead", segment_id=sent[3])
    merged = finals(p)[-1]
    assert (merged.start, merged.end, merged.status) == (20, 25, "accepted")  # clipped to the sentence
    assert merged.based_on == [ids["A_M3"]]

    # an agreement can be decided too: merge is the union, B alone is B's span
    decide(p, document_id=doc, code="M1", choice="merge", by="lead", segment_id=sent[3])
    m1 = finals(p)[-1]
    assert (m1.start, m1.end, m1.based_on) == (18, 25, sorted([ids["A_M1"], ids["B_M1"]]))
    decide(p, document_id=doc, code="M1", choice="B", by="lead", segment_id=sent[3])
    m1 = [r for r in finals(p) if r.segment_id == sent[3] and r.based_on and ids["B_M1"] in r.based_on]
    assert [(r.start, r.end, r.based_on) for r in m1] == [(20, 25, [ids["B_M1"]])]

    decide(p, document_id=doc, code="F2", choice="neither", by="lead", segment_id=sent[1])
    f2 = [r for r in finals(p) if r.segment_id == sent[1]]
    assert [(r.status, r.made_by) for r in f2] == [("rejected", "adjudication:none")]

    assert originals(p) == before  # the coders' codings are untouched
    assert all(a.coder != "lead" for a in document_applications(p, doc))
    report = disagreements(p)
    assert report.decided == 3
    assert [(f.status, f.choice) for f in report.items[0].final] == [("rejected", "none")]
    listed = final_coding(p, doc)
    assert [(f.code, f.start, f.end, f.status) for f in listed] == [
        ("F2", 5, 12, "rejected"), ("M2", 12, 16, "rejected"), ("M1", 20, 25, "accepted"),
        ("M3", 20, 25, "accepted")]
    assert listed[2].text == TEXT[20:25] and listed[2].by == "lead"


def test_redeciding_replaces_and_stays_traceable(two):
    p, doc, sent, ids = two
    first = decide(p, document_id=doc, code="M3", choice="A", by="lead", segment_id=sent[3])
    second = decide(p, document_id=doc, code="M3", choice="none", by="lead", segment_id=sent[3])
    rows = finals(p)
    assert [r.id for r in rows] == second and len(rows) == 1 and rows[0].status == "rejected"  # replaced
    with p.read() as s:
        events = list(s.scalars(select(Event).where(Event.action == "adjudication.decide").order_by(Event.id)))
    assert len(events) == 2 and events[0].before is None
    assert [r["id"] for r in events[1].before["rows"]] == first
    assert events[1].before["rows"][0]["start"] == 20 and events[1].before["rows"][0]["status"] == "accepted"
    assert events[1].after["choice"] == "none" and [r["id"] for r in events[1].after["rows"]] == second
    history = decision_history(p, document_id=doc)
    assert [h["id"] for h in history] == [events[1].id, events[0].id] and history[0]["by"] == "lead"


def test_decide_every_disagreement_of_a_code_at_once(two):
    p, doc, sent, ids = two
    add_code(p, doc, 0, 3, "M3", coder="B")  # B has M3 on S1, A does not
    made = decide(p, document_id=doc, code="M3", choice="B", by="lead")
    rows = finals(p)
    assert [r.id for r in rows] == made
    assert [(r.segment_id, r.start, r.end, r.status) for r in rows] == [
        (sent[0], 0, 3, "accepted"), (sent[3], 18, 25, "rejected")]  # none: the whole sentence; S5 agreed
    with pytest.raises(BaolianError, match="no disagreement on F1"):
        decide(p, document_id=doc, code="F1", choice="A", by="lead")


def test_decide_refuses_bad_input_and_non_admins(two):
    p, doc, sent, _ = two
    with pytest.raises(BaolianError, match="unknown choice 'C'"):
        decide(p, document_id=doc, code="F2", choice="C", by="lead", segment_id=sent[1])
    with pytest.raises(BaolianError, match="unknown code"):
        decide(p, document_id=doc, code="NOPE", choice="A", by="lead", segment_id=sent[1])
    with pytest.raises(BaolianError, match="no sentence"):
        decide(p, document_id=doc, code="F2", choice="A", by="lead", segment_id=10_000)
    with pytest.raises(BaolianError, match="no document"):
        decide(p, document_id=999, code="F2", choice="A", by="lead")
    with p.transaction() as s:  # accounts from now on: only the admin adjudicates
        s.add(Coder(name="boss", role="admin"))
        for name in ("A", "B"):
            s.scalar(select(Coder).where(Coder.name == name)).role = "coder"
    for who in ("A", None, "lead"):
        with pytest.raises(Forbidden):
            decide(p, document_id=doc, code="F2", choice="A", by=who, segment_id=sent[1])
    with pytest.raises(Forbidden):
        disagreements(p, as_user="A")
    with pytest.raises(Forbidden):
        final_coding(p, doc, as_user="B")
    assert finals(p) == []
    decide(p, document_id=doc, code="F2", choice="A", by="boss", segment_id=sent[1])
    assert len(disagreements(p, as_user="boss").items) == 3
    assert len(final_coding(p, doc, as_user="boss")) == 1


def test_adopt_agreements_fills_the_final_layer_where_coders_agree(two):
    from coding.adjudication import adopt_agreements

    p, doc, sent, ids = two
    before = originals(p)
    decide(p, document_id=doc, code="M1", choice="A", by="lead", segment_id=sent[3])  # decided already: kept
    assert adopt_agreements(p, by="lead") == 2  # F1 on S1 and M3 on S5
    got = [(f.segment_id, f.code, f.start, f.end, f.choice) for f in final_coding(p, doc)]
    assert got == [(sent[0], "F1", 0, 5, "merge"), (sent[3], "M1", 18, 22, "A"), (sent[4], "M3", 25, 30, "merge")]
    assert adopt_agreements(p, by="lead") == 0  # nothing left to adopt
    assert originals(p) == before
    assert len(disagreements(p).items) == 3  # agreements never become disagreements


def test_cli_assign_blind_list_open_decide(two, capsys):
    from coding.cli import main

    p, doc, sent, ids = two

    def run(*argv):
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    url = p.url
    assert run("--user", "lead", "assign", "-p", url, "--documents", str(doc), "--coders", "A,B,C")[0] == 0
    code, out, _ = run("blind", "on", "-p", url, "--user", "lead")
    assert code == 0 and "blind mode on" in out
    code, out, err = run("adjudicate", "list", "-p", url, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["coders"] == {str(doc): ["A", "B", "C"]} and data["disagreements"] == 7  # C agrees nowhere
    code, out, err = run("adjudicate", "list", "-p", url, "--json", "--coders", "A,B", "--code", "M3")
    data = json.loads(out)
    assert [(i["segment_id"], i["having"]) for i in data["items"]] == [(sent[3], ["A"])]
    assert data["items"][0]["spans"]["A"][0]["id"] == ids["A_M3"]
    code, out, err = run("adjudicate", "decide", "-p", url, "--user", "lead", "--document", str(doc), "--code", "M3",
                         "--choice", "merge", "--segment", str(sent[3]), "--coders", "A,B")
    assert code == 0 and "1 final row(s)" in out, err
    code, out, _ = run("adjudicate", "list", "-p", url, "--coders", "A,B", "--code", "M3")
    assert code == 0 and "merge:20–25" in out and "1 decided" in out
    code, out, _ = run("adjudicate", "adopt", "-p", url, "--user", "lead", "--coders", "A,B")
    assert code == 0 and "3 agreement(s) adopted" in out
    code, out, _ = run("--user", "lead", "adjudicate", "open", "-p", url, "--documents", str(doc))
    assert code == 0 and f"documents {doc}" in out
    code, _, err = run("adjudicate", "decide", "-p", url, "--user", "lead", "--document", str(doc), "--code", "M3",
                       "--choice", "Z")
    assert code == 2 and "unknown choice 'Z'" in err and "Traceback" not in err
    code, _, err = run("assign", "-p", url, "--documents", "x,y", "--coders", "A", "--user", "lead")
    assert code == 2 and "not a list of document ids" in err
    code, _, err = run("blind", "maybe", "-p", url, "--user", "lead")
    assert code == 2 and "say on or off" in err
