"""The shipped gold files: they load, the splits are by document and disjoint, and every code is covered."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from coding.codebook import load_codebook
from coding.evaluate import load_gold

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpus" / "gold"
CODES = ("F1", "F2", "F3", "M1", "M2", "M3", "M4", "M5")
SPLITS = ("dev", "test", "other_dev", "other_test", "demo_more_dev", "demo_more_test")
WRITTEN = ("other", "demo_more")  # folders of passages written for the codebook, split by make_gold.py


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(ROOT / "codebook.yaml")


@pytest.mark.parametrize("name", SPLITS)
def test_every_gold_file_loads_against_the_codebook(codebook, name):
    units = load_gold(GOLD / f"{name}.jsonl", codebook)
    assert len(units) >= 200
    assert all(set(u.codes) <= set(CODES) for u in units)
    assert sum(not u.codes for u in units) >= len(units) // 5  # units with no code are part of every set


def test_ids_are_unique_across_all_gold_files():
    ids = [r["id"] for name in SPLITS for r in rows(GOLD / f"{name}.jsonl")]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("folder", WRITTEN)
def test_written_passages_split_by_document_into_development_and_held_out(folder):
    sources = [r for path in sorted((GOLD / folder).glob("*.jsonl")) for r in rows(path)]
    dev, test = rows(GOLD / f"{folder}_dev.jsonl"), rows(GOLD / f"{folder}_test.jsonl")
    assert sorted(r["id"] for r in dev + test) == sorted(r["id"] for r in sources)
    assert {r["doc"] for r in dev}.isdisjoint({r["doc"] for r in test})
    assert {r["doc"].rsplit("-", 1)[1] for r in test} == {"d03", "d06", "d09"}
    assert {r["id"]: r["codes"] for r in dev + test} == {r["id"]: r["codes"] for r in sources}


def test_development_sets_cover_every_code_at_least_25_times():
    for name in ("dev", "other_dev", "demo_more_dev"):
        counts = Counter(c for r in rows(GOLD / f"{name}.jsonl") for c in r["codes"])
        assert all(counts[c] >= 25 for c in CODES), (name, counts)


@pytest.mark.parametrize("folder", WRITTEN)
def test_written_passages_are_not_taken_from_the_demo_corpus(folder):
    from coding.corpus import collect

    docs, _ = collect([ROOT / "corpus"])  # .txt and .docx alike
    demo = "\n".join(d.text for d in docs)
    written = rows(GOLD / f"{folder}_dev.jsonl") + rows(GOLD / f"{folder}_test.jsonl")
    assert not [r["id"] for r in written if len(r["text"]) > 20 and r["text"] in demo]


@pytest.mark.parametrize("folder", WRITTEN)
def test_every_written_unit_was_coded_twice_and_the_gold_is_the_adjudicated_coding(folder):
    double = {r["id"]: r for r in rows(GOLD / f"{folder}_double_coding.jsonl")}
    seen = 0
    for path in sorted((GOLD / folder).glob("*.jsonl")):
        for unit in rows(path):
            row = double[unit["id"]]  # a unit without a second coding fails here
            assert row["file"] == path.name
            assert row["final"] == sorted({c.split(".")[0] for c in unit["codes"]})
            assert set(row["first"]) | set(row["second"]) <= set(CODES)
            if row["first"] != row["second"]:
                assert row.get("reason"), f"{unit['id']}: a disagreement needs the adjudication's reason"
            seen += 1
    assert seen == len(double)


def test_the_demo_corpus_folder_holds_only_the_manifests_documents():
    # `baolian demo` imports every document under corpus/; reports about the gold must live elsewhere
    import yaml

    from coding.corpus import collect

    manifest = yaml.safe_load((ROOT / "corpus" / "corpus.yaml").read_text(encoding="utf-8"))
    listed = {entry["file"] for entry in manifest["documents"]}
    docs, refused = collect([ROOT / "corpus"])
    assert not refused
    assert {d.path.relative_to(ROOT / "corpus").as_posix() for d in docs} == listed


def test_every_demo_corpus_sentence_was_coded_twice_and_the_gold_is_the_adjudicated_coding():
    double = {r["id"]: r for r in rows(GOLD / "demo_double_coding.jsonl")}
    gold = rows(GOLD / "dev.jsonl") + rows(GOLD / "test.jsonl")
    assert sorted(double) == sorted(u["id"] for u in gold)  # every sentence, nothing else
    for unit in gold:
        row = double[unit["id"]]
        assert row["file"] == unit["id"].split("#")[0] + ".tsv"
        assert row["final"] == sorted(unit["codes"])
        assert set(row["first"]) | set(row["second"]) <= set(CODES)
        if row["first"] != row["second"]:
            assert row.get("reason"), f"{unit['id']}: a disagreement needs the adjudication's reason"
        else:
            assert row["final"] == row["first"]  # agreement is kept as it is
    assert sum(r["first"] != r["second"] for r in double.values()) > 100  # the second coding is not a copy
