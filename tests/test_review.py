"""The review queue service: pending suggestions page by page, filters, options, evidence marks."""

from __future__ import annotations

import pytest

from coding.autocode import code_project
from coding.decisions import accept, pending_suggestions, reject
from coding.errors import BaolianError
from coding.review import ReviewFilter, evidence_parts, mark_evidence, review_options, review_page, rule_names

from .conftest import CORPUS


def test_mark_evidence_brackets_merged_and_clipped_spans():
    text = "包联领导牵头成立工作专班。"  # starts at offset 100 of its document
    ev = [{"start": 100, "end": 104}, {"start": 108, "end": 112}, {"start": 110, "end": 113}]
    assert mark_evidence(text, 100, ev) == "【包联领导】牵头成立【工作专班。】"
    assert mark_evidence(text, 100, [{"start": 90, "end": 102}, {"start": 200, "end": 210}]) == "【包联】领导牵头成立工作专班。"
    assert mark_evidence(text, 100, [{"start": 102, "end": 104}, {"start": 104, "end": 106}]) == "包联【领导牵头】成立工作专班。"
    assert mark_evidence(text, 100, None) == text
    assert mark_evidence(text, 100, [{"start": "x"}, {}]) == text
    assert rule_names([{"rule": "b"}, {"rule": "a"}, {"rule": "b"}, {}]) == "b, a"


def test_evidence_parts_keep_the_documents_own_brackets_as_text():
    text = "【会议纪要】包联领导到场】"  # the document itself uses 【】
    parts = evidence_parts(text, 0, [{"start": 6, "end": 10}])
    assert parts == [("【会议纪要】", False), ("包联领导", True), ("到场】", False)]
    assert "".join(piece for piece, _ in parts) == text


@pytest.fixture
def coded(project):
    project.import_paths([CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml")
    code_project(project)
    return project


def test_pages_cover_the_queue_best_score_first(coded):
    everything = pending_suggestions(coded, coder="甲")
    first = review_page(coded, coder="甲", limit=10)
    assert first.total == len(everything) > 20
    seen = []
    for offset in range(0, first.total, 10):
        seen += review_page(coded, coder="甲", offset=offset, limit=10).rows
    assert [r.id for r in seen] == [a.id for a in everything]  # same order as coding.decisions
    assert [r.score for r in seen] == sorted((r.score for r in seen), reverse=True)
    row = seen[0]
    text = coded.document_text(row.document_id)
    assert row.unit_text == text[row.start:row.end]
    assert row.marked.replace("【", "").replace("】", "") == row.unit_text and "【" in row.marked
    assert row.rules and row.document == coded.find_document(row.document_id).title
    assert review_page(coded, coder="甲", offset=first.total, limit=10).rows == []


def test_decided_suggestions_leave_only_that_coders_queue(coded):
    rows = review_page(coded, coder="甲", limit=3).rows
    accept(coded, [rows[0].id], coder="甲")
    reject(coded, [rows[1].id], coder="甲")
    mine = review_page(coded, coder="甲", limit=1000)
    assert rows[0].id not in {r.id for r in mine.rows} and rows[1].id not in {r.id for r in mine.rows}
    assert review_page(coded, coder="乙", limit=1000).total == mine.total + 2
    assert review_page(coded, coder=None, limit=1000).total == mine.total + 2
    assert mine.total == len(pending_suggestions(coded, coder="甲"))


def test_filters_and_options(coded):
    options = review_options(coded, coder="甲")
    assert options.total == review_page(coded, coder="甲").total
    assert options.origins == ["rule"]
    code, _, n_code = options.codes[0]
    assert [r.code for r in review_page(coded, coder="甲", filt=ReviewFilter(codes=(code,)), limit=1000).rows] == [code] * n_code
    doc, _, n_doc = options.documents[-1]
    by_doc = review_page(coded, coder="甲", filt=ReviewFilter(document_ids=(doc,)), limit=1000)
    assert by_doc.total == n_doc and {r.document_id for r in by_doc.rows} == {doc}
    band = review_page(coded, coder="甲", filt=ReviewFilter(min_score=0.8, max_score=0.9), limit=1000)
    assert band.rows and all(0.8 <= r.score <= 0.9 for r in band.rows)
    assert band.total == sum(1 for a in pending_suggestions(coded, coder="甲") if 0.8 <= a.score <= 0.9)
    assert review_page(coded, coder="甲", filt=ReviewFilter(origin="model")).total == 0
    assert sum(n for _, _, n in options.codes) == sum(n for _, _, n in options.documents) == options.total


def test_page_size_is_bounded(coded):
    with pytest.raises(BaolianError, match="page size 0"):
        review_page(coded, coder=None, limit=0)
    with pytest.raises(BaolianError, match="page size 5000"):
        review_page(coded, coder=None, limit=5000)
