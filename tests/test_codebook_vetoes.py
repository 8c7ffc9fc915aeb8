"""Named vetoes meet the project: editing and saving a codebook keeps them (file, CodebookVersion, reload),
and re-coding counts a changed veto as a change of every rule that uses it."""

from __future__ import annotations

from coding.autocode import code_project, rule_fingerprints
from coding.codebook import Veto, dump_codebook, load_codebook
from coding.codebook_edit import code_vetoes, rename_code, rules_yaml, set_rules
from coding.codebook_save import describe_changes, preview_rules, save_codebook_to_project
from coding.decisions import pending_suggestions
from coding.rules import compile_codebook, suggest_for_units

MEETING = "拟于下周召开专班会议，各部门一起商量低保问题。"  # M3; the scheduling veto silences some M3 rules


def vetoes_of(cb) -> dict:
    return {"vetoes": cb.vetoes, "defaults": cb.rule_defaults,
            "code defaults": {c.id: c.rule_defaults for c in cb.codes},
            "rules": {(c.id, r.name): (r.veto, r.skip_veto) for c in cb.codes for r in c.rules}}


def users_of(cb, veto: str) -> set[str]:
    return {c.id for c in cb.codable_codes() for r in c.rules if veto in cb.rule_vetoes(r, c)}


def with_veto(cb, name: str, **fields):
    return cb.model_copy(update={"vetoes": {**cb.vetoes, name: Veto(**{**cb.vetoes[name].model_dump(exclude_defaults=True), **fields})}})


def m3_rules(project, doc_id: int) -> set[str]:
    return {e["rule"] for a in pending_suggestions(project, coder=None, document_id=doc_id, codes=["M3"])
            for e in a.evidence}


def test_editing_and_saving_keeps_the_vetoes_and_they_still_apply(project, tmp_path):
    cb = project.codebook()
    assert cb.vetoes and cb.rule_defaults.veto == ["interviewer_line", "meta_line", "short_heading"]
    assert any(name == "meeting_scheduling" for name, _, _ in code_vetoes(cb, "M3"))
    # edit a code (rename) and another code's rules through the editor's YAML text, unchanged
    edited = set_rules(rename_code(cb, "M2", "信息直通机制"), "F1", rules_yaml(cb, "F1"))
    assert "veto: [" in rules_yaml(cb, "F1") and "skip_veto: [meta_line, short_heading]" in rules_yaml(cb, "F1")
    assert rules_yaml(cb, "F1").startswith("rule_defaults:\n  veto: [r7a_headline_or_label]\nrules:\n")
    assert not rules_yaml(cb, "M2").startswith("rule_defaults")  # a plain list where the code has no defaults
    assert vetoes_of(edited) == vetoes_of(cb)
    target = tmp_path / "codebook.yaml"
    result = save_codebook_to_project(project, edited, target, coder="甲")
    assert result.changed and result.version == "1.0.1"
    for again in (load_codebook(target), project.codebook()):  # the file and the project's CodebookVersion
        assert again.code("M2").name == "信息直通机制"
        assert vetoes_of(again) == vetoes_of(cb)
        assert dump_codebook(again) == target.read_text(encoding="utf-8")
        compiled = compile_codebook(again)
        found = suggest_for_units(["访谈者：领导包案以后怎么办？", "区里定了由副区长包案，这事才有了主心骨。"], compiled)
        assert found[0] == [] and [s.code for s in found[1]] == ["F1"]  # the default interviewer veto applies


def test_a_changed_veto_recodes_exactly_the_codes_that_use_it(project, tmp_path):
    source = tmp_path / "meeting.txt"
    source.write_text(f"{MEETING}\n\n区里定了由副区长包案，这事才有了主心骨。\n", encoding="utf-8")
    project.import_paths([source])
    doc_id = project.documents()[0].id
    code_project(project)
    cb = project.codebook()
    before = m3_rules(project, doc_id)
    assert before and "convened-meeting" not in before  # vetoed by meeting_scheduling
    target = tmp_path / "codebook.yaml"

    # a description is no matching: nothing to re-code
    reworded = with_veto(cb, "meeting_scheduling", description="会议日程安排")
    assert rule_fingerprints(reworded) == rule_fingerprints(cb)
    assert preview_rules(project, reworded).recoded == []
    assert any("meeting_scheduling" in line for line in describe_changes(cb, reworded))

    # a veto that no longer matches this unit: every code with a rule using it is re-coded, and only those
    loosened = with_veto(reworded, "meeting_scheduling", exclude_regex=["(拟于|定于|另行)[^。]{0,12}(召开|通知)的通知"])
    users = users_of(cb, "meeting_scheduling")
    assert "M3" in users and users < {c.id for c in cb.codable_codes() if c.rules}  # some codes, not all
    changed = {c for c, fp in rule_fingerprints(loosened).items() if rule_fingerprints(cb)[c] != fp}
    assert changed == users
    preview = preview_rules(project, loosened)
    assert preview.recoded == sorted(users)
    save_codebook_to_project(project, loosened, target, coder="甲")
    run = code_project(project)
    assert run.recoded == sorted(users)
    assert "convened-meeting" in m3_rules(project, doc_id)  # the rule the veto silenced now gives evidence

    # a default veto is used by every rule: every code with rules is re-coded
    cb = project.codebook()
    stricter = with_veto(cb, "interviewer_line", exclude_regex=["^(访谈者|采访者|记者|主持人|问|答)[:：]"])
    expected = sorted(users_of(cb, "interviewer_line"))
    assert expected == sorted({c.id for c in cb.codable_codes() if c.rules})
    assert preview_rules(project, stricter).recoded == expected
    save_codebook_to_project(project, stricter, target, coder="甲")
    assert code_project(project).recoded == expected
    assert project.codebook().vetoes["interviewer_line"].exclude_regex[0].endswith("|答)[:：]")
