"""Tests for coding.evaluate and `baolian evaluate`: metrics against hand-computed numbers, gold errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coding.codebook import load_codebook
from coding.errors import BaolianError
from coding.evaluate import GoldUnit, evaluate, kappa, load_gold

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "codebook.yaml"


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(REAL)


@pytest.fixture(scope="module")
def cli():
    from coding import cli as module
    from coding.cli_coding import register

    if "evaluate" not in {c.name or c.callback.__name__ for c in module.app.registered_commands}:
        register(module.app)
    return module.main


def units(*code_sets: set[str]) -> list[GoldUnit]:
    return [GoldUnit(f"u{i}", f"text {i}", frozenset(c), i) for i, c in enumerate(code_sets, 1)]


GOLD = units({"F1", "M2"}, {"F1"}, {"M2"}, set(), {"M4"}, set())
PRED = [{"F1", "M4.1"}, set(), {"M2", "R4"}, {"F1"}, {"M4.2"}, {"R4"}]


def test_metrics_match_hand_computation(codebook) -> None:
    r = evaluate(GOLD, PRED, codebook=codebook)
    assert r.scope == ("F1", "M2", "M4") and r.units == 6
    rows = {m.code: m for m in r.per_code}
    f1, m2, m4 = rows["F1"], rows["M2"], rows["M4"]
    # F1: gold 110000, pred 100100 -> TP 1, FP 1, FN 1; po 4/6, pe 20/36 -> kappa 0.25
    assert (f1.support, f1.predicted, f1.tp, f1.fp, f1.fn) == (2, 2, 1, 1, 1)
    assert (f1.precision, f1.recall, f1.f1) == (0.5, 0.5, 0.5)
    assert f1.kappa == pytest.approx(0.25)
    # M2: gold 101000, pred 001000 -> P 1, R 1/2, F1 2/3; po 5/6, pe 22/36 -> kappa 4/7
    assert (m2.tp, m2.fp, m2.fn, m2.precision, m2.recall) == (1, 0, 1, 1.0, 0.5)
    assert m2.f1 == pytest.approx(2 / 3) and m2.kappa == pytest.approx(4 / 7)
    # M4: M4.1 and M4.2 count as M4 (the gold uses the parent): gold 000010, pred 100010
    assert (m4.tp, m4.fp, m4.fn, m4.precision, m4.recall) == (1, 1, 0, 0.5, 1.0)
    assert m4.f1 == pytest.approx(2 / 3) and m4.kappa == pytest.approx(4 / 7)
    assert r.macro_f1 == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    assert (r.micro_precision, r.micro_recall, r.micro_f1) == (0.6, 0.6, 0.6)
    # no-code units u4 (got F1) and u6 (got only R4, which the gold does not code)
    assert (r.no_code_units, r.no_code_with_suggestion, r.no_code_share) == (2, 1, 0.5)
    assert r.out_of_scope == {"R4": 2}
    data = r.to_dict()
    assert json.loads(json.dumps(data))["per_code"][0]["code"] == "F1" and data["no_code_share"] == 0.5
    assert "| M4 | 1 | 2 | 1 | 1 | 0 | 0.500 | 1.000 | 0.667 | 0.571 |" in r.to_markdown()


def test_children_are_kept_when_the_gold_uses_them(codebook) -> None:
    gold = units({"M4.1"}, {"M4.2"}, set())
    r = evaluate(gold, [{"M4.1"}, {"M4.1"}, {"M4"}], codebook=codebook)
    rows = {m.code: m for m in r.per_code}
    assert set(rows) == {"M4.1", "M4.2"}
    assert (rows["M4.1"].tp, rows["M4.1"].fp) == (1, 1) and rows["M4.2"].fn == 1
    assert r.out_of_scope == {"M4": 1} and r.no_code_with_suggestion == 0  # M4 is no code of this gold


def test_explicit_scope_maps_gold_children_and_reports_empty_codes(codebook) -> None:
    gold = units({"M4.1"}, {"M1.2", "R4"}, set())
    r = evaluate(gold, [{"M4.3"}, set(), {"M3"}], codebook=codebook, scope=["M1", "M3", "M4", "M5"])
    rows = {m.code: m for m in r.per_code}
    assert [m.code for m in r.per_code] == ["M1", "M3", "M4", "M5"]
    assert rows["M4"].tp == 1 and rows["M1"].fn == 1 and rows["M3"].fp == 1
    assert (rows["M5"].precision, rows["M5"].recall, rows["M5"].f1, rows["M5"].kappa) == (None, None, None, 1.0)
    assert r.macro_f1 == pytest.approx((0 + 1) / 2)  # M1 and M4 have support; M3 and M5 do not
    assert (r.no_code_units, r.no_code_with_suggestion) == (1, 1)


def test_kappa() -> None:
    a = [1, 1, 0, 0, 1, 0, 1, 1, 0, 0]
    b = [1, 0, 0, 0, 1, 0, 1, 1, 1, 0]
    assert kappa([bool(x) for x in a], [bool(x) for x in b]) == pytest.approx(0.6)
    assert kappa([False] * 4, [False] * 4) == 1.0  # undefined in sklearn: identical constants
    assert kappa([True] * 4, [True] * 4) == 1.0
    assert kappa([False] * 4, [True] * 4) == 0.0
    assert kappa([True, False], [False, True]) == pytest.approx(-1.0)


def test_prediction_count_must_match(codebook) -> None:
    with pytest.raises(BaolianError, match="2 predictions for 6 gold units"):
        evaluate(GOLD, PRED[:2], codebook=codebook)


# -- gold files ------------------------------------------------------------------------------------


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD_LINE = json.dumps({"id": "s1", "text": "副区长包案。", "codes": ["F1"], "doc": "i01"}, ensure_ascii=False)


@pytest.mark.parametrize(("line", "field", "words"), [
    ('{"id": "s2", "text": "x", "codes": ["M9"]}', "codes", "unknown code 'M9'"),
    ('{"id": "s2", "text": "x", "codes": ["M"]}', "codes", "grouping node"),
    ('{"id": "s2", "text": "x", "codes": "F1"}', "codes", "list of code ids"),
    ('{"id": "s2", "text": "x"}', "codes", 'missing "codes"'),
    ('{"id": "s2", "codes": []}', "text", 'missing "text"'),
    ('{"id": "s1", "text": "x", "codes": []}', "id", "duplicate id 's1'"),
    ('{"id": "s2", "text": "x", "codes": [],}', None, "bad JSON"),
    ("[1]", None, "not a JSON object"),
])
def test_gold_errors_name_file_line_and_field(tmp_path: Path, codebook, line: str, field: str | None,
                                              words: str) -> None:
    path = write(tmp_path / "gold.jsonl", [GOOD_LINE, "", line])
    with pytest.raises(BaolianError) as info:
        load_gold(path, codebook)
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), 3, field)
    assert words in str(err) and "\n" not in str(err)


def test_gold_loads(tmp_path: Path, codebook) -> None:
    path = write(tmp_path / "gold.jsonl", [GOOD_LINE, '{"id": 2, "text": "无", "codes": []}'])
    assert load_gold(path, codebook) == [GoldUnit("s1", "副区长包案。", frozenset({"F1"}), 1),
                                         GoldUnit(2, "无", frozenset(), 2)]
    with pytest.raises(BaolianError, match="no units"):
        load_gold(write(tmp_path / "empty.jsonl", [""]), codebook)
    with pytest.raises(BaolianError, match="cannot read the gold file"):
        load_gold(tmp_path / "missing.jsonl", codebook)


# -- the command ---------------------------------------------------------------------------------

CLI_GOLD = [
    ("区里定了由LHY副区长包案，这事才算有了主心骨。", ["F1"]),  # F1 TP
    ("这种小事用不着领导包案。", []),  # negated: nothing
    ("成立工作专班，逐案会商研判。", ["M3"]),  # M3 TP
    ("今天天气很好。", ["M2"]),  # M2 FN
    ("我们对三户实行一事一策。", []),  # M5 FP on a no-code unit
    ("按照因人施策的要求，一户一策。", ["M5"]),  # M5 TP
]


def test_evaluate_command(cli, tmp_path: Path, capsys) -> None:
    gold = write(tmp_path / "gold.jsonl", [json.dumps({"id": i, "text": t, "codes": c}, ensure_ascii=False)
                                           for i, (t, c) in enumerate(CLI_GOLD)])
    assert cli(["evaluate", "--gold", str(gold), "--codebook", str(REAL), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {m["code"]: m for m in data["per_code"]}
    assert data["scope"] == ["F1", "M2", "M3", "M5"]
    assert [(rows[c]["tp"], rows[c]["fp"], rows[c]["fn"]) for c in data["scope"]] == [
        (1, 0, 0), (0, 0, 1), (1, 0, 0), (1, 1, 0)]
    assert rows["M2"]["precision"] is None and rows["M2"]["f1"] == 0 and rows["M2"]["kappa"] == 0
    assert data["macro_f1"] == pytest.approx((1 + 0 + 1 + 2 / 3) / 4)
    assert data["micro_f1"] == pytest.approx(6 / 8)
    assert (data["no_code_units"], data["no_code_with_suggestion"]) == (2, 1)
    assert data["version"].startswith("rules:1.0.0:")

    assert cli(["evaluate", "--gold", str(gold), "--codebook", str(REAL)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1 0.667" in out and "micro-F1 0.750" in out and "no-code units with a suggestion: 1 of 2" in out

    assert cli(["evaluate", "--gold", str(gold), "--codebook", str(REAL), "--codes", "F1,M5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scope"] == ["F1", "M5"]
    assert cli(["evaluate", "--gold", str(gold), "--codebook", str(REAL), "--codes", "F1,Q7"]) == 2
    assert "unknown code(s) Q7" in capsys.readouterr().err


def test_evaluate_command_bad_gold(cli, tmp_path: Path, capsys) -> None:
    gold = write(tmp_path / "gold.jsonl", [GOOD_LINE, '{"id": 2, "text": "x", "codes": ["F9"]}'])
    assert cli(["evaluate", "--gold", str(gold), "--codebook", str(REAL)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{gold}:2: codes: unknown code 'F9'" in err


def test_train_on_several_gold_files_then_evaluate_with_the_model(cli, tmp_path: Path, capsys) -> None:
    pytest.importorskip("coding.model")
    lines = [("副区长包案以后这事就有了主心骨。", ["F1"]), ("领导接手了这个积案。", ["F1"]),
             ("成立工作专班逐案会商。", ["M3"]), ("各部门坐在一起商量方案。", ["M3"]),
             ("今天天气很好。", []), ("我们去吃饭吧。", [])]
    files = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"id": f"{name}{i}", "text": t, "codes": c}, ensure_ascii=False) + "\n"
                                for i, (t, c) in enumerate(lines * 2)), encoding="utf-8")
        files.append(path)
    argv = ["train", "--gold", str(files[0]), "--gold", str(files[1]), "--codebook", str(REAL),
            "--out", str(tmp_path / "model"), "--folds", "2", "--json"]
    assert cli(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_examples"] == 24 and set(result["labels"]) == {"F1", "M3"}
    assert cli(["evaluate", "--gold", str(files[0]), "--codebook", str(REAL), "--model", str(tmp_path / "model"),
                "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["units"] == 12
    # the same file twice: ids repeat across the files
    assert cli([*argv[:3], "--gold", str(files[0]), *argv[5:]]) == 2
    assert "more than one gold file" in capsys.readouterr().err


def test_gold_files_read_together_refuse_an_id_in_two_files(codebook, tmp_path: Path) -> None:
    from coding.evaluate import load_gold_files

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text('{"id": "x1", "text": "甲", "codes": []}\n{"id": "x2", "text": "乙", "codes": ["F1"]}\n',
                 encoding="utf-8")
    b.write_text('{"id": "y1", "text": "丙", "codes": []}\n\n{"id": "x2", "text": "丁", "codes": []}\n',
                 encoding="utf-8")
    assert [u.id for u in load_gold_files([a], codebook)] == ["x1", "x2"]
    with pytest.raises(BaolianError, match=r"more than one gold file \(first in .*a\.jsonl line 2\)") as err:
        load_gold_files([a, b], codebook)
    assert (err.value.file, err.value.line, err.value.field) == (str(b), 3, "id")
