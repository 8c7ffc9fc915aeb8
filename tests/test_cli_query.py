"""CLI `baolian query`: units with a combination of codes, listed as a table or JSON, coded with --code --apply as
--user, and taken back by one `baolian undo` (SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import json

from .conftest import CORPUS
from .test_cli import cli_project, run  # noqa: F401  (fixture)


def spans(rows):
    return {(r["document_id"], r["start"], r["end"]) for r in rows}


def test_query_list_code_and_undo(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    code, _, err = run(capsys, "import", str(CORPUS / "interviews"), "--manifest", str(CORPUS / "corpus.yaml"),
                       "--project", p)
    assert code == 0, err
    for word, key in (("上门", "M2"), ("区长", "M5")):
        code, _, err = run(capsys, "--user", "ann", "search", word, "--code", key, "--apply", "--project", p)
        assert code == 0, err
    code, out, err = run(capsys, "search", "上门", "区长", "--all", "--project", p, "--json")
    both_words = spans(json.loads(out))
    assert code == 0 and both_words, err
    code, out, err = run(capsys, "query", "M2", "M5", "--project", p, "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["query"] == "M2 AND M5 (sentence)" and found["status"] == ["accepted"]
    assert spans(found["rows"]) == both_words and {r["codes"] for r in found["rows"]} == {"M2、M5"}
    code, out, _ = run(capsys, "query", "M2", "M5", "--near", "1", "--project", p, "--json")
    near = json.loads(out)["rows"]
    assert spans(near) > both_words and {r["near"] for r in near} == {"", "M2", "M5"}
    code, out, _ = run(capsys, "query", "M2", "--not", "M5", "--project", p, "--json")
    only = json.loads(out)["rows"]
    assert only and all("上门" in r["text"] and "区长" not in r["text"] for r in only)
    code, out, _ = run(capsys, "query", "M2", "--role", "包联人", "--project", p, "--json")
    said = json.loads(out)
    assert said["query"] == "M2 (sentence, said by 包联人)" and {r["speaker_role"] for r in said["rows"]} == {"包联人"}
    code, out, err = run(capsys, "query", "M2", "M5", "--any", "--level", "paragraph", "--project", p)
    assert code == 0 and "M2 OR M5 (paragraph)" in out and " units" in out, err

    code, out, err = run(capsys, "--user", "bob", "query", "M2", "M5", "--code", "M1", "--apply", "--project", p)
    assert code == 0 and f"coded {len(both_words)} units → M1" in out, err
    code, out, _ = run(capsys, "--user", "bob", "query", "M2", "M5", "--code", "M1", "--project", p, "--json")
    assert all(r["coded"] for r in json.loads(out)["rows"])
    code, out, err = run(capsys, "--user", "bob", "undo", "--project", p)
    assert code == 0 and f"×{len(both_words)}" in out, err
    code, out, _ = run(capsys, "query", "M1", "--project", p, "--json")
    assert json.loads(out)["rows"] == []


def test_saved_queries(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    code, out, err = run(capsys, "--user", "ann", "query", "M2", "M5", "--near", "1", "--save", "上门与一事一策",
                         "--project", p)
    assert code == 0 and "已保存查询 saved: 上门与一事一策" in out, err
    code, out, _ = run(capsys, "query", "--list", "--project", p)
    assert "上门与一事一策: M2 AND M5 (sentence, near 1)" in out
    code, out, _ = run(capsys, "query", "--saved", "上门与一事一策", "--project", p, "--json")
    assert code == 0 and json.loads(out)["query"] == "M2 AND M5 (sentence, near 1)"
    code, _, err = run(capsys, "query", "--saved", "无此查询", "--project", p)
    assert code == 2 and "no saved query '无此查询'" in err and "上门与一事一策" in err
    code, _, err = run(capsys, "query", "M2", "--saved", "上门与一事一策", "--project", p)
    assert code == 2 and "not both" in err
    code, _, err = run(capsys, "query", "M2", "--save", "x", "--project", p)
    assert code == 2 and "needs a coder name" in err


def test_query_refuses_bad_input(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    for args, words in ((("M2", "--apply"), "--apply needs --code"), (("M2", "M9"), "unknown code M9"),
                        (("M2", "--not", "M2"), "both asked for and excluded"), (("M2", "--near", "-1"), "whole number"),
                        (("M2", "--level", "chapter"), "unknown level"),
                        (("M2", "--code", "M4", "--apply"), "coder name")):
        code, _, err = run(capsys, "query", *args, "--project", p)
        assert code == 2 and words in err, (args, err)
        assert "Traceback" not in err
