"""`baolian export FORMAT --out FILE`: every format written through the CLI, filters, and clear refusals."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from coding.cli import main

from .conftest import ROOT
from .test_exports import build_small


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def small(new_location, tmp_path_factory):
    return build_small(new_location("cli-export"), tmp_path_factory.mktemp("cli-export-src"))


def test_unknown_format_lists_the_formats(capsys, tmp_path):
    code, out, err = run(capsys, "export", "pdf", "--out", str(tmp_path / "x.pdf"))
    assert code == 2
    assert "unknown export format 'pdf'" in err and "csv, xlsx, docx, latex, md, qdc, qdpx" in err
    assert "Traceback" not in err and not (tmp_path / "x.pdf").exists()


def test_refuses_a_missing_folder(capsys, small, tmp_path):
    target = tmp_path / "no" / "such" / "t.xlsx"
    code, _, err = run(capsys, "export", "xlsx", "--out", str(target), "--project", small["location"])
    assert code == 2 and "does not exist" in err and "create the folder first" in err
    assert not target.parent.exists()


def test_csv_needs_a_zip_or_a_folder(capsys, small, tmp_path):
    code, _, err = run(capsys, "export", "csv", "--out", str(tmp_path / "t.csv"), "--project", small["location"])
    assert code == 2 and ".zip" in err and not (tmp_path / "t.csv").exists()


def test_bad_status_and_quotes(capsys, small, tmp_path):
    code, _, err = run(capsys, "export", "md", "--out", str(tmp_path / "t.md"), "--project", small["location"],
                       "--status", "approved")
    assert code == 2 and "unknown status 'approved'" in err
    code, _, err = run(capsys, "export", "md", "--out", str(tmp_path / "t.md"), "--project", small["location"],
                       "--quotes", "0")
    assert code == 2 and "--quotes" in err


def test_xlsx_with_filters(capsys, small, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "ann.xlsx"
    code, out, err = run(capsys, "export", "xlsx", "--out", str(target), "--project", small["location"],
                         "--coder", "ann", "--status", "accepted,suggested", "--quotes", "1")
    assert code == 0, err
    assert "exported xlsx" in out and str(target) in out
    book = load_workbook(target, read_only=True)
    meta = dict(list(book["metadata"].values)[1:])
    assert meta["coder"] == "ann" and meta["status"] == "accepted,suggested" and meta["quotes_per_code"] == "1"
    assert len(list(book["segments"].values)) == 1 + 3


@pytest.mark.parametrize("fmt, name, check", [
    ("csv", "t.zip", lambda path: "frequencies.csv" in zipfile.ZipFile(path).namelist()),
    ("docx", "t.docx", lambda path: zipfile.ZipFile(path).read("word/document.xml").count(b"<w:tbl>") == 4),
    ("latex", "t.tex", lambda path: r"\begin{longtable}" in path.read_text(encoding="utf-8")),
    ("md", "t.md", lambda path: "**表 1 编码频次统计**" in path.read_text(encoding="utf-8")),
    ("qdc", "t.qdc", lambda path: b"<CodeBook" in path.read_bytes()),
    ("qdpx", "t.qdpx", lambda path: "project.qde" in zipfile.ZipFile(path).namelist()),
])
def test_every_format(capsys, small, tmp_path, fmt, name, check):
    code, out, err = run(capsys, "export", fmt, "--out", str(tmp_path / name), "--project", small["location"])
    assert code == 0, err
    assert check(tmp_path / name)


def test_folder_output(capsys, small, tmp_path):
    code, _, err = run(capsys, "export", "csv", "--out", str(tmp_path), "--project", small["location"])
    assert code == 0, err
    assert (tmp_path / "segments.csv").exists() and (tmp_path / "metadata.csv").exists()
    code, _, err = run(capsys, "export", "docx", "--out", str(tmp_path), "--project", small["location"])
    assert code == 0, err
    assert (tmp_path / "baolian-export.docx").exists()


def test_real_subprocess_exit_status(tmp_path):
    run_ = subprocess.run([sys.executable, "-m", "coding", "export", "nope", "--out", str(tmp_path / "x")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run_.returncode == 2
    assert "unknown export format 'nope'" in run_.stderr and "qdpx" in run_.stderr


def test_a_blinded_user_exports_only_their_own_codings(project, capsys, tmp_path):
    from openpyxl import load_workbook

    from .test_analysis_blind import make_blind

    from coding.decisions import add_memo

    url = make_blind(project).url
    doc = project.documents()[0].id
    add_memo(project, "ann 的备忘", coder="ann", document_id=doc)
    add_memo(project, "bob 的备忘", coder="bob", document_id=doc)

    def coders(*argv, sheet="segments"):
        out = tmp_path / f"{len(list(tmp_path.iterdir()))}.xlsx"
        code, _, err = run(capsys, *argv, "export", "xlsx", "--out", str(out), "--project", url)
        assert code == 0, err
        rows = list(load_workbook(out, read_only=True)[sheet].values)
        return {r[rows[0].index("coder")] for r in rows[1:]}

    assert coders("--user", "ann") == {"ann"}
    assert coders("--user", "ann", sheet="memos") == {"ann"}  # nor does bob's memo reach ann
    assert coders() == {"ann", "bob"} == coders(sheet="memos")


@pytest.mark.parametrize("fmt, name", [("csv", "t.zip"), ("xlsx", "t.xlsx"), ("docx", "t.docx"),
                                       ("latex", "t.tex"), ("md", "t.md"), ("qdc", "t.qdc"), ("qdpx", "t.qdpx")])
def test_a_file_that_cannot_be_written_is_a_clear_error(capsys, small, tmp_path, fmt, name):
    """Writing fails (here: --out is a link into a folder that does not exist; on Windows: the file is open in
    Excel or Word): an error naming the file and what to do, exit status 2, not an internal error."""
    target = tmp_path / name
    target.symlink_to(tmp_path / "missing" / name)
    code, _, err = run(capsys, "export", fmt, "--out", str(target), "--project", small["location"])
    assert code == 2, err
    assert "internal error" not in err and "cannot write the export" in err and name in err
