"""CLI `baolian summary`: write, change and remove a summary as --user, see it in the grid and the summary table,
and take it back with `baolian undo` (SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import json

from .conftest import CORPUS
from .test_cli import cli_project, run  # noqa: F401  (fixture)


def test_summary_set_grid_table_and_undo(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    code, _, err = run(capsys, "import", str(CORPUS / "interviews"), "--project", p)
    assert code == 0, err
    code, _, err = run(capsys, "--user", "ann", "search", "一人一策", "--code", "M5", "--apply", "--project", p)
    assert code == 0, err
    code, out, err = run(capsys, "--user", "ann", "summary", "grid", "M5", "--project", p, "--json")
    grid = json.loads(out)
    assert code == 0 and grid and all(r["segments"] > 0 and "一人一策" in r["coded_text"] for r in grid), err
    doc = grid[0]["document_id"]
    code, out, err = run(capsys, "--user", "ann", "summary", "set", "M5", str(doc), "一户一策：先就业后救助", "--project", p)
    assert code == 0 and "added" in out, err
    code, out, _ = run(capsys, "--user", "ann", "summary", "set", "M5", str(doc), "一户一策", "--project", p)
    assert "changed" in out
    code, out, _ = run(capsys, "--user", "bob", "summary", "set", "M5", str(doc), "同意", "--project", p)
    code, out, _ = run(capsys, "--user", "ann", "summary", "grid", "M5", "--project", p, "--json")
    row = next(r for r in json.loads(out) if r["document_id"] == doc)
    assert (row["summary"], row["others"]) == ("一户一策", "bob: 同意")
    code, out, _ = run(capsys, "summary", "table", "--project", p, "--json")
    (only,) = json.loads(out)
    assert only["document_id"] == doc and only["M5"] == "ann: 一户一策\nbob: 同意"
    code, out, _ = run(capsys, "summary", "table", "--codes", "F1", "--project", p)
    assert "no summaries yet" in out
    code, out, err = run(capsys, "--user", "ann", "undo", "--project", p)
    assert code == 0 and "edited a memo" in out, err
    code, out, _ = run(capsys, "--user", "ann", "summary", "grid", "M5", "--project", p, "--json")
    assert next(r for r in json.loads(out) if r["document_id"] == doc)["summary"] == "一户一策：先就业后救助"
    code, out, _ = run(capsys, "--user", "ann", "summary", "set", "M5", str(doc), "", "--project", p)
    assert "removed" in out
    code, out, _ = run(capsys, "memo", "list", "--project", p, "--json")
    assert [m["text"] for m in json.loads(out)] == ["同意"]


def test_summary_refuses_bad_input(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    for args, words in ((("summary", "set", "M5", "1", "x"), "needs a coder name"),
                        (("summary", "grid", "X9"), "unknown code 'X9'"),
                        (("--user", "ann", "summary", "set", "X9", "1", "x"), "no document"),
                        (("--user", "ann", "summary", "set", "M5", "nope", "x"), "no document")):
        code, _, err = run(capsys, *args, "--project", p)
        assert code == 2 and words in err, (args, err)
        assert "Traceback" not in err
