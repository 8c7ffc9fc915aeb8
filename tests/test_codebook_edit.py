"""Codebook edits (pure, validated, never in place) and their project services: preview, save, merge."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from coding.autocode import code_project
from coding.codebook import Codebook, dump_codebook, load_codebook, parse_codebook
from coding.codebook_edit import (
    add_code,
    bump_version,
    examples_from_lines,
    merge_codes,
    move_code,
    not_when_from_lines,
    recolor_code,
    rename_code,
    retire_code,
    rules_yaml,
    set_rules,
    update_code,
)
from coding.codebook_save import (
    code_usage,
    describe_changes,
    preview_rules,
    save_codebook_to_project,
)
from coding.decisions import accept, add_code as code_span, add_memo, pending_suggestions
from coding.errors import CodebookError, StoreError
from coding.project import Project
from coding.store import Code, CodeApplication, CodebookVersion, Event, Memo

from .conftest import CODEBOOK, CORPUS


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return load_codebook(CODEBOOK)


def ids(codebook: Codebook) -> list[str]:
    return [c.id for c in codebook.codes]


def error(fn, *args, **kwargs) -> CodebookError:
    with pytest.raises(CodebookError) as info:
        fn(*args, **kwargs)
    return info.value


# -- pure edits ---------------------------------------------------------------------------------


def test_add_code_goes_last_under_its_parent_and_leaves_the_original_alone(cb):
    new = add_code(cb, "M6", "新机制", name_en="New mechanism", color="#12ab34", parent="M",
                   short="一句话。", definition="定义。", use_when="第一条\n第二条", examples=["例句。"])
    assert "M6" not in cb.codes_by_id  # never edited in place
    order = ids(new)
    assert order.index("M6") == order.index("M5") + 1 < order.index("R")
    m6 = new.code("M6")
    assert m6.color == "#12AB34" and m6.use_when == ["第一条", "第二条"] and m6.examples[0].text == "例句。"
    group = add_code(cb, "X", "新分组", name_en="New group", color="#000000", codable=False)
    assert ids(group)[-1] == "X" and group.code("X").parent is None


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"code_id": "M1"}, "duplicate code id 'M1'"),
    ({"code_id": "9x"}, "bad code id '9x'"),
    ({"name": "包联人层"}, "duplicate code name '包联人层' (already used by M1.1)"),
    ({"name": "  "}, "the code name is empty"),
    ({"color": "red"}, "bad colour 'red'"),
    ({"color": "#12345"}, "bad colour"),
    ({"parent": "Z9"}, "unknown code id 'Z9'"),
    ({"short": None}, "codable code 'M6' has no short"),
])
def test_add_code_errors(cb, kwargs, message):
    args = {"code_id": "M6", "name": "新机制", "name_en": "New", "color": "#123456", "parent": "M",
            "short": "短。", "definition": "定义。", "use_when": ["适用"], "examples": ["例。"], **kwargs}
    err = error(add_code, cb, args.pop("code_id"), args.pop("name"), **args)
    assert message in err.message and err.hint


def test_rename_and_recolour(cb):
    new = rename_code(cb, "M2", "信息直通机制", name_en="Direct information")
    assert new.code("M2").name == "信息直通机制" and new.code("M2").name_en == "Direct information"
    assert cb.code("M2").name == "直入基层的信息机制"
    assert rename_code(cb, "M2", "信息直通机制").code("M2").name_en == cb.code("M2").name_en
    assert recolor_code(cb, "M2", "#aabbcc").code("M2").color == "#AABBCC"
    assert "duplicate code name '包联人' (already used by R1)" in error(rename_code, cb, "M2", "包联人").message
    assert "unknown code id 'M9'" in error(rename_code, cb, "M9", "x").message
    assert error(recolor_code, cb, "M2", "4E79A7").field == "color"


def test_move_code_keeps_tree_order_and_refuses_cycles(cb):
    moved = move_code(cb, "M4.2", "M1")
    assert moved.code("M4.2").parent == "M1"
    order = ids(moved)
    assert order.index("M1") < order.index("M4.2") < order.index("M2")  # listed inside M1's subtree
    assert move_code(cb, "M4", None).code("M4").parent is None
    assert move_code(cb, "M4", None).code("M4.1").parent == "M4"  # the subtree moves along
    assert "make a cycle" in error(move_code, cb, "M1", "M1.2").hint
    assert "is M1 itself" in error(move_code, cb, "M1", "M1").message
    assert "unknown code id 'Q'" in error(move_code, cb, "M1", "Q").message


def test_retire_and_restore(cb):
    retired = retire_code(cb, "T5")
    assert retired.code("T5").retired and "T5" not in {c.id for c in retired.codable_codes()}
    assert not retire_code(retired, "T5", retired=False).code("T5").retired
    assert "active sub-codes: M1.1, M1.2, M1.3" in error(retire_code, cb, "M1").message
    leaves_gone = retire_code(retire_code(retire_code(cb, "M1.1"), "M1.2"), "M1.3")
    parent_gone = retire_code(leaves_gone, "M1")
    assert parent_gone.code("M1").retired
    assert "parent M1 of M1.1 is retired" in error(retire_code, parent_gone, "M1.1", retired=False).message


def test_merge_moves_criteria_rules_children_and_references(cb):
    merged = merge_codes(cb, "M1", "M1.1")
    assert "M1.1" not in merged.codes_by_id
    m1, dropped = merged.code("M1"), cb.code("M1.1")
    names = [r.name for r in m1.rules]
    assert len(m1.rules) == len(cb.code("M1").rules) + len(dropped.rules) and len(set(names)) == len(names)
    assert set(dropped.indicators) <= set(m1.indicators)
    assert all(x.use != "M1" for x in m1.not_when)  # "use M1.1 instead" became a reference to itself: gone
    assert all(x.use != "M1.1" for c in merged.codes for x in c.not_when)
    # merging a parent into a sibling moves its children
    into_sibling = merge_codes(cb, "M2", "M1")
    assert {c.id for c in into_sibling.children("M2")} == {"M1.1", "M1.2", "M1.3"}
    # merging a parent into its own child: the child takes the parent's place
    into_child = merge_codes(cb, "M1.1", "M1")
    assert into_child.code("M1.1").parent == "M" and into_child.code("M1.2").parent == "M1.1"


def test_merge_renames_clashing_rules(cb):
    twin = set_rules(cb, "M1.2", rules_yaml(cb, "M1.1"))
    merged = merge_codes(twin, "M1.1", "M1.2")
    names = [r.name for r in merged.code("M1.1").rules]
    assert len(names) == 2 * len(cb.code("M1.1").rules)
    assert all(f"M1.2-{r.name}" in names for r in cb.code("M1.1").rules)


def test_merge_errors(cb):
    assert "into itself" in error(merge_codes, cb, "M1", "M1").message
    assert "into the group M" in error(merge_codes, cb, "M", "M2").message
    assert "kept code T5 is retired" in error(merge_codes, retire_code(cb, "T5"), "T5", "T4").message
    assert "unknown code id 'Z'" in error(merge_codes, cb, "Z", "M1").message


def test_update_code_definitions_and_line_parsers(cb):
    new = update_code(cb, "M3", short="新的一句话。", definition="新的定义。", use_when="甲\n\n乙 ",
                      indicators=["会商", "研判"],
                      examples=examples_from_lines("一句例子 || 说明\n另一句"),
                      not_when=not_when_from_lines("只讲信息 => M2\n没有替代"))
    m3 = new.code("M3")
    assert (m3.short, m3.definition, m3.use_when, m3.indicators) == ("新的一句话。", "新的定义。", ["甲", "乙"],
                                                                     ["会商", "研判"])
    assert [(e.text, e.note) for e in m3.examples] == [("一句例子", "说明"), ("另一句", None)]
    assert [(x.text, x.use) for x in m3.not_when] == [("只讲信息", "M2"), ("没有替代", None)]
    assert "codable code 'M3' has no definition" in error(update_code, cb, "M3", definition=" ").message
    assert "not_when names unknown code 'Q1'" in error(
        update_code, cb, "M3", not_when=not_when_from_lines("x => Q1")).message
    assert "cannot edit color" in error(update_code, cb, "M3", color="#000000").message


def test_rules_yaml_round_trips_for_every_code(cb):
    for code in cb.codes:
        assert set_rules(cb, code.id, rules_yaml(cb, code.id)) == cb, code.id


def test_set_rules_replaces_and_accepts_both_forms(cb):
    text = "- name: one\n  any: [专班, '@领导']\n  weight: 0.7\n"
    assert [r.name for r in set_rules(cb, "M3", text).code("M3").rules] == ["one"]
    assert [r.name for r in set_rules(cb, "M3", "rules:\n" + text).code("M3").rules] == ["one"]
    assert set_rules(cb, "M3", "").code("M3").rules == []
    # the mapping form also carries the code's own default vetoes; the plain list means none
    m3 = set_rules(cb, "M3", "rule_defaults:\n  veto: [next_meeting]\nrules:\n" + text).code("M3")
    assert m3.rule_defaults.veto == ["next_meeting"] and [r.name for r in m3.rules] == ["one"]
    assert set_rules(cb, "F1", "rules:\n" + text).code("F1").rule_defaults.veto == []


@pytest.mark.parametrize(("text", "line", "field", "message"), [
    ("- name: a\n  any: [x]\n  weight: 1.5\n", 3, "rules[0].weight", "weight 1.5 is out of range"),
    ("- name: a\n  any: [x]\n- name: b\n  any: ['@没有']\n", 4, "rules[1].any[0]", "unknown concept '@没有'"),
    ("- name: a\n  any: [x]\n- name: a\n  any: [y]\n", 3, "rules[1].name", "duplicate rule name 'a'"),
    ("- name: a\n  regex: ['(']\n", 2, "rules[0].regex[0]", "does not compile"),
    ("- name: a\n  any: [x]\n  unit: word\n", 3, "rules[0].unit", "'sentence' or 'paragraph'"),
    ("- name: a\n  anny: [x]\n", 2, "rules[0].anny", "unknown key 'anny'"),
    ("- name: a\n", 1, "rules[0]", "matches nothing"),
    ("- name: a\n  any: [x]\n  veto: [no_such_veto]\n", 3, "rules[0].veto[0]", "unknown veto 'no_such_veto'"),
    ("- name: a\n  any: [x]\n  skip_veto: [next_meeting]\n", 3, "rules[0].skip_veto[0]", "which is not a default"),
    ("- name: a\n  any: [x\n", 3, None, "YAML syntax error"),
    ("just text", 1, None, "must be a YAML list of rules"),
    ("rule_defaults:\n  veto: [nope]\nrules:\n- name: a\n  any: [x]\n", 2, "rule_defaults.veto[0]",
     "unknown veto 'nope' in the rule_defaults of code 'M3'"),
    ("rules:\n- name: a\n  any: [x]\nrule_default: {veto: []}\n", 4, None, "unknown key(s) rule_default"),
])
def test_set_rules_errors_name_the_line(cb, text, line, field, message):
    err = error(set_rules, cb, "M3", text)
    assert message in err.message
    assert err.file == "rules of M3" and err.line == line and err.field == field


def test_bump_version(cb):
    assert bump_version(cb).version == "1.0.1"
    assert bump_version(cb, "minor").version == "1.1.0"
    assert bump_version(bump_version(cb, "minor"), "major").version == "2.0.0"
    assert "unknown version bump 'huge'" in error(bump_version, cb, "huge").message


def test_describe_changes(cb):
    new = recolor_code(rename_code(add_code(cb, "T6", "新理论", name_en="New theory", color="#101010",
                                            parent="T", short="短。", definition="定义。", use_when=["x"],
                                            examples=["例。"]), "M2", "信息直通"), "M2", "#000000")
    changes = describe_changes(cb, merge_codes(new, "M1", "M1.1"))
    assert "+ T6 新理论" in changes and "− M1.1 包联人层" in changes
    assert "~ M2 信息直通: name, color" in changes
    assert any(c.startswith("~ M1 ") and "rules" in c for c in changes)
    assert describe_changes(cb, cb) == []


# -- services on a project ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Minutes and interviews imported and auto-coded once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("codebook-edit") / "template.sqlite"
    p = Project.init(path, codebook=CODEBOOK)
    p.import_paths([CORPUS / "minutes", CORPUS / "interviews"], manifest=CORPUS / "corpus.yaml")
    code_project(p)
    p.close()
    return path


@pytest.fixture
def coded(template, tmp_path):
    path = tmp_path / "coded.sqlite"
    shutil.copyfile(template, path)
    p = Project.open(path)
    yield p
    p.close()


@pytest.fixture
def yaml_copy(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_bytes(CODEBOOK.read_bytes())
    return path


def suggestions_of(project, code: str) -> list:
    return pending_suggestions(project, coder=None, codes=[code])


def test_preview_of_the_same_codebook_changes_nothing(coded):
    preview = preview_rules(coded, coded.codebook())
    assert preview.recoded == [] and preview.documents == 0
    assert preview.added == preview.removed == 0 and not preview.samples and not preview.changes
    # a rename changes no rule: still nothing to re-code
    assert preview_rules(coded, rename_code(coded.codebook(), "M2", "改名")).recoded == []


def test_preview_codes_a_document_never_auto_coded(coded, tmp_path):
    source = tmp_path / "new.txt"
    source.write_text("过去这几件事，我们局里是有心无力，协调一个部门要跑好几趟。\n", encoding="utf-8")
    coded.import_paths([source])
    preview = preview_rules(coded, coded.codebook())
    assert preview.recoded == [] and preview.documents == 1
    assert preview.added > 0 and preview.removed == 0
    assert code_project(coded).added == preview.added


def test_preview_counts_match_what_recoding_then_does(coded, yaml_copy):
    cb = coded.codebook()
    m2_before = len(suggestions_of(coded, "M2"))
    decided = suggestions_of(coded, "M3")[0]
    accept(coded, [decided.id], coder="甲")
    m3_before = len(suggestions_of(coded, "M3"))
    edited = set_rules(set_rules(cb, "M3", ""), "M2", "- name: any-leader\n  any: ['@领导']\n")
    preview = preview_rules(coded, edited, sample_size=3)
    assert preview.recoded == ["M2", "M3"]
    assert preview.changes["M3"].removed == m3_before - 1 and preview.changes["M3"].kept_decided == 1
    assert preview.changes["M3"].added == 0 and preview.changes["M2"].added > 0
    assert coded.codebook() == cb and len(suggestions_of(coded, "M2")) == m2_before  # nothing written
    samples = [s for s in preview.samples if s.code == "M2" and s.change == "added"]
    assert 0 < len(samples) <= 3 and all("【" in s.text and "】" in s.text for s in samples)
    assert all(s.text.replace("【", "").replace("】", "") == coded.document_text(s.document_id)[s.start:s.end]
               for s in preview.samples)

    save_codebook_to_project(coded, edited, yaml_copy, coder="甲")
    run = code_project(coded)
    assert run.recoded == preview.recoded
    assert run.added - run.removed == preview.added - preview.removed  # re-coding also re-adds the unchanged
    assert len(suggestions_of(coded, "M3")) == 1  # the decided one stays
    assert len(suggestions_of(coded, "M2")) == m2_before + preview.changes["M2"].added - preview.changes["M2"].removed


def test_save_writes_file_and_database_together(coded, yaml_copy):
    yaml_copy.chmod(0o644)
    edited = recolor_code(rename_code(coded.codebook(), "M2", "信息直通机制"), "M2", "#102030")
    result = save_codebook_to_project(coded, edited, yaml_copy, coder="甲")
    assert result.changed and result.version == "1.0.1"
    on_disk = load_codebook(yaml_copy)
    assert yaml_copy.read_text(encoding="utf-8") == dump_codebook(result.codebook)  # canonical, as save_codebook
    assert yaml_copy.stat().st_mode & 0o777 == 0o644  # permissions kept (a temporary file is 0600)
    assert on_disk == coded.codebook() == result.codebook
    assert on_disk.version == "1.0.1" and on_disk.code("M2").name == "信息直通机制"
    with coded.read() as s:
        row = s.scalar(select(Code).where(Code.key == "M2"))
        assert (row.name, row.color) == ("信息直通机制", "#102030")
        event = s.scalar(select(Event).where(Event.action == "codebook.load").order_by(Event.id.desc()).limit(1))
        assert event.after["version"] == "1.0.1" and event.after["source"] == str(yaml_copy)
    # saving the same codebook again changes nothing in the database, and keeps the version
    again = save_codebook_to_project(coded, on_disk, yaml_copy, coder="甲")
    assert not again.changed and again.version == "1.0.1"
    with coded.read() as s:
        assert s.scalar(select(CodebookVersion.version).order_by(CodebookVersion.id.desc()).limit(1)) == "1.0.1"
    # a version the author raised is kept; a minor bump when asked
    assert save_codebook_to_project(coded, bump_version(recolor_code(on_disk, "M2", "#000001"), "major"),
                                    yaml_copy, coder="甲").version == "2.0.0"
    assert save_codebook_to_project(coded, recolor_code(coded.codebook(), "M2", "#000002"), yaml_copy,
                                    coder="甲", bump="minor").version == "2.1.0"
    err = error(save_codebook_to_project, coded, recolor_code(coded.codebook(), "M2", "#000003"), yaml_copy,
                coder="甲", bump=None)
    assert "not above the project's 2.1.0" in err.message


def test_merge_moves_every_application_in_the_same_transaction(coded, yaml_copy):
    cb = coded.codebook()
    dropped = suggestions_of(coded, "M1.3")
    assert dropped, "the corpus should give M1.3 suggestions"
    accept(coded, [dropped[0].id], coder="甲")
    doc = dropped[0].document_id
    twin_keep = code_span(coded, doc, 0, 5, "M1", coder="乙")
    twin_drop = code_span(coded, doc, 0, 5, "M1.3", coder="乙")  # same span, coder and status: a duplicate
    add_memo(coded, "记一笔", coder="乙", document_id=doc, code="M1.3")
    before = code_usage(coded)
    n_dropped = sum(before["M1.3"].values())

    result = save_codebook_to_project(coded, merge_codes(cb, "M1", "M1.3"), yaml_copy, coder="甲",
                                      merges=[("M1", "M1.3")])
    assert result.moved == {"M1.3": n_dropped}
    after = code_usage(coded)
    assert "M1.3" not in after
    with coded.read() as s:
        merge = s.scalar(select(Event).where(Event.action == "codebook.merge").order_by(Event.id.desc()).limit(1))
    removed = merge.before["duplicates_removed"]
    # our twin is among the exact duplicates removed; machine suggestions of M1 and M1.3 on the same
    # sentence are duplicates too, and every removed row is accounted for
    assert twin_drop in {r["id"] for r in removed}
    assert all(r["duplicate_of"] for r in removed)
    assert sum(after["M1"].values()) == sum(before["M1"].values()) + n_dropped - len(removed)
    with coded.read() as s:
        m13 = s.scalar(select(Code).where(Code.key == "M1.3"))
        assert m13.retired
        assert s.get(CodeApplication, twin_keep) is not None and s.get(CodeApplication, twin_drop) is None
        assert s.scalar(select(Memo.code_id)) == s.scalar(select(Code.id).where(Code.key == "M1"))
        event = s.scalar(select(Event).where(Event.action == "codebook.merge"))
        assert event.before["code"] == "M1.3" and event.after["code"] == "M1"
        assert len(event.before["applications"]) == n_dropped
        assert [d["id"] for d in event.before["duplicates_removed"]] == [r["id"] for r in removed]
    assert "M1.3" not in load_codebook(yaml_copy).codes_by_id


def test_merge_must_be_applied_to_the_codebook_first(coded, yaml_copy):
    cb = coded.codebook()
    err = error(save_codebook_to_project, coded, cb, yaml_copy, coder="甲", merges=[("M1", "M1.3")])
    assert "still in the codebook" in err.message
    err = error(save_codebook_to_project, coded, merge_codes(cb, "M1", "M1.3"), yaml_copy, coder="甲",
                merges=[("M", "M1.3")])
    assert "not a codable code" in err.message
    assert coded.codebook() == cb and load_codebook(yaml_copy) == cb


def test_a_failed_file_write_leaves_the_database_alone(coded, tmp_path):
    cb = coded.codebook()
    err = error(save_codebook_to_project, coded, recolor_code(cb, "M2", "#000000"),
                tmp_path / "missing-folder" / "codebook.yaml", coder="甲")
    assert "cannot write the codebook" in err.message
    assert coded.codebook() == cb
    with coded.read() as s:
        assert s.scalar(select(Code.color).where(Code.key == "M2")) == cb.code("M2").color


def test_a_database_failure_before_the_write_leaves_the_file_alone(coded, yaml_copy):
    original = yaml_copy.read_bytes()
    with coded.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON codebook_versions "
                             "BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
    with pytest.raises(StoreError, match="refused by test"):
        save_codebook_to_project(coded, recolor_code(coded.codebook(), "M2", "#000000"), yaml_copy, coder="甲")
    assert yaml_copy.read_bytes() == original


def test_a_failed_commit_puts_the_old_file_back(coded, yaml_copy):
    """A deferred foreign key fails only at COMMIT, after the file was written: the file must be restored."""
    original = yaml_copy.read_bytes()
    cb = coded.codebook()
    with coded.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE boom (doc INTEGER REFERENCES documents(id) DEFERRABLE INITIALLY DEFERRED)")
        conn.exec_driver_sql("CREATE TRIGGER boom_on_save AFTER INSERT ON codebook_versions "
                             "BEGIN INSERT INTO boom VALUES (999999); END")
    with pytest.raises(StoreError, match="the codebook was not saved"):
        save_codebook_to_project(coded, rename_code(cb, "M2", "不会保存"), yaml_copy, coder="甲")
    assert yaml_copy.read_bytes() == original
    assert coded.codebook() == cb
    fresh = yaml_copy.parent / "new.yaml"
    with pytest.raises(StoreError):
        save_codebook_to_project(coded, rename_code(cb, "M2", "不会保存"), fresh, coder="甲")
    assert not fresh.exists()  # there was no file before: none is left behind


def test_save_validates_like_loading_a_file(coded, yaml_copy):
    cb = coded.codebook()
    broken = cb.model_copy(update={"codes": [*cb.codes, cb.codes[1]]})  # a duplicate id, built unvalidated
    err = error(save_codebook_to_project, coded, broken, yaml_copy, coder="甲")
    assert "duplicate code id" in err.message
    assert parse_codebook(yaml_copy.read_text(encoding="utf-8")) == cb


def test_preview_of_a_merge_predicts_the_suggestions_after_saving_and_recoding(coded, yaml_copy):
    merged = merge_codes(coded.codebook(), "M1", "M1.3")
    n_before = len(suggestions_of(coded, "M1")) + len(suggestions_of(coded, "M1.3"))
    preview = preview_rules(coded, merged, code_map={"M1.3": "M1"})
    assert {"M1", "M1.3"} <= set(preview.recoded) and "M1.3" not in preview.changes
    save_codebook_to_project(coded, merged, yaml_copy, coder="甲", merges=[("M1", "M1.3")])
    code_project(coded)
    assert len(suggestions_of(coded, "M1")) == n_before + preview.added - preview.removed
    assert suggestions_of(coded, "M1.3") == []
