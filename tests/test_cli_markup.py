"""CLI output holds document titles, segments, names and memos: text like ``[/oops]`` or ``[bold]`` is printed as
written, never read as rich markup (which dropped it, or failed with a MarkupError) (SQLite, or PostgreSQL with
--db=postgresql)."""

from __future__ import annotations

from .test_cli import cli_project, run  # noqa: F401  (fixture)

TEXT = "访谈者：[/oops] 包联领导[bold]上门[/bold]了。\n\n受访者：[red]好[/red]，一人一策。\n"


def test_markup_in_documents_is_printed_as_written(cli_project, capsys, tmp_path):  # noqa: F811
    p = str(cli_project)
    source = tmp_path / "[red]访谈[b].txt"
    source.write_text(TEXT, encoding="utf-8")
    code, out, err = run(capsys, "import", str(source), "--project", p)
    assert code == 0 and "[red]访谈[b].txt" in out, err
    for args, shown in ((("documents",), "[red]访谈[b]"),
                        (("segments", "1"), "[/oops] 包联领导[bold]上门[/bold]了。"),
                        (("search", "上门"), "[/oops] 包联领导[bold]上门[/bold]了。"),
                        (("analysis", "kwic", "上门", "--width", "12"), "[bold]"),
                        (("--user", "ann", "memo", "add", "[/memo] 注意 [i]", "--document", "1"), "memo #"),
                        (("memo", "list"), "[/memo] 注意 [i]")):
        code, out, err = run(capsys, *args, "--project", p)
        assert code == 0 and shown in out, (args, out, err)
        assert "MarkupError" not in err and "\\[" not in out, (args, out)
