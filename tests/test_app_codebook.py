"""AppTest: the codebook page browses, edits a draft, previews rules and saves file + database together."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from coding.codebook import load_codebook
from coding.codebook_save import code_usage
from coding.project import Project
from coding.store import Code

from .apptest import open_app
from .conftest import CODEBOOK

PAGE = "views/codebook_editor.py"


@pytest.fixture
def files(coded_demo, tmp_path):
    """(project copy, codebook.yaml copy): the page writes the copy named by $BAOLIAN_CODEBOOK."""
    project, codebook = tmp_path / "cb.sqlite", tmp_path / "codebook.yaml"
    shutil.copyfile(coded_demo, project)
    shutil.copyfile(CODEBOOK, codebook)
    return project, codebook


def open_page(monkeypatch, files, coder: str | None = "ann") -> AppTest:
    project, codebook = files
    at = open_app(monkeypatch, project, PAGE, codebook=codebook, coder=coder, timeout=120)
    ok(at)
    return at


def plain(text: str) -> str:
    """A message as the user reads it (the page backslash-escapes Markdown in untrusted text)."""
    return re.sub(r"\\(.)", r"\1", text)


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def db_code(path, key: str) -> tuple[str, str, bool]:
    p = Project.open(path)
    try:
        with p.read() as s:
            row = s.scalar(select(Code).where(Code.key == key))
            return row.name, row.color, row.retired
    finally:
        p.close()


def test_browse_shows_the_hierarchy_and_a_codes_definition(monkeypatch, files):
    at = open_page(monkeypatch, files)
    tree = at.dataframe[0].value
    cb = load_codebook(CODEBOOK)
    assert len(tree) == len(cb.codes)
    assert tree["编码 Code"].tolist()[:3] == ["F 制度特征", "　F1 治理任务逆向发包", "　F2 治理责任逆向传导"]
    assert tree.set_index("编码 Code").loc["　　M1.1 包联人层", "规则 Rules"] == len(cb.code("M1.1").rules)
    at.selectbox(key="cb_code").set_value("M3").run()
    text = "\n".join([m.value for m in at.markdown] + [h.value for h in at.html])  # the chip is st.html
    assert "上下协商的组织机制" in text and "定义 Definition" in text and "适用 Use when" in text
    assert "- name" in at.code[0].value  # the code's rules as YAML
    assert "同 same as the project" in at.caption[0].value or "与项目相同" in at.caption[0].value


def test_rename_and_recolour_saved_update_the_file_and_the_database(monkeypatch, files):
    project, codebook = files
    at = open_page(monkeypatch, files)
    at.selectbox(key="cb_code").set_value("M2").run()
    at.text_input(key="cb_name").set_value("信息直通机制")
    at.color_picker(key="cb_color").set_value("#112233")
    at.button(key="cb_apply_rename").click().run()
    ok(at)
    assert "未保存的修改" in "\n".join(m.value for m in at.markdown)
    assert load_codebook(codebook).code("M2").name == "直入基层的信息机制"  # a draft until saved
    assert not at.button(key="cb_save").disabled  # no rule changed: no preview needed
    at.button(key="cb_save").click().run()
    ok(at)
    assert "已保存 Saved" in at.success[0].value
    saved = load_codebook(codebook)
    assert saved.version == "1.0.1"
    assert (saved.code("M2").name, saved.code("M2").color) == ("信息直通机制", "#112233")
    assert db_code(project, "M2")[:2] == ("信息直通机制", "#112233")
    p = Project.open(project)
    assert p.codebook() == saved
    p.close()
    assert at.button(key="cb_save").disabled  # draft == project again


def test_merge_via_the_page_moves_every_application(monkeypatch, files):
    project, codebook = files
    p = Project.open(project)
    before = code_usage(p)
    p.close()
    at = open_page(monkeypatch, files)
    at.selectbox(key="cb_code").set_value("M1.1").run()
    at.selectbox(key="cb_merge_into").set_value("M1")
    at.button(key="cb_apply_merge").click().run()
    assert "勾选确认" in at.error[0].value  # not without the confirmation
    at.checkbox(key="cb_merge_ok").check()
    at.button(key="cb_apply_merge").click().run()
    ok(at)
    assert at.selectbox(key="cb_code").value == "M1"
    assert at.button(key="cb_save").disabled  # merges change what rules do: preview first
    at.button(key="cb_preview_btn").click().run()
    ok(at)
    at.checkbox(key="cb_recode").uncheck()
    at.button(key="cb_save").click().run()
    ok(at)
    moved = sum(before["M1.1"].values())
    assert f"M1.1: {moved}" in plain(at.success[0].value)
    p = Project.open(project)
    after = code_usage(p)
    p.close()
    assert "M1.1" not in after
    # every application moved; only exact duplicates (same span already suggested for M1) were dropped
    assert sum(before["M1"].values()) < sum(after["M1"].values()) <= sum(before["M1"].values()) + moved
    assert db_code(project, "M1.1")[2]  # retired in the database, kept for history
    assert "M1.1" not in load_codebook(codebook).codes_by_id


def test_rules_edit_is_checked_previewed_then_saved(monkeypatch, files):
    project, codebook = files
    at = open_page(monkeypatch, files)
    at.selectbox(key="cb_code").set_value("M3").run()
    at.text_area(key="cb_rules").set_value("- name: loose\n  weight: 3\n  any: ['@协商会商']\n")
    at.button(key="cb_rules_apply").click().run()
    assert "rules of M3:2" in plain(at.error[0].value) and "weight 3.0 is out of range" in plain(at.error[0].value)
    assert at.button(key="cb_save").disabled  # the draft did not change
    at.text_area(key="cb_rules").set_value("- name: loose\n  weight: 0.6\n  any: ['@协商会商']\n")
    at.button(key="cb_rules_preview").click().run()
    ok(at)
    summary = "\n".join(m.value for m in at.markdown)
    assert "新增建议 added" in summary
    counts = at.dataframe[1].value.set_index("编码 Code")
    assert any(k.startswith("M3") for k in counts.index)
    samples = at.dataframe[2].value
    assert len(samples) and all("【" in t for t in samples["句子 Sentence 【evidence】"])
    assert not at.button(key="cb_save").disabled
    at.button(key="cb_save").click().run()
    ok(at)
    assert "re-coded M3" in plain(at.success[0].value)
    assert [r.name for r in load_codebook(codebook).code("M3").rules] == ["loose"]
    p = Project.open(project)
    assert [r.name for r in p.codebook().code("M3").rules] == ["loose"]
    p.close()


def test_add_move_retire_then_discard(monkeypatch, files):
    project, codebook = files
    at = open_page(monkeypatch, files)
    at.text_input(key="cb_new_id").set_value("T6")
    at.text_input(key="cb_new_name").set_value("新理论")
    at.text_input(key="cb_new_name_en").set_value("New theory")
    at.selectbox(key="cb_new_parent").set_value("T")
    at.text_input(key="cb_new_short").set_value("一句话。")
    at.text_area(key="cb_new_definition").set_value("完整定义。")
    at.text_area(key="cb_new_use_when").set_value("适用一\n适用二")
    at.text_area(key="cb_new_examples").set_value("例句 || 说明")
    at.button(key="cb_apply_add").click().run()
    ok(at)
    assert at.selectbox(key="cb_code").value == "T6"
    assert "　T6 新理论" in at.dataframe[0].value["编码 Code"].tolist()
    at.selectbox(key="cb_parent").set_value("M")
    at.button(key="cb_apply_move").click().run()
    ok(at)
    order = at.dataframe[0].value["编码 Code"].tolist()
    assert order.index("M5 一事一策的精细化机制".join(["　", ""])) < order.index("　T6 新理论") < order.index("R 角色")
    assert at.session_state["cb_draft"].code("T6").parent == "M"
    at.selectbox(key="cb_code").set_value("M1").run()
    at.button(key="cb_retire").click().run()
    assert "active sub-codes" in plain(at.error[0].value)
    at.selectbox(key="cb_code").set_value("T5").run()
    at.button(key="cb_retire").click().run()
    ok(at)
    assert at.session_state["cb_draft"].code("T5").retired
    at.button(key="cb_discard").click().run()
    ok(at)
    assert "T6" not in at.session_state["cb_draft"].codes_by_id
    assert load_codebook(codebook) == load_codebook(CODEBOOK)  # nothing was written
    assert not db_code(project, "T5")[2]


def test_code_names_are_escaped(monkeypatch, files):
    at = open_page(monkeypatch, files)
    at.selectbox(key="cb_code").set_value("M2").run()
    hostile = "<script>alert(1)</script><img src=x onerror=alert(1)>**粗体**[a](javascript:alert(1))"
    at.text_input(key="cb_name").set_value(hostile)
    at.button(key="cb_apply_rename").click().run()
    ok(at)
    chip = [h.value for h in at.html if "cb-chip" in h.value]  # st.html: sanitised, no Markdown
    assert len(chip) == 1 and "M2 &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" \
        "**粗体**[a](javascript:alert(1))</b>" in chip[0]
    assert "<script" not in chip[0] and "<img" not in chip[0] and "<a " not in chip[0]
    shown = [m.value for m in at.markdown if "onerror" in m.value]
    assert all("<img" not in m and "<script" not in m and "](" not in m for m in shown)
    assert not any(m.value.count("<") > m.value.count("&lt;") for m in at.markdown if "alert" in m.value)
    assert "<img" not in at.success[0].value and "\\*\\*粗体\\*\\*" in at.success[0].value


def test_saving_needs_a_coder(monkeypatch, files):
    at = open_page(monkeypatch, files, coder=None)
    at.selectbox(key="cb_code").set_value("M2").run()
    at.color_picker(key="cb_color").set_value("#000000")
    at.button(key="cb_apply_rename").click().run()
    assert at.button(key="cb_save").disabled
    assert any("编码员" in c.value for c in at.caption)


def test_a_changed_file_can_be_loaded_into_the_draft(monkeypatch, files):
    project, codebook = files
    codebook.write_text(codebook.read_text(encoding="utf-8").replace("name: 运动式治理", "name: 运动式治理机制"),
                        encoding="utf-8")
    at = open_page(monkeypatch, files)
    assert any("differs from the project" in w.value for w in at.warning)
    at.button(key="cb_load_file").click().run()
    ok(at)
    assert at.session_state["cb_draft"].code("T5").name == "运动式治理机制"
    at.button(key="cb_save").click().run()
    ok(at)
    assert db_code(project, "T5")[0] == "运动式治理机制"
    assert not at.warning


def add_relation_in_form(at, source: str, label: str, target: str, *, direction: str | None = None) -> None:
    """Fill the Codebook page's relation form and apply it."""
    at.selectbox(key="cb_rel_source").set_value(source)
    at.text_input(key="cb_rel_label").set_value(label)
    at.selectbox(key="cb_rel_target").set_value(target)
    if direction is not None:
        at.radio(key="cb_rel_direction").set_value(direction)
    at.button(key="cb_apply_relation").click().run()


def test_relations_are_drawn_added_saved_and_removed(monkeypatch, files):
    project, codebook = files
    at = open_page(monkeypatch, files)
    assert any("还没有关系" in i.value for i in at.info)
    add_relation_in_form(at, "F1", "促成 enables", "M3")
    ok(at)
    add_relation_in_form(at, "M2", "提供信息 informs", "M5", direction="both")
    ok(at)
    add_relation_in_form(at, "M2", "自指 self", "M2")
    assert "to itself" in plain(at.error[0].value)  # refused with the reason; the draft keeps two
    (shown,) = [d.value for d in at.dataframe if "关系 Relation" in d.value.columns]
    assert shown["关系 Relation"].tolist() == ["促成 enables", "提供信息 informs"]
    assert len(at.get("graphviz_chart")) == 1
    at.button(key="cb_save").click().run()
    ok(at)
    saved = load_codebook(codebook)
    assert [(r.source, r.label, r.target, r.direction) for r in saved.relations] == [
        ("F1", "促成 enables", "M3", "one-way"), ("M2", "提供信息 informs", "M5", "both")]
    p = Project.open(project)
    assert p.codebook() == saved
    p.close()
    at.selectbox(key="cb_rel_pick").set_value(0)
    at.button(key="cb_rel_remove").click().run()
    ok(at)
    at.button(key="cb_save").click().run()
    ok(at)
    assert [r.label for r in load_codebook(codebook).relations] == ["提供信息 informs"]
