"""Tests for the `baolian annotate` contract (coding.annotate, coding.cli_coding) on the real codebook."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coding.annotate import DEFAULT_COMBINE, Annotator, annotate_block, annotate_file, combine, parse_line, parse_mode
from coding.corpus import collect
from coding.errors import BaolianError
from coding.annotate import _record
from coding.rules import compile_codebook, suggest_for_units

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "codebook.yaml"


@pytest.fixture(scope="module")
def cli():
    """`coding.cli.main`, with our commands registered when the lead's cli.py does not do it yet."""
    from coding import cli as module
    from coding.cli_coding import register

    names = {c.name or c.callback.__name__ for c in module.app.registered_commands}
    if "annotate" not in names:
        register(module.app)
    return module.main


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(compile_codebook(REAL))


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def read_out(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


GOOD = [
    {"id": "a", "text": "区里定了由LHY副区长包案，这事才算有了主心骨。成立工作专班，逐案会商研判。", "speaker": "x"},
    {"id": 2, "text": "今天天气很好。"},
    {"id": "c", "text": "这种小事用不着领导包案。"},
    {"id": "d", "text": "😀我们对三户实行一事一策，副区长上门面对面听他讲。"},
]


def test_annotate_contract(cli, tmp_path: Path, capsys) -> None:
    src = write_lines(tmp_path / "in.jsonl", [json.dumps(u, ensure_ascii=False) for u in GOOD])
    dst = tmp_path / "out.jsonl"
    cwd_codebook = ["--codebook", str(REAL)]
    assert cli(["annotate", "--in", str(src), "--out", str(dst), *cwd_codebook]) == 0
    raw = dst.read_text(encoding="utf-8")
    assert "副区长" in raw and "\\u" not in raw  # UTF-8, not ASCII escapes
    out = read_out(dst)
    assert [o["id"] for o in out] == ["a", 2, "c", "d"]
    assert all(set(o) == {"id", "codes"} for o in out)
    assert out[1]["codes"] == [] and out[2]["codes"] == []
    first = out[0]["codes"]
    assert {c["code"] for c in first} >= {"F1", "M3"}
    for o, unit in zip(out, GOOD):
        keys = [(-c["score"], c["code"]) for c in o["codes"]]
        assert keys == sorted(keys)
        for c in o["codes"]:
            assert set(c) == {"code", "score", "origin", "evidence"} and c["origin"] == "rule"
            assert 0 < c["score"] <= 1 and c["evidence"]
            for e in c["evidence"]:
                assert set(e) == {"start", "end", "text", "rule"}
                assert unit["text"][e["start"]:e["end"]] == e["text"]
    assert {c["code"] for c in out[3]["codes"]} >= {"M5", "M2"}
    assert "4 units annotated" in capsys.readouterr().out


def test_malformed_lines_are_reported_and_skipped(cli, tmp_path: Path, capsys) -> None:
    lines = [
        json.dumps(GOOD[0], ensure_ascii=False),  # 1
        "{not json",  # 2
        "[1, 2]",  # 3
        '{"text": "没有编号"}',  # 4
        '{"id": 5}',  # 5
        '{"id": 6, "text": 7}',  # 6
        "",  # 7: blank, ignored
        '{"id": null, "text": "x"}',  # 8
        '{"id": 9, "text": "\\ud800"}',  # 9: lone surrogate
        json.dumps(GOOD[2], ensure_ascii=False),  # 10
    ]
    src = write_lines(tmp_path / "in.jsonl", lines)
    dst = tmp_path / "out.jsonl"
    assert cli(["annotate", "--in", str(src), "--out", str(dst), "--codebook", str(REAL)]) == 1
    assert [o["id"] for o in read_out(dst)] == ["a", "c"]
    err = capsys.readouterr().err
    for number, words in [(2, "bad JSON"), (3, "not a JSON object"), (4, 'missing "id"'), (5, 'missing "text"'),
                          (6, '"text" must be a string'), (8, '"id" must be a string or an integer'),
                          (9, "contains invalid Unicode (a lone surrogate")]:
        assert f"in.jsonl:{number}: skipped: {words}" in err
    assert ":7:" not in err and ":1:" not in err and ":10:" not in err
    assert "7 malformed line(s) skipped" in err


def test_bom_crlf_and_non_utf8_lines(tmp_path: Path, annotator: Annotator) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD[2], ensure_ascii=False).encode() + b"\r\n"
                    + b'{"id": 1, "text": "\xff\xfe"}\r\n' + json.dumps(GOOD[0]).encode() + b"\r\n")
    report = annotate_file(src, tmp_path / "out.jsonl", annotator)
    assert [o["id"] for o in read_out(tmp_path / "out.jsonl")] == ["c", "a"]
    assert [(s.line, s.reason.split(" (")[0]) for s in report.skipped] == [(2, "not UTF-8 text")]
    assert (report.lines, report.annotated) == (3, 2)


def test_bad_codebook_and_usage_exit_2(cli, tmp_path: Path, capsys) -> None:
    src = write_lines(tmp_path / "in.jsonl", [json.dumps(GOOD[0], ensure_ascii=False)])
    bad = tmp_path / "bad.yaml"
    text = REAL.read_text(encoding="utf-8").replace("'@领导'", "'@领导们'", 1)
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "@领导们" in row)
    assert cli(["annotate", "--in", str(src), "--out", str(tmp_path / "o.jsonl"), "--codebook", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{bad}:{line}: codes[" in err and ".rules[" in err and "unknown concept '@领导们'" in err
    assert not (tmp_path / "o.jsonl").exists()

    assert cli(["annotate", "--in", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl"),
                "--codebook", str(REAL)]) == 2
    assert "nope.jsonl: cannot read the input" in capsys.readouterr().err
    assert cli(["annotate", "--in", str(src), "--out", str(tmp_path / "o.jsonl"), "--codebook", str(REAL),
                "--combine", "mean"]) == 2
    assert "needs a model" in capsys.readouterr().err



@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("any: [领导重视]", "any: []", ".any", "empty term list"),
    ("any: [领导重视]", "any: ['@上级领导']", ".any[0]", "unknown concept '@上级领导'"),
    ("- '往后(排|放)'", "- '往后(排|放'", ".regex[1]", "does not compile"),
])
def test_bad_rules_stop_annotate_with_one_line(cli, tmp_path: Path, capsys, old: str, new: str, field: str,
                                               words: str) -> None:
    text = REAL.read_text(encoding="utf-8")
    assert text.count(old) == 1
    text = text.replace(old, new)
    bad = tmp_path / "codebook.yaml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if new in row)
    src = write_lines(tmp_path / "in.jsonl", [json.dumps(GOOD[0], ensure_ascii=False)])
    assert cli(["annotate", "--in", str(src), "--out", str(tmp_path / "o.jsonl"), "--codebook", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
    assert re.search(rf"{re.escape(str(bad))}:{line}: codes\[\d+\]\.rules\[\d+\]{re.escape(field)}: ", err), err


def test_usage_error_exits_2(cli, tmp_path: Path, capsys) -> None:
    src = write_lines(tmp_path / "in.jsonl", [json.dumps(GOOD[0], ensure_ascii=False)])
    assert cli(["annotate", "--in", str(src), "--codebook", str(REAL)]) == 2  # --out missing
    assert "--out" in capsys.readouterr().err


def test_rule_score_option(cli, tmp_path: Path, capsys) -> None:
    src = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": 1, "text": "成立工作专班，逐案会商研判。"},
                                                         ensure_ascii=False)])
    args = ["annotate", "--in", str(src), "--out", str(tmp_path / "o.jsonl"), "--codebook", str(REAL)]
    assert cli(args) == 0
    (m3,) = [c for c in read_out(tmp_path / "o.jsonl")[0]["codes"] if c["code"] == "M3"]
    assert m3["score"] == 0.9 and {e["rule"] for e in m3["evidence"]} == {
        "task-force-terms", "departments-deliberate-together"}  # weights 0.9 and 0.8
    assert cli([*args, "--rule-score", "noisy_or"]) == 0
    (m3,) = [c for c in read_out(tmp_path / "o.jsonl")[0]["codes"] if c["code"] == "M3"]
    assert m3["score"] == pytest.approx(1 - 0.1 * 0.2)
    assert ":noisy_or)" in capsys.readouterr().out
    assert cli([*args, "--rule-score", "sum"]) == 2
    assert "unknown score mode 'sum'" in capsys.readouterr().err


def test_default_codebook_is_the_one_in_the_working_folder(cli, tmp_path: Path, monkeypatch) -> None:
    write_lines(tmp_path / "in.jsonl", [json.dumps(GOOD[2], ensure_ascii=False)])
    monkeypatch.chdir(tmp_path)
    assert cli(["annotate", "--in", "in.jsonl", "--out", "out.jsonl"]) == 2  # no ./codebook.yaml here
    (tmp_path / "codebook.yaml").write_text(REAL.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli(["annotate", "--in", "in.jsonl", "--out", "out.jsonl"]) == 0
    assert read_out(tmp_path / "out.jsonl") == [{"id": "c", "codes": []}]


def test_parallel_run_equals_single_process(tmp_path: Path, annotator: Annotator) -> None:
    docs, _ = collect([ROOT / "corpus" / "interviews"])
    texts = [line for d in docs for line in d.text.split("\n") if line.strip()]
    lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(texts)]
    lines[5] = "{broken"
    lines[-3] = '{"id": []}'
    src = write_lines(tmp_path / "in.jsonl", lines)
    one = annotate_file(src, tmp_path / "one.jsonl", annotator, workers=1)
    two = annotate_file(src, tmp_path / "two.jsonl", annotator, workers=2, chunk_chars=2000, parallel_min_bytes=0)
    assert (one.workers, two.workers) == (1, 2)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert [s.line for s in two.skipped] == [s.line for s in one.skipped] == [6, len(lines) - 2]
    assert two.annotated == len(lines) - 2 and two.chars == one.chars


# -- combining rules with a model ----------------------------------------------------------------


def test_combine_modes() -> None:
    rules, model = {"F1": 0.9, "M2": 0.6}, {"M2": 0.8, "M3": 0.4}
    assert combine(rules, model, "rules") == rules
    assert combine(rules, model, "model") == model
    assert combine(rules, model, "max") == {"F1": 0.9, "M2": 0.8, "M3": 0.4}
    assert combine(rules, model, "mean") == pytest.approx({"F1": 0.45, "M2": 0.7, "M3": 0.2})
    assert combine(rules, model, "weighted:0.75") == pytest.approx({"F1": 0.675, "M2": 0.65, "M3": 0.1})
    assert combine({}, {}, "max") == {}
    assert tuple(parse_mode("weighted:1")) == ("weighted", 1.0, 0.0)
    for bad in ("weighted:1.5", "weighted:x", "sum", "max:1.5", "max:x", "mean:0.5", "", "max:", "max:0.6:",
                "max:0.6:1.2", "max:0.6:0.1:0.1", "weighted:0.6:0.1"):
        with pytest.raises(BaolianError, match="combination mode"):
            combine(rules, model, bad)


def test_combine_max_with_a_model_only_minimum() -> None:
    rules, model = {"F1": 0.9, "M2": 0.6, "M4": 0.7}, {"M2": 0.8, "M3": 0.75, "M5": 0.85, "M4": 0.1}
    # a rule hit keeps max(rule, model) whatever the model says; a model-only code needs >= 0.8
    assert combine(rules, model, "max:0.8") == {"F1": 0.9, "M2": 0.8, "M3": 0.0, "M4": 0.7, "M5": 0.85}
    assert combine(rules, model, "max:0") == combine(rules, model, "max")
    assert combine(rules, model, "max:1") == {"F1": 0.9, "M2": 0.8, "M3": 0.0, "M4": 0.7, "M5": 0.0}
    assert tuple(parse_mode("max:0.8")) == ("max", 0.8, 0.0) and tuple(parse_mode("max")) == ("max", 0.0, 0.0)


def test_combine_max_with_rule_support() -> None:
    rules, model = {"F1": 0.9, "M2": 0.6, "M4": 0.7}, {"M2": 0.8, "M3": 0.75, "M5": 0.85, "M4": 0.05}
    # a rule hit needs a model score of at least 0.1: M4's rule (model 0.05) and F1's (no model score) drop
    assert combine(rules, model, "max:0.8:0.1") == {"F1": 0.0, "M2": 0.8, "M3": 0.0, "M4": 0.0, "M5": 0.85}
    assert combine(rules, model, "max:0.8:0") == combine(rules, model, "max:0.8")
    assert combine(rules, {**model, "M4": 0.1}, "max:0.8:0.1")["M4"] == 0.7  # at the support: kept
    assert parse_mode("max:0.6:0.1") == ("max", 0.6, 0.1)
    assert DEFAULT_COMBINE == "max:0.7:0.05"


class _FixedModel:
    """A stand-in with fixed scores (thresholds 0.5, so the scores are used as they are)."""

    labels, thresholds, version = ["F1", "M3", "M4"], {}, "fixed"

    def __init__(self, scores: list[dict[str, float]]) -> None:
        self.scores = scores

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        assert len(texts) == len(self.scores)
        return self.scores


def test_default_combination_needs_a_confident_model_without_a_rule() -> None:
    compiled = compile_codebook(REAL)
    texts = ["今天天气很好。", "我们去吃饭吧。", "成立工作专班逐案会商研判。", "成立工作专班逐案会商研判。"]
    model = _FixedModel([{"F1": 0.55}, {"F1": 0.9}, {"M3": 0.05}, {"M3": 0.01}])
    plain = Annotator(compiled, model, "max").codes_for(texts)
    default = Annotator(compiled, model).codes_for(texts)
    assert Annotator(compiled, model).mode == DEFAULT_COMBINE
    assert [[r["code"] for r in recs] for recs in plain][:2] == [["F1"], ["F1"]]
    assert [[r["code"] for r in recs] for recs in default][:2] == [[], ["F1"]]  # 0.55 alone is not enough
    # a rule hit stays where the model gives its code the support (0.05), with its evidence ...
    assert "M3" in {r["code"] for r in default[2]} and default[2][0]["origin"] == "rule"
    assert default[2] == plain[2]
    # ... and is dropped where the model finds nothing like the code (0.01 < 0.05)
    assert "M3" in {r["code"] for r in plain[3]} and "M3" not in {r["code"] for r in default[3]}


def test_parse_line() -> None:
    assert parse_line('{"id": "x", "text": "甲", "other": 1}') == ("x", "甲")
    assert parse_line(b'{"id": 3, "text": ""}') == (3, "")
    for bad in ('{"id": true, "text": "x"}', '{"id": 1.5, "text": "x"}', "null", '"text"'):
        with pytest.raises(ValueError):
            parse_line(bad)


def test_annotate_with_a_trained_model(cli, tmp_path: Path) -> None:
    model_module = pytest.importorskip("coding.model")
    examples = [model_module.Example(t, frozenset(c)) for t, c in [
        ("副区长包案以后这事就有了主心骨。", {"F1"}), ("领导接手了这个积案。", {"F1"}),
        ("成立工作专班逐案会商。", {"M3"}), ("各部门坐在一起商量方案。", {"M3"}),
        ("给他安排了公益岗位。", {"M4"}), ("民政局给他办了低保。", {"M4"}),
        ("今天天气很好。", set()), ("我们去吃饭吧。", set()),
    ] * 4]
    # thresholds 0.5 (no class weighting), so the model's scores below are its raw probabilities
    model = model_module.train(examples, ["F1", "M3", "M4"], epochs=10, class_weight="none")
    model.save(tmp_path / "model")
    compiled = compile_codebook(REAL)
    loaded = model_module.load_model(tmp_path / "model")
    texts = ["成立工作专班逐案会商研判。", "今天天气很好。", "各部门坐在一起商量方案。", "协调人社局给他安排了公益岗位，又落实了低保。"]
    rules_only = Annotator(compiled).codes_for(texts)
    assert "M4.2" in {r["code"] for r in rules_only[3]}  # the rules speak of the sub-code
    model_only = Annotator(compiled, loaded, "model", threshold=0.5).codes_for(texts)
    mixed = Annotator(compiled, loaded, "max").codes_for(texts)
    probs = loaded.predict(texts)
    for recs, p in zip(model_only, probs):
        assert {r["code"] for r in recs} == {c for c, v in p.items() if v >= 0.5}
        assert all(r["origin"] == "model" and r["evidence"] == [] for r in recs)
    # max: every rule suggestion stays (rule weights >= 0.5) with its evidence and origin "rule";
    # M4.2 counts for M4, the model's label
    for recs, rule_recs, p in zip(mixed, rules_only, probs):
        by_code = {r["code"]: r for r in recs}
        for r in rule_recs:
            code = "M4" if r["code"] == "M4.2" else r["code"]
            assert by_code[code]["origin"] == "rule" and r["evidence"][0] in by_code[code]["evidence"]
            assert by_code[code]["score"] >= round(max(r["score"], p.get(code, 0.0)), 4)
    assert "M4.2" not in {r["code"] for r in mixed[3]}
    # mode "model" without --threshold uses the model's per-code thresholds
    loaded.meta["thresholds"]["M3"] = 1.0
    assert all(r["code"] != "M3" for recs in Annotator(compiled, loaded, "model").codes_for(texts) for r in recs)
    loaded.meta["thresholds"]["M3"] = 0.5  # back to the saved model (the file run below reloads it)
    src = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": i, "text": t}, ensure_ascii=False)
                                              for i, t in enumerate(texts)])
    report = annotate_file(src, tmp_path / "out.jsonl", Annotator(compiled, loaded, "mean"))
    assert report.annotated == 4
    assert [o["codes"] for o in read_out(tmp_path / "out.jsonl")] == Annotator(compiled, loaded, "mean").codes_for(texts)
    assert cli(["annotate", "--in", str(src), "--out", str(tmp_path / "cli.jsonl"), "--codebook", str(REAL),
                "--model", str(tmp_path / "model"), "--combine", "weighted:0.5"]) == 0
    assert read_out(tmp_path / "cli.jsonl") == read_out(tmp_path / "out.jsonl")  # mean == weighted:0.5
    assert cli(["annotate", "--in", str(src), "--out", str(tmp_path / "x.jsonl"), "--codebook", str(REAL),
                "--model", str(tmp_path / "nothing-here")]) == 2


def test_rules_only_lines_are_exactly_json_dumps(annotator: Annotator) -> None:
    # the rules-only output is written without json.dumps (faster); it must be byte for byte the same
    docs, _ = collect([ROOT / "corpus"])
    texts = [p for d in docs for p in d.text.split("\n") if p.strip()][:300]
    texts += ['区里"领导"包案\\，\t副区长\u0001包案。', "领导包案\u2028成立工作专班。😀副区长包案"]
    ids = [i if i % 3 else f'id"{i}\\\n' for i in range(len(texts))] + [2**70]
    texts.append("副区长包案")
    block = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in zip(ids, texts)).encode()
    out, skipped, written, chars = annotate_block(annotator, 1, block)
    expected = "".join(json.dumps({"id": i, "codes": c}, ensure_ascii=False) + "\n"
                       for i, c in zip(ids, annotator.codes_for(texts)))
    assert (skipped, written, chars) == ([], len(texts), sum(map(len, texts)))
    assert out == expected
    assert sum(1 for line in out.splitlines() if json.loads(line)["codes"]) > 50
    # and the records equal those made from the Suggestion objects
    slow = [[_record(s.code, s.score, "rule", s.evidence) for s in sug]
            for sug in suggest_for_units(texts, annotator.compiled)]
    assert annotator.codes_for(texts) == slow


def test_fast_block_parsing_equals_parse_line_per_line() -> None:
    """_parse_block's fast path (one C scanner call per line) gives what parse_line gives, line by line."""
    from coding.annotate import Skipped, _parse_block

    lines = [
        '\ufeff{"id": 1, "text": "第一行"}', '{"id": "a", "text": "好"}', '', '   ', '\u3000',
        '{"id": true, "text": "x"}', '{"id": 1.5, "text": "x"}', '{"id": null, "text": "x"}', '{"text": "x"}',
        '{"id": 2}', '{"id": 3, "text": 4}', '{"id": 4, "text": "\\ud800"}', '{"id": "\\udc00", "text": "x"}',
        '{"id": 5, "text": "\\u597d"}', '{"id": 6, "text": "a"} ', ' {"id": 7, "text": "a"}',
        '{"id": 8, "text": "a"}, {"id": 9', '"text": "b"}', '{"id": 10, "text": "a", "id": 11}',
        '{"id": 12, "text": "a"}}', '[1, 2]', '{"id": 13, "text": "a\\nb", "x": {"y": [1, {}]}}',
        '{"id": 14, "text": "a"}\r', '{"id": 15, "text": "a"', '{}', '{"id": 16, "text": "a"}\x0c',
    ]
    block = "\n".join(lines).encode() + b"\n" + b'{"id": 17, "text": "\xff"}\n'
    for data in (block, block.replace(b"\xff", b"ok")):  # with a non-UTF-8 line, and without
        expected_good, expected_skipped = [], []
        for number, raw in enumerate(data.split(b"\n"), start=1):
            raw = raw[3:] if number == 1 and raw.startswith(b"\xef\xbb\xbf") else raw
            if raw.strip():
                try:
                    expected_good.append(parse_line(raw))
                except ValueError as err:
                    expected_skipped.append(Skipped(number, str(err)))
        good, skipped = _parse_block(1, data)
        assert [(type(u), u, t) for u, t in good] == [(type(u), u, t) for u, t in expected_good]
        assert skipped == expected_skipped
        assert len(good) >= 8 and len(skipped) >= 12
