"""Coding query: the sentences or paragraphs with a combination of codes (AND, OR, NOT, near), on a small
hand-coded project whose answers are known exactly (real database: SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import pytest

from coding.coding_query import CodingQuery, run_query
from coding.audit import history
from coding.decisions import add_code, code_spans, undo_last
from coding.errors import BaolianError
from coding.trash import delete_document

from .test_analysis_tables import import_small

A0, A1, A2 = "访谈者：请谈谈包联工作。", "甲：包联领导每周都来。", "我们建立了包联制度，包联干部很辛苦。"
B0, B1, B2 = "第一条　建立包联领导责任制。", "第二条　定期督办。", "第三条　考核问责。"


@pytest.fixture
def coded(project, tmp_path):
    """ann: M2 A0 · M5 A1 · M2+M5 A2 · M4.2 B0 · M2+F3 B1 · M5 B2 (and M2+M5 on the deleted C); bob: M5 A0."""
    docs = import_small(project, tmp_path)
    a, b, c = docs["访谈A"], docs["政策B"], docs["删除C"]
    sa, sb, sc = (project.segments(d, "sentence") for d in (a, b, c))
    for doc, seg, key, who in ((a, sa[0], "M2", "ann"), (a, sa[1], "M5", "ann"), (a, sa[2], "M2", "ann"),
                               (a, sa[2], "M5", "ann"), (b, sb[0], "M4.2", "ann"), (b, sb[1], "M2", "ann"),
                               (b, sb[1], "F3", "ann"), (b, sb[2], "M5", "ann"), (a, sa[0], "M5", "bob"),
                               (c, sc[0], "M2", "ann"), (c, sc[0], "M5", "ann")):
        add_code(project, doc, seg.start, seg.end, key, coder=who)
    delete_document(project, c, by="ann")
    return {"a": a, "b": b}


def texts(found):
    return found["text"].tolist()


def ask(project, *codes, **options):
    selection = {k: options.pop(k) for k in ("coder", "documents", "code", "code_coder") if k in options}
    return run_query(project, CodingQuery.of(codes, **options), **selection)


def test_codes_in_the_same_sentence(project, coded):
    both = ask(project, "M2", "M5")
    assert texts(both) == [A0, A2]  # A0: ann's M2 and bob's M5; a unit carries what any selected coder gave it
    assert both["codes"].tolist() == ["M2、M5", "M2、M5"] and both["near"].tolist() == ["", ""]
    assert both["document"].tolist() == ["访谈A", "访谈A"] and both["speaker"].tolist() == ["访谈者", "甲"]
    text = project.document_text(coded["a"])
    assert all(text[r.start:r.end] == r.text for r in both.itertuples())
    assert texts(ask(project, "M2", "M5", coder="ann")) == [A2]
    assert texts(ask(project, "M2", "M5", coder="bob")) == []  # bob has no M2


def test_near_looks_at_the_units_around_within_the_document(project, coded):
    near = ask(project, "M2", "M5", near=1, coder="ann")
    assert texts(near) == [A0, A1, A2, B1, B2]
    assert near["codes"].tolist() == ["M2", "M5", "M2、M5", "M2", "M5"]
    assert near["near"].tolist() == ["M5", "M2", "", "M5", "M2"]
    # A2 (M5) is followed by B0 (M4.2) in the list of sentences, but in another document
    assert texts(ask(project, "M4", "M5", near=1)) == []
    assert texts(ask(project, "M4", "M5", near=2)) == [B0, B2]


def test_only_units_said_by_chosen_speaker_roles(project, coded):
    said = ask(project, "M2", "M5", near=1, coder="ann", roles=["包联人", " "])
    assert texts(said) == [A1, A2] and said["speaker_role"].tolist() == ["包联人", "包联人"]
    assert said["near"].tolist() == ["M2", ""]  # A0, the interviewer's (研究者) sentence, still counts around A1
    assert texts(ask(project, "M2", roles=["研究者", "—"])) == [A0, B1]  # — : units with no known speaker
    assert CodingQuery.of(["M2"], roles=["包联人", "信访人"]).describe() == "M2 (sentence, said by 包联人、信访人)"


def test_any_code_and_sub_codes(project, coded):
    anyone = ask(project, "M2", "M4", match="any")
    assert texts(anyone) == [A0, A2, B0, B1]
    assert anyone["codes"].tolist() == ["M2", "M2", "M4", "M2"]  # M4.2 counts for M4
    assert texts(ask(project, "M4.2")) == [B0]


def test_excluded_codes_veto_the_unit_and_its_window(project, coded):
    assert texts(ask(project, "M2", exclude=["F3"])) == [A0, A2]
    assert texts(ask(project, "M5", exclude=["F3"], coder="ann")) == [A1, A2, B2]
    assert texts(ask(project, "M5", exclude=["F3"], near=1, coder="ann")) == [A1, A2]  # B2 is next to B1 (F3)
    assert texts(ask(project, "M2", exclude=["M5"], near=1, coder="ann")) == []


def test_paragraphs_and_chosen_documents(project, coded):
    para = ask(project, "M2", "M5", level="paragraph", coder="ann")
    assert texts(para) == [A1 + A2]
    assert texts(ask(project, "M2", "M5", level="paragraph")) == [A0, A1 + A2]
    assert texts(ask(project, "M2", "M5", level="paragraph", near=1, documents=[coded["b"]])) == [B0 + B1, B2]
    assert ask(project, "M2", "M5", documents=[coded["b"]]).empty


def test_the_query_codes_what_it_found_and_one_undo_takes_it_back(project, coded):
    query = CodingQuery.of(["M2", "M5"], near=1)
    found = run_query(project, query, coder="ann", code="M3", code_coder="ann")
    assert not found["coded"].any()
    run = code_spans(project, zip(found["document_id"], found["start"], found["end"]), "M3", coder="ann",
                     query=query.describe())
    assert len(run.added) == 5
    again = run_query(project, query, coder="ann", code="M3", code_coder="ann")
    assert again["coded"].all()
    assert texts(ask(project, "M3")) == [A0, A1, A2, B1, B2]
    (entry,) = history(project, action="coding.add", limit=1)
    assert "「M2 AND M5 (sentence, near 1)」" in entry.summary  # the history says which query coded it
    undo_last(project, coder="ann")
    assert ask(project, "M3").empty


def test_describe():
    assert CodingQuery.of(["M2", "M5"]).describe() == "M2 AND M5 (sentence)"
    assert CodingQuery.of(["M2", "M5", "M2"], match="any", exclude=["F3", "F1"], level="paragraph",
                          near=2).describe() == "M2 OR M5 NOT F3 NOT F1 (paragraph, near 2)"
    assert CodingQuery.of(["M2"], near=1, roles=["包联人"]).describe() == "M2 (sentence, near 1, said by 包联人)"


@pytest.mark.parametrize("codes, options, field, words", [
    ([], {}, "codes", "no codes"),
    (["  "], {}, "codes", "no codes"),
    (["M2"], {"exclude": ["M2"]}, "exclude", "both asked for and excluded"),
    (["M2"], {"match": "some"}, "match", "unknown match"),
    (["M2"], {"level": "page"}, "level", "unknown level"),
    (["M2"], {"near": -1}, "near", "whole number from 0 to 20"),
    (["M2"], {"near": 21}, "near", "whole number"),
    (["M2"], {"near": True}, "near", "whole number"),
    (["M2"], {"near": 1.5}, "near", "whole number"),
])
def test_bad_queries_are_refused(codes, options, field, words):
    with pytest.raises(BaolianError, match=words) as err:
        CodingQuery.of(codes, **options)
    assert err.value.field == field and err.value.hint


def test_unknown_codes_are_named(project, coded):
    with pytest.raises(BaolianError, match="unknown code M9") as err:
        ask(project, "M2", "M9")
    assert err.value.field == "codes"
    with pytest.raises(BaolianError, match="unknown code X1") as err:
        ask(project, "M2", exclude=["X1"])
    assert err.value.field == "exclude"


def test_an_empty_project_finds_nothing(project):
    assert ask(project, "M2", "M5").empty and list(ask(project, "M2").columns)[:4] == [
        "document_id", "document", "start", "end"]
