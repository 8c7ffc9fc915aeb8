"""Applying the codebook to a project: suggestions with evidence; decisions survive re-coding."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coding.autocode import code_project, rule_fingerprints
from coding.codebook import dump_codebook, load_codebook, parse_codebook
from coding.decisions import accept, pending_suggestions, reject
from coding.store import CodeApplication, Event

from .conftest import CODEBOOK, CORPUS


@pytest.fixture
def coded(project):
    project.import_paths([CORPUS / "interviews" / "i01_lhy_vice_district_head.txt",
                          CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml")
    run = code_project(project)
    assert run.added > 0
    return project


def test_suggestions_carry_score_origin_version_and_evidence(coded):
    sugs = pending_suggestions(coded, coder="甲")
    assert sugs
    for sug in sugs:
        text = coded.document_text(sug.document_id)
        assert 0 < sug.score <= 1 and sug.origin == "rule" and sug.made_by.startswith("rules:")
        assert sug.segment_id is not None
        assert sug.evidence
        for ev in sug.evidence:
            assert text[ev["start"]:ev["end"]] == ev["text"] and ev["rule"]
            assert sug.start <= ev["start"] and ev["end"] <= sug.end


def test_rerun_without_changes_does_nothing(coded):
    before = coded.info()["code_applications"]
    run = code_project(coded)
    assert run.documents == 0 and run.added == 0
    assert coded.info()["code_applications"] == before


def test_codebook_edit_recodes_only_changed_codes_and_keeps_decisions(coded):
    sugs = pending_suggestions(coded, coder="甲")
    m_codes = [s for s in sugs if s.code.startswith("M")]
    target = m_codes[0]
    accept(coded, target.id, coder="甲")
    others = [s for s in sugs if s.code == target.code and s.id != target.id]
    if others:
        reject(coded, others[0].id, coder="甲")
    codebook = coded.codebook()
    # Drop every rule of the target code: its undecided suggestions go, decided ones stay.
    data = dump_codebook(codebook)
    edited = parse_codebook(data)
    codes = [c.model_copy(update={"rules": []}) if c.id == target.code else c for c in edited.codes]
    edited = edited.model_copy(update={"codes": codes})
    assert rule_fingerprints(edited)[target.code] != rule_fingerprints(codebook)[target.code]
    coded.set_codebook(edited)
    run = code_project(coded)
    assert run.recoded == [target.code]
    with coded.read() as s:
        remaining = s.scalars(select(CodeApplication).where(CodeApplication.coder_id.is_(None))).all()
        decisions = s.scalar(select(func.count()).select_from(CodeApplication)
                             .where(CodeApplication.coder_id.is_not(None)))
    assert decisions == (2 if others else 1)
    kept = {r.id for r in remaining}
    assert target.id in kept  # the suggestion a coder decided stays
    left_for_code = [s for s in pending_suggestions(coded, coder="甲") if s.code == target.code]
    assert left_for_code == []
    assert run.removed > 0 or not others
    # every replaced suggestion is in the event log, with its span and code
    gone = {sg.id: sg for sg in sugs if sg.code == target.code and sg.id not in kept and sg.id != target.id}
    with coded.read() as s:
        events = s.scalars(select(Event).where(Event.action == "autocode.document").order_by(Event.id)).all()
    logged = {r[0]: r for e in events for r in (e.before or {}).get("replaced", [])}
    for sid, sg in gone.items():
        if sid in {o.id for o in others[:1]}:
            continue  # the rejected one was decided: kept, not replaced
        assert sid in logged and tuple(logged[sid][2:4]) == (sg.start, sg.end)


def test_new_documents_are_coded_on_the_next_run(coded):
    n = len(coded.documents())
    coded.import_paths([CORPUS / "news"], manifest=CORPUS / "corpus.yaml")
    run = code_project(coded)
    assert run.documents == 1 and len(coded.documents()) == n + 1


def test_no_codebook_is_a_clear_error(tmp_path):
    from coding.errors import BaolianError
    from coding.project import Project

    p = Project.init(tmp_path / "empty.sqlite")
    with pytest.raises(BaolianError, match="no codebook"):
        code_project(p)


def test_reference_codebook_fingerprints_cover_codable_codes():
    codebook = load_codebook(CODEBOOK)
    prints = rule_fingerprints(codebook)
    assert set(prints) == {c.id for c in codebook.codable_codes()}
