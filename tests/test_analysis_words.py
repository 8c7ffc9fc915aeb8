"""Keyword in context on whole jieba words, and Chinese word frequencies without stop words."""

from __future__ import annotations

import pytest

from coding.analysis_words import (
    chinese_stopwords,
    is_content_word,
    kwic,
    sentence_words,
    word_counter,
    word_frequencies,
)
from coding.errors import BaolianError

from .test_analysis_tables import small  # noqa: F401  (the hand-built project fixture)


def test_sentence_words_have_document_offsets(small):  # noqa: F811
    p = small["project"]
    words = sentence_words(p)
    assert set(words["document_id"]) == {small["a"], small["b"]}  # not the deleted document
    for r in words.itertuples():
        assert p.document_text(r.document_id)[r.start:r.end] == r.word
    first = words[words["document_id"] == small["a"]]["word"].tolist()[:8]
    assert first == ["访谈", "者", "：", "请", "谈谈", "包联", "工作", "。"]


def test_kwic_matches_whole_words_only(small):  # noqa: F811
    p, a = small["project"], small["a"]
    text = p.document_text(a) + p.document_text(small["b"])
    assert text.count("包联") == 5  # a substring search would find 5
    hits = kwic(p, "包联", width=4)
    # 包联 as a word: 包联工作, 包联制度, 包联干部 — not inside the words 包联领导 (twice)
    assert len(hits) == 3 and set(hits["keyword"]) == {"包联"}
    assert list(hits.columns) == ["document_id", "document", "kind", "speaker", "speaker_role", "start", "end",
                                  "left", "keyword", "right"]
    first = hits.iloc[0]
    assert (first["left"], first["keyword"], first["right"]) == ("：请谈谈", "包联", "工作。 ")  # newline shown as space
    assert first["start"] == 7 and first["end"] == 9 and first["speaker_role"] == "研究者"
    assert hits.iloc[1]["speaker"] == "甲" and hits.iloc[1]["document"] == "访谈A"
    leaders = kwic(p, "包联领导")
    assert len(leaders) == 2 and leaders["kind"].tolist() == ["interview", "policy"]
    phrase = kwic(p, "包联制度")  # two words in a row
    assert len(phrase) == 1 and phrase.iloc[0]["keyword"] == "包联制度"
    assert kwic(p, "联领").empty  # inside a word: no hit
    assert len(kwic(p, "包联", limit=2)) == 2
    # @name: every term of a codebook lexicon (@问责通报: 督办, 问责 … ; @领导: 包联领导 …), in document order
    lexicon = kwic(p, "@问责通报", width=2)
    assert lexicon["keyword"].tolist() == ["督办", "问责"] and lexicon["start"].is_monotonic_increasing
    assert kwic(p, "@领导")["keyword"].tolist() == ["包联领导", "包联领导"]
    with pytest.raises(BaolianError, match="unknown concept @无此词表"):
        kwic(p, "@无此词表")


def test_kwic_for_a_code(small):  # noqa: F811
    p, sa = small["project"], small["sa"]
    hits = kwic(p, code="M1", width=3)
    assert len(hits) == 3 and set(hits["code"]) == {"M1"}  # A0, A1 (ann and bob: once), B0
    assert hits.iloc[0]["keyword"] == "访谈者：请谈谈包联工作。"
    assert hits.iloc[1]["left"] == "作。 " and hits.iloc[1]["start"] == sa[1].start
    assert len(kwic(p, code="M", width=0)) == 9  # distinct (span, code): 7 of ann, bob adds A1 M3 and his part of A2
    assert len(kwic(p, code="M1", coder="bob")) == 1
    with pytest.raises(BaolianError):
        kwic(p)
    with pytest.raises(BaolianError):
        kwic(p, "包联", code="M1")
    with pytest.raises(BaolianError, match="unknown code"):
        kwic(p, code="Z1")


def test_stop_words_punctuation_and_numbers():
    stop = chinese_stopwords()
    assert {"的", "了", "我们", "是"} <= stop and "包联" not in stop and len(stop) > 500
    assert not is_content_word("的", stop)
    assert not is_content_word("，", stop) and not is_content_word("。", stop) and not is_content_word("——", stop)
    assert not is_content_word("2019", stop) and not is_content_word("37", stop) and not is_content_word("三", stop)
    assert not is_content_word("10%", stop) and not is_content_word("第一条", stop)  # ordinals are numbers too
    assert is_content_word("包联", stop) and is_content_word("积案", stop)
    assert not is_content_word("谈", stop, min_length=2) and is_content_word("谈", set(), min_length=1)


def test_word_frequencies(small):  # noqa: F811
    p = small["project"]
    counts = word_counter(p)
    assert counts["包联领导"] == 2 and counts["包联"] == 3 and counts["辛苦"] == 1
    assert not {"的", "了", "我们", "，", "。", "很", "都"} & set(counts)
    assert all(len(w) >= 2 for w in counts)
    single = word_counter(p, min_length=1)
    assert single["甲"] == 1 and single["谈"] == 0 and "，" not in single
    top = word_frequencies(p, top=2)
    assert top["word"].tolist() == ["包联", "包联领导"] and top["count"].tolist() == [3, 2]
    assert top["share"].iloc[0] == pytest.approx(3 / sum(counts.values()))
    kinds = word_frequencies(p, by="kind", top=None)
    policy = kinds[kinds["kind"] == "policy"].set_index("word")["count"]
    assert policy["包联领导"] == 1 and "包联" not in policy.index and "责任制" in policy.index
    roles = word_frequencies(p, by="speaker_role", top=None)
    assert set(roles["speaker_role"]) == {"研究者", "包联人", "—"}
    assert "包联" not in word_counter(p, extra_stopwords=["包联"])


def test_word_frequencies_by_code(small):  # noqa: F811
    p = small["project"]
    by_code = word_frequencies(p, by="code", top=None)
    m3 = by_code[by_code["code"] == "M3"].set_index("word")["count"].to_dict()
    # M3: A1 (甲：包联领导每周都来。) and B1 (第二条　定期督办。)
    assert m3 == {"包联领导": 1, "每周": 1, "定期": 1, "督办": 1}
    bob = word_frequencies(p, by="code", top=None, coder="bob")
    assert set(bob["code"]) == {"M1", "M2", "M3"}
    m2 = bob[bob["code"] == "M2"].set_index("word")["count"].to_dict()
    assert m2["辛苦"] == 1  # bob coded a part of A2: the sentence's words count
    with pytest.raises(BaolianError):
        word_frequencies(p, by="paragraph")


def test_empty_project(project):
    assert kwic(project, "包联").empty
    assert word_frequencies(project).empty
    assert word_frequencies(project, by="code").empty
