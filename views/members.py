"""成员 Members page: the project's accounts and roles.

Without accounts the page offers to create the first admin. With accounts an admin adds users, changes
roles and deactivates accounts (the row and its history stay); everyone changes their own password.
Every action calls :mod:`coding.accounts`, which checks the role again.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding.accounts import MIN_PASSWORD, add_user, list_users, remove_user, set_role
from coding.errors import BaolianError
from coding.roles import Permission, Role
from views._shared import USER_KEY, accounts_on, can, coder, md, password_form, project

ROLES = [r.value for r in Role]
LABELS = {r.value: r.label for r in Role}
state = st.session_state


def _try(action, *args, success: str, **kwargs) -> bool:
    try:
        action(*args, **kwargs)
    except BaolianError as exc:
        st.error(f"操作未完成 Not done: {md(exc)}")
        return False
    state["mb_flash"] = success
    return True


def _new_account_form(key: str, *, first: bool) -> None:
    with st.form(key, clear_on_submit=True):
        name = st.text_input("用户名 User name", key=f"{key}_name")
        role = "admin" if first else st.selectbox("角色 Role", ROLES, index=ROLES.index("coder"),
                                                  format_func=LABELS.get, key=f"{key}_role")
        password = st.text_input(f"密码 Password (≥ {MIN_PASSWORD})", type="password", key=f"{key}_pw")
        again = st.text_input("再输入一次 Password again", type="password", key=f"{key}_pw2")
        label = "创建管理员并登录 Create the admin and log in" if first else "添加 Add"
        if st.form_submit_button(label, type="primary"):
            if password != again:
                st.error("两次输入的密码不一致 — the passwords differ.")
            elif _try(add_user, p, name, password, role, by=None if first else coder(),
                      success=f"已添加 Added {md(name.strip())} ({LABELS[role]})."):
                if first:
                    state[USER_KEY] = name.strip()
                st.rerun()


p = project()
st.title("成员 Members")
if flash := state.pop("mb_flash", None):
    st.success(flash)

if not accounts_on():
    st.info("此项目还没有账户：任何人输入姓名即可编码。创建第一个账户（必须是管理员）后，所有人都要登录，"
            "并按角色行事。 — This project has no accounts: anyone types a name and codes. Once the first "
            "account (an admin) exists, everyone logs in and acts within their role.")
    st.subheader("创建第一个管理员 Create the first admin")
    _new_account_form("mb_first", first=True)
    st.stop()

if not can(Permission.MANAGE):
    st.warning("只有管理员可以管理成员 — only an admin manages members.")
    st.subheader("修改我的密码 Change my password")
    password_form("mb_pw")
    st.stop()

accounts = list_users(p)
st.dataframe(pd.DataFrame([{"用户 user": a.name, "角色 role": a.label,
                            "状态 status": "启用 active" if a.active else "停用 removed"} for a in accounts]),
             hide_index=True, width="stretch")

active = [a.name for a in accounts if a.active]
left, right = st.columns(2)
with left:
    st.subheader("添加成员 Add a member")
    st.caption("停用的账户用同一名字再添加即可恢复 — add a removed account again to enable it.")
    _new_account_form("mb_add", first=False)
with right:
    st.subheader("更改角色 Change a role")
    with st.form("mb_role"):
        who = st.selectbox("成员 Member", active, key="mb_role_who")
        new_role = st.selectbox("新角色 New role", ROLES, format_func=LABELS.get, key="mb_role_new")
        if st.form_submit_button("更改 Change") and who and _try(
                set_role, p, who, new_role, by=coder(), success=f"{who}: {LABELS[new_role]}"):
            st.rerun()
    st.subheader("停用成员 Remove a member")
    with st.form("mb_remove"):
        who = st.selectbox("成员 Member", active, key="mb_remove_who")
        sure = st.checkbox("确认停用（其历史记录保留）Yes, remove (the history stays)", key="mb_remove_sure")
        if st.form_submit_button("停用 Remove"):
            if not sure:
                st.warning("请先勾选确认 — tick the confirmation first.")
            elif who and _try(remove_user, p, who, by=coder(), success=f"已停用 Removed {who}."):
                if who == coder():
                    state.pop(USER_KEY, None)
                st.rerun()

st.subheader("修改我的密码 Change my password")
password_form("mb_pw")
