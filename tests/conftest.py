"""Shared fixtures: real SQLite projects in temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CODEBOOK = ROOT / "codebook.yaml"


@pytest.fixture
def project(tmp_path):
    from coding.project import Project

    p = Project.init(tmp_path / "p.sqlite", codebook=CODEBOOK)
    yield p
    p.close()


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory):
    """The whole demo corpus imported once (read-only for tests)."""
    from coding.project import Project

    p = Project.init(tmp_path_factory.mktemp("demo") / "demo.sqlite", codebook=CODEBOOK)
    report = p.import_paths([CORPUS])
    assert not report.refused, report.refused
    yield p
    p.close()
