"""Blind double coding: assignments, blind mode and its visibility rule, enforced in `coding`, admin-only changes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from coding.assignments import (
    adjudication_state,
    assign,
    assignments,
    blinded,
    close_adjudication,
    documents_for,
    is_blind,
    open_adjudication,
    set_blind,
    unassign,
    visible_documents,
)
from coding.decisions import accept, add_code, document_applications, pending_suggestions, reject
from coding.errors import BaolianError
from coding.review import review_options, review_page
from coding.roles import Forbidden
from coding.store import Assignment, Code, CodeApplication, Coder, Event

TEXT = "第一句话。第二句话很长。第三句。\n\n第二段第一句。第二段第二句。\n"
ACCOUNTS = {"boss": "admin", "A": "coder", "B": "coder", "V": "viewer"}


def add_accounts(p, accounts: dict[str, str]) -> None:
    """Accounts straight as rows (role set; no password needed for the core's checks)."""
    with p.transaction() as s:
        for name, role in accounts.items():
            s.add(Coder(name=name, role=role, active=True))


def add_suggestion(p, doc_id: int, start: int, end: int, code: str) -> int:
    """A machine suggestion (coder NULL, status 'suggested'), as the auto-coder writes it."""
    with p.transaction() as s:
        code_id = s.scalar(select(Code.id).where(Code.key == code))
        row = CodeApplication(document_id=doc_id, start=start, end=end, code_id=code_id, coder_id=None,
                              origin="rule", status="suggested", score=0.9, evidence=[], made_by="test")
        s.add(row)
        s.flush()
        return row.id


@pytest.fixture
def docs(project, tmp_path):
    for i in (1, 2):
        (tmp_path / f"d{i}.txt").write_text(TEXT.replace("第一句话", f"文档{i}第一句话"), encoding="utf-8")
    report = project.import_paths([tmp_path / "d1.txt", tmp_path / "d2.txt"])
    assert not report.refused
    return project, [d.id for d in project.documents()]


@pytest.fixture
def team(docs):
    """Two coders A and B on document 1 in a project with accounts; A and B each coded, plus two suggestions."""
    p, (d1, d2) = docs
    add_accounts(p, ACCOUNTS)
    s1 = add_suggestion(p, d1, 0, 7, "F1")
    s2 = add_suggestion(p, d1, 7, 14, "M2")
    assert assign(p, [d1], ["A", "B"], by="boss") == 2
    a_add = add_code(p, d1, 14, 18, "F2", coder="A")
    accept(p, s1, coder="A")
    reject(p, s2, coder="A")
    b_add = add_code(p, d1, 20, 25, "M3", coder="B")
    return p, d1, d2, {"s1": s1, "s2": s2, "a_add": a_add, "b_add": b_add}


def coders_seen(apps) -> set:
    return {a.coder for a in apps if a.coder}


def test_assign_list_unassign_and_events(docs):
    p, (d1, d2) = docs
    assert assign(p, [d1, d2], ["A", "B"], by="lead") == 4
    assert assign(p, [d1], ["A", "C"], by="lead") == 1  # only the new pair
    rows = assignments(p)
    assert {(r.document_id, r.coder) for r in rows} == {(d1, "A"), (d1, "B"), (d1, "C"), (d2, "A"), (d2, "B")}
    assert all(r.assigned_by == "lead" for r in rows)
    assert [d.id for d in documents_for(p, "C")] == [d1]
    assert [d.id for d in documents_for(p, "A")] == [d1, d2]
    assert documents_for(p, "nobody") == []
    assert unassign(p, [d2], ["A", "B"], by="lead") == 2
    assert [d.id for d in documents_for(p, "A")] == [d1]
    with p.read() as s:
        actions = list(s.scalars(select(Event.action).where(Event.entity == "assignment").order_by(Event.id)))
        removed = s.scalar(select(Event).where(Event.action == "assignment.remove"))
    assert actions == ["assignment.add", "assignment.add", "assignment.remove"]
    assert sorted(map(tuple, removed.before["assigned"])) == sorted([(d2, "A"), (d2, "B")])


def test_assign_refuses_unknown_documents_and_non_coders(docs):
    p, (d1, _) = docs
    with pytest.raises(BaolianError, match="no document #999"):
        assign(p, [999], ["A"], by="lead")
    with pytest.raises(BaolianError, match="no coder"):
        assign(p, [d1], [" "], by="lead")
    add_accounts(p, ACCOUNTS)
    with pytest.raises(BaolianError, match="viewer and cannot code"):
        assign(p, [d1], ["V"], by="boss")
    with pytest.raises(BaolianError, match="not an active account"):
        assign(p, [d1], ["ghost"], by="boss")
    with p.read() as s:
        assert s.scalar(select(Assignment.id)) is None  # nothing half-done


@pytest.mark.parametrize("who", ["A", "V", None, "ghost"])
def test_only_admins_assign_switch_blind_and_open_adjudication(team, who):
    p, d1, d2, _ = team
    with pytest.raises(Forbidden):
        assign(p, [d2], ["B"], by=who)
    with pytest.raises(Forbidden):
        unassign(p, [d1], ["A"], by=who)
    with pytest.raises(Forbidden):
        set_blind(p, True, by=who)
    with pytest.raises(Forbidden):
        open_adjudication(p, by=who)
    with pytest.raises(Forbidden):
        close_adjudication(p, by=who)
    assert not is_blind(p) and adjudication_state(p) is False
    assert {r.coder for r in assignments(p)} == {"A", "B"}


def test_blind_coder_sees_only_own_decisions_until_adjudication(team):
    p, d1, d2, ids = team
    # before blind mode: B can look at A's decisions
    assert "A" in coders_seen(document_applications(p, d1, as_user="B"))
    assert set_blind(p, True, by="boss") and is_blind(p)
    assert not set_blind(p, True, by="boss")  # unchanged

    for coder in (None, "A"):
        seen = document_applications(p, d1, coder=coder, as_user="B")
        assert coders_seen(seen) == {"B"}, coder
        assert {a.id for a in seen if a.coder is None} == {ids["s1"], ids["s2"]}  # B still has both suggestions
        assert ids["a_add"] not in {a.id for a in seen}
    # A's queue would tell B what A decided: B gets their own
    assert {a.id for a in pending_suggestions(p, coder="A", as_user="B")} == {ids["s1"], ids["s2"]}
    assert review_page(p, coder="A", as_user="B").total == 2
    assert review_options(p, coder="A", as_user="B").total == 2
    # A sees their own; admins and trusted callers (no as_user) see everything
    assert coders_seen(document_applications(p, d1, as_user="A")) == {"A"}
    assert coders_seen(document_applications(p, d1, as_user="boss")) == {"A", "B"}
    assert coders_seen(document_applications(p, d1, coder="A", as_user="boss")) == {"A"}
    assert pending_suggestions(p, coder="A", as_user="boss") == []
    assert review_page(p, coder="A", as_user="boss").total == 0
    assert coders_seen(document_applications(p, d1)) == {"A", "B"}
    with p.read() as s:
        assert blinded(s, "B", d1) and blinded(s, "V", d1) and not blinded(s, "boss", d1)

    # adjudication opened for another document only: still blind on d1
    assert open_adjudication(p, by="boss", document_ids=[d2]) == [d2]
    assert coders_seen(document_applications(p, d1, as_user="B")) == {"B"}
    assert open_adjudication(p, by="boss", document_ids=[d1]) == [d1, d2]
    assert coders_seen(document_applications(p, d1, as_user="B")) == {"A", "B"}
    assert coders_seen(document_applications(p, d1, coder="A", as_user="B")) == {"A"}

    close_adjudication(p, by="boss")
    assert coders_seen(document_applications(p, d1, as_user="B")) == {"B"}
    assert open_adjudication(p, by="boss") is True and adjudication_state(p) is True
    assert coders_seen(document_applications(p, d1, as_user="B")) == {"A", "B"}
    assert pending_suggestions(p, coder="A", as_user="B") == []
    with p.read() as s:
        states = [e.after for e in s.scalars(select(Event).where(Event.action == "setting.set").order_by(Event.id))]
    assert states[0] == {"blind_coding": True}
    assert states[-1] == {"adjudication_open": True}


def test_blind_mode_without_accounts_hides_others_from_assigned_coders(docs):
    p, (d1, d2) = docs
    assign(p, [d1], ["A", "B"], by="lead")
    add_code(p, d1, 0, 4, "F1", coder="A")
    add_code(p, d1, 5, 9, "F2", coder="B")
    set_blind(p, True, by="lead")
    assert coders_seen(document_applications(p, d1, as_user="B")) == {"B"}
    assert coders_seen(document_applications(p, d1, as_user="lead")) == {"A", "B"}  # not a blinded coder
    assert [d.id for d in visible_documents(p, "B")] == [d1]  # assigned documents while blinded
    assert [d.id for d in visible_documents(p, "lead")] == [d1, d2]
    set_blind(p, False, by="lead")
    assert coders_seen(document_applications(p, d1, as_user="B")) == {"A", "B"}
    assert [d.id for d in visible_documents(p, "B")] == [d1, d2]


def test_final_rows_never_show_as_decisions(team):
    """An adjudicated coding (layer 'final') is not the admin's decision, nor a coder's."""
    p, d1, _, ids = team
    with p.transaction() as s:
        boss = s.scalar(select(Coder.id).where(Coder.name == "boss"))
        code_id = s.scalar(select(Code.id).where(Code.key == "F2"))
        s.add(CodeApplication(document_id=d1, start=14, end=18, code_id=code_id, coder_id=boss, origin="human",
                              status="accepted", evidence=[], layer="final", based_on=[ids["a_add"]]))
    assert "boss" not in coders_seen(document_applications(p, d1))
    assert all(a.coder is None for a in document_applications(p, d1, coder="boss"))
    assert len(pending_suggestions(p, coder="boss")) == 2


def test_blind_memos_and_history_show_only_ones_own(team):
    from coding.decisions import add_memo, history, memos

    p, d1, _, _ = team
    add_memo(p, "A's thought", coder="A", document_id=d1)
    add_memo(p, "B's thought", coder="B", document_id=d1)
    set_blind(p, True, by="boss")
    assert [m["text"] for m in memos(p, document_id=d1, as_user="B")] == ["B's thought"]
    assert {e["coder"] for e in history(p, as_user="B")} == {"B"}
    assert {e["coder"] for e in history(p, coder="A", as_user="B")} == {"B"}
    assert len(memos(p, document_id=d1, as_user="boss")) == 2
    assert {"A", "B", "boss"} <= {e["coder"] for e in history(p, as_user="boss")}
    open_adjudication(p, by="boss")
    assert len(memos(p, document_id=d1, as_user="B")) == 2
    assert "A" in {e["coder"] for e in history(p, as_user="B")}


def test_blind_history_hides_other_coders_work_until_adjudication(team, capsys):
    """The audit trail (历史 History page, `baolian history`) follows the blind rule too."""
    from coding.adjudication import decision_history
    from coding.audit import history as audit
    from coding.cli import main
    from coding.decisions import add_memo, remove_code, undo_last

    p, d1, _, ids = team
    add_memo(p, "A's thought", coder="A", document_id=d1)
    gone = add_code(p, d1, 0, 3, "M3", coder="A")
    remove_code(p, gone, coder="A")
    undo_last(p, coder="A")
    set_blind(p, True, by="boss")

    def users(entries, *actions):
        return {e.user for e in entries if e.action.startswith(actions)}

    work = ("coding.", "memo.", "undo")
    assert users(audit(p), *work) == {"A", "B"}  # trusted caller
    assert users(audit(p, as_user="boss"), *work) == {"A", "B"}  # admins see everything
    seen_by_b = audit(p, as_user="B")
    assert users(seen_by_b, *work) == {"B"}
    assert "assignment.add" in {e.action for e in seen_by_b}  # admin events are not coding work
    assert all("A's thought" not in e.summary for e in seen_by_b)
    assert users(audit(p, user="A", as_user="B"), *work) == set()
    assert users(audit(p, document=d1, as_user="B"), *work) == {"B"}
    assert users(audit(p, code="F2", as_user="B"), *work) == set()  # A's F2 coding stays hidden
    assert users(audit(p, as_user="A"), *work) == {"A"}
    with pytest.raises(Forbidden):
        decision_history(p, as_user="B")
    capsys.readouterr()
    assert main(["--user", "B", "history", "-p", p.url, "--json"]) == 0  # `baolian history` too
    assert {e["user"] for e in json.loads(capsys.readouterr().out) if e["action"].startswith(work)} == {"B"}
    open_adjudication(p, by="boss", document_ids=[d1])
    assert users(audit(p, as_user="B"), *work) == {"A", "B"}


def test_blind_coder_cannot_change_anothers_coding_by_its_id(team):
    from coding.decisions import remove_code, resize

    p, d1, _, ids = team
    set_blind(p, True, by="boss")
    with pytest.raises(BaolianError, match="no coding"):
        resize(p, ids["a_add"], 14, 17, coder="B", version=1)
    with pytest.raises(BaolianError, match="no coding"):
        remove_code(p, ids["a_add"], coder="B")
    assert ids["a_add"] in {a.id for a in document_applications(p, d1, coder="A")}
    resize(p, ids["a_add"], 14, 17, coder="boss", version=1)  # admins are not blinded
    open_adjudication(p, by="boss")
    # after blind coding, the usual rules: A now sees B's coding but, as a coder, changes only their own
    assert ids["b_add"] in {a.id for a in document_applications(p, d1, coder="B", as_user="A")}
    with pytest.raises(Forbidden, match="another coder's"):
        resize(p, ids["b_add"], 20, 24, coder="A", version=1)
    resize(p, ids["b_add"], 20, 24, coder="B", version=1)


def test_agreement_is_refused_to_a_blinded_coder(team):
    from coding.agreement_data import agreement_report

    p, d1, _, _ = team
    set_blind(p, True, by="boss")
    with pytest.raises(BaolianError, match="blind"):
        agreement_report(p, coders=["A", "B"], as_user="B")
    assert agreement_report(p, coders=["A", "B"], as_user="boss").n_coders == 2
    assert agreement_report(p, coders=["A", "B"]).n_coders == 2
    open_adjudication(p, by="boss")
    assert agreement_report(p, coders=["A", "B"], as_user="B").n_coders == 2
