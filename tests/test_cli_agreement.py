"""`baolian agreement`: table with unit / N / coders, JSON, and clear refusals (exit 2)."""

from __future__ import annotations

import json

import pytest

from coding.cli import main
from coding.decisions import add_code

from .conftest import CODEBOOK


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def coded(new_location, tmp_path, capsys):
    location = str(new_location("agree"))
    (tmp_path / "a.txt").write_text("一二三。四五六。七八九。\n十一二。\n", encoding="utf-8")
    assert run(capsys, "init", "--project", location, "--codebook", str(CODEBOOK))[0] == 0
    assert run(capsys, "import", str(tmp_path / "a.txt"), "--project", location)[0] == 0
    from coding.project import Project

    p = Project.open(location)
    add_code(p, 1, 0, 2, "M1", coder="ann")
    add_code(p, 1, 5, 10, "M2", coder="ann")
    add_code(p, 1, 1, 3, "M1", coder="bob")
    add_code(p, 1, 13, 15, "M2", coder="bob")
    p.close()
    return location


def test_table_states_unit_units_and_coders(coded, capsys):
    code, out, err = run(capsys, "agreement", "--project", coded, "--codes", "M1,M2")
    assert code == 0, err
    assert "句子 sentence segments" in out and "N = 4" in out and "2 位编码员 coders: ann, bob" in out
    assert "Cohen κ" in out and "Krippendorff α" in out and "Fleiss κ" in out
    assert "-0.500" in out  # M2's κ
    assert "合并 pooled" in out and "平均 mean" in out
    code, out, err = run(capsys, "agreement", "-p", coded, "--unit", "char", "--coders", "ann,bob")
    assert code == 0, err
    assert "字符 code points" in out and "N = 17" in out
    assert "no variation" in out  # codes nobody used say why κ is missing


def test_json(coded, capsys):
    code, out, err = run(capsys, "agreement", "-p", coded, "--coders", "bob,ann", "--codes", "M2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["unit"] == "segment" and data["n_units"] == 4 and data["coders"] == ["bob", "ann"]
    (m2,) = data["codes"]
    assert m2["code"] == "M2" and m2["percent"] == 0.25 and m2["kappa"] == pytest.approx(-0.5)
    assert set(data["overall"]) == {"pooled", "mean"}


def test_refusals_exit_2(coded, capsys):
    code, out, err = run(capsys, "agreement", "-p", coded, "--coders", "ann")
    assert code == 2 and "at least two coders" in err and "Traceback" not in err
    code, out, err = run(capsys, "agreement", "-p", coded, "--coders", "ann,zoe")
    assert code == 2 and "zoe" in err
    code, out, err = run(capsys, "agreement", "-p", coded, "--unit", "word")
    assert code == 2 and "unknown unit" in err
    code, out, err = run(capsys, "agreement", "-p", coded, "--codes", "M1,X9")
    assert code == 2 and "X9" in err


def test_one_coder_only_in_the_project(new_location, tmp_path, capsys):
    location = str(new_location("solo"))
    (tmp_path / "a.txt").write_text("一二三。四五六。\n", encoding="utf-8")
    run(capsys, "init", "--project", location, "--codebook", str(CODEBOOK))
    run(capsys, "import", str(tmp_path / "a.txt"), "--project", location)
    from coding.project import Project

    p = Project.open(location)
    add_code(p, 1, 0, 2, "M1", coder="ann")
    p.close()
    code, out, err = run(capsys, "agreement", "-p", location)
    assert code == 2
    assert "at least two coders" in err and "only 'ann'" in err


def test_where_chooses_the_documents(coded, capsys):
    code, out, err = run(capsys, "agreement", "--project", coded, "--json", "--where", "kind=other")
    assert code == 0, err
    assert json.loads(out)["documents"] == [1]
    code, out, err = run(capsys, "agreement", "--project", coded, "--json", "--where", "kind=policy")
    assert code == 0 and json.loads(out)["documents"] == [], err
    code, _, err = run(capsys, "agreement", "--project", coded, "--where", "镇=X")
    assert code == 2 and "no variable '镇'" in err
