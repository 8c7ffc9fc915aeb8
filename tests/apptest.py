"""The common setup of the AppTest page tests: the whole app (app.py with its navigation) on one project,
switched to one page, with the coder's name or the logged-in account already in the session.

    at = open_app(monkeypatch, location, "views/exports.py", coder="ann")

Running app.py (not the page file alone) keeps the sidebar, the login and the role checks in the test.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

from .conftest import ROOT

APP = str(ROOT / "app.py")


def open_app(monkeypatch, location: str | Path | None, page: str | None = None, *, coder: str | None = None,
             user: str | None = None, codebook: str | Path | None = None, state: Mapping | None = None,
             query: Mapping[str, str] | None = None, timeout: float = 60, no_errors: bool = False) -> AppTest:
    """Build an AppTest of app.py on the project at ``location`` ($BAOLIAN_PROJECT; None: already set),
    with ``codebook`` as $BAOLIAN_CODEBOOK, the sidebar ``coder`` name or the logged-in account ``user``,
    extra session ``state`` and URL ``query`` parameters; switch to ``page`` (a views/*.py path) and run it once.

    Asserts that the run raised nothing, and with ``no_errors`` that it showed no st.error either."""
    if location is not None:
        monkeypatch.setenv("BAOLIAN_PROJECT", str(location))
    if codebook is not None:
        monkeypatch.setenv("BAOLIAN_CODEBOOK", str(codebook))
    at = AppTest.from_file(APP, default_timeout=timeout)
    if coder:
        at.session_state["coder"] = coder
    if user:
        at.session_state["auth_user"] = user
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    if no_errors:
        assert not at.error, [e.value for e in at.error]
    return at


def demo_copy(coded_demo: Path, folder: Path, name: str) -> Path:
    """A copy of the coded demo project for one test, at a path of its own (views/_shared caches projects by
    path, so two tests must not share one)."""
    path = folder / f"{name}.sqlite"
    shutil.copyfile(coded_demo, path)
    return path
