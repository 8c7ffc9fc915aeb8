"""Reliability of a real project (coding.agreement_data): known decisions → exact unit counts and values."""

from __future__ import annotations

import codecs
import csv
import io

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from coding.agreement_data import POOLED, agreement_report, decided_coders, report_csv
from coding.autocode import code_project
from coding.decisions import accept, add_code, pending_suggestions, reject
from coding.errors import BaolianError
from coding.store import CodeApplication, Code, Coder, Document
from coding.store.models import utcnow

nan = np.nan
TOL = 1e-9
# doc A: 17 code points; sentences [0,4) [4,8) [8,12) [13,17) (a newline at 12)
TEXT_A = "一二三。四五六。七八九。\n十一二。\n"
# doc B: 9 code points; sentences [0,5) [5,9)
TEXT_B = "甲乙丙丁。戊己庚。\n"
TEXT_C = "子丑寅卯。辰巳午未。\n"


@pytest.fixture
def team(project, tmp_path):
    """ann and bob code document A; ann and cat code B; ann and bob also coded C, which was then deleted."""
    for name, text in (("a.txt", TEXT_A), ("b.txt", TEXT_B), ("c.txt", TEXT_C)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = project.import_paths([tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"])
    assert not report.refused
    ids = {d.filename: d.id for d in project.documents()}
    a, b, c = ids["a.txt"], ids["b.txt"], ids["c.txt"]
    add_code(project, a, 0, 2, "M1", coder="ann")
    add_code(project, a, 5, 10, "M2", coder="ann")  # sentences 1 and 2
    add_code(project, a, 1, 3, "M1", coder="bob")
    add_code(project, a, 13, 15, "M2", coder="bob")  # sentence 3
    add_code(project, b, 0, 9, "M1", coder="ann")  # both sentences
    add_code(project, b, 5, 9, "M1", coder="cat")  # the second sentence
    add_code(project, c, 0, 4, "M3", coder="ann")
    add_code(project, c, 0, 4, "M4", coder="bob")
    add_code(project, c, 0, 4, "M5", coder="dan")  # dan coded only C
    with project.transaction() as s:
        s.get(Document, c).deleted_at = utcnow()
        # an adjudicated 'final' coding is not a coder's coding
        bob = s.query(Coder).filter_by(name="bob").one()
        m1 = s.query(Code).filter_by(key="M1").one()
        s.add(CodeApplication(document_id=a, start=4, end=12, code_id=m1.id, coder_id=bob.id, origin="human",
                              status="accepted", layer="final", evidence=[]))
    return {"a": a, "b": b, "c": c}


def row(report, code):
    (found,) = [r for r in report.rows if r.code == code]
    return found


def test_segment_level_two_coders(project, team):
    assert decided_coders(project) == ["ann", "bob", "cat"]  # dan coded only a deleted document
    rep = agreement_report(project, coders=["ann", "bob"], unit="segment", codes=["M1", "M2"])
    assert rep.unit == "segment" and rep.n_units == 4 and rep.coders == ("ann", "bob")
    assert rep.documents == (team["a"],) and rep.n_complete == 4
    assert "N = 4" in rep.summary() and "ann, bob" in rep.summary() and "句子" in rep.summary()
    m1, m2 = row(rep, "M1"), row(rep, "M2")
    # M1: both coded sentence 0 only (the final-layer M1 on sentences 1–2 does not count)
    assert (m1.percent, m1.kappa, m1.alpha, m1.fleiss, m1.present) == (1.0, 1.0, 1.0, 1.0, 1)
    # M2: ann [0,1,1,0], bob [0,0,0,1]: p_o = .25, p_e = .5·.25 + .5·.75 = .5 → κ = −0.5
    ann, bob = [0, 1, 1, 0], [0, 0, 0, 1]
    assert m2.percent == 0.25 and m2.present == 3
    assert m2.kappa == pytest.approx(-0.5, abs=TOL)
    assert m2.kappa == pytest.approx(cohen_kappa_score(ann, bob), abs=TOL)
    assert m2.alpha == pytest.approx(krippendorff.alpha([ann, bob], level_of_measurement="nominal"), abs=TOL)
    pooled = [[1, 0, 0, 0, *ann], [1, 0, 0, 0, *bob]]
    assert rep.pooled.name == POOLED and rep.pooled.n_units == 8
    assert rep.pooled.kappa == pytest.approx(cohen_kappa_score(*pooled), abs=TOL)
    assert rep.pooled.alpha == pytest.approx(krippendorff.alpha(pooled, level_of_measurement="nominal"), abs=TOL)
    assert rep.pooled.percent == pytest.approx(5 / 8)
    assert rep.mean.kappa == pytest.approx((1.0 - 0.5) / 2) and rep.mean.percent == pytest.approx(0.625)


def test_char_level_two_coders(project, team):
    rep = agreement_report(project, coders=["ann", "bob"], unit="char", codes=["M1", "M2"])
    assert rep.unit == "char" and rep.n_units == 17  # every code point of A, the newline too
    def chars(*spans):
        v = np.zeros(17)
        for s, e in spans:
            v[s:e] = 1
        return v
    m1 = [chars((0, 2)), chars((1, 3))]
    m2 = [chars((5, 10)), chars((13, 15))]
    for code, data in (("M1", m1), ("M2", m2)):
        r = row(rep, code)
        assert r.percent == pytest.approx(np.mean(data[0] == data[1]), abs=TOL)
        assert r.kappa == pytest.approx(cohen_kappa_score(*data), abs=TOL)
        assert r.alpha == pytest.approx(krippendorff.alpha(data, level_of_measurement="nominal"), abs=TOL)
    assert row(rep, "M1").percent == pytest.approx(15 / 17) and row(rep, "M1").present == 3
    assert row(rep, "M2").percent == pytest.approx(10 / 17) and row(rep, "M2").present == 7
    pooled = np.hstack([m1, m2])
    assert rep.pooled.n_units == 34
    assert rep.pooled.kappa == pytest.approx(cohen_kappa_score(*pooled), abs=TOL)


@pytest.mark.parametrize("unit", ["segment", "char"])
def test_three_coders_with_missing_documents(project, team, unit):
    rep = agreement_report(project, unit=unit, codes=["M1", "M2"])  # default: everyone with decisions
    assert rep.coders == ("ann", "bob", "cat")
    assert rep.documents == (team["a"], team["b"])
    if unit == "segment":
        assert rep.n_units == 6
        m1 = [[1, 0, 0, 0, 1, 1], [1, 0, 0, 0, nan, nan], [nan, nan, nan, nan, 0, 1]]
    else:
        assert rep.n_units == 17 + 9
        ann = np.r_[np.r_[1, 1, np.zeros(15)], np.ones(9)]
        bob = np.r_[np.r_[0, 1, 1, np.zeros(14)], np.full(9, nan)]
        cat = np.r_[np.full(17, nan), np.r_[np.zeros(5), np.ones(4)]]
        m1 = [ann, bob, cat]
    r = row(rep, "M1")
    assert r.alpha == pytest.approx(krippendorff.alpha(m1, level_of_measurement="nominal"), abs=TOL)
    assert r.kappa is None and r.fleiss is None  # κ is for two coders; no unit was coded by all three
    assert rep.n_complete == 0
    assert any("Fleiss" in n for n in rep.notes) and any("Cohen" in n for n in rep.notes)


def test_codes_nobody_used_and_csv(project, team):
    rep = agreement_report(project, coders=["ann", "bob"])
    keys = [r.code for r in rep.rows]
    assert "M1" in keys and "M" not in keys and "M3" in keys  # codable codes only; groups left out
    m3 = row(rep, "M3")  # coded only on the deleted document
    assert m3.percent == 1.0 and m3.present == 0
    assert m3.kappa is None and m3.alpha is None and m3.fleiss is None
    assert "no variation" in m3.reason and "κ" in m3.reason
    data = report_csv(rep)
    assert data.startswith(codecs.BOM_UTF8)
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(table) == len(rep.rows) + 2
    first = table[0]
    assert first["unit"] == "segment" and first["n_units"] == "4" and first["coders"] == "ann;bob"
    by_code = {r["code"]: r for r in table}
    assert by_code["M3"]["kappa"] == "" and "no variation" in by_code["M3"]["reason"]
    assert float(by_code["M1"]["kappa"]) == 1.0
    assert table[-2]["name"] == POOLED
    assert rep.to_dict()["overall"]["pooled"]["n_units"] == 4 * len(rep.rows)


def test_clear_errors(project, team):
    with pytest.raises(BaolianError, match="at least two coders"):
        agreement_report(project, coders=["ann"])
    with pytest.raises(BaolianError, match="no decisions by coder 'zoe'"):
        agreement_report(project, coders=["ann", "zoe"])
    with pytest.raises(BaolianError, match="unknown code"):
        agreement_report(project, coders=["ann", "bob"], codes=["M9"])
    with pytest.raises(BaolianError, match="group"):
        agreement_report(project, coders=["ann", "bob"], codes=["M"])
    with pytest.raises(BaolianError, match="unknown unit"):
        agreement_report(project, coders=["ann", "bob"], unit="word")


def test_no_coders_and_no_shared_documents(project, tmp_path):
    with pytest.raises(BaolianError, match="nobody has made decisions"):
        agreement_report(project)
    (tmp_path / "x.txt").write_text(TEXT_A, encoding="utf-8")
    (tmp_path / "y.txt").write_text(TEXT_B, encoding="utf-8")
    project.import_paths([tmp_path / "x.txt", tmp_path / "y.txt"])
    ids = sorted(d.id for d in project.documents())
    add_code(project, ids[0], 0, 2, "M1", coder="ann")
    add_code(project, ids[1], 0, 2, "M1", coder="bob")
    rep = agreement_report(project, unit="char")
    assert rep.n_units == 0 and rep.documents == ()
    assert row(rep, "M1").percent is None and row(rep, "M1").alpha is None
    assert any("no document" in n for n in rep.notes)


def test_a_rejection_counts_as_working_on_a_document(project, tmp_path):
    (tmp_path / "r.txt").write_text("包联领导牵头成立工作专班，定期召开联席会议。\n", encoding="utf-8")
    project.import_paths([tmp_path / "r.txt"])
    code_project(project)
    sugs = pending_suggestions(project, coder=None)
    assert sugs, "the rules suggest something for this sentence"
    accept(project, sugs[0].id, coder="ann")
    reject(project, sugs[0].id, coder="bob")
    rep = agreement_report(project, unit="segment", codes=[sugs[0].code])
    assert rep.n_units == 1 and rep.coders == ("ann", "bob")
    r = rep.rows[0]
    assert r.percent == 0.0 and r.present == 1
    assert r.kappa == 0.0  # ann always present, bob always absent: p_o = p_e = 0


def test_interval_arithmetic_equals_a_naive_count(project, tmp_path):
    """Random overlapping spans of three coders: char and segment level equal a per-code-point / per-sentence
    computation done the slow, obvious way."""
    from coding.agreement import reliability

    text = "".join(f"第{i}句话有一些内容，也有别的。" + ("\n" if i % 4 == 3 else "") for i in range(14))
    (tmp_path / "r.txt").write_text(text, encoding="utf-8")
    project.import_paths([tmp_path / "r.txt"])
    (doc,) = project.documents()
    rng = np.random.default_rng(11)
    spans = {c: [] for c in ("ann", "bob", "cat")}
    for name in spans:
        for _ in range(8):
            start = int(rng.integers(0, doc.n_chars - 1))
            end = int(min(doc.n_chars, start + rng.integers(1, 30)))
            code = str(rng.choice(["M1", "M2"]))
            add_code(project, doc.id, start, end, code, coder=name)
            spans[name].append((start, end, code))
    sentences = [(s.start, s.end) for s in project.segments(doc.id, "sentence")]
    for unit in ("char", "segment"):
        rep = agreement_report(project, unit=unit, codes=["M1", "M2"])
        for code in ("M1", "M2"):
            if unit == "char":
                data = np.zeros((3, doc.n_chars))
                for i, name in enumerate(spans):
                    for s, e, c in spans[name]:
                        if c == code:
                            data[i, s:e] = 1
            else:
                data = np.array([[float(any(c == code and s < b and e > a for s, e, c in spans[name]))
                                  for a, b in sentences] for name in spans])
            want = reliability(data)
            got = row(rep, code)
            assert got.n_units == data.shape[1]
            for measure in ("percent", "alpha", "fleiss"):
                expected = getattr(want, measure).value
                assert getattr(got, measure) == pytest.approx(expected, abs=TOL), (unit, code, measure)
            assert got.alpha == pytest.approx(krippendorff.alpha(data, level_of_measurement="nominal"), abs=TOL)


def test_agreement_on_chosen_documents(project, team):
    everyone = agreement_report(project, coders=["ann", "bob", "cat"])
    assert everyone.documents == (team["a"], team["b"])
    only_b = agreement_report(project, coders=["ann", "bob", "cat"], documents=[team["b"]])
    assert only_b.documents == (team["b"],) and only_b.n_units == 2  # B's two sentences
    # ann and cat on B: M1 in sentence 2 by both, in sentence 1 by ann only
    assert row(only_b, "M1").percent == 0.5
    assert agreement_report(project, coders=["ann", "bob"], documents=[team["b"]]).documents == ()  # bob: not B
