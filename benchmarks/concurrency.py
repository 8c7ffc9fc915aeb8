"""Load benchmark: simulated coders making decisions at the same time against PostgreSQL.

    .venv/bin/python benchmarks/concurrency.py                 # a throwaway server (tests/pgserver.py)
    .venv/bin/python benchmarks/concurrency.py --url postgresql+psycopg://user@127.0.0.1/empty_db

Builds the demo project (corpus + codebook + rule suggestions) in the database, then N coder processes
(default 8) make D decisions in all (default 5,000: accept / reject / add a code, mixed), each decision
its own transaction through coding.decisions, as the app makes them. Prints decisions per second and
the latency percentiles, then checks in the database that every decision is there exactly once
(counted by coder and suggestion, and against the event log). Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIX = (("accept", 0.45), ("reject", 0.35), ("add", 0.20))


def build_project(url: str):
    from coding.autocode import code_project
    from coding.project import Project

    project = Project.init(url, codebook=ROOT / "codebook.yaml")
    if project.documents():
        raise SystemExit(f"the database at {url} already holds a project: give an empty one")
    report = project.import_paths([ROOT / "corpus"], manifest=ROOT / "corpus" / "corpus.yaml", coder="admin")
    if report.refused:
        raise SystemExit(f"corpus import refused: {report.refused}")
    code_project(project)
    return project


def plans(project, coders: int, decisions: int, seed: int) -> list[list[tuple]]:
    """Each coder's decisions: (kind, suggestion id) or ("add", document, start, end, code)."""
    from coding.decisions import pending_suggestions

    suggestions = [s.id for s in pending_suggestions(project, coder=None)]
    codebook = project.codebook()
    codes = [c.id for c in codebook.codes if c.codable and not c.retired]
    sentences = [(d.id, seg.start, seg.end) for d in project.documents()
                 for seg in project.segments(d.id, "sentence")]
    rng = random.Random(seed)
    out = []
    for i in range(coders):
        n = decisions // coders + (1 if i < decisions % coders else 0)
        kinds = rng.choices([k for k, _ in MIX], [w for _, w in MIX], k=n)
        pool = rng.sample(suggestions, min(len(suggestions), sum(k != "add" for k in kinds)))
        if len(pool) < sum(k != "add" for k in kinds):
            raise SystemExit(f"only {len(suggestions)} suggestions: too few for {n} decisions per coder")
        plan = []
        for kind in kinds:
            if kind == "add":
                doc, start, end = rng.choice(sentences)
                plan.append(("add", doc, start, end, rng.choice(codes)))
            else:
                plan.append((kind, pool.pop()))
        out.append(plan)
    return out


def coder_process(url: str, name: str, plan: list[tuple], barrier, results) -> None:
    from coding.decisions import accept, add_code, reject
    from coding.project import Project

    project = Project.open(url)
    done, latencies = [], []
    barrier.wait(timeout=600)
    started = time.perf_counter(), time.time()
    for step in plan:
        t0 = time.perf_counter()
        if step[0] == "accept":
            ids = accept(project, step[1], coder=name)
        elif step[0] == "reject":
            ids = reject(project, step[1], coder=name)
        else:
            ids = [add_code(project, step[1], step[2], step[3], step[4], coder=name)]
        latencies.append(time.perf_counter() - t0)
        done.append((step[0], step[1] if step[0] != "add" else None, ids[0]))
    results.put((name, started[1], time.time(), latencies, done))
    project.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def verify(project, outcomes: dict[str, list[tuple]]) -> list[str]:
    """Every decision in the database exactly once: by coder and suggestion, by id, and in the event log."""
    from sqlalchemy import func, select

    from coding.store import CodeApplication, Coder, Event

    problems = []
    with project.read() as s:
        ids = dict(s.execute(select(Coder.name, Coder.id)).all())
        pairs = Counter({(c, sug): n for c, sug, n in s.execute(
            select(CodeApplication.coder_id, CodeApplication.suggestion_id, func.count())
            .where(CodeApplication.coder_id.is_not(None), CodeApplication.suggestion_id.is_not(None))
            .group_by(CodeApplication.coder_id, CodeApplication.suggestion_id))})
        rows = {r.id: r for r in s.scalars(select(CodeApplication).where(CodeApplication.coder_id.is_not(None)))}
        events = Counter(s.execute(select(Event.entity_id, Event.action).where(
            Event.entity == "code_application", Event.action.in_(("coding.accept", "coding.reject", "coding.add")))).all())
    if any(n != 1 for n in pairs.values()):
        problems.append(f"{sum(n > 1 for n in pairs.values())} (coder, suggestion) pairs decided more than once")
    expected_rows = 0
    for name, done in outcomes.items():
        cid = ids.get(name)
        for kind, suggestion, row_id in done:
            expected_rows += 1
            row = rows.get(row_id)
            status = {"accept": "accepted", "reject": "rejected", "add": "accepted"}[kind]
            if row is None or row.coder_id != cid or row.status != status or row.suggestion_id != suggestion:
                problems.append(f"{name}: {kind} {suggestion} -> row #{row_id} missing or wrong")
            elif kind != "add" and pairs[(cid, suggestion)] != 1:
                problems.append(f"{name}: suggestion {suggestion} decided {pairs[(cid, suggestion)]} times")
            action = {"accept": "coding.accept", "reject": "coding.reject", "add": "coding.add"}[kind]
            if events[(row_id, action)] != 1:
                problems.append(f"{name}: {kind} row #{row_id} has {events[(row_id, action)]} events")
    if len(rows) != expected_rows:
        problems.append(f"{len(rows)} coder rows in the database, {expected_rows} decisions made")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an EMPTY PostgreSQL database (default: a throwaway server)")
    parser.add_argument("--coders", type=int, default=8)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    server = None
    url = args.url
    if url is None:
        from tests.pgserver import Server, Unavailable

        server = Server()
        try:
            server.start()
        except Unavailable as exc:
            print(f"no PostgreSQL: {exc} (or pass --url)", file=sys.stderr)
            return 2
        url = server.new_database()
    try:
        t0 = time.perf_counter()
        project = build_project(url)
        work = plans(project, args.coders, args.decisions, args.seed)
        n_sugs = sum(project.info()["code_applications"].values())
        print(f"project: {len(project.documents())} documents, {n_sugs} suggestions, "
              f"{len(work[0])} decisions per coder; set up in {time.perf_counter() - t0:.1f}s")
        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(args.coders), ctx.Queue()
        names = [f"coder{i + 1}" for i in range(args.coders)]
        procs = [ctx.Process(target=coder_process, args=(url, n, plan, barrier, results))
                 for n, plan in zip(names, work)]
        for p in procs:
            p.start()
        got = [results.get(timeout=3600) for _ in procs]
        for p in procs:
            p.join()
        if any(p.exitcode for p in procs):
            print("a coder process failed", file=sys.stderr)
            return 1
        start = min(g[1] for g in got)
        end = max(g[2] for g in got)
        latencies = [x for g in got for x in g[3]]
        outcomes = {g[0]: g[4] for g in got}
        kinds = Counter(k for g in got for k, _, _ in g[4])
        n = len(latencies)
        print(f"{args.coders} coders, {n} decisions ({dict(kinds)}) in {end - start:.2f}s wall")
        print(f"throughput: {n / (end - start):.0f} decisions/s")
        print(f"latency: p50 {percentile(latencies, 50) * 1000:.1f} ms, p95 {percentile(latencies, 95) * 1000:.1f} ms, "
              f"p99 {percentile(latencies, 99) * 1000:.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms, "
              f"max {max(latencies) * 1000:.1f} ms")
        problems = verify(project, outcomes)
        project.close()
        if problems:
            print(f"CHECK FAILED: {len(problems)} problems", *problems[:20], sep="\n  ")
            return 1
        print(f"check: all {n} decisions are in the database exactly once (by coder and suggestion, and in the log)")
        return 0
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
