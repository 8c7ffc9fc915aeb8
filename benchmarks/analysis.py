"""How long the interactive analyses take on a larger project: the demo corpus copied N times, coded by the rules.

    python benchmarks/analysis.py [--copies 10] [--repeat 3]

Builds a temporary SQLite project (each copy of a demo document made unique), applies the codebook (rule
suggestions, counted as pending), then times each analysis a page runs: code frequencies, co-occurrence,
coding queries (AND, near, NOT, by speaker role), search & code (whole words, inside words, a concept
lexicon), the summary grid and a document's code line. Prints the best of ``--repeat`` runs in milliseconds
beside the project's size. Nothing is asserted: the numbers go in the closing notes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PENDING = ("accepted", "pending")


def build(folder: Path, copies: int):
    import yaml

    from coding.autocode import code_project
    from coding.corpus import collect
    from coding.project import Project

    docs, _ = collect([ROOT / "corpus"])
    manifest = yaml.safe_load((ROOT / "corpus" / "corpus.yaml").read_text(encoding="utf-8"))
    meta = {Path(d["file"]).name: d for d in manifest["documents"]}
    entries, chars = [], 0
    for n in range(copies):
        for doc in docs:
            name = f"c{n:03d}_{Path(doc.filename).name}"
            text = f"{doc.text}\n\n（基准测试副本 {n}）"
            (folder / name).write_text(text, encoding="utf-8")
            chars += len(text)
            entry = {**meta.get(Path(doc.filename).name, {}), "file": name}
            entry["title"] = f"{entry.get('title', name)}（副本 {n}）"
            entries.append(entry)
    (folder / "corpus.yaml").write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True), encoding="utf-8")
    project = Project.init(folder / "bench.sqlite", codebook=ROOT / "codebook.yaml")
    started = time.perf_counter()
    report = project.import_paths(sorted(folder.glob("c*.txt")), manifest=folder / "corpus.yaml")
    imported = time.perf_counter() - started
    started = time.perf_counter()
    run = code_project(project)
    coded = time.perf_counter() - started
    return project, len(report.imported), chars, run.added, imported, coded


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from coding.analysis import code_frequencies, cooccurrence
    from coding.analysis_codeline import code_line
    from coding.coding_query import CodingQuery, run_query
    from coding.search_coding import find_passages
    from coding.summaries import summary_grid

    with tempfile.TemporaryDirectory() as tmp:
        project, n_docs, chars, suggestions, imported, coded = build(Path(tmp), args.copies)
        print(f"project: {n_docs} documents, {chars:,} characters, {suggestions:,} rule suggestions "
              f"(import {imported:.1f} s, coding {coded:.1f} s)")
        first = project.documents()[0].id
        cases = [
            ("code frequencies by kind", lambda: code_frequencies(project, by="kind", status=PENDING)),
            ("co-occurrence, sentences", lambda: cooccurrence(project, status=PENDING)),
            ("coding query M2 AND M5", lambda: run_query(project, CodingQuery.of(["M2", "M5"]), status=PENDING)),
            ("coding query M2 AND M5, near 2", lambda: run_query(project, CodingQuery.of(["M2", "M5"], near=2),
                                                                 status=PENDING)),
            ("coding query M4 NOT F3, paragraphs", lambda: run_query(
                project, CodingQuery.of(["M4"], exclude=["F3"], level="paragraph"), status=PENDING)),
            ("coding query M2 said by 包联人", lambda: run_query(project, CodingQuery.of(["M2"], roles=["包联人"]),
                                                                status=PENDING)),
            ("search 上门 面对面 (whole words)", lambda: find_passages(project, "上门 面对面")),
            ("search 包联 (inside words)", lambda: find_passages(project, "包联", inside_words=True)),
            ("search @领导 @当面上门, all", lambda: find_passages(project, "@领导 @当面上门", match="all")),
            ("summary grid M5", lambda: summary_grid(project, "M5", coder="ann", status=PENDING)),
            ("code line of one document", lambda: code_line(project, first, status=PENDING)),
        ]
        print(f"{'analysis':<40}{'ms (best of ' + str(args.repeat) + ')':>20}{'rows':>10}")
        for name, fn in cases:
            ms, result = best(fn, args.repeat)
            rows = len(result[0]) if isinstance(result, tuple) else len(result)
            print(f"{name:<40}{ms:>20,.0f}{rows:>10,}")
        project.close()


if __name__ == "__main__":
    main()
