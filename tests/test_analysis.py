"""Counts for the overview and frequency pages, checked against the decisions API on a real project."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from coding.analysis import (
    KIND_LABELS,
    code_frequencies,
    coder_progress,
    codes_frame,
    documents_by_kind,
    frequency_table,
    status_counts,
)
from coding.analysis_data import selected_codings
from coding.autocode import code_project
from coding.decisions import accept, add_code, pending_suggestions, reject
from coding.errors import BaolianError
from coding.project import Project

from .conftest import CODEBOOK, CORPUS

FILES = ["interviews/i01_lhy_vice_district_head.txt", "policy/p02_city_deployment.txt",
         "minutes/m01_task_force_first_meeting.txt", "news/n01_district_news_report.txt"]


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """Four documents of four kinds, auto-coded; ann decided five suggestions, bob two and added one code."""
    p = Project.init(tmp_path_factory.mktemp("analysis") / "a.sqlite", codebook=CODEBOOK)
    report = p.import_paths([CORPUS / f for f in FILES], manifest=CORPUS / "corpus.yaml")
    assert len(report.imported) == 4 and not report.refused
    code_project(p)
    sugs = pending_suggestions(p, coder=None)
    by_doc: dict[int, list] = {}
    for s in sugs:
        by_doc.setdefault(s.document_id, []).append(s)
    picks = [s for doc in by_doc.values() for s in doc[:2]]  # two from each document
    assert len(picks) >= 7
    accept(p, [s.id for s in picks[:3]], coder="ann")
    reject(p, [s.id for s in picks[3:5]], coder="ann")
    accept(p, [picks[0].id, picks[5].id], coder="bob")  # picks[0] accepted by both coders
    add_code(p, picks[6].document_id, 0, 3, "M2", coder="bob")
    yield {"project": p, "suggestions": sugs, "picks": picks}
    p.close()


def test_documents_by_kind_matches_the_documents(coded):
    p = coded["project"]
    table = documents_by_kind(p).set_index("kind")
    docs = p.documents()
    assert dict(table["documents"]) == dict(Counter(d.kind for d in docs))
    assert table.loc["interview", "sentence"] == sum(d.n_sentences for d in docs if d.kind == "interview")
    assert table["turn"].sum() == sum(d.n_turns for d in docs)
    assert table.loc["news", "kind_label"] == KIND_LABELS["news"]


def test_status_counts_per_code(coded):
    p, sugs = coded["project"], coded["suggestions"]
    table = status_counts(p).set_index("code")
    assert dict(table["suggestions"][table["suggestions"] > 0]) == dict(Counter(s.code for s in sugs))
    assert table["pending"].sum() == len(sugs) - 6  # six distinct suggestions have a decision
    assert table["accepted"].sum() == 5 and table["rejected"].sum() == 2
    assert table.loc["M2", "added"] == 1 and table["added"].sum() == 1
    assert set(table["group"]) <= {"F", "M", "R", "T"}


def test_pending_for_a_coder_matches_the_decisions_api(coded):
    p = coded["project"]
    for name in ("ann", "bob"):
        table = status_counts(p, coder=name)
        pending = Counter(s.code for s in pending_suggestions(p, coder=name))
        assert dict(table.set_index("code")["pending"][lambda x: x > 0]) == dict(pending)
    bob = status_counts(p, coder="bob").set_index("code")
    assert bob["accepted"].sum() == 2 and bob["rejected"].sum() == 0


def test_coder_progress(coded):
    p, n = coded["project"], len(coded["suggestions"])
    rows = coder_progress(p).set_index("coder")
    assert list(rows.index) == ["ann", "bob"]
    assert rows.loc["ann", ["accepted", "rejected", "added", "decided"]].tolist() == [3, 2, 0, 5]
    assert rows.loc["bob", ["accepted", "rejected", "added", "decided"]].tolist() == [2, 0, 1, 2]
    assert rows.loc["ann", "pending"] == n - 5
    assert rows.loc["bob", "progress"] == pytest.approx(2 / n)
    assert rows.loc["ann", "last_change"] is not None


def test_accepted_frequencies_count_each_span_once(coded):
    p, picks = coded["project"], coded["picks"]
    freq = code_frequencies(p)
    # ann's 3 accepted + bob's other accept + bob's hand code; picks[0] accepted twice counts once
    assert freq["count"].sum() == 5
    expected = Counter(s.code for s in [picks[0], picks[1], picks[2], picks[5]]) + Counter({"M2": 1})
    assert dict(freq.groupby("code")["count"].sum()) == dict(expected)
    kinds = {d.id: d.kind for d in p.documents()}
    by_kind = Counter(kinds[s.document_id] for s in [picks[0], picks[1], picks[2], picks[5], picks[6]])
    assert dict(freq.groupby("kind")["count"].sum()) == dict(by_kind)
    assert code_frequencies(p, coder="bob")["count"].sum() == 3
    assert code_frequencies(p, coder="ann")["count"].sum() == 3


def test_pending_frequencies(coded):
    p, n = coded["project"], len(coded["suggestions"])
    both = code_frequencies(p, status=("accepted", "pending"))
    assert both["count"].sum() == 5 + (n - 6)
    only = code_frequencies(p, status=("pending",), coder="bob")
    assert only["count"].sum() == len(pending_suggestions(p, coder="bob"))


def test_rollup_and_groups(coded):
    p = coded["project"]
    full = code_frequencies(p, status=("accepted", "pending"))
    rolled = code_frequencies(p, status=("accepted", "pending"), rollup=True)
    # a sentence carrying two sub-codes of M1 counts once for M1
    assert rolled["count"].sum() <= full["count"].sum()
    assert not rolled["code"].str.contains(r"\.").any()
    rows = selected_codings(p, status=("accepted", "pending"))
    m1_ids = set(codes_frame(p).query("level1 == 'M1'")["code_id"])
    m1 = rows[rows["code_id"].isin(m1_ids)]
    assert rolled[rolled["code"] == "M1"]["count"].sum() == m1.groupby("kind")["unit"].nunique().sum()
    assert full[full["code"].str.startswith("M1")]["count"].sum() >= rolled[rolled["code"] == "M1"]["count"].sum()
    codes = codes_frame(p).set_index("code")
    assert codes.loc["M1.2", "group"] == "M" and codes.loc["M1.2", "level1"] == "M1"
    assert codes.loc["F", "level1"] == "F"


def test_by_document_and_wide_table(coded):
    p = coded["project"]
    freq = code_frequencies(p, by="document", status=("accepted", "pending"))
    titles = {d.title for d in p.documents()}
    assert set(freq["document"]) <= titles
    kinds = code_frequencies(p, status=("accepted", "pending"))
    table = frequency_table(kinds, order=["policy", "interview"])
    assert list(table.columns[:4]) == ["code", "name", "policy", "interview"]
    assert table["total"].sum() == kinds["count"].sum()
    assert (table[["policy", "interview", "minutes", "news"]].sum(axis=1) == table["total"]).all()


def test_bad_arguments_are_refused(coded):
    with pytest.raises(BaolianError):
        code_frequencies(coded["project"], by="nonsense")
    with pytest.raises(BaolianError):
        code_frequencies(coded["project"], status=("rejected",))


def test_empty_project(project):
    assert documents_by_kind(project).empty
    assert status_counts(project).empty
    assert code_frequencies(project).empty
    assert frequency_table(code_frequencies(project)).empty
    assert coder_progress(project).empty
    assert len(codes_frame(project)) == len(project.codebook().codes)


def test_tables_agree_on_the_demo(coded_demo):
    """On the whole demo (machine suggestions): the frequencies, the matrix and the co-occurrence diagonal
    count the same segments; every coded segment's text is its document's text at its offsets."""
    from coding.analysis import code_document_matrix, coded_segments, cooccurrence_matrix

    p = Project.open(coded_demo)
    try:
        sel = {"status": ("suggested",)}
        freq = code_frequencies(p, by="none", **sel).set_index("code")
        matrix = code_document_matrix(p, **sel)
        used = matrix[matrix.sum(axis=1) > 0]
        assert used.sum(axis=1).to_dict() == freq["segments"].to_dict()
        chars = code_document_matrix(p, measure="characters", **sel)
        assert chars.sum(axis=1)[freq.index].to_dict() == freq["characters"].to_dict()
        by_doc = code_frequencies(p, by="document", **sel)
        assert by_doc.groupby("code")["documents"].sum().to_dict() == (used > 0).sum(axis=1).to_dict()
        square = cooccurrence_matrix(p, **sel)
        # a suggestion on a whole paragraph counts once in the frequencies, but for each of its sentences here
        diagonal = pd.Series([square.loc[c, c] for c in square.index], index=square.index)
        assert (diagonal >= freq.loc[square.index, "segments"]).all()
        assert list(square.index) == list(freq.index)
        assert (square.values == square.values.T).all()
        rows = coded_segments(p, **sel)
        assert len(rows) == freq["segments"].sum()
        # a one-sentence paragraph is two segments over the same text; a code suggested on both counts once
        raw = selected_codings(p, **sel)
        doubled = raw[raw.duplicated(["document_id", "code_id", "start", "end"], keep=False)]
        assert doubled["segment_id"].nunique() > doubled[["document_id", "start", "end"]].drop_duplicates().shape[0]
        assert freq["segments"].sum() == len(raw.drop_duplicates(["document_id", "code_id", "start", "end"]))
        texts = {d.id: p.document_text(d.id) for d in p.documents()}
        assert all(texts[d][a:b] == t for d, a, b, t in zip(rows["document_id"], rows["start"], rows["end"],
                                                               rows["text"]))
    finally:
        p.close()
