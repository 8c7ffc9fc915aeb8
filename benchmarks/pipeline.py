"""Import + segmentation throughput against raw jieba.lcut, on a corpus built from the demo corpus.

    python benchmarks/pipeline.py [--chars 10000000]

Each measurement runs in a fresh subprocess so its peak memory (max RSS) is its own.
Prints characters per second for both, their ratio, and peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_corpus(folder: Path, target_chars: int) -> int:
    """Write copies of the demo documents (each made unique) until ``target_chars`` is reached."""
    from coding.corpus import collect

    docs, _ = collect([ROOT / "corpus"])
    total, n = 0, 0
    while total < target_chars:
        for doc in docs:
            text = f"{doc.text}\n\n（基准测试副本 {n}）"
            (folder / f"doc{n:06d}.txt").write_text(text, encoding="utf-8")
            total += len(text)
            n += 1
            if total >= target_chars:
                break
    return total


def peak_mb() -> float:
    """Peak resident memory of this process plus its largest worker (an upper bound for both together)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + workers) / 1024


def worker_jieba(folder: Path) -> dict:
    import jieba

    jieba.initialize()
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    chars = sum(map(len, texts))
    t0 = time.perf_counter()
    n_words = sum(len(jieba.lcut(t)) for t in texts)
    seconds = time.perf_counter() - t0
    return {"chars": chars, "seconds": seconds, "words": n_words, "peak_mb": peak_mb()}


def worker_baolian(folder: Path) -> dict:
    from coding.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        project = Project.init(Path(tmp) / "bench.sqlite", codebook=ROOT / "codebook.yaml")
        report = project.import_paths([folder])
        seconds = time.perf_counter() - t0
        info = project.info()
        db_mb = (Path(tmp) / "bench.sqlite").stat().st_size / 1e6
    return {
        "chars": info["characters"], "seconds": seconds, "documents": len(report.imported),
        "refused": len(report.refused), "segments": info["segments"], "engine": info["segmenter"],
        "db_mb": db_mb, "peak_mb": peak_mb(),
    }


def run_worker(kind: str, folder: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--folder", str(folder)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"{kind} worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=10_000_000)
    parser.add_argument("--worker", choices=["jieba", "baolian"])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.worker:
        result = (worker_jieba if args.worker == "jieba" else worker_baolian)(args.folder)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        total = build_corpus(folder, args.chars)
        print(f"corpus: {total:,} characters in {len(list(folder.glob('*.txt')))} files")
        jb = run_worker("jieba", folder)
        bl = run_worker("baolian", folder)
    jb_rate = jb["chars"] / jb["seconds"]
    bl_rate = bl["chars"] / bl["seconds"]
    print(f"raw jieba.lcut:            {jb_rate:>12,.0f} chars/s  ({jb['seconds']:.1f} s, peak {jb['peak_mb']:.0f} MB)")
    print(
        f"baolian import+segment:    {bl_rate:>12,.0f} chars/s  ({bl['seconds']:.1f} s, peak {bl['peak_mb']:.0f} MB, "
        f"{bl['documents']} docs, {bl['segments']:,} segments, engine {bl['engine']}, db {bl['db_mb']:.0f} MB)"
    )
    print(f"ratio baolian / jieba:     {bl_rate / jb_rate:.2f}x  (target >= 2.0x)")
    print(f"peak memory baolian:       {bl['peak_mb']:.0f} MB  (target < 1536 MB)")


if __name__ == "__main__":
    main()
