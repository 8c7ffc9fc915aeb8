"""`baolian analysis freq|matrix|cooc|kwic|words|chart` on the small hand-built project."""

from __future__ import annotations

import json

from coding.cli import main

from .test_analysis_tables import small  # noqa: F401  (the hand-built project fixture)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_freq_json_and_table(small, capsys):  # noqa: F811
    url = small["project"].url
    code, out, err = run(capsys, "analysis", "freq", "--by", "case", "--json", "--project", url)
    assert code == 0, err
    data = json.loads(out)
    assert data["by"] == "case" and data["status"] == ["accepted"] and data["layer"] == "coding"
    got = {(r["code"], r["case"]): r["segments"] for r in data["rows"]}
    assert got == {("M1", "C1"): 3, ("M1", "C2"): 2, ("M2", "C1"): 4, ("M2", "C2"): 2, ("M3", "C1"): 2,
                   ("M3", "C2"): 1}
    code, out, _ = run(capsys, "analysis", "freq", "--by", "none", "--final", "--json", "--project", url)
    assert [(r["code"], r["segments"]) for r in json.loads(out)["rows"]] == [("M4", 1)]
    code, out, _ = run(capsys, "analysis", "freq", "--coder", "bob", "--project", url)
    assert code == 0 and "编码频次" in out and "M3" in out


def test_matrix_and_cooc(small, capsys):  # noqa: F811
    url = small["project"].url
    code, out, err = run(capsys, "analysis", "matrix", "--json", "--project", url)
    assert code == 0, err
    data = json.loads(out)
    assert data["documents"] == ["访谈A", "政策B"]
    cells = {r["code"]: r["cells"] for r in data["rows"]}
    assert cells["M1"] == [2, 1] and cells["M2"] == [2, 2] and cells["M5"] == [0, 0]
    code, out, _ = run(capsys, "analysis", "matrix", "--project", url)
    assert code == 0 and "D1 = 访谈A" in out
    code, out, _ = run(capsys, "analysis", "cooc", "--level", "paragraph", "--json", "--project", url)
    rows = json.loads(out)["rows"]
    assert [(r["code_a"], r["code_b"], r["count"]) for r in rows] == [("M1", "M2", 2), ("M1", "M3", 2),
                                                                        ("M2", "M3", 2)]
    code, out, _ = run(capsys, "analysis", "cooc", "--square", "--jaccard", "--json", "--project", url)
    square = {r["code"]: r for r in json.loads(out)["rows"]}
    assert square["M1"]["M2"] == 0.4 and square["M3"]["M3"] == 1.0


def test_kwic_words_and_errors(small, capsys):  # noqa: F811
    url = small["project"].url
    code, out, err = run(capsys, "analysis", "kwic", "包联", "--json", "--project", url)
    assert code == 0, err
    assert [r["keyword"] for r in json.loads(out)["rows"]] == ["包联"] * 3
    code, out, _ = run(capsys, "analysis", "kwic", "--code", "M3", "--width", "2", "--project", url)
    assert code == 0 and "督办" in out
    code, out, _ = run(capsys, "analysis", "words", "--top", "1", "--json", "--project", url)
    assert [(r["word"], r["count"]) for r in json.loads(out)["rows"]] == [("包联", 3)]
    code, out, _ = run(capsys, "analysis", "words", "--stop", "包联", "--top", "1", "--json", "--project", url)
    assert json.loads(out)["rows"][0]["word"] == "包联领导"
    code, out, _ = run(capsys, "analysis", "keywords", "--by", "document", "--group", "访谈A", "--min-count", "1",
                       "--json", "--project", url)
    found = json.loads(out)
    assert found["group"] == "访谈A" and found["rows"][0]["word"] == "包联" and found["rows"][0]["count_rest"] == 0
    code, out, _ = run(capsys, "analysis", "keywords", "--by", "document", "--group", "访谈A", "--min-count", "1",
                       "--project", url)
    assert code == 0 and "特征词 Keywords of 访谈A" in out
    assert f" {format(found['rows'][0]['p'], '.2g')} " in out  # p with two significant digits (a tiny p is not 0.000)
    code, out, err = run(capsys, "analysis", "keywords", "--by", "document", "--group", "访谈A", "--against", "政策B",
                         "--min-count", "1", "--json", "--project", url)
    assert code == 0 and json.loads(out)["against"] == "政策B", err
    code, _, err = run(capsys, "analysis", "keywords", "--by", "document", "--group", "访谈A", "--against", "访谈A",
                       "--project", url)
    assert code == 2 and "cannot compare '访谈A' with '访谈A'" in err
    code, _, err = run(capsys, "analysis", "keywords", "--by", "document", "--group", "无此文档", "--project", url)
    assert code == 2 and "no words in group '无此文档'" in err and "访谈A" in err
    code, _, err = run(capsys, "analysis", "freq", "--by", "page", "--project", url)
    assert code == 2 and "cannot group by 'page'" in err and "Traceback" not in err
    code, _, err = run(capsys, "analysis", "kwic", "--project", url)
    assert code == 2 and "give a word or a code" in err


def test_chart_files(small, capsys, tmp_path):  # noqa: F811
    url = small["project"].url
    png, svg = tmp_path / "m.png", tmp_path / "c.svg"
    code, _, err = run(capsys, "analysis", "chart", "mechanisms", "--out", str(png), "--project", url)
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run(capsys, "analysis", "chart", "cooc", "--jaccard", "--out", str(svg), "--project", url)
    assert code == 0, err
    assert "<svg" in svg.read_text(encoding="utf-8")
    code, _, err = run(capsys, "analysis", "chart", "matrix", "--out", str(tmp_path / "x.gif"), "--project", url)
    assert code == 2 and ".png or .svg" in err


def test_a_blinded_user_counts_only_their_own_codings(project, capsys):
    """`baolian --user ann analysis …` in blind mode before adjudication: only ann's codings."""
    from .test_analysis_blind import make_blind

    url = make_blind(project).url
    code, out, err = run(capsys, "--user", "ann", "analysis", "freq", "--by", "coder", "--json", "--project", url)
    assert code == 0, err
    data = json.loads(out)
    assert {r["coder"] for r in data["rows"]} == {"ann"} and data["as_user"] == "ann"
    code, out, _ = run(capsys, "--user", "ann", "analysis", "freq", "--by", "coder", "--coder", "bob", "--json",
                       "--project", url)
    assert {r["coder"] for r in json.loads(out)["rows"]} == {"ann"}  # asking for bob's does not help
    code, out, _ = run(capsys, "analysis", "freq", "--by", "coder", "--json", "--project", url)
    assert {r["coder"] for r in json.loads(out)["rows"]} == {"ann", "bob"}  # nobody named: not blinded
