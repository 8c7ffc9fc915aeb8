"""Blind double coding in the analysis and the exports: a blinded coder counts and exports only their own
codings (``as_user``) until adjudication opens; others (and admins) see everyone's."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree
from openpyxl import load_workbook

from coding import assignments
from coding.analysis import code_frequencies, coder_progress, status_counts
from coding.analysis_tables import code_document_matrix, coded_segments, cooccurrence_matrix
from coding.analysis_words import kwic, word_frequencies
from coding.autocode import code_project
from coding.decisions import accept, pending_suggestions
from coding.exports import export

from .conftest import CORPUS

FILES = ["interviews/i01_lhy_vice_district_head.txt", "policy/p02_city_deployment.txt"]
NS = {"q": "urn:QDA-XML:project:1.0"}


def make_blind(p, ann: int = 3, bob: int = 3):
    """Two documents given to ann and bob in blind mode (by boss, who is not assigned anything); ann accepted
    the first ``ann`` suggestions, bob the last ``bob``."""
    report = p.import_paths([CORPUS / f for f in FILES], manifest=CORPUS / "corpus.yaml")
    assert len(report.imported) == 2
    code_project(p)
    sugs = pending_suggestions(p, coder=None)
    assert len(sugs) >= ann + bob
    accept(p, [s.id for s in sugs[:ann]], coder="ann")
    accept(p, [s.id for s in sugs[-bob:]], coder="bob")
    assignments.assign(p, [d.id for d in p.documents()], ["ann", "bob"], by="boss")
    assignments.set_blind(p, True, by="boss")
    return p


@pytest.fixture
def blind(project):
    return make_blind(project)


def _coders(frame) -> set:
    return set(frame["coder"].dropna())


def test_blinded_coder_counts_only_their_own_codings(blind):
    p = blind
    everyone = coded_segments(p)
    assert _coders(everyone) == {"ann", "bob"}
    assert _coders(coded_segments(p, as_user="ann")) == {"ann"}
    assert _coders(coded_segments(p, coder="bob", as_user="ann")) == {"ann"}  # asking for bob's does not help
    own = code_frequencies(p, by="none", coder="ann")
    seen = code_frequencies(p, by="none", as_user="ann")
    assert seen["segments"].tolist() == own["segments"].tolist()
    assert seen["segments"].sum() < code_frequencies(p, by="none")["segments"].sum()
    by_coder = code_frequencies(p, by="coder", as_user="bob")
    assert set(by_coder["coder"]) == {"bob"}
    assert code_document_matrix(p, as_user="ann").to_numpy().sum() == \
        code_document_matrix(p, coder="ann").to_numpy().sum()
    assert cooccurrence_matrix(p, as_user="ann").equals(cooccurrence_matrix(p, coder="ann"))
    assert status_counts(p, as_user="ann")["accepted"].sum() == 3
    assert list(coder_progress(p, as_user="ann")["coder"]) == ["ann"]
    code = everyone[everyone["coder"] == "bob"]["code"].iloc[0]
    hits = kwic(p, code=code, as_user="ann")
    assert len(hits) <= len(kwic(p, code=code))
    assert len(kwic(p, code=code, coder="ann")) == len(hits)
    words = word_frequencies(p, by="code", top=None, as_user="ann")
    assert set(words["code"]) <= set(everyone[everyone["coder"] == "ann"]["code"])


def test_not_blinded_users_and_open_adjudication_see_everyone(blind):
    p = blind
    assert _coders(coded_segments(p, as_user="boss")) == {"ann", "bob"}  # not assigned: not blinded
    assignments.open_adjudication(p, by="boss")
    assert _coders(coded_segments(p, as_user="ann")) == {"ann", "bob"}
    assignments.close_adjudication(p, by="boss")
    assignments.set_blind(p, False, by="boss")
    assert _coders(coded_segments(p, as_user="ann")) == {"ann", "bob"}


def test_exports_of_a_blinded_coder_hold_only_their_codings(blind, tmp_path):
    p = blind
    book = load_workbook(export(p, "xlsx", tmp_path / "ann.xlsx", as_user="ann"), read_only=True)
    rows = list(book["segments"].values)
    coder_col = rows[0].index("coder")
    assert {r[coder_col] for r in rows[1:]} == {"ann"}
    everyone = load_workbook(export(p, "xlsx", tmp_path / "all.xlsx", as_user="boss"), read_only=True)
    assert {r[coder_col] for r in list(everyone["segments"].values)[1:]} == {"ann", "bob"}

    def selection_users(path):
        with zipfile.ZipFile(path) as zf:
            root = etree.fromstring(zf.read("project.qde"))
        names = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", NS)}
        return {names[s.get("creatingUser")] for s in root.iterfind(".//q:PlainTextSelection", NS)}

    assert selection_users(export(p, "qdpx", tmp_path / "ann.qdpx", as_user="ann")) == {"ann"}
    assert selection_users(export(p, "qdpx", tmp_path / "all.qdpx")) == {"ann", "bob"}
