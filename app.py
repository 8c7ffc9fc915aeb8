"""Baolian workbench (Streamlit entry). A thin shell: every action calls `coding`.

    BAOLIAN_PROJECT=demo.sqlite streamlit run app.py
"""

from __future__ import annotations

import streamlit as st

from coding.audit import action_label
from coding.decisions import undo_last
from coding.roles import Permission
from views._shared import accounts_on, can, coder, login, logout, md, password_form, project, role, run_action

st.set_page_config(page_title="包联 Baolian", page_icon="📑", layout="wide")

PAGES = [
    st.Page("views/overview.py", title="项目概览 Overview", icon="🏠", default=True, url_path="overview"),
    st.Page("views/import_documents.py", title="导入 Import", icon="📥", url_path="import_documents"),
    st.Page("views/document_coding.py", title="文档编码 Document coding", icon="🖍️", url_path="document_coding"),
    st.Page("views/review_queue.py", title="审核队列 Review queue", icon="✅", url_path="review_queue"),
    st.Page("views/search_code.py", title="检索编码 Search & code", icon="🔎", url_path="search_code"),
    st.Page("views/coding_query.py", title="编码查询 Coding query", icon="🧩", url_path="coding_query"),
    st.Page("views/memos.py", title="备忘 Memos", icon="📝", url_path="memos"),
    st.Page("views/summaries.py", title="摘要表 Summaries", icon="🗒️", url_path="summaries"),
    st.Page("views/codebook_editor.py", title="编码本 Codebook", icon="📚", url_path="codebook_editor"),
    st.Page("views/frequencies.py", title="统计分析 Analysis", icon="📊", url_path="frequencies"),
    st.Page("views/exports.py", title="导出 Export", icon="📤", url_path="exports"),
    st.Page("views/agreement.py", title="信度 Reliability", icon="🤝", url_path="agreement"),
    st.Page("views/adjudication.py", title="裁决 Adjudication", icon="⚖️", url_path="adjudication"),
    st.Page("views/history.py", title="历史 History", icon="🕘", url_path="history"),
    st.Page("views/members.py", title="成员 Members", icon="👥", url_path="members"),
]

ADMIN_PAGES = {"members", "adjudication"}  # shown only to admins once the project has accounts

p = project()
accounts = accounts_on()
if accounts and coder() and role() is None:  # the account was removed since logging in
    logout()
with st.sidebar:
    st.markdown("### 包联 Baolian")
    st.caption(f"项目 project: {md(p.url)}")
    if not accounts:
        known = p.coders()
        st.text_input("编码员 Coder", key="coder", placeholder="输入姓名 your name",
                      help="每个决定都会记录编码员与时间 — every decision records who and when. "
                           + (f"已有 known: {md(', '.join(known))}" if known else ""))
    elif coder():
        st.markdown(f"👤 **{md(coder())}** · {md(role().label)}")
        if st.button("退出登录 Log out", key="logout", width="stretch"):
            logout()
            st.rerun()
        with st.expander("修改密码 Change password"):
            password_form("sidebar_pw")
    else:
        with st.form("login", clear_on_submit=True):
            st.markdown("**登录 Log in**")
            name = st.text_input("用户名 User name", key="login_name")
            password = st.text_input("密码 Password", type="password", key="login_password")
            if st.form_submit_button("登录 Log in", type="primary") and login(name, password):
                st.rerun()
    if coder() and can(Permission.CODE) and st.button("↶ 撤销 Undo my last action", width="stretch"):
        undone = run_action(undo_last, p, coder=coder())
        st.toast(f"已撤销 undone: {action_label(undone)}" if undone else "没有可撤销的操作 nothing to undo")

if accounts and not coder():
    # Replace the last run's navigation: the browser would otherwise keep showing the page links after logout.
    st.navigation(PAGES, position="hidden")
    st.title("包联 Baolian")
    st.info("此项目有账户，请在侧栏登录 — this project has accounts: log in on the sidebar.")
    st.stop()
pages = PAGES if not accounts or can(Permission.MANAGE) else [pg for pg in PAGES if pg.url_path not in ADMIN_PAGES]
st.navigation(pages, expanded=True).run()  # all 15 pages, no "View more"
