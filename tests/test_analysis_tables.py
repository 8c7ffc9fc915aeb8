"""Frequencies, code × document matrix, co-occurrence and coded segments on a small hand-built project
whose counts are known exactly (real database: SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import pytest

from coding.analysis import (
    code_document_matrix,
    code_frequencies,
    coded_segments,
    cooccurrence,
    cooccurrence_matrix,
)
from coding.decisions import add_code
from coding.errors import BaolianError
from coding.project import Project
from coding.store import Code, CodeApplication
from coding.trash import delete_document

from .conftest import CODEBOOK

TEXT_A = "访谈者：请谈谈包联工作。\n甲：包联领导每周都来。我们建立了包联制度，包联干部很辛苦。\n"
TEXT_B = "第一条　建立包联领导责任制。第二条　定期督办。\n\n第三条　考核问责。\n"
TEXT_C = "这份文件后来删掉了。\n"
MANIFEST = """documents:
- file: a.txt
  title: 访谈A
  kind: interview
  participants:
  - {name: 访谈者, role: 研究者}
  - {name: 甲, role: 包联人}
  cases: [C1, C2]
- file: b.txt
  title: 政策B
  kind: policy
  cases: [C1]
- file: c.txt
  title: 删除C
  kind: news
"""


def import_small(project, folder) -> dict[str, int]:
    """Import a.txt, b.txt and c.txt (TEXT_A/B/C with MANIFEST) into ``project``: {title: document id}."""
    for name, text in (("a.txt", TEXT_A), ("b.txt", TEXT_B), ("c.txt", TEXT_C)):
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "corpus.yaml").write_text(MANIFEST, encoding="utf-8")
    project.import_paths([folder / n for n in ("a.txt", "b.txt", "c.txt")], manifest=folder / "corpus.yaml")
    return {d.title: d.id for d in project.documents()}


@pytest.fixture(scope="module")
def small(new_location, tmp_path_factory):
    """Two live documents and a deleted one; codings by sentence (A0..A2, B0..B2):

    ann: M1 A0, A1, B0 · M2 A1, B0, B2 · M3 B1 · (M1 on the deleted document)
    bob: M1 A1 · M3 A1 · M2 on a part of A2
    final layer: M4 on A1; machine suggestion (undecided): M5 on B1.
    """
    folder = tmp_path_factory.mktemp("small-corpus")
    for name, text in (("a.txt", TEXT_A), ("b.txt", TEXT_B), ("c.txt", TEXT_C)):
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "corpus.yaml").write_text(MANIFEST, encoding="utf-8")
    p = Project.init(new_location("small"), codebook=CODEBOOK)
    report = p.import_paths([folder / "a.txt", folder / "b.txt", folder / "c.txt"], manifest=folder / "corpus.yaml")
    assert len(report.imported) == 3 and not report.refused
    docs = {d.title: d for d in p.documents()}
    a, b, c = docs["访谈A"].id, docs["政策B"].id, docs["删除C"].id
    sa, sb = p.segments(a, "sentence"), p.segments(b, "sentence")
    assert [p.document_text(a)[s.start:s.end] for s in sa] == [
        "访谈者：请谈谈包联工作。", "甲：包联领导每周都来。", "我们建立了包联制度，包联干部很辛苦。"]
    assert len(sb) == 3 and len(p.segments(a, "paragraph")) == 2 and len(p.segments(b, "paragraph")) == 2
    assert [s.speaker for s in sa] == ["访谈者", "甲", "甲"]

    def code(doc, seg, key, who):
        add_code(p, doc, seg.start, seg.end, key, coder=who)

    for seg, key in ((sa[0], "M1"), (sa[1], "M1"), (sb[0], "M1"), (sa[1], "M2"), (sb[0], "M2"), (sb[2], "M2"),
                     (sb[1], "M3")):
        code(a if seg in sa else b, seg, key, "ann")
    for seg, key in ((sa[1], "M1"), (sa[1], "M3")):
        code(a, seg, key, "bob")
    part = (sa[2].start + 5, sa[2].start + 9)  # 包联制度
    add_code(p, a, part[0], part[1], "M2", coder="bob")
    add_code(p, c, 0, 4, "M1", coder="ann")
    delete_document(p, c, by="ann")
    with p.transaction() as s:
        ids = {k: i for k, i in s.query(Code.key, Code.id)}
        ann = p.coder_id(s, "ann")
        s.add(CodeApplication(document_id=a, segment_id=sa[1].id, start=sa[1].start, end=sa[1].end,
                              code_id=ids["M4"], coder_id=ann, origin="human", status="accepted", evidence=[],
                              layer="final", based_on=[]))
        s.add(CodeApplication(document_id=b, segment_id=sb[1].id, start=sb[1].start, end=sb[1].end,
                              code_id=ids["M5"], coder_id=None, origin="rule", status="suggested", score=0.9,
                              evidence=[], made_by="test"))
    yield {"project": p, "a": a, "b": b, "sa": sa, "sb": sb, "part": part, "docs": docs}
    p.close()


def counts(freq, by):
    return {(r["code"], r[by]): r["segments"] for _, r in freq.iterrows()}


def test_frequencies_count_a_segment_once(small):
    p, sa, sb = small["project"], small["sa"], small["sb"]
    freq = code_frequencies(p, by="none").set_index("code")
    assert freq["segments"].to_dict() == {"M1": 3, "M2": 4, "M3": 2}
    assert (freq["count"] == freq["segments"]).all()
    assert freq["documents"].to_dict() == {"M1": 2, "M2": 2, "M3": 2}
    assert freq.loc["M1", "share"] == pytest.approx(3 / 9)
    n = lambda s: s.end - s.start  # noqa: E731
    assert freq.loc["M1", "characters"] == n(sa[0]) + n(sa[1]) + n(sb[0])
    assert freq.loc["M2", "characters"] == n(sa[1]) + 4 + n(sb[0]) + n(sb[2])
    total = len(p.document_text(small["a"])) + len(p.document_text(small["b"]))  # the deleted one left out
    assert freq.loc["M1", "character_share"] == pytest.approx(freq.loc["M1", "characters"] / total)
    assert freq.loc["M3", "document_share"] == 1.0


def test_frequencies_by_kind_role_case_and_coder(small):
    p = small["project"]
    assert counts(code_frequencies(p, by="kind"), "kind") == {
        ("M1", "interview"): 2, ("M1", "policy"): 1, ("M2", "interview"): 2, ("M2", "policy"): 2,
        ("M3", "interview"): 1, ("M3", "policy"): 1}
    assert counts(code_frequencies(p, by="speaker_role"), "speaker_role") == {
        ("M1", "研究者"): 1, ("M1", "包联人"): 1, ("M1", "—"): 1, ("M2", "包联人"): 2, ("M2", "—"): 2,
        ("M3", "包联人"): 1, ("M3", "—"): 1}
    assert counts(code_frequencies(p, by="case"), "case") == {
        ("M1", "C1"): 3, ("M1", "C2"): 2, ("M2", "C1"): 4, ("M2", "C2"): 2, ("M3", "C1"): 2, ("M3", "C2"): 1}
    assert counts(code_frequencies(p, by="coder"), "coder") == {
        ("M1", "ann"): 3, ("M1", "bob"): 1, ("M2", "ann"): 3, ("M2", "bob"): 1, ("M3", "ann"): 1, ("M3", "bob"): 1}
    kind = code_frequencies(p, by="kind").set_index(["code", "kind"])
    assert kind.loc[("M2", "policy"), "share"] == pytest.approx(2 / 4)
    assert kind.loc[("M1", "interview"), "document_share"] == 1.0


def test_coder_layer_and_status_filters(small):
    p = small["project"]
    assert code_frequencies(p, by="none", coder="bob").set_index("code")["segments"].to_dict() == {
        "M1": 1, "M2": 1, "M3": 1}
    assert code_frequencies(p, by="none", coder="ann")["segments"].sum() == 7
    final = code_frequencies(p, by="none", layer="final")
    assert final[["code", "segments"]].values.tolist() == [["M4", 1]]
    pending = code_frequencies(p, by="none", status=("accepted", "pending")).set_index("code")
    assert pending.loc["M5", "segments"] == 1 and "M4" not in pending.index
    assert code_frequencies(p, by="none", status=("suggested",))["code"].tolist() == ["M5"]
    rolled = code_frequencies(p, by="none", rollup=True)
    assert rolled[["code", "segments"]].values.tolist() == [["M1", 3], ["M2", 4], ["M3", 2]]
    with pytest.raises(BaolianError, match="status"):
        code_frequencies(p, status=("rejected",))
    with pytest.raises(BaolianError, match="layer"):
        code_frequencies(p, layer="draft")


def test_code_document_matrix(small):
    p, sa, sb = small["project"], small["sa"], small["sb"]
    m = code_document_matrix(p)
    assert list(m.columns) == ["访谈A", "政策B"]  # the deleted document is left out
    codes = list(m.index)
    assert codes.index("M1") < codes.index("M1.1") < codes.index("M2") < codes.index("M5")
    assert m.loc[["M1", "M2", "M3"]].values.tolist() == [[2, 1], [2, 2], [1, 1]]
    assert m.drop(index=["M1", "M2", "M3"]).values.sum() == 0
    chars = code_document_matrix(p, measure="characters")
    assert chars.loc["M2", "访谈A"] == (sa[1].end - sa[1].start) + 4
    assert chars.loc["M3", "政策B"] == sb[1].end - sb[1].start
    assert code_document_matrix(p, coder="bob").loc["M2"].tolist() == [1, 0]
    with pytest.raises(BaolianError):
        code_document_matrix(p, measure="words")


def test_cooccurrence_counts_and_jaccard(small):
    p = small["project"]
    sent = cooccurrence(p)
    assert list(sent.columns) == ["code_a", "code_b", "count", "jaccard"]
    assert sent[["code_a", "code_b", "count"]].values.tolist() == [["M1", "M2", 2], ["M1", "M3", 1],
                                                                   ["M2", "M3", 1]]
    assert sent["jaccard"].tolist() == pytest.approx([2 / 5, 1 / 4, 1 / 5])
    para = cooccurrence(p, level="paragraph")
    assert para["count"].tolist() == [2, 2, 2]
    assert para["jaccard"].tolist() == pytest.approx([2 / 4, 2 / 3, 2 / 3])
    square = cooccurrence_matrix(p)
    assert square.values.tolist() == [[3, 2, 1], [2, 4, 1], [1, 1, 2]]
    jac = cooccurrence_matrix(p, value="jaccard", level="paragraph")
    assert jac.loc["M1", "M1"] == 1.0 and jac.loc["M3", "M2"] == pytest.approx(2 / 3)
    assert cooccurrence(p, coder="bob")[["code_a", "code_b", "count"]].values.tolist() == [["M1", "M3", 1]]
    with pytest.raises(BaolianError):
        cooccurrence(p, level="page")


def test_coded_segments(small):
    p = small["project"]
    rows = coded_segments(p)
    assert list(rows.columns) == ["document_id", "document", "kind", "speaker", "speaker_role", "code", "code_name",
                                  "coder", "status", "origin", "start", "end", "text"]
    assert len(rows) == 10 and set(rows["coder"]) == {"ann", "bob"}
    for r in rows.itertuples():
        assert r.text == p.document_text(r.document_id)[r.start:r.end]
    bob_part = rows[(rows["coder"] == "bob") & (rows["code"] == "M2")].iloc[0]
    assert (bob_part["start"], bob_part["end"]) == small["part"] and bob_part["text"] == "包联制度"
    assert bob_part["speaker"] == "甲" and bob_part["speaker_role"] == "包联人"
    assert len(coded_segments(p, codes=["M1"])) == 4
    assert len(coded_segments(p, codes="M")) == 10
    pending = coded_segments(p, status=("pending",))
    assert pending[["code", "status", "origin"]].values.tolist() == [["M5", "suggested", "rule"]]
    assert pending["coder"].tolist() == [None]
    with pytest.raises(BaolianError, match="unknown code"):
        coded_segments(p, codes=["X9"])


def test_empty_selection(project):
    assert cooccurrence(project).empty
    assert cooccurrence_matrix(project).empty
    assert coded_segments(project).empty
    assert code_document_matrix(project).shape[1] == 0
    assert code_frequencies(project, by="case").empty
