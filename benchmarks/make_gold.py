"""Build the gold JSONL files from the hand-coded sentence sheets in _work/.

    python benchmarks/make_gold.py

The sheets (_work/<document>.tsv: sid, speaker, codes, text) are the editable source: one row per
sentence of the document as Baolian segments it. This script checks every row against a fresh
segmentation of the corpus (same text, same order), adds offsets, and splits by document into
dev.jsonl (for writing rules and training) and test.jsonl (held out: report scores here only).

It also splits the gold about *other* hard cases (other/<file>.jsonl: passages written for the codebook's
definitions, not from the demo case; ids PREFIX-dNN-NNN) by document into other_dev.jsonl (tuning and
training) and other_test.jsonl (held out: documents d03, d06 and d09 of every file). The further passages
about the demo case itself (demo_more/<file>.jsonl, written later by other writers from the code definitions,
without reading the corpus) split the same way into demo_more_dev.jsonl and demo_more_test.jsonl.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "corpus" / "gold"
sys.path.insert(0, str(ROOT))

from coding.codebook import load_codebook  # noqa: E402
from coding.corpus import collect  # noqa: E402
from coding.ingest import speakers_of  # noqa: E402
from coding.segment import segment_text  # noqa: E402

GOLD_CODES = ("F1", "F2", "F3", "M1", "M2", "M3", "M4", "M5")
WRITTEN_TEST_DOCUMENTS = ("d03", "d06", "d09")  # per written file, about a third of its units
WRITTEN_GOLD = ("other", "demo_more")  # folders of written files; each splits into <folder>_dev / <folder>_test
TEST_DOCUMENTS = ("i02_zym_bureau_party_member", "i06_wxg_petitioner", "m02_case_closure_review",
                  "p03_district_notice_five_package", "n01_district_news_report")


def main() -> None:
    known = set(load_codebook(ROOT / "codebook.yaml").codes_by_id)
    docs, refused = collect([ROOT / "corpus"])
    assert not refused, refused
    out = {"dev": [], "test": []}
    for doc in docs:
        stem = Path(doc.filename).stem
        sheet = HERE / "_work" / f"{stem}.tsv"
        sentences = [s for s in segment_text(doc.text, speakers=speakers_of(doc.meta)) if s.unit == "sentence"]
        rows = list(csv.DictReader(sheet.open(encoding="utf-8"), delimiter="\t"))
        if len(rows) != len(sentences):
            sys.exit(f"{sheet}: {len(rows)} rows but the document has {len(sentences)} sentences")
        rel = doc.path.relative_to(ROOT / "corpus").as_posix()
        for line, (row, seg) in enumerate(zip(rows, sentences), start=2):
            text = doc.text[seg.start:seg.end]
            if row["text"] != text:
                sys.exit(f"{sheet}:{line}: text differs from the corpus: {row['text']!r} != {text!r}")
            codes = [c for c in row["codes"].split(",") if c]
            bad = [c for c in codes if c not in GOLD_CODES or c not in known]
            if bad:
                sys.exit(f"{sheet}:{line}: unknown gold code(s) {bad}")
            split = "test" if stem in TEST_DOCUMENTS else "dev"
            out[split].append({
                "id": f"{stem}#s{seg.index}", "doc": rel, "unit": "sentence", "start": seg.start,
                "end": seg.end, "speaker": seg.speaker, "text": text, "codes": codes,
            })
    for folder in WRITTEN_GOLD:
        out[f"{folder}_dev"], out[f"{folder}_test"] = [], []
        for source in sorted((HERE / folder).glob("*.jsonl")):
            for line, raw in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
                if not raw.strip():
                    continue
                unit = json.loads(raw)
                bad = [c for c in unit["codes"] if c not in GOLD_CODES or c not in known]
                if bad:
                    sys.exit(f"{source}:{line}: unknown gold code(s) {bad}")
                held_out = unit["doc"].rsplit("-", 1)[-1] in WRITTEN_TEST_DOCUMENTS
                out[f"{folder}_test" if held_out else f"{folder}_dev"].append(unit)
    for split, units in out.items():
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for unit in units:
                f.write(json.dumps(unit, ensure_ascii=False) + "\n")
        counts = {c: sum(c in u["codes"] for u in units) for c in GOLD_CODES}
        none = sum(not u["codes"] for u in units)
        print(f"{split}: {len(units)} units, {none} without code, per code {counts}")


if __name__ == "__main__":
    main()
