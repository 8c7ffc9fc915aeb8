"""CLI `baolian link`: add (by span or by segment number), list, remove, undo, and bad passages."""

from __future__ import annotations

import json

from .conftest import CORPUS
from .test_cli import cli_project, run  # noqa: F401  (fixture)


def test_link_add_list_remove_undo(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    assert run(capsys, "import", str(CORPUS / "interviews"), "--project", p)[0] == 0
    code, out, err = run(capsys, "--user", "ann", "link", "add", "1:10-20", "2:sentence:3", "--label", "矛盾",
                         "--project", p)
    assert code == 0 and "link #1 saved" in out, err
    code, out, _ = run(capsys, "link", "list", "--json", "--project", p)
    (link,) = json.loads(out)
    code, seg_out, _ = run(capsys, "segments", "2", "--unit", "sentence", "--json", "--project", p)
    third = next(s for s in json.loads(seg_out) if s["index"] == 3)
    assert (link["source"]["document_id"], link["source"]["start"], link["source"]["end"]) == (1, 10, 20)
    assert (link["target"]["start"], link["target"]["end"], link["target"]["text"]) == (
        third["start"], third["end"], third["text"][:120] if len(third["text"]) <= 120 else third["text"][:119] + "…")
    assert link["label"] == "矛盾" and link["coder"] == "ann"
    code, out, _ = run(capsys, "link", "list", "-d", "2", "--project", p)
    assert "1 links" in out and "矛盾" in out
    assert run(capsys, "--user", "ann", "link", "remove", "1", "--project", p)[0] == 0
    assert json.loads(run(capsys, "link", "list", "--json", "--project", p)[1]) == []
    code, out, _ = run(capsys, "--user", "ann", "undo", "--project", p)
    assert code == 0 and len(json.loads(run(capsys, "link", "list", "--json", "--project", p)[1])) == 1


def test_bad_passages_name_what_to_write(cli_project, capsys):  # noqa: F811
    p = str(cli_project)
    assert run(capsys, "import", str(CORPUS / "interviews"), "--project", p)[0] == 0
    code, _, err = run(capsys, "--user", "ann", "link", "add", "1:abc", "2:0-5", "--project", p)
    assert code == 2 and "cannot read the passage '1:abc'" in err and "DOC:START-END" in err
    code, _, err = run(capsys, "--user", "ann", "link", "add", "1:0-5", "2:sentence:9999", "--project", p)
    assert code == 2 and "has no sentence #9999" in err
    code, _, err = run(capsys, "--user", "ann", "link", "add", "1:0-99999", "2:0-5", "--project", p)
    assert code == 2 and "is not inside" in err and "Traceback" not in err
