"""What every page needs: the open project, the current coder, and safe text output.

Pages only call `coding` APIs; nothing here writes SQL.
"""

from __future__ import annotations

import html
import re
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
        st.error(f"无法打开项目 Cannot open the project: {md(exc)}")
        st.stop()


USER_KEY = "auth_user"  # the logged-in account's name (projects with accounts)


def accounts_on() -> bool:
    """True when the project has accounts: then only a logged-in account acts."""
    from coding.accounts import accounts_exist

    return accounts_exist(project())


def coder() -> str | None:
    """Who acts: the logged-in account when the project has accounts, else the name typed on the sidebar."""
    if accounts_on():
        name = st.session_state.get(USER_KEY)
        return name if isinstance(name, str) and name else None
    name = st.session_state.get("coder")
    return name.strip() if isinstance(name, str) and name.strip() else None


def role():
    """The acting user's :class:`coding.roles.Role` (admin for anyone without accounts); None: may not act."""
    from coding.accounts import role_of

    return role_of(project(), coder())


def can(permission) -> bool:
    """May the current user do this (a :class:`coding.roles.Permission`)? Pages disable changing controls
    when not; the core refuses anyway. Without accounts everyone may (a name is still asked for)."""
    if not accounts_on():
        return True
    r = role()
    return r is not None and r.can(permission)


def login(name: str, password: str) -> bool:
    """Check the password and remember the user for this browser session; shows why when it fails."""
    from coding.accounts import verify_login

    try:
        verify_login(project(), name, password)
    except BaolianError as exc:
        st.error(f"登录失败 Login failed: {md(exc)}")
        return False
    st.session_state[USER_KEY] = name.strip()
    return True


def logout() -> None:
    """Forget the user and everything this browser session chose on the pages (the next user starts afresh)."""
    st.session_state.clear()


def password_form(key: str = "pw") -> None:
    """Change your own password: the current one, then the new one twice."""
    from coding.accounts import change_password

    me = coder()
    if not me:
        return
    with st.form(f"{key}_form", clear_on_submit=True):
        old = st.text_input("当前密码 Current password", type="password", key=f"{key}_old")
        new = st.text_input("新密码 New password", type="password", key=f"{key}_new")
        again = st.text_input("再输入一次 New password again", type="password", key=f"{key}_again")
        if st.form_submit_button("修改密码 Change password"):
            if new != again:
                st.error("两次输入的新密码不一致 — the new passwords differ.")
            else:
                try:
                    change_password(project(), me, new, by=me, old_password=old)
                except BaolianError as exc:
                    st.error(f"未修改 Not changed: {md(exc)}")
                else:
                    st.success("密码已修改 Password changed.")


def require_coder() -> str:
    name = coder()
    if not name:
        st.warning("请先登录 — log in on the sidebar first." if accounts_on()
                   else "请先在侧栏填写编码员姓名 — choose your coder name on the sidebar first.")
        st.stop()
    return name


def esc(text: object) -> str:
    """HTML-escape untrusted text (document text, memos, code names) for st.markdown/st.html."""
    return html.escape("" if text is None else str(text), quote=True)


def md(text: object) -> str:
    """Untrusted text for st.markdown/st.error/st.caption/st.toast: HTML-escaped and Markdown/LaTeX syntax
    neutralised (for st.html use :func:`esc`)."""
    # emphasis, code, links/images, strikethrough, LaTeX, tables; line-start syntax (#, -, 1.) is only a
    # risk at the start of a line, and every message here starts with our own words
    marked = re.sub(r"([\\`*_\[\]~$|])", r"\\\1", "" if text is None else str(text))
    marked = re.sub(r"(?m)^(\s*)([#>+\-])", r"\1\\\2", marked)
    marked = re.sub(r"(?m)^(\s*\d+)([.)])", r"\1\\\2", marked)
    return html.escape(marked, quote=False)


def run_action(action, *args, success: str | None = None, **kwargs):
    """Run a `coding` call; a BaolianError becomes a red message (never a traceback). Returns the result or None."""
    try:
        result = action(*args, **kwargs)
    except BaolianError as exc:
        st.error(f"操作未完成 Not done: {md(exc)}")
        return None
    if success:
        st.toast(success)
    return result


def document_scope(p: Project, key: str, on_change=None) -> tuple[int, ...] | None:
    """A filter "only documents with" a document variable, kind or case (MAXQDA's activation by variables):
    the ids of the documents chosen, or None for all documents. A whole-number, number or date variable is
    filtered by a range, the others by values. ``on_change``: called when the choice changes."""
    from coding.analysis import KIND_LABELS
    from coding.analysis_data import NO_VALUE
    from coding.document_variables import condition_values, documents_where, variable_names
    from coding.variable_types import TYPES, typed, variable_types

    types = variable_types(p)
    fields = {"": "全部文档 all documents", "kind": "文档类型 kind", "case": "案例 case",
              **{n: f"变量 variable: {n}" + (f" ({TYPES[types[n]].split()[0]})" if n in types else "")
                 for n in variable_names(p)}}
    left, right = st.columns([2, 4])
    field = left.selectbox("只看文档 Only documents with", list(fields), format_func=fields.get, key=key,
                           on_change=on_change)
    if not field:
        return None
    values = condition_values(p, field)
    kind = types.get(field, "text") if field not in ("kind", "case") else "text"
    present = [typed(kind, v) for v in values if v != NO_VALUE]
    if kind in ("integer", "float", "date") and len(present) > 1:
        low, high = right.slider("范围 range", min_value=present[0], max_value=present[-1],
                                 value=(present[0], present[-1]), key=f"{key}_{field}_range", on_change=on_change)
        if (low, high) == (present[0], present[-1]):
            return None
        documents = tuple(documents_where(p, {field: [f"{low}..{high}"]}))
        st.caption(f"{len(documents)} 份文档 documents: {md(field)} ∈ [{md(low)}, {md(high)}]")
        return documents
    chosen = right.multiselect("取值 values", values, key=f"{key}_{field}",
                               format_func=lambda v: KIND_LABELS.get(v, v) if field == "kind" else v,
                               placeholder="选择取值 pick values", on_change=on_change)
    if not chosen:
        return None
    documents = tuple(documents_where(p, {field: chosen}))
    st.caption(f"{len(documents)} 份文档 documents: {md(fields[field])} ∈ {md('、'.join(chosen))}")
    return documents


PICK = "编码 Code?"
OPEN = "原文 Open"
LINK = st.column_config.LinkColumn(OPEN, display_text="打开 open ↗", width="small",
                                   help="在文档编码页打开（新标签页）— open it on the Document coding page")


def open_links(found) -> list[str]:
    """Links to the Document coding page at each row's start (``document_coding?doc=ID&at=OFFSET``)."""
    return [f"document_coding?doc={d}&at={a}" for d, a in zip(found["document_id"], found["start"])]


def pick_rows(found, columns: dict, key: str, column_config: dict) -> list[int]:
    """Passages found (search, coding query: document_id, start, end, coded) in a table: a tick box per row
    (:data:`PICK`, ticked unless already coded), the page's own ``columns`` (name -> values), the span, whether it
    is coded, and a link to it on the Document coding page (:data:`OPEN`); nothing else editable. The positions
    of the rows ticked. Text is shown only through st.data_editor."""
    import pandas as pd

    table = pd.DataFrame({PICK: ~found["coded"].astype(bool), **columns,
                          "位置 Chars": [f"{a}–{b}" for a, b in zip(found["start"], found["end"])],
                          "已编码 Coded": found["coded"].astype(bool), OPEN: open_links(found)}).astype({PICK: bool})
    edited = st.data_editor(table, key=key, hide_index=True, num_rows="fixed", width="stretch",
                            height=min(38 + 35 * len(table), 600), disabled=[c for c in table.columns if c != PICK],
                            column_config={PICK: st.column_config.CheckboxColumn(PICK, width="small"), OPEN: LINK,
                                           **column_config})
    return [i for i, keep in enumerate(edited[PICK].astype(bool)) if keep]


def code_picked(p: Project, me: str | None, found, picked: list[int], code: str | None, *, query: str,
                noun: str, key: str, flash: str, done) -> None:
    """The button that codes the picked rows of ``found`` (document_id, start, end) with ``code`` as ``me`` in one
    batch (:func:`coding.decisions.code_spans`, ``query`` kept in the log), then says so on the next run (the
    session key ``flash``) after calling ``done`` (a new table); and why it is disabled."""
    from coding import decisions
    from coding.roles import Permission

    allowed = bool(me) and can(Permission.CODE)
    if st.button(f"🏷️ 为所选编码 Code picked ({len(picked)})" + (f" → {code}" if code else ""), type="primary",
                 key=key, disabled=not (allowed and code and picked)):
        spans = [(int(found.at[i, "document_id"]), int(found.at[i, "start"]), int(found.at[i, "end"])) for i in picked]
        run = run_action(decisions.code_spans, p, spans, code, coder=me, query=query)
        if run is not None:
            done()
            st.session_state[flash] = (f"已编码 coded {len(run.added)} 处 {noun} → {code}"
                                       + (f"；{run.already} 处原已编码 already coded" if run.already else "")
                                       + "。侧栏“撤销”可一次撤回 — Undo takes the whole run back.")
            st.rerun()
    if not me:
        st.caption("请先在侧栏填写编码员姓名才能编码 — choose your coder name on the sidebar to code.")
    elif not allowed:
        st.caption(f"只读 Read only: {md('你的角色不能编码 — your role cannot code.')}")


def working_documents(p: Project, me: str | None, scope: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """The documents a page works on (sorted ids; None: all): those chosen with :func:`document_scope`, and while
    ``me`` is blinded (blind double coding) only their assigned ones."""
    from coding.assignments import visible_documents

    docs = {d.id for d in visible_documents(p, me)} if me else None
    if scope is not None:
        docs = set(scope) if docs is None else docs & set(scope)
    return tuple(sorted(docs)) if docs is not None else None
