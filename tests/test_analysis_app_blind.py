"""AppTest: in blind mode the Analysis and Export pages count and preview only the acting coder's codings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from coding.project import Project

from .conftest import CODEBOOK, ROOT
from .test_analysis_blind import make_blind


@pytest.fixture(scope="module")
def blind(tmp_path_factory):
    """Two documents given to ann and bob in blind mode; ann accepted two suggestions, bob four others."""
    path = tmp_path_factory.mktemp("blind-app") / "b.sqlite"
    make_blind(Project.init(path, codebook=CODEBOOK), ann=2, bob=4).close()
    return path


def open_page(monkeypatch, path, page: str, who: str) -> AppTest:
    monkeypatch.setenv("BAOLIAN_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["coder"] = who
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def test_analysis_page_counts_only_the_blinded_coders_codings(monkeypatch, blind):
    ann = open_page(monkeypatch, blind, "views/frequencies.py", "ann")
    (wide,) = [d.value for d in ann.dataframe if "total" in d.value.columns]
    assert wide["total"].sum() == 2
    assert any("盲编模式" in i.value for i in ann.info)
    boss = open_page(monkeypatch, blind, "views/frequencies.py", "boss")  # not assigned: sees everyone's
    (wide,) = [d.value for d in boss.dataframe if "total" in d.value.columns]
    assert wide["total"].sum() == 6
    assert not any("盲编模式" in i.value for i in boss.info)


def test_export_page_previews_only_the_blinded_coders_codings(monkeypatch, blind):
    ann = open_page(monkeypatch, blind, "views/exports.py", "ann")
    segments = [d.value for d in ann.dataframe if "coder" in d.value.columns and "text" in d.value.columns]
    assert segments and set(segments[0]["coder"]) == {"ann"}
    assert any("盲编模式" in i.value for i in ann.info)
