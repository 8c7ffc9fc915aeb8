"""The `baolian` command line, run in-process through main() and once as real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coding.cli import main

from .conftest import CODEBOOK, CORPUS, ROOT


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cli_project(new_location, capsys):
    path = new_location("cli")
    code, _, err = run(capsys, "init", "--project", str(path), "--codebook", str(CODEBOOK))
    assert code == 0, err
    return path


def test_init_import_list_info(cli_project, capsys):
    p = str(cli_project)
    code, out, err = run(capsys, "import", str(CORPUS), "--project", p)
    assert code == 0, err
    assert "15 imported" in out
    code, out, _ = run(capsys, "documents", "--project", p, "--json")
    docs = json.loads(out)
    assert len(docs) == 15 and {"id", "title", "kind", "n_sentences"} <= set(docs[0])
    code, out, _ = run(capsys, "info", "--project", p, "--json")
    info = json.loads(out)
    assert info["documents"] == 15 and info["segments"] > 1000 and info["characters"] >= 60_000
    code, out, _ = run(capsys, "documents", "--project", p)
    assert code == 0 and "interview" in out


def test_segments_json_and_table(cli_project, capsys):
    p = str(cli_project)
    run(capsys, "import", str(CORPUS / "interviews" / "i01_lhy_vice_district_head.txt"), "--project", p,
        "--kind", "interview", "--participant", "LHY:包联人", "--participant", "访谈者:研究者")
    code, out, err = run(capsys, "segments", "1", "--project", p, "--unit", "turn", "--json")
    assert code == 0, err
    turns = json.loads(out)
    assert turns and {t["speaker"] for t in turns} == {"LHY", "访谈者"}
    code, out, _ = run(capsys, "segments", "1", "--project", p, "--unit", "sentence", "--words")
    assert code == 0 and " / " in out


def test_env_variable_selects_project(cli_project, capsys, monkeypatch):
    monkeypatch.setenv("BAOLIAN_PROJECT", str(cli_project))
    code, out, _ = run(capsys, "info", "--json")
    assert code == 0 and json.loads(out)["project"].endswith(str(cli_project).rsplit("/", 1)[-1])


def test_tokens_keep_codebook_terms_whole(cli_project, capsys):
    code, out, _ = run(capsys, "tokens", "包联领导牵头成立工作专班", "--project", str(cli_project))
    assert code == 0
    assert out.split("\n")[:4] == ["包联领导", "牵头", "成立", "工作专班"]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["import", "/no/such/file.txt"], "does not exist"),
        (["segments", "999"], "no document"),
        (["segments", "1", "--unit", "chapter"], "unknown unit"),
        (["import", "--kind", "novel", "{corpus}/news"], "kind"),
        (["import", "{corpus}/news", "--date", "2020-13-45"], "date"),
    ],
)
def test_bad_input_is_one_clear_line_and_status_2(cli_project, capsys, argv, fragment):
    argv = [a.replace("{corpus}", str(CORPUS)) for a in argv]
    code, out, err = run(capsys, *argv, "--project", str(cli_project))
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err + out


def test_missing_project_is_reported(tmp_path, capsys):
    code, _, err = run(capsys, "info", "--project", str(tmp_path / "none.sqlite"))
    assert code == 2 and "baolian init" in err and "Traceback" not in err


def test_bad_codebook_on_init(tmp_path, capsys):
    bad = tmp_path / "cb.yaml"
    bad.write_text("version: '1.0.0'\ntitle: t\ncodes:\n  - id: A\n    name: 甲\n    name_en: a\n    color: red\n", encoding="utf-8")
    code, _, err = run(capsys, "init", "--project", str(tmp_path / "x.sqlite"), "--codebook", str(bad))
    assert code == 2 and "cb.yaml:7" in err and "color" in err


def test_console_script_and_module_entry_points(tmp_path):
    project = tmp_path / "sub.sqlite"
    bindir = Path(sys.executable).parent
    for cmd in ([str(bindir / "baolian")], [sys.executable, "-m", "coding"]):
        proc = subprocess.run([*cmd, "init", "--project", str(project), "--codebook", str(CODEBOOK)],
                              capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        proc = subprocess.run([*cmd, "info", "--project", str(project), "--json"], capture_output=True, text=True)
        assert proc.returncode == 0 and json.loads(proc.stdout)["documents"] == 0
        proc = subprocess.run([*cmd, "segments", "1", "--project", str(project)], capture_output=True, text=True)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- audit: bad projects and bad option values

@pytest.mark.parametrize("command", [["info"], ["documents"], ["import", "{file}"], ["segments", "1"],
                                     ["tokens", "包联"], ["history"], ["analysis", "freq"]])
def test_corrupt_or_unreachable_project_is_one_line_and_status_2(tmp_path, capsys, command):
    corrupt = tmp_path / "random.sqlite"
    corrupt.write_bytes(bytes((i * 97 + 13) % 256 for i in range(8192)))
    text = tmp_path / "a.txt"
    text.write_text("包联工作由区级领导牵头。", encoding="utf-8")
    argv = [a.replace("{file}", str(text)) for a in command]
    for project, words in [(str(corrupt), "not usable"), ("postgresql+psycopg://nobody@127.0.0.1:1/x", "cannot open")]:
        code, out, err = run(capsys, *argv, "--project", project)
        assert code == 2, err
        assert err.count("\n") == 1 and words in err and "Background on this error" not in err, err
        assert "Traceback" not in err + out


def test_project_path_that_is_a_folder_or_below_a_file(tmp_path, capsys):
    folder = tmp_path / "proj.sqlite"
    folder.mkdir()
    for command in (["init"], ["info"]):
        code, _, err = run(capsys, *command, "--project", str(folder))
        assert code == 2 and "is a folder" in err and "baolian.sqlite" in err, err
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    for command in (["init"], ["info"]):
        code, _, err = run(capsys, *command, "--project", str(a_file / "p.sqlite"))
        assert code == 2 and "is a file, not a folder" in err and "internal error" not in err, err
    assert a_file.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--max-mb", "-5"], "--max-mb"),
    (["--max-mb", "0"], "--max-mb"),
    (["--max-mb", "nan"], "--max-mb"),
    (["--max-mb", "inf"], "--max-mb"),
    (["--participant", ":包联人"], "--participant"),
    (["--participant", " "], "--participant"),
    (["--case", ""], "--case"),
    (["--title", "同一个标题", "{second}"], "--title"),
])
def test_bad_import_options_are_refused_before_anything_is_stored(cli_project, tmp_path, capsys, extra, fragment):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("包联工作由区级领导牵头。", encoding="utf-8")
    second.write_text("信访人反映的问题得到解决。", encoding="utf-8")
    extra = [a.replace("{second}", str(second)) for a in extra]
    code, out, err = run(capsys, "import", str(first), *extra, "--project", str(cli_project))
    assert code == 2 and fragment in err and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err + out
    code, out, _ = run(capsys, "info", "--project", str(cli_project), "--json")
    assert json.loads(out)["documents"] == 0


def test_participant_with_full_width_colon_gets_its_role(cli_project, tmp_path, capsys):
    path = tmp_path / "访谈 记录.txt"
    path.write_text("LHY：包联工作由区级领导牵头。", encoding="utf-8")
    code, _, err = run(capsys, "import", str(path), "--participant", "LHY：包联人", "--project", str(cli_project))
    assert code == 0, err
    from coding.project import Project

    assert Project.open(str(cli_project)).find_document("1").participants == [{"name": "LHY", "role": "包联人"}]


@pytest.mark.parametrize("ref", ["99999999999999999999999", "²"])
def test_document_reference_out_of_range_is_not_an_internal_error(cli_project, capsys, ref):
    code, _, err = run(capsys, "segments", ref, "--project", str(cli_project))
    assert code == 2 and "no document" in err and "internal error" not in err, err


def test_word_comments_are_imported_as_memos_on_their_sentence(cli_project, tmp_path, capsys):
    from coding.decisions import memos
    from coding.project import Project

    from .test_corpus import word_file_with_comments

    path = word_file_with_comments(tmp_path / "i09.docx", [
        "<w:r><w:t>访谈者：请谈谈包联。</w:t></w:r>",
        '<w:r><w:t>LHY：第一句。</w:t></w:r><w:commentRangeStart w:id="0"/><w:r><w:t>我们一户一策，[b]上门[/b]解决。</w:t>'
        '</w:r><w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>',
    ], {0: ("张老师", "M5？")}, date="2021-03-02T08:00:00Z")
    code, out, err = run(capsys, "import", str(path), "--project", str(cli_project), "--coder", "甲")
    assert code == 0, err
    assert "i09.docx (1 条 Word 批注存为备忘 comments stored as memos)" in out
    p = Project.open(cli_project)
    try:
        [memo] = memos(p)
        assert memo["text"] == "Word 批注 comment（张老师，2021-03-02）\n「我们一户一策，[b]上门[/b]解决。」\nM5？"
        assert memo["coder"] == "甲"
        [doc] = p.documents()
        sentence = next(s for s in p.segments(doc.id, unit="sentence") if s.id == memo["segment_id"])
        assert p.document_text(doc.id)[sentence.start:sentence.end] == "我们一户一策，[b]上门[/b]解决。"
    finally:
        p.close()
    # importing the same file again stores no second memo
    code, out, _ = run(capsys, "import", str(path), "--project", str(cli_project))
    assert "1 already present" in out
    p = Project.open(cli_project)
    try:
        assert len(memos(p)) == 1
    finally:
        p.close()


def test_memo_add_and_list(cli_project, capsys):
    p = str(cli_project)
    run(capsys, "import", str(CORPUS / "interviews" / "i01_lhy_vice_district_head.txt"), "--project", p)
    code, out, err = run(capsys, "--user", "甲", "memo", "add", "[bold]整篇[/bold]的背景", "-d", "1", "--project", p)
    assert code == 0 and "memo #1 saved" in out, err
    code, out, err = run(capsys, "--user", "甲", "memo", "add", "M1 的典型", "-d", "1", "--index", "3",
                         "--code", "M1", "--project", p)
    assert code == 0, err
    code, out, err = run(capsys, "--user", "乙", "memo", "add", "项目备忘", "--project", p)
    assert code == 0, err
    code, out, _ = run(capsys, "memo", "list", "--project", p, "--json")
    rows = json.loads(out)
    assert [(m["coder"], m["unit"], m["code"], m["text"]) for m in rows] == [
        ("甲", None, None, "[bold]整篇[/bold]的背景"), ("甲", "sentence", "M1", "M1 的典型"), ("乙", None, None, "项目备忘")]
    code, out, _ = run(capsys, "segments", "1", "--unit", "sentence", "--json", "--project", p)
    third = next(s for s in json.loads(out) if s["index"] == 3)
    assert (rows[1]["start"], rows[1]["end"]) == (third["start"], third["end"])
    code, out, _ = run(capsys, "memo", "list", "-d", "1", "--project", p)
    assert code == 0 and "[bold]整篇[/bold]" in out and "2 memos" in out  # markup in a memo is printed as written
    for argv, fragment in ((["--index", "3"], "--index needs --document"),
                           (["-d", "1", "--index", "99999"], "no sentence #99999"),
                           (["-d", "1", "--index", "1", "--unit", "page"], "unknown unit"),
                           (["-d", "nope"], "nope"), (["--code", "ZZ"], "ZZ")):
        code, _, err = run(capsys, "--user", "甲", "memo", "add", "x", *argv, "--project", p)
        assert code == 2 and fragment in err and "internal error" not in err, (argv, err)
    code, out, _ = run(capsys, "memo", "list", "--project", p, "--json")
    assert len(json.loads(out)) == 3  # the refused ones stored nothing
    code, out, err = run(capsys, "--user", "甲", "memo", "edit", "2", "M1 的典型（改）", "--project", p)
    assert code == 0 and "memo #2 edited" in out, err
    code, out, err = run(capsys, "--user", "甲", "memo", "delete", "1", "--project", p)
    assert code == 0 and "memo #1 deleted" in out, err
    code, out, _ = run(capsys, "memo", "list", "--project", p, "--json")
    assert [(m["id"], m["text"]) for m in json.loads(out)] == [(2, "M1 的典型（改）"), (3, "项目备忘")]
    code, out, err = run(capsys, "--user", "甲", "undo", "--project", p)
    assert code == 0 and "删备忘" in out, err
    code, out, _ = run(capsys, "memo", "list", "--project", p, "--json")
    assert [m["id"] for m in json.loads(out)] == [1, 2, 3]
    code, _, err = run(capsys, "--user", "甲", "memo", "delete", "77", "--project", p)
    assert code == 2 and "no memo #77" in err
