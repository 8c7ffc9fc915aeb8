"""Crash safety: an import and an auto-coding run killed with SIGKILL halfway leave no half-written document
or coding, and running them again completes. A real child process, a real database (SQLite or PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coding.autocode import code_project
from coding.ingest import segment_rows
from coding.store import CodeApplication, Document, Event, Segment

from .conftest import CORPUS, ROOT

COPIES = 4  # copies of each corpus text file: 56 documents

CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
from coding.project import Project
from coding.autocode import code_project
project = Project.open(sys.argv[2])
if sys.argv[3] == "import":
    project.import_paths([sys.argv[4]], coder="importer")
else:
    code_project(project)
print("finished", flush=True)
"""

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


@pytest.fixture
def many_files(tmp_path) -> Path:
    folder = tmp_path / "many"
    folder.mkdir()
    for source in sorted(CORPUS.glob("*/*.txt")):
        raw = source.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # some corpus files are GB18030: the copies are all UTF-8
            text = raw.decode("gb18030")
        for i in range(COPIES):
            (folder / f"{source.stem}_{i}.txt").write_text(f"{text}\n\n（副本 copy {i}）\n", encoding="utf-8")
    return folder


def run_and_kill(location: str, phase: str, folder: Path, ready) -> bool:
    """Start the child; SIGKILL it as soon as ``ready(session)`` holds. Returns True if it was killed midway."""
    from coding.project import Project

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT), location, phase, str(folder)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    watcher = Project.open(location)
    try:
        deadline = time.monotonic() + 300
        while child.poll() is None and time.monotonic() < deadline:
            with watcher.read() as s:
                if ready(s):
                    os.kill(child.pid, signal.SIGKILL)
                    break
            time.sleep(0.02)
        child.wait(timeout=60)
    finally:
        watcher.close()
    if child.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"child failed: {child.stderr.read().decode()[-2000:]}")
    return child.returncode == -signal.SIGKILL


def check_consistent(project) -> dict[int, int]:
    """Every document complete, every coding on an existing segment, the log matching the rows.
    Returns suggestions per document."""
    with project.read() as s:
        docs = s.scalars(select(Document).order_by(Document.id)).all()
        stored = Counter(dict(s.execute(select(Segment.document_id, func.count()).group_by(Segment.document_id)).all()))
        imports = Counter(s.scalars(select(Event.entity_id).where(Event.action == "document.import")))
        dangling = s.scalar(select(func.count()).select_from(CodeApplication).where(
            CodeApplication.segment_id.is_not(None),
            CodeApplication.segment_id.not_in(select(Segment.id))))
        orphans = s.scalar(select(func.count()).select_from(CodeApplication).where(
            CodeApplication.document_id.not_in(select(Document.id))))
        suggestions = Counter(dict(s.execute(select(CodeApplication.document_id, func.count())
                                             .where(CodeApplication.coder_id.is_(None))
                                             .group_by(CodeApplication.document_id)).all()))
        coded = {}
        for doc_id, after in s.execute(select(Event.entity_id, Event.after).where(
                Event.action == "autocode.document").order_by(Event.id)):
            coded[doc_id] = after  # the last run over each document
    assert docs, "nothing was committed before the kill"
    for doc in docs:
        speakers = [p["name"] for p in doc.participants or [] if p.get("name")]
        fresh = segment_rows(doc.text, speakers, project.segmenter)
        assert stored[doc.id] == len(fresh) > 0, f"document #{doc.id} has {stored[doc.id]} of {len(fresh)} segments"
        assert doc.n_chars == len(doc.text)
    assert imports == Counter({d.id: 1 for d in docs})  # one import event per document, none without one
    assert dangling == 0 and orphans == 0
    for doc in docs:
        if doc.id in coded:
            assert suggestions[doc.id] == coded[doc.id]["added"] + coded[doc.id]["kept"]
        else:
            assert suggestions[doc.id] == 0, f"suggestions on #{doc.id} without an autocode event"
    return dict(suggestions)


def test_killed_import_and_coding_leave_nothing_half_written(project, many_files):
    n_files = len(list(many_files.iterdir()))

    # 1. import killed after a few documents were committed
    killed = run_and_kill(project.url, "import", many_files,
                          lambda s: (s.scalar(select(func.count()).select_from(Document)) or 0) >= 6)
    assert killed, "the import finished before it could be killed; use more files"
    check_consistent(project)
    n_before = len(project.documents())
    assert 6 <= n_before < n_files
    report = project.import_paths([many_files])  # re-running completes the import
    assert len(report.imported) == n_files - n_before and len(report.duplicates) == n_before
    check_consistent(project)

    # 2. auto-coding killed after a few documents were coded
    killed = run_and_kill(project.url, "code", many_files,
                          lambda s: (s.scalar(select(func.count()).select_from(Event)
                                              .where(Event.action == "autocode.document")) or 0) >= 4)
    assert killed, "the coding run finished before it could be killed"
    partial = check_consistent(project)
    assert 4 <= sum(1 for n in partial.values() if n) < n_files
    run = code_project(project)  # re-running completes the coding
    assert run.documents == n_files
    complete = check_consistent(project)
    assert all(complete.get(d.id, 0) > 0 for d in project.documents() if d.n_chars > 2000)
    assert code_project(project).documents == 0  # and nothing is left to do
