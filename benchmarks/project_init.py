"""Creating a project with the paper's codebook, and what the codebook's canonical YAML costs.

    python benchmarks/project_init.py [--repeat 5]

Prints seconds per ``Project.init`` (the first in a process, then the median of the others, which reuse the
remembered dump of the same codebook), and one uncached ``dump_codebook`` for comparison. Every test that
builds a project pays ``Project.init``, and so does every new project in the app and the CLI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from coding.codebook import io as codebook_io
    from coding.codebook import load_codebook
    from coding.project import Project

    with tempfile.TemporaryDirectory() as folder:
        times = []
        for i in range(args.repeat + 1):
            start = time.perf_counter()
            Project.init(Path(folder) / f"p{i}.sqlite", codebook=ROOT / "codebook.yaml").close()
            times.append(time.perf_counter() - start)
    codebook = load_codebook(ROOT / "codebook.yaml")
    start = time.perf_counter()
    codebook_io._dump(codebook)
    dump = time.perf_counter() - start
    start = time.perf_counter()
    codebook.model_dump_json()
    key = time.perf_counter() - start
    print(f"Project.init, first in the process: {times[0]:.3f} s")
    print(f"Project.init, median of the next {args.repeat}: {statistics.median(times[1:]):.3f} s")
    print(f"dump_codebook without the remembered dump: {dump:.3f} s; its key (model JSON): {key * 1000:.1f} ms")


if __name__ == "__main__":
    main()
