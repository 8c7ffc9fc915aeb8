"""What every page needs: the open project, the current coder, and safe text output.

Pages only call `coding` APIs; nothing here writes SQL.
"""

from __future__ import annotations

import html
import os

import streamlit as st

from coding.errors import BaolianError
from coding.project import Project

DEFAULT_PROJECT = "demo.sqlite"


@st.cache_resource(show_spinner=False)
def _open(location: str) -> Project:
    return Project.open(location)


def project() -> Project:
    """The project named by $BAOLIAN_PROJECT (default demo.sqlite); stops the page with a clear error."""
    location = os.environ.get("BAOLIAN_PROJECT", DEFAULT_PROJECT)
    try:
        return _open(location)
    except BaolianError as exc:
        st.error(f"无法打开项目 Cannot open the project: {exc}")
        st.stop()


def coder() -> str | None:
    """The coder chosen on the sidebar (None until chosen)."""
    name = st.session_state.get("coder")
    return name.strip() if isinstance(name, str) and name.strip() else None


def require_coder() -> str:
    name = coder()
    if not name:
        st.warning("请先在侧栏填写编码员姓名 — choose your coder name on the sidebar first.")
        st.stop()
    return name


def esc(text: object) -> str:
    """HTML-escape untrusted text (document text, memos, code names) for st.markdown/st.html."""
    return html.escape("" if text is None else str(text), quote=True)


def run_action(action, *args, success: str | None = None, **kwargs):
    """Run a `coding` call; a BaolianError becomes a red message (never a traceback). Returns the result or None."""
    try:
        result = action(*args, **kwargs)
    except BaolianError as exc:
        st.error(f"操作未完成 Not done: {exc}")
        return None
    if success:
        st.toast(success)
    return result
