"""Keywords (keyness): G² and log ratio of the words one group uses more than the rest, checked against hand
arithmetic and against the word frequencies they are built on (real database: SQLite, or PostgreSQL with
--db=postgresql)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coding.analysis_keywords import chi2_p, keywords, log_likelihood
from coding.analysis_words import word_frequencies
from coding.decisions import add_code
from coding.errors import BaolianError

from .test_analysis_tables import import_small


def test_the_statistics_by_hand():
    # a = 4 of 10 in the group, b = 0 of 10 in the rest: E1 = 2, G² = 2·4·ln 2
    assert log_likelihood(np.array([4.0]), np.array([0.0]), 10, 10)[0] == pytest.approx(8 * math.log(2))
    # the same rate in both: nothing to see
    assert log_likelihood(np.array([5.0]), np.array([10.0]), 100, 200)[0] == pytest.approx(0.0, abs=1e-12)
    a, b, n1, n2 = 30.0, 10.0, 1000, 2000
    e1, e2 = n1 * 40 / 3000, n2 * 40 / 3000
    assert log_likelihood(np.array([a]), np.array([b]), n1, n2)[0] == pytest.approx(
        2 * (a * math.log(a / e1) + b * math.log(b / e2)))
    assert chi2_p(3.841) == pytest.approx(0.05, abs=1e-3) and chi2_p(10.828) == pytest.approx(0.001, abs=1e-4)
    assert chi2_p(0) == 1.0


def test_keywords_of_a_document_against_the_rest(project, tmp_path):
    import_small(project, tmp_path)
    freq = word_frequencies(project, by="document", top=None)
    counts = {(d, w): c for d, w, c in zip(freq["document"], freq["word"], freq["count"])}
    n1 = sum(c for (d, _), c in counts.items() if d == "访谈A")
    n2 = sum(c for (d, _), c in counts.items() if d != "访谈A")
    found = keywords(project, by="document", group="访谈A", min_count=1, top=None)
    assert not found.empty and (found["count"] / n1 > found["count_rest"] / n2).all()
    assert found["g2"].is_monotonic_decreasing
    row = found.set_index("word").loc["包联"]  # 包联 three times in A (工作, 制度, 干部), never in B as a word
    assert (row["count"], row["count_rest"]) == (counts[("访谈A", "包联")], 0)
    assert row["g2"] == pytest.approx(log_likelihood(np.array([row["count"]], float), np.array([0.0]), n1, n2)[0])
    assert row["log_ratio"] == pytest.approx(math.log2((row["count"] / n1) / (0.5 / n2)))
    assert row["per_10k"] == pytest.approx(row["count"] / n1 * 10_000) and row["p"] == pytest.approx(chi2_p(row["g2"]))
    assert keywords(project, by="document", group="访谈A", min_count=99).empty


def test_p_is_adjusted_for_every_word_tested(project, tmp_path):
    """p_adj is Benjamini–Hochberg over every word the group uses min_count times, in either direction,
    checked against statsmodels' implementation."""
    from statsmodels.stats.multitest import multipletests

    from coding.analysis_words import word_frequencies

    import_small(project, tmp_path)
    freq = word_frequencies(project, by="document", top=None)
    counts = {(d, w): c for d, w, c in zip(freq["document"], freq["word"], freq["count"])}
    n1 = sum(c for (d, _), c in counts.items() if d == "访谈A")
    n2 = sum(c for (d, _), c in counts.items() if d != "访谈A")
    words = sorted(w for d, w in counts if d == "访谈A")  # every word of A, once at least (min_count=1)
    a = np.array([counts[("访谈A", w)] for w in words], float)
    b = np.array([sum(c for (d, x), c in counts.items() if x == w and d != "访谈A") for w in words], float)
    p = [chi2_p(g) for g in log_likelihood(a, b, n1, n2)]
    expected = dict(zip(words, multipletests(p, method="fdr_bh")[1]))
    found = keywords(project, by="document", group="访谈A", min_count=1, top=None)
    assert len(found) < len(words)  # the family is larger than the keywords listed
    for word, p_adj, raw in zip(found["word"], found["p_adj"], found["p"]):
        assert p_adj == pytest.approx(expected[word]) and p_adj >= raw


def test_keywords_of_a_code_against_the_other_coded_sentences(project, tmp_path):
    docs = import_small(project, tmp_path)
    a, b = docs["访谈A"], docs["政策B"]
    sa, sb = project.segments(a, "sentence"), project.segments(b, "sentence")
    for doc, seg, key in ((a, sa[2], "M5"), (a, sa[2], "M2"), (b, sb[1], "M2"), (b, sb[2], "M2")):
        add_code(project, doc, seg.start, seg.end, key, coder="ann")
    with pytest.raises(BaolianError, match="nothing to compare 'M2' with"):  # every coded sentence carries M2
        keywords(project, by="code", group="M2", min_count=1)
    add_code(project, a, sa[0].start, sa[0].end, "M3", coder="ann")
    found = keywords(project, by="code", group="M5", min_count=1, top=None).set_index("word")
    # M5's sentence is also coded M2: its words count for M5, the rest is the other coded sentences, once each
    assert found.loc["干部", "count_rest"] == 0 and found.loc["包联", "count_rest"] == 1  # 请谈谈包联工作 (M3)
    assert set(keywords(project, by="code", group="M2", min_count=1, top=None)["word"]) >= {"督办", "考核"}


def test_bad_requests_name_the_choices(project, tmp_path):
    import_small(project, tmp_path)
    with pytest.raises(BaolianError, match="no words in group '访谈Z'") as err:
        keywords(project, by="document", group="访谈Z")
    assert err.value.field == "group" and "访谈A" in err.value.hint
    with pytest.raises(BaolianError, match="compare one group with the rest"):
        keywords(project, by="none", group="x")
    with pytest.raises(BaolianError, match="cannot group words by 'colour'"):
        keywords(project, by="colour", group="x")
    with pytest.raises(BaolianError, match="min_count"):
        keywords(project, by="document", group="访谈A", min_count=0)


def test_a_group_against_one_other_group(project, tmp_path):
    """--against: the reference is that one group's words, not all the others'."""
    from coding.analysis_words import word_frequencies

    docs = import_small(project, tmp_path)
    freq = word_frequencies(project, by="document", top=None)
    counts = {(d, w): c for d, w, c in zip(freq["document"], freq["word"], freq["count"])}
    n_b = sum(c for (d, _), c in counts.items() if d == "政策B")
    n_a = sum(c for (d, _), c in counts.items() if d == "访谈A")
    found = keywords(project, by="document", group="访谈A", against="政策B", min_count=1, top=None).set_index("word")
    for word, row in found.iterrows():
        b = counts.get(("政策B", word), 0)
        assert row["count_rest"] == b
        assert row["g2"] == pytest.approx(log_likelihood(np.array([row["count"]], float), np.array([b], float),
                                                         n_a, n_b)[0])
    rest = keywords(project, by="document", group="访谈A", min_count=1, top=None).set_index("word")
    shared = [w for w in found.index if counts.get(("删除C", w))]  # words C has too: counted only against all
    assert all(rest.loc[w, "count_rest"] > found.loc[w, "count_rest"] for w in shared if w in rest.index)
    assert len(docs) == 3
    for bad in ("访谈A", "访谈Z"):
        with pytest.raises(BaolianError, match=f"cannot compare '访谈A' with '{bad}'"):
            keywords(project, by="document", group="访谈A", against=bad)
