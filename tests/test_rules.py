"""Tests for coding.rules: rule semantics on tiny codebooks, the real codebook, offsets, speed structures."""

from __future__ import annotations

import itertools
import pickle
import re
from pathlib import Path

import pytest

from coding.codebook import load_codebook, parse_codebook
from coding.corpus import collect
from coding.errors import BaolianError, CodebookError
from coding.rules import (
    CompiledCodebook,
    compile_codebook,
    required_literal_sets,
    required_literals,
    suggest_codes,
    suggest_for_unit,
    suggest_for_units,
)
from coding.segment import sentence_spans

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "codebook.yaml"

HEAD = """version: "0.1.0"
title: 测试编码本
concepts:
  领导: {terms: [领导, 区长, 副区长]}
  否定: {terms: [不需要, 用不着]}
codes:
"""


def code(code_id: str, rules: str, **extra: str) -> str:
    lines = [f"  - id: {code_id}", f"    name: 编码{code_id}", f"    name_en: Code {code_id}",
             f'    color: "#{abs(hash(code_id)) % 0xFFFFFF:06X}"', "    short: 定义", "    definition: 定义。",
             "    use_when: [某种情况]", "    examples:", "      - {text: 例子}"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    lines += ["    rules:"] + ["      " + line for line in rules.strip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def tiny(*codes: str) -> CompiledCodebook:
    return compile_codebook(parse_codebook(HEAD + "".join(codes)))


def fired(cc: CompiledCodebook, text: str) -> dict[str, float]:
    return {s.code: s.score for s in suggest_for_unit(text, cc)}


@pytest.fixture(scope="module")
def real() -> CompiledCodebook:
    return compile_codebook(REAL)


# -- word boundaries -------------------------------------------------------------------------------


def test_term_inside_a_longer_word_does_not_match() -> None:
    cc = tiny(code("A", "- {name: people, any: [人民]}"))
    # jieba keeps 人民币 as one word: 人民 is not a word there
    assert cc.segmenter.cut("我有人民币") == ["我", "有", "人民币"]
    assert fired(cc, "我有人民币。") == {}
    assert fired(cc, "为人民服务。") == {"A": 0.8}


def test_codebook_terms_are_words_so_the_shorter_term_is_inside() -> None:
    # 工作专班 is a term (user word): one token, so 专班 alone does not match inside it
    cc = tiny(code("A", "- {name: bare, any: [专班]}"), code("B", "- {name: full, any: [工作专班]}"))
    assert cc.segmenter.cut("成立工作专班") == ["成立", "工作专班"]
    assert fired(cc, "成立工作专班。") == {"B": 0.8}
    assert fired(cc, "成立专班。") == {"A": 0.8}


def test_multi_token_term_matches_when_both_ends_are_boundaries() -> None:
    # a term with a space is never one token (the segmenter drops such user words): it spans three
    cc = tiny(code("A", "- {name: phrase, any: ['COVID 19']}"))
    assert cc.segmenter.cut("COVID 19疫情") == ["COVID", " ", "19", "疫情"]
    assert fired(cc, "COVID 19疫情") == {"A": 0.8}
    assert fired(cc, "XCOVID 19疫情") == {}  # starts inside the token XCOVID
    assert fired(cc, "COVID 199") == {}  # ends inside the token 199


# -- rule semantics on a tiny codebook -------------------------------------------------------------


SEMANTICS = tiny(
    code("ANY", "- {name: any-rule, weight: 0.6, any: [包案, 接手]}"),
    code("ALL", "- {name: all-rule, weight: 0.7, all: [['@领导'], [包案, 接手]]}"),
    code("WIN", "- {name: within-rule, weight: 0.9, all: [['@领导'], [包案]], within: 3}"),
    code("RGX", "- {name: regex-rule, regex: ['层层.{0,4}加码']}"),
    code("EXC", "- {name: exclude-rule, any: [包案], exclude: ['@否定'], exclude_regex: ['不必.{0,3}包案']}"),
    code("MIX", "- {name: mixed, any: [通报], regex: ['排名.{0,2}靠后']}"),
    code("PAR", "- {name: para, unit: paragraph, all: [[联系人], [责任人]]}"),
)


@pytest.mark.parametrize(("text", "expected"), [
    ("区长接手了。", {"ANY": 0.6, "ALL": 0.7}),
    ("副区长包案。", {"ANY": 0.6, "ALL": 0.7, "WIN": 0.9, "EXC": 0.8}),
    ("包案。", {"ANY": 0.6, "EXC": 0.8}),  # `all` needs every group
    ("区长很快就包案。", {"ANY": 0.6, "ALL": 0.7, "EXC": 0.8}),  # 4 words apart: within 3 fails
    ("区长，包案。", {"ANY": 0.6, "ALL": 0.7, "WIN": 0.9, "EXC": 0.8}),  # punctuation is not a word
    ("区长。包案。", {"ANY": 0.6, "EXC": 0.8}),  # different sentences
    ("这事不需要领导包案。", {"ANY": 0.6, "ALL": 0.7, "WIN": 0.9}),  # @否定 vetoes EXC only
    ("这事不必由他包案。", {"ANY": 0.6}),  # exclude_regex vetoes
    ("压力层层往下加码。", {"RGX": 0.8}),
    ("压力层层，往下传，再往下走再加码。", {}),  # regex span limit
    ("今天通报了。", {}),  # any and regex are both required
    ("排名靠后的要通报。", {"MIX": 0.8}),
])
def test_rule_parts(text: str, expected: dict[str, float]) -> None:
    assert fired(SEMANTICS, text) == expected


def test_within_chooses_the_closest_pair() -> None:
    # the first 区长 is far from 包案, the second is near: the window uses the near one
    sug = suggest_for_unit("区长说了很多很多很多很多话，后来副区长包案。", SEMANTICS)
    win = next(s for s in sug if s.code == "WIN")
    assert [(e.text, e.rule) for e in win.evidence] == [("副区长", "within-rule"), ("包案", "within-rule")]


def test_regex_literal_sets_are_checked_before_the_regex_runs() -> None:
    # Of (领导|区长) and (包了|挂帅) (two characters or more), the rarer is the trigger (rarest_first) and the
    # other is checked by the plan through the automaton; 后 (one character) by a search on the unit. Each
    # is required, none is enough alone.
    cc = tiny(code("LIT", "- {name: lit, regex: ['(领导|区长)[^，。]{0,4}(包了|挂帅)[^，。]{0,2}后']}"))
    rid, literal = 0, {kw: lit for lit, kw in cc._kw.items()}
    trigger = sorted(literal[k] for k in cc._regex_trigger[rid])
    need = [sorted(literal[k] for k in need) for need in cc._regex_need[rid]]
    assert sorted([trigger, *need]) == [["包了", "挂帅"], ["区长", "领导"]]
    assert len(cc._regex_also[rid]) == 1 and cc._regex_also[rid][0]("之后") and not cc._regex_also[rid][0]("之前")
    assert fired(cc, "区长亲自包了以后就好办。") == {"LIT": 0.8}
    assert fired(cc, "区长亲自挂帅后就好办。") == {"LIT": 0.8}
    assert fired(cc, "区长亲自包了，以后就好办。") == {}  # the regex decides: a comma in between
    assert fired(cc, "区长亲自来了以后就好办。") == {}  # no 包了/挂帅: not in the plan
    assert fired(cc, "有人包了以后就好办。") == {}  # no trigger
    assert fired(cc, "区长亲自包了就好办。") == {}  # no 后
    # a literal of the second set in ANOTHER unit of the batch does not count for this one
    assert [[s.code for s in u] for u in suggest_for_units(["区长亲自来了以后", "有人包了"], cc)] == [[], []]


def test_paragraph_rule_sees_the_whole_paragraph_and_sentence_rules_each_sentence() -> None:
    text = "联系人是街道的小王。责任人是局里的老张。"
    assert fired(SEMANTICS, text) == {"PAR": 0.8}
    doc = "联系人是街道的小王。\n责任人是局里的老张。\n联系人和责任人都到了。"
    sug = suggest_codes(doc, SEMANTICS)
    assert [(s.code, s.unit, doc[s.start:s.end]) for s in sug] == [("PAR", "paragraph", "联系人和责任人都到了。")]


def test_score_max_or_noisy_or() -> None:
    yaml = HEAD + code("A", "- {name: r1, weight: 0.5, any: [包案]}\n- {name: r2, weight: 0.6, any: [区长]}")
    text = "区长包案。"
    assert fired(compile_codebook(parse_codebook(yaml)), text) == {"A": 0.6}
    noisy = compile_codebook(parse_codebook(yaml), score="noisy_or")
    assert fired(noisy, text)["A"] == pytest.approx(1 - 0.5 * 0.4)
    with pytest.raises(BaolianError, match="unknown score mode"):
        compile_codebook(parse_codebook(yaml), score="sum")


def test_retired_and_grouping_codes_are_not_applied() -> None:
    cc = tiny(code("A", "- {name: r, any: [包案]}", retired="true"), code("B", "- {name: r, any: [包案]}"))
    assert fired(cc, "包案。") == {"B": 0.8}


def test_suggestions_report_the_rules_own_code_and_version() -> None:
    cb = parse_codebook(HEAD + code("P", "- {name: r, any: [接手]}", codable="true")
                        + code("P.1", "- {name: r, any: [包案]}", parent="P"))
    cc = compile_codebook(cb)
    (s,) = suggest_for_unit("包案。", cc)
    assert (s.code, s.origin, s.unit, s.start, s.end) == ("P.1", "rule", "unit", 0, 3)
    assert cc.version == f"rules:0.1.0:{cb.fingerprint()[:8]}" == s.version
    assert compile_codebook(cb, version="v7").version == "v7"


# -- evidence offsets ----------------------------------------------------------------------------


def test_evidence_offsets_index_the_input_with_astral_characters(real: CompiledCodebook) -> None:
    text = "😀🀄𠀀 WXG：他官太小，说了不算。😀\n😀副区长上门面对面听他讲，这事由副区长包案。"
    sug = suggest_for_unit(text, real)
    assert {s.code for s in sug} >= {"F1", "M2"}
    for s in sug:
        assert (s.start, s.end) == (0, len(text))
        for e in s.evidence:
            assert text[e.start:e.end] == e.text and e.text
    doc = suggest_codes(text, real)
    assert doc and all(text[e.start:e.end] == e.text for s in doc for e in s.evidence)
    assert all(text[s.start:s.end].strip() == text[s.start:s.end] for s in doc)


def test_batch_equals_one_by_one(real: CompiledCodebook) -> None:
    docs, _ = collect([ROOT / "corpus" / "interviews"])
    texts = [line for d in docs[:2] for line in d.text.split("\n")][:150] + ["", "  ", "😀\r", "区长\r", "包案"]
    assert suggest_for_units(texts, real) == [suggest_for_units([t], real)[0] for t in texts]


# -- the real codebook: negation and other senses ----------------------------------------------


@pytest.mark.parametrize(("text", "code_id", "expected"), [
    ("区里定了由LHY副区长包案，这事才算有了主心骨。", "F1", True),
    ("这种小事用不着领导包案。", "F1", False),
    ("成立工作专班，逐案会商研判。", "M3", True),
    ("目前不需要成立专班。", "M3", False),
    ("我们对三户实行一事一策，分别制定帮扶方案。", "M5", True),
    ("村里修路按一事一议筹资筹劳。", "M5", False),
    ("村里修路实行一事一议，财政奖补。", "M5", False),
    ("副区长亲自上门，跟他面对面谈了两个小时。", "M2", True),
    ("副区长从来没有上门见过他。", "M2", False),
])
def test_real_codebook_negation_and_other_senses(real: CompiledCodebook, text: str, code_id: str,
                                                 expected: bool) -> None:
    assert (code_id in fired(real, text)) is expected


def test_real_codebook_on_the_demo_corpus_is_sane(real: CompiledCodebook) -> None:
    docs, _ = collect([ROOT / "corpus"])
    sug = [s for d in docs for s in suggest_codes(d.text, real)]
    codes = {s.code for s in sug}
    assert {"F1", "F2", "M1", "M2", "M3", "M5"} <= codes
    assert all(0 < s.score <= 1 and s.evidence for s in sug)


def test_compiled_codebook_pickles(real: CompiledCodebook) -> None:
    again = pickle.loads(pickle.dumps(real))
    text = "区里定了由LHY副区长包案，成立工作专班。"
    assert suggest_for_unit(text, again) == suggest_for_unit(text, real)
    assert again.version == real.version


# -- required literals of regexes ------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "expected"), [
    ("层层.{0,4}加码", {"层层"}),  # every match contains 层层 (and 加码): either set is right
    ("(当作|当成)[^，]{0,4}政治任务", {"政治任务"}),  # the longest required literal wins
    ("一(事|人)一(策|方案)", {"一事一策", "一人一策", "一事一方案", "一人一方案"}),
    ("a?b", {"b"}),
    ("(?:ab)+c", {"ab"}),
    ("x(?=y)", {"x"}),
])
def test_required_literals(pattern: str, expected: set[str]) -> None:
    assert required_literals(re.compile(pattern)) == expected


@pytest.mark.parametrize("pattern", [".*", "a*", "(?i)abc", "[^a]b?", "\\w+", "(a|.)"])
def test_required_literals_unknown(pattern: str) -> None:
    assert required_literals(re.compile(pattern)) is None


def test_required_literals_never_skip_a_real_match(real: CompiledCodebook) -> None:
    docs, _ = collect([ROOT / "corpus"])
    sentences = [d.text[s:e] for d in docs for s, e in sentence_spans(d.text)]
    sentences += [e.text for c in real.codebook.codes for e in c.examples]
    patterns = [re.compile(p) for c in real.codebook.codes for r in c.rules for p in r.regex + r.exclude_regex]
    matched = 0
    for pattern in patterns:
        literals = required_literals(pattern)
        for s in sentences:
            if pattern.search(s):
                matched += 1
                assert literals is None or any(x in s for x in literals), (pattern.pattern, s)
    assert matched > 20


def test_every_required_literal_set_is_required(real: CompiledCodebook) -> None:
    # rules run a regex only when one literal of EACH of its sets is in the unit (and skip exclusions so)
    docs, _ = collect([ROOT / "corpus"])
    sentences = [d.text[s:e] for d in docs for s, e in sentence_spans(d.text)]
    sentences += [e.text for c in real.codebook.codes for e in c.examples]
    patterns = {p for c in real.codebook.codes for r in c.rules for p in r.regex + r.exclude_regex}
    several = 0
    for pattern in map(re.compile, sorted(patterns)):
        sets = required_literal_sets(pattern)
        assert (sets[0] if sets else None) == required_literals(pattern)
        several += len(sets) > 1
        for s in sentences:
            if pattern.search(s):
                assert all(any(x in s for x in literals) for literals in sets), (pattern.pattern, s)
    assert several > 20
    assert set(required_literal_sets(re.compile("(领导|区长)[^，]{0,4}(包了|挂帅)"))) == {
        frozenset({"包了", "挂帅"}), frozenset({"领导", "区长"})}


def _brute_force_hits(cc: CompiledCodebook, text: str) -> list[tuple[int, int, int]]:
    """Every occurrence of every term whose ends both are token boundaries, the slow and obvious way."""
    bounds, pos = {0}, 0
    for token in cc.segmenter.cut(text):
        pos += len(token)
        bounds.add(pos)
    out = []
    for literal, kw in cc._term_kw.items():
        at = text.find(literal)
        while at >= 0:
            if at in bounds and at + len(literal) in bounds:
                out.append((at, at + len(literal), kw))
            at = text.find(literal, at + 1)
    return sorted(out)


def test_scan_finds_exactly_the_terms_on_boundaries(real: CompiledCodebook) -> None:
    docs, _ = collect([ROOT / "corpus"])
    text = "\n".join(d.text for d in docs)[:60_000]
    scan = real.scan(text)
    assert scan.hits == _brute_force_hits(real, text) and len(scan.hits) > 1000
    trigger_literals = {lit: kw for lit, kw in real._kw.items()
                        if real._automaton.exists(lit.encode().decode("latin-1"))}
    assert len(trigger_literals) > 100
    for start, end in sentence_spans(text)[:400]:  # triggers: raw occurrences inside the unit
        unit = text[start:end]
        assert scan.triggers_in(start, end) == {kw for lit, kw in trigger_literals.items() if lit in unit}
        for s, e in ((start, end), (start + 1, end - 1), (start + 2, end), (start, end - 2)):  # cutting words too
            hits, triggered = scan.keywords_in(s, e)
            assert hits == [h for h in scan.hits if s <= h[0] and h[1] <= e]
            assert triggered == scan.triggers_in(s, e)
    # offsets are code points, also after astral and ASCII characters (the automaton runs on UTF-8 bytes)
    literals = sorted(trigger_literals)[:40]
    mixed = "".join(f"{c}{lit}" for c, lit in zip(itertools.cycle("😀a é𠀀\n"), literals))
    found = real.scan(mixed).triggers
    assert len(found) >= len(literals)
    for last, kw in found:
        literal = next(lit for lit, k in trigger_literals.items() if k == kw)
        assert mixed[last + 1 - len(literal):last + 1] == literal


def test_terms_of_several_tokens_are_found_by_the_scan() -> None:
    cc = tiny(code("A", "- {name: phrase, any: ['COVID 19', '《条例》', 'a b c']}"))
    text = "COVID 19疫情，按《条例》办；xa b c和a b c。COVID 199"
    hits = cc.scan(text).hits
    assert hits == _brute_force_hits(cc, text)
    assert [text[s:e] for s, e, _ in hits] == ["COVID 19", "《条例》", "a b c"]
    assert not cc._terms_spaceless  # so a unit ending at a space may cut a term: it is checked
    scan = cc.scan(text)
    for end in range(len(text) + 1):
        assert scan.keywords_in(0, end)[0] == [h for h in hits if h[1] <= end]


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("any: [包案]", "any: ['@上级']", "codes[0].rules[0].any[0]", "unknown concept '@上级'"),
    ("any: [包案]", "any: []", "codes[0].rules[0].any", "empty term list"),
    ("any: [包案]", "regex: ['层层(加码']", "codes[0].rules[0].regex[0]", "does not compile"),
])
def test_bad_rules_are_one_line_errors_naming_file_line_field(tmp_path: Path, old: str, new: str, field: str,
                                                              words: str) -> None:
    text = HEAD + code("A", "- {name: r, any: [包案]}").replace(old, new)
    path = tmp_path / "cb.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        compile_codebook(path)
    err = info.value
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "- {name: r" in row)
    assert (err.file, err.line, err.field) == (str(path), line, field)
    assert words in str(err) and "\n" not in str(err) and str(err).startswith(f"{path}:{line}: {field}: ")


def test_non_string_text_is_a_clear_error(real: CompiledCodebook) -> None:
    with pytest.raises(BaolianError, match="must be a string"):
        suggest_for_unit(None, real)  # type: ignore[arg-type]
    with pytest.raises(BaolianError, match="must be a string"):
        suggest_codes(b"x", real)  # type: ignore[arg-type]


def test_real_codebook_loads_with_its_concepts() -> None:
    cb = load_codebook(REAL)
    cc = compile_codebook(cb)
    assert len(cc.rules) == sum(len(c.rules) for c in cb.codes if c.codable and not c.retired)
    assert "工作专班" in cc.segmenter.user_words


def test_document_sentences_agree_with_single_units(real: CompiledCodebook) -> None:
    docs, _ = collect([ROOT / "corpus" / "interviews"])
    text = docs[0].text
    paragraph_codes = {r.code for r in real.rules if r.unit == "paragraph"}
    sentences = [s for s in suggest_codes(text, real) if s.unit == "sentence"]
    assert sentences
    by_span: dict[tuple[int, int], set[str]] = {}
    for s in sentences:
        by_span.setdefault((s.start, s.end), set()).add(s.code)
    for start, end in sentence_spans(text):
        alone = {u.code: u for u in suggest_for_unit(text[start:end], real)}
        in_doc = by_span.get((start, end), set())
        assert in_doc <= set(alone) and set(alone) - in_doc <= paragraph_codes
        for s in sentences:
            if (s.start, s.end) == (start, end):
                shifted = {(e.start - start, e.end - start, e.text, e.rule) for e in s.evidence}
                assert shifted <= {(e.start, e.end, e.text, e.rule) for e in alone[s.code].evidence}


def test_document_units_are_the_stored_segments(real: CompiledCodebook) -> None:
    from coding.segment import segment_text

    docs, _ = collect([ROOT / "corpus"])
    for doc in docs:
        segments = {(s.unit, s.start, s.end) for s in segment_text(doc.text)}
        units = {(s.unit, s.start, s.end) for s in suggest_codes(doc.text, real)}
        assert units and units <= segments, doc.filename
