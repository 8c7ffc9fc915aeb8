"""CLI `baolian search`: passages by whole words, listed as a table or JSON, coded with --code --apply as --user,
and taken back by one `baolian undo` (SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import json

from .conftest import CORPUS
from .test_cli import cli_project, run  # noqa: F401  (fixture)


def test_search_list_code_and_undo(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    code, _, err = run(capsys, "import", str(CORPUS / "interviews"), "--project", p)
    assert code == 0, err
    code, out, err = run(capsys, "search", "上门", "面对面", "--project", p, "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found and all(("上门" in f["text"]) or ("面对面" in f["text"]) for f in found)
    assert {f["terms"] for f in found} <= {"上门", "面对面", "上门、面对面", "面对面、上门"}
    code, out, err = run(capsys, "search", "包联", "--unit", "hit", "--project", p)
    assert code == 0 and " passages, " in out, err
    code, out, err = run(capsys, "search", "包联", "--inside", "--unit", "hit", "--project", p, "--json")
    inside = json.loads(out)
    assert code == 0 and len(inside) > 5 and {f["text"] for f in inside} == {"包联"}, err
    code, out, err = run(capsys, "search", "上门", "区长", "--all", "--project", p, "--json")
    both = json.loads(out)
    assert code == 0 and both and all("上门" in f["text"] and "区长" in f["text"] for f in both), err

    code, _, err = run(capsys, "search", "上门", "--code", "M4", "--apply", "--project", p)
    assert code == 2 and "coder name" in err
    code, out, err = run(capsys, "--user", "ann", "search", "上门", "面对面", "--code", "M4", "--apply", "--project", p)
    assert code == 0 and f"coded {len(found)} passages → M4" in out, err
    code, out, _ = run(capsys, "--user", "ann", "search", "上门", "面对面", "--code", "M4", "--project", p, "--json")
    assert all(f["coded"] for f in json.loads(out))
    code, out, err = run(capsys, "--user", "ann", "search", "上门", "面对面", "--code", "M4", "--apply", "--project", p)
    assert code == 0 and f"coded 0 passages → M4 ({len(found)} already coded)" in out, err
    code, out, err = run(capsys, "--user", "ann", "undo", "--project", p)
    assert code == 0 and f"×{len(found)}" in out, err
    code, out, _ = run(capsys, "--user", "ann", "search", "上门", "面对面", "--code", "M4", "--project", p, "--json")
    assert not any(f["coded"] for f in json.loads(out))


def test_search_refuses_bad_input(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    code, _, err = run(capsys, "search", "包联", "--apply", "--project", p)
    assert code == 2 and "--apply needs --code" in err
    code, _, err = run(capsys, "search", "、", "--project", p)
    assert code == 2 and "the search is empty" in err
    code, _, err = run(capsys, "search", "包联", "--unit", "chapter", "--project", p)
    assert code == 2 and "unknown unit" in err
