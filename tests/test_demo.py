"""The demo project carries the demo corpus's real double coding as two coders' decisions (coding.demo).

The check is against the gold files themselves: every development sentence ends up with exactly the codes
each coder gave it, and Baolian's agreement report on the seeded project reproduces Cohen's kappa computed
here by hand from the gold rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coding.agreement_data import agreement_report
from coding.autocode import code_project
from coding.decisions import document_applications
from coding.demo import DEMO_CODERS, read_double_coding, seed_double_coding
from coding.errors import BaolianError
from coding.project import Project

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpus" / "gold"
CODEBOOK = ROOT / "codebook.yaml"


@pytest.fixture(scope="module")
def seeded(new_location):
    p = Project.init(new_location("seeded-demo"), codebook=CODEBOOK)
    assert not p.import_paths([ROOT / "corpus"], coder="demo").refused
    code_project(p)
    report = seed_double_coding(p, GOLD)
    yield p, report
    p.close()


def _top(code: str) -> str:
    return code.split(".")[0]


def test_every_sentence_gets_each_coders_codes(seeded):
    p, report = seeded
    assert report.documents == 10 and report.accepted and report.rejected and report.added and not report.skipped
    sentences = read_double_coding(GOLD)
    docs = {d.filename: d.id for d in p.documents()}
    held_out = {json.loads(line)["doc"].rsplit("/", 1)[-1] for line in (GOLD / "test.jsonl").open(encoding="utf-8")}
    for which, coder in enumerate(DEMO_CODERS):
        for filename, doc_id in docs.items():
            apps = document_applications(p, doc_id, coder=coder, include_pending=False)
            if filename in held_out:
                assert apps == [], f"{coder} decided on held-out document {filename}"
                continue
            for sent in (s for s in sentences if s.document == filename):
                inside = [a for a in apps if sent.start <= a.start and a.end <= sent.end]
                accepted = {_top(a.code) for a in inside if a.status == "accepted"}
                assert accepted == set(sent.codings[which]), (coder, filename, sent.start)
                rejected = {_top(a.code) for a in inside if a.status == "rejected"}
                assert not rejected & set(sent.codings[which]), (coder, filename, sent.start)


def test_agreement_report_reproduces_the_gold_kappa(seeded):
    p, _ = seeded
    rows = [json.loads(line) for line in (GOLD / "demo_double_coding.jsonl").open(encoding="utf-8")]
    dev = {json.loads(line)["id"] for line in (GOLD / "dev.jsonl").open(encoding="utf-8")}
    rows = [r for r in rows if r["id"] in dev]
    report = {r.code: r for r in agreement_report(p, coders=list(DEMO_CODERS)).rows}
    assert report["F1"].n_units == len(rows)
    # codes without sub-codes: the coder's accepted code is the gold code itself
    for code in ("F1", "F2", "F3", "M2", "M3", "M5"):
        a = [code in r["first"] for r in rows]
        b = [code in r["second"] for r in rows]
        n = len(rows)
        observed = sum(x == y for x, y in zip(a, b)) / n
        pa, pb = sum(a) / n, sum(b) / n
        expected = pa * pb + (1 - pa) * (1 - pb)
        kappa = (observed - expected) / (1 - expected)
        assert report[code].kappa == pytest.approx(kappa, abs=1e-9), code


def test_seeding_twice_adds_nothing(seeded):
    p, _ = seeded
    again = seed_double_coding(p, GOLD)
    assert (again.accepted, again.rejected, again.added) == (0, 0, 0)
    assert len(again.skipped) == 2 * 10


def test_missing_gold_is_a_clear_error(tmp_path):
    with pytest.raises(BaolianError, match="demo_double_coding.jsonl is missing"):
        read_double_coding(tmp_path)
    (tmp_path / "demo_double_coding.jsonl").write_text('{"id": "x#s0", "first": []}\nnot json\n', encoding="utf-8")
    (tmp_path / "dev.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(BaolianError, match=r"demo_double_coding.jsonl:2"):
        read_double_coding(tmp_path)
