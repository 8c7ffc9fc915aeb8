"""The Overview page's document variables (文档变量): the table of every document's variables, edited in place by
an admin, with a type per variable (text, whole number, number, date, yes/no), new columns and a spreadsheet
import. Only calls :mod:`coding.document_variables`, :mod:`coding.variable_types` and :mod:`coding.variable_tables`."""

from __future__ import annotations

import streamlit as st

from coding.document_variables import check_name, set_variables, value_text, variables_frame
from coding.variable_tables import parse_variable_table
from coding.variable_types import TYPES, set_variable_type, variable_types
from views._shared import md, run_action

FIXED = {"document_id": "#", "document": "文档 document", "kind": "类型 kind", "date": "日期 date"}


def _column(name: str, kind: str):
    """The editor's column for a variable of type ``kind``."""
    label = name if kind == "text" else f"{name} · {TYPES[kind].split()[0]}"
    if kind == "integer":
        return st.column_config.NumberColumn(label, step=1, format="%d")
    if kind == "float":
        return st.column_config.NumberColumn(label)
    if kind == "date":
        return st.column_config.DateColumn(label, format="YYYY-MM-DD")
    if kind == "boolean":
        return st.column_config.SelectboxColumn(label, options=["是", "否"])
    return st.column_config.TextColumn(label, max_chars=2000)


def variables_section(p, me: str | None, *, can_manage: bool) -> None:
    st.subheader("文档变量 Document variables")
    st.caption("每份文档的属性（如 街道、年份、受访者职级），统计分析可按变量分组、筛选；管理员可在表中修改，清空即删除，"
               "并可为变量设定类型（整数、数值、日期、是/否），以便按大小排序和按范围筛选。"
               " — Facts about each document (district, year, rank …) that analyses group by and filter on; "
               "admins edit them here (an empty cell removes the value), give a variable a type (whole number, "
               "number, date, yes/no) so that it sorts and filters by range, or import a spreadsheet (below, or "
               "`baolian variables import`).")
    variables = variables_frame(p, typed=True)
    types = variable_types(p)
    if variables.empty:
        st.info("暂无文档 no documents yet")
        return
    config = {**FIXED, **{n: _column(n, types.get(n, "text")) for n in variables.columns if n not in FIXED}}
    if not can_manage:
        st.dataframe(variables, hide_index=True, width="stretch", column_config=config)
        return
    state = st.session_state
    if state.get("ov_vars_flash"):
        st.success(state.pop("ov_vars_flash"))
    for name in state.get("ov_new_vars", []):
        if name not in variables.columns:
            variables[name] = None
            config[name] = _column(name, "text")
    names = [c for c in variables.columns if c not in FIXED]
    v1, v2 = st.columns([3, 1])
    new_name = v1.text_input("新变量 New variable", key="ov_new_name", placeholder="如 街道",
                             label_visibility="collapsed")
    if v2.button("➕ 添加变量列 Add column", key="ov_add_var", disabled=not new_name.strip()):
        name = run_action(check_name, new_name)
        if name is not None and name not in variables.columns:
            state["ov_new_vars"] = [*state.get("ov_new_vars", []), name]
            _refresh()
    _type_picker(p, me, [n for n in names if variables[n].notna().any()], types)
    with st.expander("📄 从表格导入 Import from a spreadsheet (.xlsx / .csv)"):
        st.caption("每行一份文档：一列 document_id、document（标题）或 filename，其余每列一个变量；空格不改动。"
                   " — One row per document: a column document_id, document (title) or filename, every other "
                   "column a variable; empty cells change nothing.")
        sheet = st.file_uploader("变量表 Variables table", type=["xlsx", "csv"], key="ov_vars_file")
        if st.button("导入变量 Import variables", key="ov_vars_import", disabled=sheet is None):
            changes = run_action(parse_variable_table, sheet.getvalue(), sheet.name, p.documents(), types)
            done = run_action(set_variables, p, changes, by=me) if changes is not None else None
            if done is not None:
                _refresh(f"已导入 imported {md(sheet.name)}: {done} 份文档有变化 documents changed "
                         f"（{len(changes)} 行 rows）")
    with st.form("ov_vars_form", border=False):
        edited = st.data_editor(
            variables, key=f"ov_vars_{state.get('ov_vars_gen', 0)}", hide_index=True, num_rows="fixed",
            width="stretch", disabled=list(FIXED), column_config=config)
        if st.form_submit_button("💾 保存变量 Save variables", type="primary"):
            changes: dict[int, dict[str, str | None]] = {}
            for (_, old), (_, new) in zip(variables.iterrows(), edited.iterrows()):
                for name in names:
                    before, after = value_text(old[name]), value_text(new[name])
                    if before != after:
                        changes.setdefault(int(old["document_id"]), {})[name] = after
            done = run_action(set_variables, p, changes, by=me) if changes else 0
            if done is not None:
                state["ov_new_vars"] = []
                _refresh(f"已保存 saved: {done} 份文档 documents")


def _type_picker(p, me: str | None, names: list[str], types: dict[str, str]) -> None:
    """Pick a variable and its type; every value is converted, or nothing changes and the error names the
    document whose value does not fit."""
    if not names:
        return
    t1, t2, t3 = st.columns([2, 2, 1])
    name = t1.selectbox("变量 Variable", names, key="ov_type_name")
    current = types.get(name, "text")
    kind = t2.selectbox("类型 Type", list(TYPES), index=list(TYPES).index(current), format_func=TYPES.get,
                        key=f"ov_type_kind_{name}")
    if t3.button("设定类型 Set type", key="ov_type_set", disabled=kind == current):
        done = run_action(set_variable_type, p, name, kind, by=me)
        if done is not None:
            _refresh(f"已设定 set: {md(name)} → {TYPES[kind]}（{done} 个值已转换 values converted）")


def _refresh(flash: str | None = None) -> None:
    state = st.session_state
    if flash:
        state["ov_vars_flash"] = flash
    state["ov_vars_gen"] = state.get("ov_vars_gen", 0) + 1
    st.rerun()
