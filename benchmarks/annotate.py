"""`baolian annotate` throughput (rules, rjieba) beside raw `jieba.lcut` on the same text, same run.

    python benchmarks/annotate.py [--chars 5000000] [--workers N] [--no-cli] [--codebook PATH]

Builds JSONL units from the demo corpus -- every sentence and every paragraph is a unit -- repeated
until ``--chars`` characters, writes IN.jsonl, then measures:

1. ``coding.annotate.annotate_file`` in this process (the function behind the CLI), with the default
   number of worker processes, and with one process;
2. one end-to-end run of the CLI in a subprocess (``python -m coding annotate``; wall clock, including
   interpreter start, codebook compile and output);
3. raw ``jieba.lcut`` (global jieba, HMM on, its default dictionary) over the same unit texts.

Prints characters per second for each, and the ratio to jieba. Target: >= 1 M chars/s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished children."""
    return sum(cpu_split())


def cpu_split() -> tuple[float, float]:
    """CPU time (user + system) of this process, and of its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def build_units(target_chars: int) -> list[str]:
    from coding.corpus import collect
    from coding.segment import paragraph_spans, sentence_spans

    docs, _ = collect([ROOT / "corpus"])
    base: list[str] = []
    for doc in docs:
        base += [doc.text[s:e] for s, e in sentence_spans(doc.text)]
        base += [doc.text[s:e] for s, e in paragraph_spans(doc.text)]
    units, total = [], 0
    while total < target_chars:
        for text in base:
            units.append(text)
            total += len(text)
            if total >= target_chars:
                break
    return units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=5_000_000)
    parser.add_argument("--workers", type=int, default=None, help="default: the CPUs available")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI subprocess run")
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebook.yaml",
                        help="default: codebook.yaml of the repository (a frozen copy makes runs comparable)")
    args = parser.parse_args()

    from coding.annotate import Annotator, annotate_file, default_workers
    from coding.rules import compile_codebook

    units = build_units(args.chars)
    chars = sum(map(len, units))
    workers = args.workers or default_workers()
    print(f"units: {len(units):,} (demo sentences and paragraphs), {chars:,} characters; "
          f"CPUs available: {default_workers()}")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i, text in enumerate(units):
                fh.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")

        t0 = time.perf_counter()
        compiled = compile_codebook(args.codebook)
        compile_s = time.perf_counter() - t0
        annotator = Annotator(compiled)
        print(f"compile codebook: {compile_s:.2f} s ({compiled})")

        rows = []  # (label, wall seconds, CPU seconds)
        own0, kids0 = cpu_split()
        report = annotate_file(src, dst, annotator, workers=workers)
        own1, kids1 = cpu_split()
        rows.append((f"annotate_file, {report.workers} process(es)", report.seconds, own1 + kids1 - own0 - kids0))
        split = (f"{report.workers}-process run: parent CPU {own1 - own0:.2f} s (reading, sending blocks, "
                 f"receiving and writing lines), workers CPU {kids1 - kids0:.2f} s")
        assert report.annotated == len(units) and not report.skipped, report
        coded = sum(1 for line in dst.open(encoding="utf-8") if json.loads(line)["codes"])
        c0 = cpu_seconds()
        report1 = annotate_file(src, dst, annotator, workers=1)
        rows.append(("annotate_file, 1 process", report1.seconds, cpu_seconds() - c0))

        if not args.no_cli:
            cmd = [sys.executable, "-m", "coding", "annotate", "--in", str(src), "--out", str(dst),
                   "--codebook", str(args.codebook), "--workers", str(workers)]
            c0, t0 = cpu_seconds(), time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ}, check=False)
            rows.append(("CLI subprocess, end to end", time.perf_counter() - t0, cpu_seconds() - c0))
            if proc.returncode != 0:
                sys.exit(f"CLI run failed ({proc.returncode}):\n{proc.stderr}")

        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        c0, t0 = cpu_seconds(), time.perf_counter()
        for text in units:
            jieba.lcut(text)
        jieba_s, jieba_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        load = os.getloadavg()[0]

    jieba_rate = chars / jieba_s
    print(f"units with at least one code: {coded:,} of {len(units):,} ({coded / len(units):.0%}); "
          f"load average at the end: {load:.1f} on {default_workers()} CPUs")
    print(f"{'':<34} {'wall chars/s':>14} {'x jieba':>8} {'chars/CPU-s':>12} {'wall s':>7} {'CPU s':>7}")
    print(f"{'raw jieba.lcut, 1 process':<34} {jieba_rate:>14,.0f} {1:>8.2f} {chars / jieba_cpu:>12,.0f} "
          f"{jieba_s:>7.1f} {jieba_cpu:>7.1f}")
    for label, seconds, cpu in rows:
        rate = chars / seconds
        print(f"{label:<34} {rate:>14,.0f} {rate / jieba_rate:>8.2f} {chars / cpu:>12,.0f} {seconds:>7.1f} {cpu:>7.1f}")
    if report.workers > 1:
        print(split)
    best = chars / rows[0][1]
    print(f"target >= 1,000,000 chars/s on 2 cores: {'met' if best >= 1_000_000 else 'NOT met'} "
          f"({best:,.0f} chars/s wall, in-process, {report.workers} process(es)); "
          f"CPU-bound estimate on {report.workers} idle cores: {report.workers * chars / rows[0][2]:,.0f} chars/s")


if __name__ == "__main__":
    main()
