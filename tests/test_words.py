"""Word segmentation: engines, user words, offsets, spaCy tokenizer, pickling."""

from __future__ import annotations

import functools
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
import operator
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from coding.errors import BaolianError
from coding.words import (
    TOKENIZER_NAME,
    JiebaTokenizer,
    WordSegmenter,
    available_engines,
    make_nlp,
    words_and_spaces,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

SENTENCE = "包联领导牵头成立工作专班"
TERMS = ["包联领导", "工作专班", "一人一策", "退役军人事务局"]
# Codebook-like terms; 信访, 领导, 责任, 通报, 约谈 are already in jieba's
# dictionary, so adding them exercises the frequency-replacement rule.
USER_WORDS = TERMS + [
    "领导包案", "五包责任制", "零就业家庭", "政治势能", "层层加码", "责任共同体", "逆向发包",
    "信访积案", "包联人", "责任人", "联系人", "公益性岗位", "社保补贴", "因人施策", "有心无力",
    "信访", "领导", "责任", "通报", "约谈", "COVID-19", "12345热线",
]
# Built in so the engine comparison never runs on nothing; they include the
# inputs where plain jieba and rjieba disagree (ASCII compounds, rare CJK).
PARAGRAPHS = [
    "访谈者：您当时作为包联领导，第一次见WXG是什么情况？",
    "LHY：那是2019年3月。区里成立了工作专班，退役军人事务局、信访局、人社局、民政局都来人，一人一策，因人施策。",
    "ZSQ：俺那会儿天天跑，一年跑了十几趟市里，也没人管。后来区长亲自上门，坐下来跟俺拉呱……",
    "会议议定事项：一、三件积案由LHY同志包案，ZYM、HJW同志任责任人；二、街道党工委委员SLF任联系人。",
    "按照“五包责任制”要求，两个月内办结（疑难的可延长1个月），办结率达到95.5%以上。",
    "Version v1.2.3 of the e.g. COVID-19 plan, a_b x.y.z% 3.5.6 A-1 vs. U.S. policy; C++ & C#.",
    "王䶮和㛃娟在鿏鿐研究所讨论𠀀字，〇号文件，々。王䶮䶯说𠀀𠀁字，他叫鿖鿗了。",
    "正座泰北分区，越来越近兰博基两耳教徒一兜，清塘中南美第一世界抓手当场看到流满。",
    "打旗韩再芬，背子选词不问，程姑娘后冠毕其功于一役，雪神左右发。",
    "  全角　空格\t制表符\r\n回车换行\n\n  多个   空格  ",
    "群众反映的“问题上交”现象，层层加码，政治势能，领导在场！？真的吗？！",
]


def read_txt(path: Path) -> str:
    """The corpus is meant to be UTF-8, but a GB18030 file tests the importer."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def corpus_texts() -> list[str]:
    return [read_txt(p) for p in sorted(CORPUS.rglob("*.txt"))]


def engines() -> list[str]:
    return list(available_engines())


@functools.lru_cache(maxsize=None)
def shared(words: tuple[str, ...] = (), engine: str | None = None) -> WordSegmenter:
    """Segmenters are immutable: share them (a jieba one takes ~1 s to build)."""
    return WordSegmenter(words, engine)


# --- WordSegmenter --------------------------------------------------------------


@pytest.mark.parametrize("engine", engines())
def test_user_words_join_codebook_terms(engine):
    plain = WordSegmenter(engine=engine)
    assert plain.cut(SENTENCE) == ["包联", "领导", "牵头", "成立", "工作", "专班"]
    seg = WordSegmenter(TERMS, engine=engine)
    assert seg.cut(SENTENCE) == ["包联领导", "牵头", "成立", "工作专班"]
    tokens = seg.cut("坚持一人一策，退役军人事务局牵头。")
    assert "一人一策" in tokens and "退役军人事务局" in tokens
    assert "一人一策" not in plain.cut("坚持一人一策，退役军人事务局牵头。")
    assert seg.engine == engine
    assert seg.user_words == tuple(TERMS)


@pytest.mark.parametrize("engine", engines())
def test_dictionaries_are_private(engine):
    import jieba

    with_terms = WordSegmenter(TERMS, engine=engine)
    without = WordSegmenter(engine=engine)
    assert "工作专班" in with_terms.cut(SENTENCE)
    assert "工作专班" not in without.cut(SENTENCE)
    assert "工作专班" not in jieba.lcut(SENTENCE)  # the global jieba is untouched


def test_user_words_are_cleaned():
    seg = WordSegmenter(["  包联领导 ", "包联领导", "", "工作 专班", "一人一策"])
    assert seg.user_words == ("包联领导", "一人一策")
    assert "专班" in seg.cut(SENTENCE)  # "工作 专班" (with a space) was dropped


@pytest.mark.parametrize(
    "kwargs",
    [
        {"engine": "pkuseg"},
        {"user_words": "包联领导"},
        {"user_words": ["包联领导", 3]},
        {"user_words": 42},
    ],
)
def test_bad_settings_raise_baolian_error(kwargs):
    with pytest.raises(BaolianError) as err:
        WordSegmenter(**kwargs)
    assert err.value.hint


@pytest.mark.parametrize("engine", engines())
def test_bad_text_raises_baolian_error(engine):
    seg = WordSegmenter(engine=engine)
    with pytest.raises(BaolianError):
        seg.cut(b"\xe5\x8c\x85")  # type: ignore[arg-type]
    with pytest.raises(BaolianError):
        seg.spans("包联\ud800领导")


@pytest.mark.parametrize("engine", engines())
@pytest.mark.parametrize("text", PARAGRAPHS + ["", " ", "\n\n", "。"])
def test_cut_is_lossless_and_spans_index_the_text(engine, text):
    seg = shared(tuple(TERMS), engine)
    tokens = seg.cut(text)
    assert "".join(tokens) == text
    spans = seg.spans(text)
    # Whitespace-only tokens are dropped; every other token is a span.
    assert [text[s:e] for s, e in spans] == [t for t in tokens if not t.isspace()]
    assert "".join(text[s:e] for s, e in spans) == "".join(text.split())
    assert all(s < e for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert all(not text[s:e].isspace() and text[s:e].strip() == text[s:e] for s, e in spans)


def test_spans_offsets_are_code_points():
    seg = WordSegmenter(TERMS)
    text = "𠀀😀 包联领导牵头"  # astral characters count as one code point each
    spans = seg.spans(text)
    assert (3, 7) in spans and text[3:7] == "包联领导"


@pytest.mark.parametrize("engine", engines())
def test_segmenter_pickles_with_its_words(engine):
    seg = WordSegmenter(TERMS, engine=engine)
    copy = pickle.loads(pickle.dumps(seg))
    assert copy.engine == engine
    assert copy.user_words == seg.user_words
    assert copy.cut(SENTENCE) == ["包联领导", "牵头", "成立", "工作专班"]


# --- rjieba and jieba agree ---------------------------------------------------------


def _compare_engines(texts: list[str], words: list[str]) -> list[str]:
    fast = shared(tuple(words), "rjieba")
    slow = shared(tuple(words), "jieba")
    return [t for t in texts if fast.cut(t) != slow.cut(t)]


@pytest.mark.parametrize("words", [[], USER_WORDS], ids=["no-user-words", "user-words"])
def test_engines_agree_on_builtin_paragraphs(words):
    pytest.importorskip("rjieba")
    assert _compare_engines(PARAGRAPHS, words) == []


@pytest.mark.parametrize("words", [[], USER_WORDS], ids=["no-user-words", "user-words"])
def test_engines_agree_on_demo_corpus(words):
    pytest.importorskip("rjieba")
    texts = corpus_texts()
    if not texts:
        pytest.skip(f"no .txt files under {CORPUS} yet: nothing to compare beyond the built-in paragraphs")
    lines = [line for text in texts for line in text.splitlines() if line.strip()]
    assert _compare_engines(texts, words) == []
    assert _compare_engines(lines, words) == []


def test_plain_jieba_differs_where_the_compat_layer_matters():
    """Why the jieba engine is not plain ``jieba.Tokenizer().lcut``."""
    pytest.importorskip("rjieba")
    import jieba

    plain = jieba.Tokenizer()
    seg = shared((), "jieba")
    assert plain.lcut("e.g") == ["e", ".", "g"]
    assert seg.cut("e.g") == shared((), "rjieba").cut("e.g") == ["e.g"]
    assert plain.lcut("COVID-19") == ["COVID", "-", "19"]
    assert seg.cut("COVID-19") == ["COVID-19"]
    # CJK outside U+4E00..U+9FD5 goes through the dictionary blocks in rjieba.
    assert plain.lcut("王䶮䶯说") == ["王", "䶮", "䶯", "说"]
    assert seg.cut("王䶮䶯说") == ["王", "䶮䶯", "说"]
    # Re-adding a dictionary word: jieba counts its old frequency in the total.
    words = ["信访", "领导", "工作", "政治", "部门", "问题", "责任", "通报", "约谈"]
    for w in words:
        plain.add_word(w, 100000)
    assert plain.lcut("正座泰北分区") == ["正座", "泰北", "分区"]
    assert shared(tuple(words), "jieba").cut("正座泰北分区") == ["正", "座", "泰北", "分区"]
    assert shared(tuple(words), "rjieba").cut("正座泰北分区") == ["正", "座", "泰北", "分区"]


# --- spaCy tokenizer -----------------------------------------------------------------


def test_tokenizer_is_registered_without_importing_spacy():
    code = "import sys, coding.words, coding.segment; print('spacy' in sys.modules, 'jieba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True)
    assert out.stdout.split() == ["False", "False"]
    import spacy

    from coding.words import create_tokenizer

    assert spacy.registry.tokenizers.get(TOKENIZER_NAME) is create_tokenizer


@pytest.mark.parametrize("text", PARAGRAPHS + ["", "  ", "a  b", "\n包联领导\n", " 包联领导 工作专班  "])
def test_doc_text_round_trips(text):
    import spacy

    nlp = make_nlp(TERMS)
    doc = nlp(text)
    assert doc.text == text
    tokens = shared(tuple(TERMS)).cut(text)
    assert words_and_spaces(tokens) == spacy.util.get_words_and_spaces(tokens, text)


def test_words_and_spaces_matches_spacy_on_the_corpus():
    import spacy

    seg = WordSegmenter(TERMS)
    texts = corpus_texts()[:4] + PARAGRAPHS
    for text in texts:
        tokens = seg.cut(text)
        assert words_and_spaces(tokens) == spacy.util.get_words_and_spaces(tokens, text)


def test_nlp_keeps_terms_and_pickles():
    nlp = make_nlp(TERMS)
    assert [t.text for t in nlp(SENTENCE)] == ["包联领导", "牵头", "成立", "工作专班"]
    copy = pickle.loads(pickle.dumps(nlp))
    assert [t.text for t in copy(SENTENCE)] == ["包联领导", "牵头", "成立", "工作专班"]
    assert copy.tokenizer.segmenter.user_words == tuple(TERMS)


def test_nlp_initializes():
    nlp = make_nlp(TERMS)
    nlp.add_pipe("sentencizer")
    nlp.initialize()
    assert [t.text for t in nlp(SENTENCE)][0] == "包联领导"


def test_tokenizer_bytes_round_trip_and_damage():
    nlp = make_nlp(TERMS)
    data = nlp.tokenizer.to_bytes()
    other = make_nlp()
    other.tokenizer.from_bytes(data)
    assert [t.text for t in other(SENTENCE)] == ["包联领导", "牵头", "成立", "工作专班"]
    with pytest.raises(BaolianError):
        other.tokenizer.from_bytes(b"\x00 not json")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _load_in_fresh_process(path: Path) -> dict:
    code = (
        "import json, sys, coding.words, spacy\n"
        f"nlp = spacy.load({str(path)!r})\n"
        f"print(json.dumps({{'tokens': [t.text for t in nlp({SENTENCE!r})],"
        " 'words': list(nlp.tokenizer.segmenter.user_words)}, ensure_ascii=False))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_to_disk_then_load_in_a_fresh_process(tmp_path):
    make_nlp(TERMS).to_disk(tmp_path / "nlp")
    got = _load_in_fresh_process(tmp_path / "nlp")
    assert got["tokens"] == ["包联领导", "牵头", "成立", "工作专班"]
    assert got["words"] == TERMS


def test_words_saved_in_the_tokenizer_file_win_over_the_config(tmp_path):
    nlp = make_nlp()  # the config names no words
    nlp.tokenizer = JiebaTokenizer(nlp.vocab, WordSegmenter(TERMS))
    nlp.to_disk(tmp_path / "nlp")
    assert _load_in_fresh_process(tmp_path / "nlp")["tokens"] == ["包联领导", "牵头", "成立", "工作专班"]


def test_spawned_worker_keeps_the_terms():
    # The blank __main__ a spawned child re-runs comes from conftest's autouse fixture; use an executor
    # that fails instead of respawning.
    ctx = multiprocessing.get_context("spawn")
    nlp = make_nlp(TERMS)
    seg = WordSegmenter(TERMS)
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        # operator.call / methodcaller pickle by reference, so the worker
        # receives only the pipeline or segmenter and rebuilds it itself.
        doc = pool.submit(operator.call, nlp, SENTENCE).result(timeout=120)
        tokens = pool.submit(operator.methodcaller("cut", SENTENCE), seg).result(timeout=120)
        engine = pool.submit(operator.attrgetter("engine"), seg).result(timeout=120)
    assert [t.text for t in doc] == ["包联领导", "牵头", "成立", "工作专班"]
    assert tokens == ["包联领导", "牵头", "成立", "工作专班"]
    assert engine == seg.engine
