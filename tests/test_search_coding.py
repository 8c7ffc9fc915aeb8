"""Search and code: passages found on whole jieba words, coded in one batch that one undo takes back (real
database: SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import pytest

from coding.decisions import accept, add_code, code_spans, history, undo_last
from coding.errors import BaolianError
from coding.roles import Forbidden
from coding.search_coding import find_passages, search_terms
from coding.store import CodeApplication, Event
from coding.trash import delete_document

from .conftest import ROOT
from .test_analysis_tables import MANIFEST, TEXT_A, TEXT_B, TEXT_C


@pytest.fixture
def docs(project, tmp_path):
    for name, text in (("a.txt", TEXT_A), ("b.txt", TEXT_B), ("c.txt", TEXT_C + "包联领导也来过。\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "corpus.yaml").write_text(MANIFEST, encoding="utf-8")
    project.import_paths([tmp_path / n for n in ("a.txt", "b.txt", "c.txt")], manifest=tmp_path / "corpus.yaml")
    found = {d.title: d.id for d in project.documents()}
    delete_document(project, found["删除C"], by="ann")
    return found


def texts(found):
    return found["text"].tolist()


def codings(project, coder_name="ann"):
    with project.read() as s:
        return sorted((r.document_id, r.start, r.end) for r in s.query(CodeApplication)
                      if r.coder_id == project.coder_id(s, coder_name))


def test_search_terms():
    assert search_terms(" 上门，面对面、 到家里 | 上门;坐下来听 ") == ["上门", "面对面", "到家里", "坐下来听"]
    assert search_terms("  ") == []


def test_passages_are_found_on_whole_words(project, docs):
    # 包联 is a word of its own in 包联工作, 包联制度, 包联干部, never inside 包联领导
    found = find_passages(project, "包联")
    assert texts(found) == ["访谈者：请谈谈包联工作。", "我们建立了包联制度，包联干部很辛苦。"]
    assert found["hits"].tolist() == [1, 2] and found["document"].tolist() == ["访谈A", "访谈A"]
    text = project.document_text(docs["访谈A"])
    assert all(text[r.start:r.end] == r.text for r in found.itertuples())
    # any of several terms; the deleted document (which has 包联领导 too) is not searched
    both = find_passages(project, "包联领导 考核")
    assert texts(both) == ["甲：包联领导每周都来。", "第一条　建立包联领导责任制。", "第三条　考核问责。"]
    assert both["terms"].tolist() == ["包联领导", "包联领导", "考核"]
    assert find_passages(project, "联领").empty  # inside a word


def test_the_unit_decides_the_span(project, docs):
    hits = find_passages(project, "包联", unit="hit")
    assert texts(hits) == ["包联", "包联", "包联"]
    paragraphs = find_passages(project, "包联 督办", unit="paragraph")
    assert texts(paragraphs) == ["访谈者：请谈谈包联工作。", "甲：包联领导每周都来。我们建立了包联制度，包联干部很辛苦。",
                                 "第一条　建立包联领导责任制。第二条　定期督办。"]
    assert paragraphs["hits"].tolist() == [1, 2, 1]
    only_b = find_passages(project, "包联领导", documents=[docs["政策B"]])
    assert texts(only_b) == ["第一条　建立包联领导责任制。"]


def test_passages_with_every_term(project, docs):
    both = find_passages(project, "包联 干部", match="all")
    assert texts(both) == ["我们建立了包联制度，包联干部很辛苦。"] and both["hits"].tolist() == [3]
    assert texts(find_passages(project, "包联 考核", match="all")) == []  # never in the same sentence
    assert texts(find_passages(project, "包联领导 督办", match="all", unit="paragraph")) == [
        "第一条　建立包联领导责任制。第二条　定期督办。"]
    assert find_passages(project, "包联领导 督办", match="all").empty  # two sentences of that paragraph


def test_bad_searches_are_refused(project, docs):
    with pytest.raises(BaolianError, match="empty"):
        find_passages(project, " 、 ")
    with pytest.raises(BaolianError, match="unknown unit"):
        find_passages(project, "包联", unit="chapter")
    with pytest.raises(BaolianError, match="unknown match"):
        find_passages(project, "包联", match="some")
    with pytest.raises(BaolianError, match="needs a sentence or paragraph"):
        find_passages(project, "包联 干部", unit="hit", match="all")


def test_passages_are_coded_in_one_batch_that_one_undo_takes_back(project, docs):
    a = docs["访谈A"]
    first = find_passages(project, "包联", code="M1", coder="ann")
    add_code(project, a, first.at[1, "start"] + 5, first.at[1, "start"] + 9, "M1", coder="ann")  # part only
    add_code(project, a, first.at[0, "start"], first.at[0, "end"], "M1", coder="ann")
    found = find_passages(project, "包联 包联领导", code="M1", coder="ann")
    assert found["coded"].tolist() == [True, False, False, False]  # a coding of part of a sentence does not cover it
    assert find_passages(project, "包联", code="M1", coder="bob")["coded"].tolist() == [False, False]
    spans = [(r.document_id, r.start, r.end) for r in found.itertuples()]
    run = code_spans(project, spans + spans[1:2], "M1", coder="ann", query="包联 包联领导")
    assert len(run.added) == 3 and run.already == 1  # the repeated span is coded once
    assert find_passages(project, "包联 包联领导", code="M1", coder="ann")["coded"].all()
    with project.read() as s:
        events = [e for e in s.query(Event).order_by(Event.id) if e.action == "coding.add"][-3:]
        assert {e.after["query"] for e in events} == {"包联 包联领导"} and len({e.after["batch"] for e in events}) == 1
    before_hand = codings(project)
    assert undo_last(project, coder="ann") == "coding.add ×3"
    after = codings(project)
    assert len(after) == len(before_hand) - 3 and (a, spans[0][1], spans[0][2]) in after
    assert undo_last(project, coder="ann") == "coding.add"  # then the earlier, single coding
    assert [h["action"] for h in history(project, limit=4)] == ["undo"] * 4


def test_a_batch_undo_stops_at_a_change_made_since_by_someone_else(project, docs):
    found = find_passages(project, "包联")
    run = code_spans(project, [(r.document_id, r.start, r.end) for r in found.itertuples()], "M2", coder="ann")
    from coding.decisions import resize

    row = run.added[0]
    resize(project, row, found.at[0, "start"], found.at[0, "start"] + 4, coder="admin")  # no accounts: all admins
    with pytest.raises(BaolianError, match="changed by admin"):
        undo_last(project, coder="ann")
    assert len([c for c in codings(project) if c[0] == docs["访谈A"]]) == 2  # all or nothing


def test_coding_search_results_checks_code_and_role(project, docs):
    found = find_passages(project, "包联")
    spans = [(r.document_id, r.start, r.end) for r in found.itertuples()]
    with pytest.raises(BaolianError, match="unknown code"):
        code_spans(project, spans, "M9", coder="ann")
    with pytest.raises(BaolianError, match="outside the document"):
        code_spans(project, [*spans, (docs["访谈A"], 0, 10_000)], "M1", coder="ann")
    assert codings(project) == []  # nothing of a refused run is kept
    from coding.accounts import add_user

    add_user(project, "admin1", "pw-123456-long", "admin", by=None)
    add_user(project, "viewer1", "pw-123456-long", "viewer", by="admin1")
    with pytest.raises(Forbidden):
        code_spans(project, spans, "M1", coder="viewer1")


def test_accepting_many_suggestions_is_one_undo(project):
    from coding.autocode import code_project
    from coding.decisions import pending_suggestions

    project.import_paths([ROOT / "corpus" / "interviews" / "i01_lhy_vice_district_head.txt"])
    code_project(project)
    pending = [s.id for s in pending_suggestions(project, coder="ann")][:3]
    assert len(pending) == 3
    accept(project, pending[:1], coder="ann")
    accept(project, pending[1:], coder="ann")
    assert undo_last(project, coder="ann") == "coding.accept ×2"
    assert undo_last(project, coder="ann") == "coding.accept"
    assert undo_last(project, coder="ann") is None


def test_inside_words_finds_the_characters_anywhere(project, docs):
    # whole words: 包联 never inside 包联领导; inside words: wherever the two characters are
    assert texts(find_passages(project, "包联", inside_words=True)) == [
        "访谈者：请谈谈包联工作。", "甲：包联领导每周都来。", "我们建立了包联制度，包联干部很辛苦。", "第一条　建立包联领导责任制。"]
    hits = find_passages(project, "包联", unit="hit", inside_words=True)
    assert texts(hits) == ["包联"] * 5
    text = project.document_text(docs["访谈A"])
    assert all(text[r.start:r.end] == "包联" for r in hits.itertuples() if r.document_id == docs["访谈A"])
    assert texts(find_passages(project, "联领", inside_words=True)) == ["甲：包联领导每周都来。", "第一条　建立包联领导责任制。"]
    both = find_passages(project, "联领 周", inside_words=True, match="all")
    assert texts(both) == ["甲：包联领导每周都来。"]
    assert find_passages(project, "来。我们", inside_words=True).empty  # across two sentences: in no one sentence
    assert texts(find_passages(project, "来。我们", inside_words=True, unit="paragraph")) == [
        "甲：包联领导每周都来。我们建立了包联制度，包联干部很辛苦。"]


def test_a_concept_lexicon_finds_any_of_its_terms(project, docs):
    # @问责通报 (通报, 约谈, 问责, 督办 …) finds 督办 and 问责; @领导 finds 包联领导
    found = find_passages(project, "@问责通报")
    assert texts(found) == ["第二条　定期督办。", "第三条　考核问责。"]
    assert found["terms"].tolist() == ["督办", "问责"]
    both = find_passages(project, "@领导 @问责通报", match="all", unit="paragraph")
    assert texts(both) == ["第一条　建立包联领导责任制。第二条　定期督办。"]  # one term of each lexicon
    assert both["terms"].tolist() == ["包联领导、督办"]
    assert texts(find_passages(project, "@领导 考核", match="all", unit="paragraph")) == []
    with pytest.raises(BaolianError, match="unknown concept @不存在") as err:
        find_passages(project, "包联 @不存在")
    assert err.value.field == "query" and "@领导" in err.value.hint
