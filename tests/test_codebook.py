"""Tests for coding.codebook: the real codebook, round trips, queries and every validation error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coding.codebook import Codebook, dump_codebook, load_codebook, parse_codebook, save_codebook
from coding.errors import BaolianError, CodebookError

ROOT = Path(__file__).resolve().parents[1]

REAL = ROOT / "codebook.yaml"
DATA = Path(__file__).parent / "data" / "codebooks"

EXPECTED_PARENTS = {
    "F": None, "F1": "F", "F2": "F", "F3": "F",
    "M": None, "M1": "M", "M1.1": "M1", "M1.2": "M1", "M1.3": "M1", "M2": "M", "M3": "M",
    "M4": "M", "M4.1": "M4", "M4.2": "M4", "M4.3": "M4", "M5": "M",
    "R": None, "R1": "R", "R2": "R", "R3": "R", "R4": "R", "R5": "R",
    "T": None, "T1": "T", "T2": "T", "T3": "T", "T4": "T", "T5": "T",
}
EXPECTED_NAMES = {
    "F": "制度特征", "M": "治理机制", "R": "角色", "T": "理论背景",
    "M1.1": "包联人层", "M1.2": "责任人层", "M1.3": "联系人层",
    "M4.1": "注意力资源", "M4.2": "政策资源", "M4.3": "权责资源",
    "R1": "包联人", "R2": "责任人", "R3": "联系人", "R4": "信访人", "R5": "职能部门",
    "T1": "压力型体制", "T2": "行政发包制", "T3": "行政包干制", "T4": "科层制困境", "T5": "运动式治理",
}
CITATION = ("王印红, 郝本良. 领导包联制：基层疑难事项治理的逆向发包——基于Q市L区积案化解工作的分析[J]. "
            "公共管理与政策评论, 2023, 12(3): 111-123.")


@pytest.fixture(scope="module")
def real() -> Codebook:
    return load_codebook(REAL)


# -- the paper's codebook ---------------------------------------------------------------------


def test_real_codebook_has_every_code_of_the_schema(real: Codebook) -> None:
    assert real.version == "1.0.0"
    assert real.citation == CITATION
    assert real.title and real.title_en
    assert {c.id: c.parent for c in real.codes} == EXPECTED_PARENTS
    for code_id, name in EXPECTED_NAMES.items():
        assert real.code(code_id).name == name
    assert {c.id for c in real.codes if not c.codable} == {"F", "M", "R", "T"}
    assert real.code("M1").codable and real.code("M4").codable


def test_real_codebook_codable_codes_are_complete(real: Codebook) -> None:
    ids = set(real.codes_by_id)
    for code in real.codable_codes():
        assert code.name_en and code.short and code.definition, code.id
        sentences = [s for s in re.split("[。！？]", code.definition) if s.strip()]
        assert 3 <= len(sentences) <= 6, code.id
        assert len(code.use_when) >= 3, code.id
        assert len([e for e in code.not_when if e.use]) >= 2, code.id
        assert all(e.use is None or e.use in ids and e.use != code.id for e in code.not_when), code.id
        assert 15 <= len(code.indicators) <= 40, code.id
        assert len(set(code.indicators)) == len(code.indicators), code.id
        assert 1 <= len(code.examples) <= 2, code.id
        # features and mechanisms are suggested by rules; roles (R) and theory (T) are coded by hand
        assert bool(code.rules) == (code.id[0] in "FM"), code.id


def test_real_codebook_colours_are_distinct_and_concepts_are_used(real: Codebook) -> None:
    colours = [c.color.upper() for c in real.codes]
    assert len(set(colours)) == len(colours)
    assert 10 <= len(real.concepts) <= 30
    for name in ("领导", "职能部门", "协商会商", "专班", "政策资源", "注意力", "因人施策", "否定", "信访人"):
        assert name in real.concepts
    used = {t[1:] for c in real.codes for r in c.rules for _, t in r.references() if t.startswith("@")}
    assert used == set(real.concepts)
    assert {"公益岗位", "社保补贴", "医疗救助", "低保", "临时救助"} <= set(real.concept_terms("政策资源"))
    assert {"不需要", "用不着", "没必要", "无须"} <= set(real.concept_terms("@否定"))


def test_real_codebook_rules_are_sensible(real: Codebook) -> None:
    m2 = real.code("M2").rules
    assert any(r.all and ["@领导"] in r.all and ["@当面上门"] in r.all and r.within for r in m2)
    # a bare mention of the task force is no consultation: the task-force rules need a deliberation
    # term too, and "no task force needed" vetoes them
    m3 = [r for r in real.code("M3").rules if any(t in ("工作专班", "@专班") for g in [r.any, *r.all] for t in g)]
    assert m3 and all(r.all for r in m3 if "@专班" in r.any or "工作专班" in r.any)
    assert any(re.search(p, "目前不需要成立专班") for r in m3 for p in r.exclude_regex)
    f1 = real.code("F1").rules
    assert any(re.search(p, "这种事用不着领导包案") for r in f1 for p in r.exclude_regex)
    m5 = real.code("M5").rules
    assert any("一人一策" in real.concept_terms(t) for r in m5 for t in r.any if t.startswith("@"))
    assert any("一事一议" in r.exclude or "一事一议" in r.exclude_regex for r in m5)
    for code in real.codes:
        for rule in code.rules:
            assert not (rule.any and rule.all), f"{code.id}/{rule.name} mixes any and all"
            bare = {"领导", "责任"}
            assert not (rule.any and set(rule.any) & bare), f"{code.id}/{rule.name} fires on a bare common word"


def test_terms_for_the_segmenter(real: Codebook) -> None:
    terms = real.terms()
    assert terms == sorted(set(terms))
    assert {"工作专班", "一人一策", "层层加码", "区长", "公益岗位", "用不着"} <= set(terms)
    assert not any(t.startswith("@") for t in terms)
    assert "层层.{0,4}加码" not in terms


# -- round trip -------------------------------------------------------------------------------


def test_round_trip_and_idempotent_save(real: Codebook, tmp_path: Path) -> None:
    target = tmp_path / "codebook.yaml"
    save_codebook(real, target)
    again = load_codebook(target)
    assert again == real
    first = target.read_text(encoding="utf-8")
    assert first == dump_codebook(real)
    save_codebook(again, target)
    assert target.read_text(encoding="utf-8") == first
    assert dump_codebook(parse_codebook(first)) == first
    assert "领导包联制" in first and "\\u" not in first  # unicode kept
    assert [p.name for p in tmp_path.iterdir()] == ["codebook.yaml"]  # no temp file left


def test_dump_omits_defaults_and_keeps_schema_order() -> None:
    cb = load_codebook(DATA / "team_minimal.yaml")
    text = dump_codebook(cb)
    assert "weight" not in text and "unit" not in text and "codable" not in text
    assert "concepts" not in text and "use: null" not in text and "retired" not in text
    keys = [line.split(":")[0].strip() for line in text.splitlines() if line.startswith("    ") is False]
    assert keys[:3] == ["version", "title", "codes"]
    code_keys = re.findall(r"^  - (\w+):|^    (\w+):", text, flags=re.M)
    first = [a or b for a, b in code_keys][:8]
    assert first == ["id", "name", "name_en", "color", "short", "definition", "use_when", "indicators"]


def test_fingerprint_is_stable_and_detects_edits(real: Codebook) -> None:
    fp = real.fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", fp)
    assert load_codebook(REAL).fingerprint() == fp
    edited = real.model_copy(deep=True)
    edited.code("M5").definition += "补充一句。"
    assert edited.fingerprint() != fp


def test_save_into_missing_folder_raises(real: Codebook, tmp_path: Path) -> None:
    with pytest.raises(CodebookError) as info:
        save_codebook(real, tmp_path / "nope" / "codebook.yaml")
    assert "cannot write" in info.value.message and info.value.hint


# -- queries ----------------------------------------------------------------------------------


def test_queries(real: Codebook) -> None:
    assert [c.id for c in real.roots()] == ["F", "M", "R", "T"]
    assert [c.id for c in real.children("M1")] == ["M1.1", "M1.2", "M1.3"]
    assert [c.id for c in real.ancestors("M4.2")] == ["M4", "M"]
    assert real.ancestors("F") == []
    assert len(real.codable_codes()) == 24
    assert real.codes_by_id["M3"].name == "上下协商的组织机制"
    with pytest.raises(CodebookError, match="Z9"):
        real.code("Z9")
    with pytest.raises(CodebookError, match="Z9"):
        real.children("Z9")
    with pytest.raises(CodebookError, match="不存在"):
        real.concept_terms("不存在")


def test_retired_codes_are_not_offered() -> None:
    text = (DATA / "team_minimal.yaml").read_text(encoding="utf-8")
    cb = parse_codebook(text.replace("    name: 志愿服务\n", "    name: 志愿服务\n    retired: true\n"))
    assert [c.id for c in cb.codable_codes()] == ["P1"]
    assert [c.id for c in cb.codable_codes(include_retired=True)] == ["P1", "P2"]


def test_custom_team_codebook_loads() -> None:
    cb = load_codebook(DATA / "team_minimal.yaml")
    assert [c.id for c in cb.codes] == ["P1", "P2"]
    assert cb.concepts == {} and cb.citation is None
    assert cb.terms() == sorted(["义务劳动", "志愿者", "楼栋长", "议事会"])
    assert cb.code("P2").not_when[0].use is None
    assert load_codebook(DATA / "team_minimal.yaml").fingerprint() == cb.fingerprint()


# -- errors -----------------------------------------------------------------------------------

BASE = """\
version: "1.0.0"
title: 测试编码本
concepts:
  领导:
    terms: [区长, 副区长]
codes:
  - id: G
    name: 分组
    name_en: Group
    codable: false
    color: "#112233"
  - id: A
    name: 编码甲
    name_en: Code A
    parent: G
    color: "#445566"
    short: 一句话定义
    definition: 完整定义。
    use_when: [某种情况]
    not_when:
      - {text: 另一种情况, use: G}
    examples:
      - {text: 一个例子, note: 说明}
    rules:
      - name: r1
        weight: 0.9
        unit: sentence
        any: [包案, "@领导"]
        all:
          - ["@领导"]
          - [包案, 接手]
        within: 8
        regex: ["层层.{0,4}加码"]
      - name: r2
        any: [专班]
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def error_for(text: str, file: str = "cb.yaml") -> CodebookError:
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, file=file)
    err = info.value
    assert isinstance(err, BaolianError)
    assert err.file == file and err.hint
    assert "\n" not in str(err)
    return err


def test_base_is_valid() -> None:
    cb = parse_codebook(BASE)
    assert cb.code("A").rules[0].all == [["@领导"], ["包案", "接手"]]


# (case, text to replace, replacement, line marker in the new text, field, words in the message)
CASES = [
    ("missing field", "    name_en: Code A\n", "", "  - id: A", "codes[1].name_en", "missing required field 'name_en'"),
    ("unknown key", '    color: "#445566"', '    colour: "#445566"', "colour:", "codes[1].colour",
     "unknown key 'colour'"),
    ("wrong type", "    name: 编码甲", "    name: [编码甲]", "name: [编码甲]", "codes[1].name", "wrong type"),
    ("version not quoted", 'version: "1.0.0"', "version: 1.0", "version:", "version", "wrong type"),
    ("bad version", 'version: "1.0.0"', 'version: "v1"', "version:", "version", "bad version"),
    ("duplicate id", "  - id: A", "  - id: G", "  - id: G\n    name: 编码甲", "codes[1].id", "duplicate code id 'G'"),
    ("duplicate name", "    name: 编码甲", "    name: 分组", "name: 分组\n    name_en: Code A", "codes[1].name",
     "duplicate code name '分组'"),
    ("unknown parent", "    parent: G", "    parent: X", "parent: X", "codes[1].parent", "unknown parent 'X'"),
    ("parent cycle", "    codable: false\n", "    codable: false\n    parent: A\n", "parent: A", "codes[0].parent",
     "parent cycle: G -> A -> G"),
    ("bad colour", '"#445566"', '"#44556G"', "#44556G", "codes[1].color", "#RRGGBB"),
    ("colour not quoted", '"#445566"', "#445566", "    color: #445566", "codes[1].color", "no value given"),
    ("bad id", "  - id: A", "  - id: 1A", "id: 1A", "codes[1].id", "bad code id '1A'"),
    ("missing short", "    short: 一句话定义\n", "", "  - id: A", "codes[1].short", "has no short"),
    ("missing definition", "    definition: 完整定义。\n", "", "  - id: A", "codes[1].definition", "has no definition"),
    ("missing use_when", "    use_when: [某种情况]\n", "", "  - id: A", "codes[1].use_when", "has no use_when"),
    ("empty use_when", "use_when: [某种情况]", "use_when: []", "use_when: []", "codes[1].use_when", "has no use_when"),
    ("missing examples", "    examples:\n      - {text: 一个例子, note: 说明}\n", "", "  - id: A", "codes[1].examples",
     "has no examples"),
    ("not_when unknown code", "use: G}", "use: Q}", "use: Q}", "codes[1].not_when[0].use", "unknown code 'Q'"),
    ("unknown concept", 'any: [包案, "@领导"]', 'any: [包案, "@领导们"]', "@领导们", "codes[1].rules[0].any[1]",
     "unknown concept '@领导们'"),
    ("unknown concept in group", '          - ["@领导"]', '          - ["@上级"]', "@上级", "codes[1].rules[0].all[0][0]",
     "unknown concept '@上级'"),
    ("empty term list", "any: [专班]", "any: []", "any: []", "codes[1].rules[1].any", "empty term list"),
    ("empty group", "          - [包案, 接手]", "          - []", "          - []", "codes[1].rules[0].all[1]",
     "empty term list"),
    ("empty term", "[包案, 接手]", '[包案, ""]', '[包案, ""]', "codes[1].rules[0].all[1][1]", "empty term"),
    ("empty concept terms", "terms: [区长, 副区长]", "terms: []", "terms: []", "concepts.领导.terms", "empty term list"),
    ("bad regex", '"层层.{0,4}加码"', '"层层(加码"', "层层(加码", "codes[1].rules[0].regex[0]", "does not compile: missing )"),
    ("weight too high", "weight: 0.9", "weight: 1.5", "weight: 1.5", "codes[1].rules[0].weight", "out of range"),
    ("weight zero", "weight: 0.9", "weight: 0", "weight: 0", "codes[1].rules[0].weight", "out of range"),
    ("weight not a number", "weight: 0.9", "weight: high", "weight: high", "codes[1].rules[0].weight", "wrong type"),
    ("unknown unit", "unit: sentence", "unit: page", "unit: page", "codes[1].rules[0].unit",
     "'sentence' or 'paragraph'"),
    ("within zero", "within: 8", "within: 0", "within: 0", "codes[1].rules[0].within", "greater than or equal to 1"),
    ("duplicate rule name", "      - name: r2", "      - name: r1", "      - name: r1\n        any: [专班]",
     "codes[1].rules[1].name", "duplicate rule name 'r1'"),
    ("rule matches nothing", "        any: [专班]\n", "        exclude: [专班]\n", "      - name: r2", "codes[1].rules[1]",
     "matches nothing"),
    ("unknown rule key", "        any: [专班]\n", "        any: [专班]\n        wieght: 0.5\n", "wieght",
     "codes[1].rules[1].wieght", "did you mean 'weight'"),
    ("unknown top-level key", "title: 测试编码本", "title: 测试编码本\nauthor: 我", "author:", "author", "unknown key 'author'"),
    ("codes not a list", "codes:\n", "codes: 5\nold_codes:\n", "codes: 5", "codes", "wrong type"),
]


@pytest.mark.parametrize(("old", "new", "marker", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validation_errors(old: str, new: str, marker: str, field: str, words: str) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    line = line_of(text, marker) if "\n" not in marker else text[: text.index(marker)].count("\n") + 1
    err = error_for(text)
    assert words in err.message
    assert (err.line, err.field) == (line, field)
    assert str(err).startswith(f"cb.yaml:{line}: {field}: ")


# The same checks for named vetoes: BASE with a `vetoes` section, defaults, and rules that use or skip them.
VBASE = BASE.replace("codes:\n", """\
vetoes:
  interviewer:
    description: 访谈者的提问
    exclude_regex: ["^(访谈者|问)[:：]"]
  enterprise:
    description: 企业服务
    exclude: [营商, "@领导"]
    exclude_regex: ["服务企业"]
  unused:
    exclude: [无关]
rule_defaults:
  veto: [interviewer]
codes:
""", 1).replace("        any: [专班]\n", "        any: [专班]\n        veto: [enterprise]\n        skip_veto: [interviewer]\n")

VETO_CASES = [
    ("unknown veto in a rule", "veto: [enterprise]", "veto: [enterprize]", "veto: [enterprize]",
     "codes[1].rules[1].veto[0]", "unknown veto 'enterprize'"),
    ("unknown skipped veto", "skip_veto: [interviewer]", "skip_veto: [interviewr]", "skip_veto: [interviewr]",
     "codes[1].rules[1].skip_veto[0]", "unknown veto 'interviewr'"),
    ("skipping a veto that is no default", "skip_veto: [interviewer]", "skip_veto: [unused]",
     "skip_veto: [unused]", "codes[1].rules[1].skip_veto[0]", "which is not a default"),
    ("adding and skipping a veto", "veto: [enterprise]", "veto: [enterprise, interviewer]", "veto: [enterprise, i",
     "codes[1].rules[1].veto[1]", "both adds and skips veto 'interviewer'"),
    ("unknown veto in the defaults", "veto: [interviewer]", "veto: [interviewer, heading]", "veto: [interviewer, h",
     "rule_defaults.veto[1]", "unknown veto 'heading' in rule_defaults"),
    ("unknown veto in a code's defaults", "    rules:\n", "    rule_defaults: {veto: [unusd]}\n    rules:\n", "unusd",
     "codes[1].rule_defaults.veto[0]", "unknown veto 'unusd' in the rule_defaults of code 'A'"),
    ("a code default that the codebook already has", "    rules:\n",
     "    rule_defaults: {veto: [interviewer]}\n    rules:\n", "rule_defaults: {veto: [interviewer]}",
     "codes[1].rule_defaults.veto[0]", "already a default of the whole codebook"),
    ("veto listed twice", "veto: [enterprise]", "veto: [enterprise, enterprise]", "veto: [enterprise, e",
     "codes[1].rules[1].veto[1]", "listed twice"),
    ("veto vetoing nothing", "  unused:\n    exclude: [无关]\n", "  unused:\n    description: 空的\n", "  unused:",
     "vetoes.unused", "neither exclude terms nor exclude_regex"),
    ("veto regex does not compile", '"服务企业"', '"服务(企业"', "服务(企业", "vetoes.enterprise.exclude_regex[0]",
     "does not compile"),
    ("veto with an unknown concept", '[营商, "@领导"]', '[营商, "@企业"]', "@企业", "vetoes.enterprise.exclude[1]",
     "unknown concept '@企业' in veto 'enterprise'"),
    ("veto with an empty term list", '[营商, "@领导"]', "[]", "exclude: []", "vetoes.enterprise.exclude",
     "empty term list"),
    ("unknown key in a veto", "    exclude: [无关]", "    exlude: [无关]", "exlude", "vetoes.unused.exlude",
     "did you mean 'exclude'"),
]


def test_veto_base_is_valid() -> None:
    cb = parse_codebook(VBASE)
    a = cb.code("A")
    r1, r2 = a.rules
    assert cb.rule_vetoes(r1, a) == ["interviewer"] and cb.rule_vetoes(r2, a) == ["enterprise"]
    assert "营商" in cb.terms() and "无关" in cb.terms()  # veto terms go to the segmenter dictionary
    assert parse_codebook(dump_codebook(cb)) == cb


def test_a_codes_default_vetoes_apply_to_its_rules_only_and_can_be_skipped() -> None:
    text = VBASE.replace("    rules:\n", "    rule_defaults:\n      veto: [unused]\n    rules:\n", 1)
    cb = parse_codebook(text)
    a = cb.code("A")
    r1, r2 = a.rules
    assert cb.rule_vetoes(r1, a) == ["interviewer", "unused"] and cb.rule_vetoes(r2, a) == ["unused", "enterprise"]
    assert cb.rule_data(r1, a)["vetoes"].keys() == {"interviewer", "unused"}  # in the rule's fingerprint
    assert parse_codebook(dump_codebook(cb)) == cb and "rule_defaults:\n      veto: [unused]" in dump_codebook(cb)
    skipped = parse_codebook(text.replace("skip_veto: [interviewer]", "skip_veto: [interviewer, unused]"))
    assert skipped.rule_vetoes(skipped.code("A").rules[1], skipped.code("A")) == ["enterprise"]


@pytest.mark.parametrize(("old", "new", "marker", "field", "words"), [c[1:] for c in VETO_CASES],
                         ids=[c[0] for c in VETO_CASES])
def test_veto_validation_errors(old: str, new: str, marker: str, field: str, words: str) -> None:
    assert old in VBASE
    text = VBASE.replace(old, new, 1)
    line = line_of(text, marker)
    err = error_for(text)
    assert words in err.message
    assert (err.line, err.field) == (line, field)


def test_unknown_key_lists_allowed_keys() -> None:
    err = error_for(BASE.replace('    color: "#445566"', '    colour: "#445566"'))
    assert "did you mean 'color'" in err.message
    for key in ("id", "name", "name_en", "parent", "color", "short", "definition", "use_when", "not_when", "rules"):
        assert key in err.hint


def test_unknown_key_in_concept_and_example() -> None:
    err = error_for(BASE.replace("    terms: [区长, 副区长]", "    terms: [区长, 副区长]\n    words: [局长]"))
    assert (err.line, err.field) == (line_of(BASE, "terms: [区长") + 1, "concepts.领导.words")
    assert "description, terms" in err.hint
    err = error_for(BASE.replace("note: 说明}", "note: 说明, why: x}"))
    assert err.field == "codes[1].examples[0].why" and "text, note" in err.hint


def test_yaml_syntax_error_has_parser_line() -> None:
    text = BASE.replace("    definition: 完整定义。", "    definition: 完整定义: [oops")
    err = error_for(text)
    assert err.message.startswith("YAML syntax error")
    assert err.line == line_of(text, "definition: 完整定义: [oops")


def test_yaml_duplicate_key_is_reported() -> None:
    text = BASE.replace("    short: 一句话定义\n", "    short: 一句话定义\n    short: 又一个\n")
    err = error_for(text)
    assert "duplicate key" in err.message and err.line == line_of(text, "short: 又一个")


def test_empty_and_non_mapping_documents() -> None:
    assert "empty" in error_for("").message
    assert error_for("- a\n- b\n").line == 1


def test_missing_top_level_field_points_to_line_one() -> None:
    err = error_for(BASE.replace("title: 测试编码本\n", ""))
    assert (err.line, err.field) == (1, "title")


def test_load_codebook_reports_the_file_path() -> None:
    path = DATA / "bad_cycle.yaml"
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    err = info.value
    assert err.file == str(path) and err.field == "codes[0].parent"
    assert err.line == 7 and "parent cycle: A -> C -> B -> A" in err.message
    assert str(err).startswith(f"{path}:7: codes[0].parent: parent cycle")


def test_load_codebook_missing_file() -> None:
    with pytest.raises(CodebookError) as info:
        load_codebook(DATA / "does_not_exist.yaml")
    assert "cannot read" in info.value.message
