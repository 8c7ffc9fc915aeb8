"""Shared fixtures: real projects in temporary SQLite files, or on a real PostgreSQL server.

`pytest` runs on SQLite; `pytest --db=postgresql` runs the same tests with every
project fixture on PostgreSQL (a throwaway server, see tests/pgserver.py). Where
no PostgreSQL can be had the run is skipped with the reason, unless
BAOLIAN_REQUIRE_PG=1 (set in CI), which makes it fail.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CODEBOOK = ROOT / "codebook.yaml"


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "postgresql"), default="sqlite",
                     help="database for the project fixtures")


def pytest_report_header(config):
    return f"baolian test database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_kind(request) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def pg_server(db_kind):
    if db_kind != "postgresql":
        yield None
        return
    from .pgserver import Server, Unavailable

    server = Server()
    try:
        server.start()
    except Unavailable as exc:
        if os.environ.get("BAOLIAN_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required here (BAOLIAN_REQUIRE_PG=1) but unavailable: {exc}")
        pytest.skip(f"PostgreSQL run skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def new_location(pg_server, tmp_path_factory):
    """Factory: a fresh project location (a .sqlite path, or a new PostgreSQL database URL)."""
    def make(name: str = "p") -> str:
        if pg_server is not None:
            return pg_server.new_database()
        return str(tmp_path_factory.mktemp(name) / f"{name}.sqlite")

    return make


@pytest.fixture(scope="session")
def coded_demo(tmp_path_factory) -> Path:
    """The demo project as `baolian demo` builds it (corpus, codebook, rule suggestions), built once as a
    SQLite file for the app tests. Copy it before changing it (``shutil.copyfile``)."""
    from coding.autocode import code_project
    from coding.project import Project

    path = tmp_path_factory.mktemp("coded-demo") / "demo.sqlite"
    p = Project.init(path, codebook=CODEBOOK)
    assert not p.import_paths([CORPUS], coder="demo").refused
    assert code_project(p).added > 200
    p.close()
    return path


@pytest.fixture
def project(new_location):
    from coding.project import Project

    p = Project.init(new_location("p"), codebook=CODEBOOK)
    yield p
    p.close()


@pytest.fixture(scope="session")
def demo_project(new_location):
    """The whole demo corpus imported once (read-only for tests)."""
    from coding.project import Project

    p = Project.init(new_location("demo"), codebook=CODEBOOK)
    report = p.import_paths([CORPUS])
    assert not report.refused, report.refused
    yield p
    p.close()


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, run only the tests that use a project database; the rest do not depend on it."""
    if config.getoption("--db") != "postgresql":
        return
    skip = pytest.mark.skip(reason="database-independent: covered by the SQLite run")
    for item in items:
        if "new_location" not in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _spawn_safe_main(monkeypatch):
    """A spawned child process re-runs the parent's ``__main__`` script; Streamlit's AppTest leaves the
    last app script there, which would then start a page inside the child. Give each test a blank one."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
