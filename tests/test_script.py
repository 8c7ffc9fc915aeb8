"""简繁通查: a document written in traditional characters is segmented, auto-coded, searched and counted as its
simplified form would be, while its text, what is shown and every offset stay as written (real database:
SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import json

import opencc
import pytest

from coding.analysis_words import word_frequencies
from coding.annotate import Annotator
from coding.autocode import code_project
from coding.corpus import collect
from coding.decisions import pending_suggestions
from coding.rules import compile_codebook
from coding.script import by_character, fold
from coding.search_coding import find_passages

from .conftest import CODEBOOK, CORPUS

INTERVIEW = "i01_lhy_vice_district_head.txt"


@pytest.fixture(scope="module")
def simplified() -> str:
    docs, _ = collect([CORPUS / "interviews" / INTERVIEW])
    return docs[0].text


@pytest.fixture(scope="module")
def traditional(simplified) -> str:
    text = opencc.OpenCC("s2t").convert(simplified)
    assert len(text) == len(simplified) and text != simplified
    return text


def test_fold_keeps_length_and_leaves_simplified_text_alone(simplified, traditional):
    assert fold("包聯領導帶案下訪，乾隆年間；著名學者") == "包联领导带案下访，乾隆年间；著名学者"
    assert fold("ASCII only") == "ASCII only" and fold("") == ""
    folded = fold(traditional)
    assert len(folded) == len(traditional)
    assert sum(a != b for a, b in zip(folded, simplified)) <= 3  # 象/像-like pairs that s2t then t2s maps apart
    docs, _ = collect([CORPUS])
    assert all(fold(d.text) == d.text for d in docs)  # the simplified demo corpus: not one character changes
    assert by_character("領導") == "领导" and len(by_character(traditional)) == len(traditional)


def test_a_traditional_document_is_coded_and_searched_like_its_simplified_form(project, tmp_path, simplified,
                                                                              traditional):
    (tmp_path / "simplified.txt").write_text(simplified, encoding="utf-8")
    (tmp_path / "traditional.txt").write_text(traditional, encoding="utf-8")
    project.import_paths([tmp_path / "simplified.txt", tmp_path / "traditional.txt"])
    docs = {d.filename: d.id for d in project.documents()}
    s_id, t_id = docs["simplified.txt"], docs["traditional.txt"]
    assert project.document_text(t_id) == traditional  # stored as written
    code_project(project)
    found = {doc: {(x.code, x.start, x.end) for x in pending_suggestions(project, coder=None) if x.document_id == doc}
             for doc in (s_id, t_id)}
    same = found[s_id] & found[t_id]
    assert len(found[s_id]) > 30 and len(same) >= 0.95 * len(found[s_id])  # the same codes at the same places
    evidence = [e for x in pending_suggestions(project, coder=None) if x.document_id == t_id for e in x.evidence]
    assert evidence and all(e["text"] == traditional[e["start"]:e["end"]] for e in evidence)  # shown as written

    # whole-word search: 专班 finds 專班; the passage is shown as written
    hits = find_passages(project, "专班")
    by_doc = {d: hits[hits["document_id"] == d] for d in (s_id, t_id)}
    assert len(by_doc[t_id]) == len(by_doc[s_id]) > 0
    assert all("專班" in t for t in by_doc[t_id]["text"])
    # a traditional query finds the simplified text, inside words too
    assert len(find_passages(project, "包聯", inside_words=True)) == 2 * len(
        find_passages(project, "包联", inside_words=True, documents=[s_id]))
    # word frequencies count 領導 and 领导 as one word
    words = word_frequencies(project, by="document", top=None)
    counts = {(d, w): c for d, w, c in zip(words["document"], words["word"], words["count"])}
    assert counts[("traditional", "领导")] == counts[("simplified", "领导")] and ("traditional", "領導") not in counts


def test_annotate_codes_traditional_units_with_evidence_as_written(simplified, traditional):
    annotator = Annotator(compile_codebook(CODEBOOK))
    pairs = [(s, t) for s, t in zip(simplified.splitlines(), traditional.splitlines()) if fold(t) == s and s.strip()]
    s_codes = annotator.codes_for([s for s, _ in pairs])
    t_codes = annotator.codes_for([t for _, t in pairs])
    assert sum(map(len, s_codes)) > 20
    for (s, t), a, b in zip(pairs, s_codes, t_codes, strict=True):
        assert [(c["code"], [(e["start"], e["end"]) for e in c["evidence"]]) for c in a] == \
            [(c["code"], [(e["start"], e["end"]) for e in c["evidence"]]) for c in b]
        assert all(e["text"] == t[e["start"]:e["end"]] for c in b for e in c["evidence"])
    json.dumps(t_codes, ensure_ascii=False)  # the contract's JSON


def test_a_codebook_written_in_traditional_characters_matches_both_scripts(tmp_path, simplified, traditional):
    from coding.codebook import load_codebook

    path = tmp_path / "codebook_traditional.yaml"
    path.write_text(opencc.OpenCC("s2t").convert(CODEBOOK.read_text(encoding="utf-8")), encoding="utf-8")
    written = load_codebook(path)
    assert "領導" in written.concepts  # the lexicons too
    ours, theirs = Annotator(compile_codebook(CODEBOOK)), Annotator(compile_codebook(written))
    assert theirs.compiled.codebook is written  # kept as written; only matched folded
    lines = [s for s in simplified.splitlines() if s.strip()]
    a, b = ours.codes_for(lines), theirs.codes_for(lines)
    same = sum(x == y for x, y in zip(a, b, strict=True))
    assert sum(map(len, a)) > 20 and same >= 0.95 * len(lines)
    assert sum(map(len, theirs.codes_for(traditional.splitlines()))) >= 0.95 * sum(map(len, a))


def test_a_traditional_codebooks_terms_stay_whole_words(new_location, tmp_path):
    from coding.project import Project
    from coding.words import WordSegmenter

    path = tmp_path / "codebook_traditional.yaml"
    path.write_text(opencc.OpenCC("s2t").convert(CODEBOOK.read_text(encoding="utf-8")), encoding="utf-8")
    assert "包联领导" not in WordSegmenter().cut("包联领导来了")  # not one word for jieba on its own
    p = Project.init(new_location("trad-codebook"), codebook=path)
    try:
        assert "包联领导" in p.tokens("包聯領導來了") and "包联领导" in p.tokens("包联领导来了")
    finally:
        p.close()
