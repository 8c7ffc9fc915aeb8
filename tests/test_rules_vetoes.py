"""Named vetoes in the rule engine (coding.rule_vetoes): defaults, opting out, terms and regexes, the per-unit
cache, and equivalence with the same vetoes written out on every rule."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from coding.codebook import Codebook, load_codebook, parse_codebook
from coding.rule_vetoes import VetoTable
from coding.rules import compile_codebook, suggest_codes, suggest_for_units
from coding.suggest import unit_codes

ROOT = Path(__file__).resolve().parents[1]

CB = """\
version: "1.0.0"
title: 否决测试
concepts:
  企业:
    terms: [规上企业, 重点企业]
vetoes:
  interviewer:
    description: 访谈者的提问
    exclude_regex: ["^(访谈者|问)[:：]"]
  enterprise:
    description: 企业服务
    exclude: [营商, "@企业"]
    exclude_regex: ["服务企业"]
rule_defaults:
  veto: [interviewer]
codes:
  - id: A
    name: 编码甲
    name_en: Code A
    color: "#445566"
    short: 定义
    definition: 完整定义。
    use_when: [情况]
    examples:
      - {text: 例子}
    rules:
      - name: takes-case
        any: [包案]
        veto: [enterprise]
      - name: task-force
        any: [专班]
        exclude: [不需要]
        skip_veto: [interviewer]
"""


@pytest.fixture(scope="module")
def compiled():
    return compile_codebook(parse_codebook(CB))


def codes(compiled, text: str) -> dict[str, list[str]]:
    found = suggest_for_units([text], compiled)[0]
    return {s.code: sorted({e.rule for e in s.evidence}) for s in found}


def test_default_veto_applies_to_every_rule_but_the_one_that_skips_it(compiled):
    assert codes(compiled, "区长包案以后，成立了专班。") == {"A": ["takes-case", "task-force"]}
    # the interviewer line vetoes takes-case (default veto); task-force opted out of it
    assert codes(compiled, "访谈者：区长包案以后，成立了专班吗？") == {"A": ["task-force"]}


def test_named_veto_by_regex_by_term_and_by_concept(compiled):
    assert codes(compiled, "区长包案，服务企业。") == {}
    assert codes(compiled, "区长包案，优化营商环境。") == {}
    assert codes(compiled, "区长包案，走访规上企业。") == {}  # a term of @企业 through the veto
    assert codes(compiled, "区长包案，成立专班。") == {"A": ["takes-case", "task-force"]}
    # the veto is the rule's: task-force does not use it
    assert codes(compiled, "服务企业也成立了专班。") == {"A": ["task-force"]}


def test_own_exclude_still_works_next_to_named_vetoes(compiled):
    assert codes(compiled, "不需要成立专班。") == {}
    assert codes(compiled, "成立专班。") == {"A": ["task-force"]}


def test_document_suggestions_and_pickling_keep_the_vetoes(compiled):
    text = "访谈者：区长包案了吗？\n\n区长包案，服务企业。\n\n区长包案以后问题解决了。"
    found = suggest_codes(text, compiled)
    assert [(s.start, {e.rule for e in s.evidence}) for s in found if s.unit == "sentence"] == [
        (text.index("区长包案以后"), {"takes-case"})]
    again = pickle.loads(pickle.dumps(compiled))
    assert [s.start for s in suggest_codes(text, again)] == [s.start for s in found]


def test_a_named_veto_is_decided_once_per_unit():
    kw: dict[str, int] = {}
    table = VetoTable(lambda literal, term: kw.setdefault(literal, len(kw)))
    vid = table.named_veto("meeting", ["(拟于|定于)[^。]{0,12}召开", "下次[^。]{0,6}会"])
    assert table.named_veto("meeting", []) == vid  # registered once
    same = table.regex("下次[^。]{0,6}会")
    assert same in table.named[vid][1]  # a regex shared with a rule is compiled once
    triggered = frozenset(kw.values())  # every literal present
    sid = table.plan_keys((), (vid,), triggered)
    assert table.sets[sid] == table.named[vid][1]
    both = table.sets[table.plan_keys((same,), (vid,), triggered)]  # a regex of the rule and of its veto: once
    assert sorted(both) == sorted(table.named[vid][1])
    text = "拟于下周召开协调会。"
    cache: dict[int, bool] = {}
    assert table.vetoed(sid, text, cache) is True
    assert cache[~sid] is True
    cache[~sid] = False  # a second rule with the same vetoes reads the unit's answer, not the regexes again
    assert table.vetoed(sid, text, cache) is False
    assert table.vetoed(sid, text, {}) is True
    assert table.vetoed(sid, "下周开会。", {}) is False
    # another veto set with a regex already decided on the unit reads that answer
    first = table.regex("(拟于|定于)[^。]{0,12}召开")
    other = table.plan_keys((first,), (), triggered)
    assert other != sid
    assert table.vetoed(other, text, {first: False}) is False
    assert table.vetoed(other, text, {}) is True
    # the plan's memo (named vetoes, and each named veto -> their live regexes) changes nothing
    memo: dict = {}
    for own in ((), (first,), (same,), (first, same)):
        assert table.plan_keys(own, (vid,), triggered, memo) == table.plan_keys(own, (vid,), triggered)
    assert sorted(memo, key=str) == sorted([vid, (vid,)], key=str)
    assert list(memo[vid]) == list(memo[(vid,)]) == list(table.live(table.named[vid][1], triggered))
    # without its literals in the unit the veto is not even planned
    assert table.plan_keys((), (vid,), frozenset()) is None


def expanded(cb: Codebook) -> Codebook:
    """The same codebook with every named veto written out on the rules that use it (the old form)."""
    data = cb.model_dump(mode="python", exclude_defaults=True)
    for code, cdata in zip(cb.codes, data["codes"], strict=True):
        for rule, rdata in zip(code.rules, cdata.get("rules", []), strict=True):
            names = cb.rule_vetoes(rule, code)
            terms = list(rule.exclude) + [t for n in names for t in cb.vetoes[n].exclude]
            regexes = list(rule.exclude_regex) + [p for n in names for p in cb.vetoes[n].exclude_regex]
            rdata.pop("veto", None)
            rdata.pop("skip_veto", None)
            if terms:
                rdata["exclude"] = terms
            if regexes:
                rdata["exclude_regex"] = regexes
        cdata.pop("rule_defaults", None)
    data.pop("vetoes", None)
    data.pop("rule_defaults", None)
    return Codebook.model_validate(data)


def test_the_real_codebook_gives_what_its_vetoes_written_out_give():
    real = load_codebook(ROOT / "codebook.yaml")
    assert real.vetoes and real.rule_defaults.veto and real.code("F1").rule_defaults.veto
    flat = expanded(real)
    assert not flat.vetoes and all(not r.veto for c in flat.codes for r in c.rules)
    texts = [json.loads(line)["text"] for line in (ROOT / "corpus/gold/dev.jsonl").read_text("utf-8").splitlines()]
    texts += ["访谈者：区长包案以后怎么办？", "（一）领导包案", "拟于下周召开专班会议，研究低保。"]
    with_vetoes, written_out = unit_codes(texts, compile_codebook(real)), unit_codes(texts, compile_codebook(flat))
    assert with_vetoes == written_out
    assert sum(map(bool, with_vetoes)) > 100  # the comparison is not vacuous
    # and the vetoes matter: without them more units get codes
    data = real.model_dump(exclude_defaults=True)
    data.pop("rule_defaults")
    for code in data["codes"]:
        code.pop("rule_defaults", None)
        for rule in code.get("rules", []):
            rule.pop("skip_veto", None)
    bare = Codebook.model_validate(data)
    assert sum(map(bool, unit_codes(texts, compile_codebook(bare)))) > sum(map(bool, with_vetoes))
