"""Server-side render time of the workbench pages, measured with Streamlit's AppTest.

    python benchmarks/app.py

Each measurement builds its own project in a temporary folder, warms the page up
once, then times ``at.run()`` five times and prints the median. AppTest compiles
the page script again on every run (a real server caches the bytecode), so the
document-coding figure is printed twice: as AppTest runs it, and with the
bytecode cache kept across runs as ``streamlit run`` does.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
APP = str(ROOT / "app.py")
RUNS = 5


@contextmanager
def server_like_script_cache():
    """Keep one bytecode cache across AppTest runs, as the Streamlit server does."""
    from streamlit.testing.v1 import app_test, local_script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    saved = (app_test.ScriptCache, local_script_runner.ScriptCache)
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared
    try:
        yield
    finally:
        app_test.ScriptCache, local_script_runner.ScriptCache = saved


def median_run_ms(at, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t0) * 1000)
        if at.exception:
            raise RuntimeError(f"the page raised: {at.exception[0].value}")
    return statistics.median(times)


def build_long_document_project(folder: Path, min_sentences: int = 2000) -> tuple[str, int, int]:
    """A project with one document made of the demo documents end to end (>= ``min_sentences``), auto-coded.

    Returns (project path, document id, its number of sentences).
    """
    from coding.autocode import code_project
    from coding.corpus import collect
    from coding.project import Project
    from coding.segment import segment_text

    docs, _ = collect([ROOT / "corpus"])
    parts, n_sentences, i = [], 0, 0
    while n_sentences < min_sentences:
        text = docs[i % len(docs)].text
        parts.append(text)
        n_sentences += sum(1 for s in segment_text(text) if s.unit == "sentence")
        i += 1
    source = folder / "long_document.txt"
    source.write_text("\n\n".join(parts), encoding="utf-8")
    location = str(folder / "long.sqlite")
    project = Project.init(location, codebook=ROOT / "codebook.yaml")
    report = project.import_paths([source])
    doc_id = report.imported[0][0]
    code_project(project)
    summary = next(d for d in project.documents() if d.id == doc_id)
    project.close()
    return location, doc_id, summary.n_sentences


def document_coding_ms(location: str, doc_id: int, *, cache_bytecode: bool = False) -> float:
    """Median server-side time of one run of the document coding page showing ``doc_id``."""
    from streamlit.testing.v1 import AppTest

    os.environ["BAOLIAN_PROJECT"] = location
    with server_like_script_cache() if cache_bytecode else _nothing():
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["coder"] = "bench"
        at.session_state["dc_doc"] = doc_id
        at.switch_page("views/document_coding.py")
        at.run()  # warm-up: imports, caches, first parse of the codebook
        if at.exception:
            raise RuntimeError(f"the page raised: {at.exception[0].value}")
        return median_run_ms(at)


@contextmanager
def _nothing():
    yield


def measure_document_coding() -> list[tuple[str, float]]:
    with tempfile.TemporaryDirectory(prefix="baolian-bench-") as tmp:
        location, doc_id, n_sentences = build_long_document_project(Path(tmp))
        label = f"document coding page, one document of {n_sentences} sentences"
        return [
            (f"{label} (AppTest at.run)", document_coding_ms(location, doc_id)),
            (f"{label} (bytecode cached as by the server)", document_coding_ms(location, doc_id, cache_bytecode=True)),
        ]


def build_review_project(folder: Path, n_pending: int = 10_000, n_decided: int = 500) -> str:
    """The demo corpus with ``n_pending + n_decided`` machine suggestions (sentence x code, round robin),
    bulk-inserted, of which coder "bench" has already decided ``n_decided``: ``n_pending`` remain for "bench"."""
    from sqlalchemy import insert, select

    from coding.decisions import accept, reject
    from coding.project import Project
    from coding.store import Code, CodeApplication, Segment

    location = str(folder / "review.sqlite")
    project = Project.init(location, codebook=ROOT / "codebook.yaml")
    project.import_paths([ROOT / "corpus"])
    with project.transaction() as s:
        codes = list(s.scalars(select(Code.id).where(Code.codable.is_(True), Code.retired.is_(False))
                               .order_by(Code.position)))
        sentences = s.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end)
                              .where(Segment.unit == "sentence").order_by(Segment.id)).all()
        rows = []
        for i in range(n_pending + n_decided):
            seg_id, doc_id, start, end = sentences[i % len(sentences)]
            code_id = codes[(i // len(sentences) + i) % len(codes)]
            rows.append({"document_id": doc_id, "segment_id": seg_id, "start": start, "end": end,
                         "code_id": code_id, "coder_id": None, "origin": "rule" if i % 4 else "model",
                         "status": "suggested", "score": round(0.5 + (i % 50) / 100, 2), "made_by": "bench",
                         "evidence": [{"start": start, "end": min(end, start + 2), "text": "", "rule": "bench"}]})
        s.execute(insert(CodeApplication), rows)
        ids = list(s.scalars(select(CodeApplication.id).order_by(CodeApplication.id).limit(n_decided)))
    accept(project, ids[::2], coder="bench")
    reject(project, ids[1::2], coder="bench")
    project.close()
    return location


def review_queue_ms(location: str, *, cache_bytecode: bool = False) -> float:
    """Median server-side time of one run of the review queue page (first page of the whole queue)."""
    from streamlit.testing.v1 import AppTest

    os.environ["BAOLIAN_PROJECT"] = location
    with server_like_script_cache() if cache_bytecode else _nothing():
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["coder"] = "bench"
        at.switch_page("views/review_queue.py")
        at.run()  # warm-up
        if at.exception:
            raise RuntimeError(f"the page raised: {at.exception[0].value}")
        return median_run_ms(at)


def measure_review_queue() -> list[tuple[str, float]]:
    with tempfile.TemporaryDirectory(prefix="baolian-bench-") as tmp:
        location = build_review_project(Path(tmp))
        label = "review queue page, 10,000 pending suggestions"
        return [
            (f"{label} (AppTest at.run)", review_queue_ms(location)),
            (f"{label} (bytecode cached as by the server)", review_queue_ms(location, cache_bytecode=True)),
        ]


MEASUREMENTS: list[Callable[[], list[tuple[str, float]]]] = [measure_document_coding, measure_review_queue]


def main() -> int:
    from streamlit import logger

    logger.set_log_level("error")  # AppTest's "missing ScriptRunContext" noise
    for measure in MEASUREMENTS:
        for label, ms in measure():
            print(f"{label}: median of {RUNS} = {ms:.0f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
