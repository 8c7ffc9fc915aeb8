"""CLI `baolian variables`: list, set, rename, import a spreadsheet, and `analysis freq --by var:NAME`."""

from __future__ import annotations

import json

from .conftest import CORPUS
from .test_cli import cli_project, run  # noqa: F401  (fixture)


def test_variables_set_rename_import_and_group_by(cli_project, capsys, tmp_path):  # noqa: F811
    p = str(cli_project)
    assert run(capsys, "import", str(CORPUS / "interviews"), "--project", p)[0] == 0
    assert run(capsys, "code", "--project", p)[0] == 0  # suggestions to count
    code, out, err = run(capsys, "--user", "ann", "variables", "set", "1", "街道", "X街道", "--project", p)
    assert code == 0 and "街道 = 'X街道'" in out, err
    table = tmp_path / "vars.csv"
    table.write_text("filename,街道,年份\ni02_zym_bureau_party_member.txt,Y街道,2020\n", encoding="utf-8")
    code, out, err = run(capsys, "--user", "ann", "variables", "import", str(table), "--project", p)
    assert code == 0 and "1 documents changed" in out, err
    code, out, err = run(capsys, "--user", "ann", "variables", "rename", "街道", "街道办", "--project", p)
    assert code == 0 and "(2 documents)" in out, err
    code, out, _ = run(capsys, "variables", "--json", "--project", p)
    rows = {r["document_id"]: r for r in json.loads(out)}
    assert (rows[1]["街道办"], rows[1]["年份"], rows[2]["街道办"], rows[2]["年份"]) == ("X街道", None, "Y街道", "2020")
    code, out, err = run(capsys, "analysis", "freq", "--by", "var:街道办", "--suggested", "--json", "--project", p)
    assert code == 0, err
    assert {r["var:街道办"] for r in json.loads(out)["rows"]} == {"X街道", "Y街道", "—"}
    code, out, err = run(capsys, "analysis", "freq", "--by", "document", "--suggested", "--where", "街道办=Y街道",
                         "--json", "--project", p)
    assert code == 0, err
    result = json.loads(out)
    assert result["documents"] == [2] and {r["document"] for r in result["rows"]} == {rows[2]["document"]}
    code, out, err = run(capsys, "analysis", "kwic", "上门", "--where", "街道办=X街道,Y街道", "--json", "--project", p)
    assert code == 0 and {r["document_id"] for r in json.loads(out)["rows"]} <= {1, 2}, err


def test_variables_bad_input(cli_project, capsys, tmp_path):  # noqa: F811
    p = str(cli_project)
    assert run(capsys, "import", str(CORPUS / "interviews"), "--project", p)[0] == 0
    code, _, err = run(capsys, "--user", "ann", "variables", "set", "1", "date", "2020", "--project", p)
    assert code == 2 and "built-in field" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("filename,街道\nnope.txt,X\n", encoding="utf-8")
    code, _, err = run(capsys, "--user", "ann", "variables", "import", str(bad), "--project", p)
    assert code == 2 and "bad.csv:2: filename: no document 'nope.txt'" in err
    code, _, err = run(capsys, "analysis", "freq", "--by", "var:街道", "--project", p)
    assert code == 2 and "cannot group by 'var:街道'" in err


def test_variables_type_and_compare(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    assert run(capsys, "import", str(CORPUS / "interviews"), "--project", p)[0] == 0
    for doc, age in (("1", "９"), ("2", "60"), ("3", "100")):
        assert run(capsys, "--user", "ann", "variables", "set", doc, "年龄", age, "--project", p)[0] == 0
    code, out, err = run(capsys, "--user", "ann", "variables", "type", "年龄", "integer", "--project", p)
    assert code == 0 and "整数" in out and "(1 values rewritten)" in out, err  # ９ → 9
    code, out, _ = run(capsys, "variables", "--project", p)
    assert "年龄 (integer)" in out
    code, out, _ = run(capsys, "variables", "--json", "--project", p)
    assert {r["document_id"]: r["年龄"] for r in json.loads(out)}.items() >= {1: 9, 2: 60, 3: 100}.items()
    code, out, err = run(capsys, "analysis", "freq", "--by", "document", "--where", "年龄>=60", "--json",
                         "--project", p)
    assert code == 0 and json.loads(out)["documents"] == [2, 3], err  # 9 < 60 although "9" > "60" as text
    code, _, err = run(capsys, "analysis", "freq", "--where", "kind>=1", "--project", p)
    assert code != 0 and "'kind' is a text variable" in err and "Traceback" not in err
    code, _, err = run(capsys, "--user", "ann", "variables", "type", "年龄", "number", "--project", p)
    assert code != 0 and "unknown variable type 'number'" in err and "Traceback" not in err
    code, _, err = run(capsys, "--user", "ann", "variables", "set", "1", "年龄", "九岁", "--project", p)
    assert code != 0 and "not a whole number" in err
