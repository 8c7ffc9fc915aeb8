"""Relations between codes in the codebook: added and removed as pure edits (the codebook passed in unchanged),
checked with the place named, kept through merges, listed among a draft's changes, drawn as a DOT graph, and
loaded from YAML with file, line and field in errors."""

from __future__ import annotations

import pytest

from coding.codebook import load_codebook
from coding.codebook.io import dump_codebook, save_codebook
from coding.codebook_edit import add_relation, merge_codes, remove_relation
from coding.codebook_relations import relation_graph
from coding.codebook_save import describe_changes
from coding.errors import BaolianError, CodebookError

from .conftest import CODEBOOK


@pytest.fixture(scope="module")
def base():
    return load_codebook(CODEBOOK)


def test_add_and_remove_are_pure_edits(base):
    one = add_relation(base, "F1", "M3", "  促成 enables ")
    two = add_relation(one, "M2", "M5", "提供信息 informs", direction="both", note=" 上门才知道 ")
    assert base.relations == [] and len(one.relations) == 1
    assert [(r.source, r.target, r.label, r.direction, r.note) for r in two.relations] == [
        ("F1", "M3", "促成 enables", "one-way", None), ("M2", "M5", "提供信息 informs", "both", "上门才知道")]
    assert remove_relation(two, 0).relations == two.relations[1:]
    assert describe_changes(base, two) == ["+ 关系 relation F1 --促成 enables--> M3",
                                           "+ 关系 relation M2 --提供信息 informs--> M5"]
    assert describe_changes(two, one) == ["− 关系 relation M2 --提供信息 informs--> M5"]
    assert base.fingerprint() == load_codebook(CODEBOOK).fingerprint()  # no relations: nothing written
    assert "relations:" not in dump_codebook(base) and "relations:" in dump_codebook(two)


@pytest.mark.parametrize("args, options, words, field", [
    (("F9", "M3", "x"), {}, "unknown code 'F9'", "relations[0].source"),
    (("F1", "M9", "x"), {}, "unknown code 'M9'", "relations[0].target"),
    (("F1", "F1", "x"), {}, "to itself", "relations[0].target"),
    (("F1", "M3", " "), {}, "must not be empty", "relations[0].label"),
    (("F1", "M3", "x"), {"direction": "up"}, "unknown direction", "direction"),
])
def test_bad_relations_are_refused(base, args, options, words, field):
    with pytest.raises(CodebookError, match=words) as err:
        add_relation(base, *args, **options)
    assert err.value.field == field and err.value.hint


def test_duplicates_and_removing_what_is_not_there(base):
    one = add_relation(base, "F1", "M3", "促成")
    with pytest.raises(CodebookError, match="duplicate relation F1 --促成--> M3"):
        add_relation(one, "F1", "M3", "促成")
    assert len(add_relation(one, "F1", "M3", "约束").relations) == 2  # another label is another relation
    with pytest.raises(CodebookError, match="no relation #2"):
        remove_relation(one, 1)


def test_a_merge_moves_relations_to_the_kept_code(base):
    cb = add_relation(base, "M2", "M5", "informs")
    cb = add_relation(cb, "M3", "M5", "informs")
    cb = add_relation(cb, "M2", "M3", "feeds")
    merged = merge_codes(cb, "M3", "M2")
    # M2 -> M5 becomes M3 -> M5 (a repeat of the second: kept once); M2 -> M3 would loop on M3: dropped
    assert [(r.source, r.target, r.label) for r in merged.relations] == [("M3", "M5", "informs")]


def test_the_graph_names_codes_and_relations(base):
    cb = add_relation(base, "F1", "M3", '促成 "enables"')
    cb = add_relation(cb, "M2", "M5", "informs", direction="none")
    dot = relation_graph(cb)
    assert dot.startswith("digraph relations {") and dot.endswith("}")
    assert '"F1" [label="F1 治理任务逆向发包"' in dot and '"F1" -> "M3" [label="促成 \\"enables\\"", dir=forward]' in dot
    assert '"M2" -> "M5" [label="informs", dir=none]' in dot
    assert '"M2"' not in relation_graph(cb, only={"F1"})


def test_yaml_errors_name_file_line_and_field(tmp_path):
    path = tmp_path / "codebook.yaml"
    save_codebook(add_relation(load_codebook(CODEBOOK), "F1", "M3", "促成"), path)
    assert load_codebook(path).relations[0].target == "M3"
    text = path.read_text(encoding="utf-8").replace("target: M3", "target: M33")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaolianError, match="unknown code 'M33'") as err:
        load_codebook(path)
    assert err.value.file == str(path) and err.value.line and err.value.field == "relations[0].target"


def test_exports_carry_the_relations(new_location, tmp_path):
    import csv

    from coding.exports import export
    from coding.project import Project

    path = tmp_path / "codebook.yaml"
    cb = add_relation(load_codebook(CODEBOOK), "F1", "M3", "促成 enables")
    save_codebook(add_relation(cb, "M2", "M5", "提供信息", direction="both", note="上门"), path)
    p = Project.init(new_location("rel-export"), codebook=path)
    try:
        folder = tmp_path / "csv"
        folder.mkdir()
        export(p, "csv", folder)
        rows = list(csv.DictReader(open(folder / "relations.csv", encoding="utf-8-sig")))
        assert [(r["source"], r["label"], r["target"], r["direction"], r["note"]) for r in rows] == [
            ("F1", "促成 enables", "M3", "one-way", ""), ("M2", "提供信息", "M5", "both", "上门")]
        export(p, "csv", folder, codes=["M5"])  # only relations touching the codes exported
        assert [r["source"] for r in csv.DictReader(open(folder / "relations.csv", encoding="utf-8-sig"))] == ["M2"]
        markdown = export(p, "md", tmp_path / "paper.md").read_text(encoding="utf-8")
        assert "附录：编码关系" in markdown and "F1 治理任务逆向发包" in markdown and "| 双向 |" in markdown
        assert markdown.index("附录：编码本") < markdown.index("附录：编码关系")
    finally:
        p.close()
    plain = Project.init(new_location("rel-none"), codebook=CODEBOOK)
    try:
        assert "编码关系" not in export(plain, "md", tmp_path / "plain.md").read_text(encoding="utf-8")
    finally:
        plain.close()
