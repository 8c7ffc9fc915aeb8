"""编码本 Codebook: browse the hierarchy; edit a draft (add, rename, recolour, move, merge, retire, definitions,
rules, relations between codes); preview the edited rules on the whole project; save file and database together.

The draft lives in session state until saved; every edit is a pure function of coding.codebook_edit
(so a bad edit is refused with a reason and the draft stays as it was). Saving is one call of
coding.codebook_save.save_codebook_to_project. The file is $BAOLIAN_CODEBOOK (default ./codebook.yaml).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from coding import codebook_edit as edit
from coding.autocode import code_project, rule_fingerprints
from coding.codebook import load_codebook
from coding.codebook_relations import LABELS as RELATION_LABELS, relation_graph
from coding.codebook_save import code_usage, describe_changes, preview_rules, save_codebook_to_project
from coding.errors import BaolianError
from coding.roles import Permission
from views._shared import can, coder, esc, md, project

CODEBOOK_PATH = Path(os.environ.get("BAOLIAN_CODEBOOK", "codebook.yaml"))
FORM_KEYS = ("cb_name", "cb_name_en", "cb_color", "cb_short", "cb_definition", "cb_use_when", "cb_indicators",
             "cb_examples", "cb_not_when", "cb_parent", "cb_merge_into", "cb_merge_ok", "cb_rules")
CHANGE = {"added": "新增 added", "removed": "移除 removed"}
state = st.session_state


def _reset_forms() -> None:
    """Form fields show the draft again (after an edit, or when another code is chosen)."""
    for key in FORM_KEYS:
        state.pop(key, None)


def _load(codebook, note: str) -> None:
    state.update(cb_draft=codebook, cb_base=codebook, cb_merges=[], cb_log=[], cb_preview=None)
    if note:
        state["cb_flash"] = note
    _reset_forms()


def _edit(label: str, fn, *args, merge: tuple[str, str] | None = None, **kwargs) -> bool:
    """Apply a pure edit to the draft; a refused edit leaves the draft as it was and says why."""
    try:
        new = fn(state["cb_draft"], *args, **kwargs)
    except BaolianError as exc:
        state["cb_error"] = f"未修改 Not changed: {exc}"
        return False
    state["cb_draft"] = new
    state["cb_log"] = [*state.get("cb_log", []), label]
    if merge:
        state["cb_merges"] = [*state.get("cb_merges", []), merge]
    state["cb_flash"] = f"草稿已修改 Draft changed: {label}（尚未保存 not saved yet）"
    _reset_forms()
    return True


def _lines(key: str) -> str:
    return state.get(key) or ""


# -- callbacks (run before the page is drawn again) --------------------------------------------

def on_rename() -> None:
    cid, code = state["cb_code"], state["cb_draft"].code(state["cb_code"])
    name = state.get("cb_name", code.name)
    name_en = state.get("cb_name_en", code.name_en)
    color = state.get("cb_color", code.color)
    if (name, name_en) != (code.name, code.name_en):
        if not _edit(f"重命名 rename {cid} → {name}", edit.rename_code, cid, name, name_en=name_en):
            return
    if color.upper() != code.color.upper():
        _edit(f"改色 recolour {cid} → {color}", edit.recolor_code, cid, color)


def on_definition() -> None:
    cid = state["cb_code"]
    _edit(f"定义 definition of {cid}", edit.update_code, cid, short=state.get("cb_short", ""),
          definition=state.get("cb_definition", ""), use_when=_lines("cb_use_when"),
          indicators=_lines("cb_indicators"), examples=edit.examples_from_lines(_lines("cb_examples")),
          not_when=edit.not_when_from_lines(_lines("cb_not_when")))


def on_move() -> None:
    cid, parent = state["cb_code"], state.get("cb_parent")
    _edit(f"移动 move {cid} → {parent or '(顶层 root)'}", edit.move_code, cid, parent)


def on_retire(retired: bool) -> None:
    cid = state["cb_code"]
    _edit(f"{'停用 retire' if retired else '恢复 restore'} {cid}", edit.retire_code, cid, retired=retired)


def on_merge() -> None:
    drop, keep = state["cb_code"], state.get("cb_merge_into")
    if not state.get("cb_merge_ok"):
        state["cb_error"] = "请先勾选确认 — tick the confirmation first."
        return
    if _edit(f"合并 merge {drop} → {keep}", edit.merge_codes, keep, drop, merge=(keep, drop)):
        state["cb_code"] = keep


def on_add() -> None:
    get = state.get
    if _edit(f"添加 add {get('cb_new_id', '')}", edit.add_code, get("cb_new_id", ""), get("cb_new_name", ""),
             name_en=get("cb_new_name_en", ""), color=get("cb_new_color", "#888888"),
             parent=get("cb_new_parent"), codable=get("cb_new_codable", True), short=get("cb_new_short"),
             definition=get("cb_new_definition"), use_when=get("cb_new_use_when"),
             examples=edit.examples_from_lines(get("cb_new_examples") or "")):
        state["cb_code"] = get("cb_new_id", "").strip()
        for key in [k for k in state if str(k).startswith("cb_new_")]:
            del state[key]


def on_relation_add() -> None:
    get = state.get
    source, target, name = get("cb_rel_source"), get("cb_rel_target"), (get("cb_rel_label") or "").strip()
    if _edit(f"关系 relation {source} --{name}--> {target}", edit.add_relation, source, target, name,
             direction=get("cb_rel_direction", "one-way"), note=get("cb_rel_note")):
        for key in ("cb_rel_label", "cb_rel_note"):
            state.pop(key, None)


def on_relation_remove() -> None:
    index = state.get("cb_rel_pick")
    if index is not None:
        _edit(f"删除关系 remove relation #{index + 1}", edit.remove_relation, index)


def on_rules(preview: bool) -> None:
    cid = state["cb_code"]
    if _edit(f"规则 rules of {cid}", edit.set_rules, cid, state.get("cb_rules", "")) and preview:
        on_preview()


def _merge_map() -> dict[str, str]:
    """Dropped code -> the code its codings end up in (merges can chain: A into B, then B into C)."""
    direct = {drop: keep for keep, drop in state.get("cb_merges", [])}
    out = {}
    for drop in direct:
        target, seen = direct[drop], {drop}
        while target in direct and target not in seen:
            seen.add(target)
            target = direct[target]
        out[drop] = target
    return out


def on_preview() -> None:
    draft = state["cb_draft"]
    try:
        result = preview_rules(project(), draft, code_map=_merge_map())
    except BaolianError as exc:
        state["cb_error"] = f"预览失败 Preview failed: {exc}"
        return
    state["cb_preview"] = (draft, result)


def on_save() -> None:
    who = coder()
    if not who:
        state["cb_error"] = "请先在侧栏填写编码员姓名 — choose your coder name on the sidebar first."
        return
    p = project()
    try:
        saved = save_codebook_to_project(p, state["cb_draft"], CODEBOOK_PATH, coder=who,
                                         merges=state.get("cb_merges", []), bump=state.get("cb_bump", "patch"))
    except BaolianError as exc:
        state["cb_error"] = f"未保存 Not saved (文件与数据库均未改变 file and database unchanged): {exc}"
        return
    note = f"已保存 Saved: 版本 version {saved.version} → {saved.path} 与项目数据库 and the project database."
    if saved.moved:
        note += " 合并移动 merged: " + ", ".join(f"{d}: {n}" for d, n in saved.moved.items()) + "."
    if state.get("cb_recode", True):
        try:
            run = code_project(p, user=who)
            note += f" 自动编码 re-coded {', '.join(run.recoded) or '—'}: +{run.added} −{run.removed}."
        except BaolianError as exc:
            note += f" 自动编码失败 re-coding failed: {exc}"
    _load(saved.codebook, note)


def on_discard() -> None:
    _load(project().codebook() or state["cb_base"], "已放弃草稿 Draft discarded.")


def on_load_file() -> None:
    try:
        from_file = load_codebook(CODEBOOK_PATH)
    except BaolianError as exc:
        state["cb_error"] = f"无法读取文件 Cannot read the file: {exc}"
        return
    base = state["cb_base"]
    _load(base, "")
    state["cb_draft"] = from_file
    state["cb_log"] = [f"从文件载入 loaded from {CODEBOOK_PATH}"]
    state["cb_flash"] = "已把文件载入草稿 The file is now the draft (not saved yet)."


# -- page ----------------------------------------------------------------------------------------

p = project()
me = coder()
st.title("编码本 Codebook")
if "cb_draft" not in state:
    current = p.codebook()
    if current is None:
        try:
            current = load_codebook(CODEBOOK_PATH)
        except BaolianError as exc:
            st.error(f"项目还没有编码本，文件也无法读取 — the project has no codebook and the file cannot be read: {md(exc)}")
            st.stop()
    _load(current, "")
if flash := state.pop("cb_flash", None):
    st.success(md(flash))
if problem := state.pop("cb_error", None):
    st.error(md(problem))

draft, base = state["cb_draft"], state["cb_base"]
dirty = draft != base or bool(state.get("cb_merges"))
st.caption(f"文件 file: {md(CODEBOOK_PATH)} · 项目版本 project version {md(base.version)} · "
           f"草稿 draft {'有未保存的修改 has unsaved changes' if dirty else '与项目相同 same as the project'}")
try:
    on_disk = load_codebook(CODEBOOK_PATH) if CODEBOOK_PATH.exists() else None
except BaolianError as exc:
    on_disk = None
    st.warning(f"文件有错误 The file has a problem: {md(exc)}")
if on_disk is not None and on_disk != base:
    st.warning(f"文件 {md(CODEBOOK_PATH)}（版本 version {md(on_disk.version)}）与项目的编码本不同 differs from the "
               "project's codebook.")
    st.button("把文件载入草稿 Load the file into the draft", key="cb_load_file", on_click=on_load_file)

by_id = draft.codes_by_id
if state.get("cb_code") not in by_id:
    state["cb_code"] = draft.codes[0].id
depth = {c.id: len(draft.ancestors(c.id)) for c in draft.codes}
label = {c.id: f"{'　' * depth[c.id]}{c.id} {c.name}{' (停用 retired)' if c.retired else ''}" for c in draft.codes}
cid = st.selectbox("当前编码 Current code", list(by_id), format_func=label.get, key="cb_code", on_change=_reset_forms)
code = by_id[cid]

browse, edit_tab, rules_tab, relations_tab, save_tab = st.tabs(
    ["浏览 Browse", "编辑 Edit", "规则 Rules", "关系 Relations", "预览与保存 Preview & save"])

with browse:
    usage = code_usage(p)
    st.dataframe(pd.DataFrame([{
        "编码 Code": label[c.id], "English": c.name_en, "颜色 Colour": c.color,
        "状态 Status": "停用 retired" if c.retired else ("可编码 codable" if c.codable else "分组 group"),
        "简要定义 Short": c.short or "", "指示词 Indicators": "、".join(c.indicators),
        "示例 Examples": len(c.examples), "规则 Rules": len(c.rules),
        "待审 Suggested": usage.get(c.id, {}).get("suggested", 0),
        "接受 Accepted": usage.get(c.id, {}).get("accepted", 0),
        "拒绝 Rejected": usage.get(c.id, {}).get("rejected", 0),
    } for c in draft.codes]), hide_index=True, width="stretch")
    st.html(f"<div class='cb-chip'><span style='display:inline-block;width:1em;height:1em;"
            f"background:{esc(code.color)};border-radius:3px;vertical-align:middle'></span> "
            f"<b>{esc(code.id)} {esc(code.name)}</b> · {esc(code.name_en)}</div>")  # no Markdown, sanitised
    if code.parent:
        st.markdown(f"上级 Parent: {md(code.parent)} {md(by_id[code.parent].name)}")
    if code.definition:
        st.markdown(f"**定义 Definition** — {md(code.definition)}")
    for title, items in (("适用 Use when", code.use_when),
                         ("不适用 Not when", [f"{x.text}（改用 use {x.use or '—'}）" for x in code.not_when]),
                         ("指示词 Indicators", ["、".join(code.indicators)] if code.indicators else []),
                         ("示例 Examples", [f"{x.text}" + (f"（{x.note}）" if x.note else "") for x in code.examples])):
        if items:
            st.markdown(f"**{title}**\n\n" + "\n".join(f"- {md(item)}" for item in items))
    if code.rules:
        st.markdown("**规则 Rules**")
        st.code(edit.rules_yaml(draft, cid), language="yaml")
        vetoes = edit.code_vetoes(draft, cid)  # named vetoes (codebook `vetoes`) the rules use
        if vetoes:
            st.markdown("**否决条件 Vetoes**（命中即不建议 a match vetoes the rule）\n\n" + "\n".join(
                f"- {md(desc)}（{md(name)}；规则 rules: {md('、'.join(rules))}）" for name, desc, rules in vetoes))

with edit_tab:
    left, right = st.columns(2)
    with left.form("cb_form_rename"):
        st.markdown("**重命名与改色 Rename & recolour**")
        st.text_input("名称 Name", value=code.name, key="cb_name")
        st.text_input("英文名 English name", value=code.name_en, key="cb_name_en")
        st.color_picker("颜色 Colour", value=code.color, key="cb_color")
        st.form_submit_button("应用到草稿 Apply to draft", key="cb_apply_rename", on_click=on_rename)
    with right.form("cb_form_move"):
        st.markdown("**移动 Move (change parent)**")
        inside = {cid} | {c.id for c in draft.codes if cid in {a.id for a in draft.ancestors(c.id)}}
        parents = [None] + [c.id for c in draft.codes if c.id not in inside]
        st.selectbox("上级 Parent", parents, index=parents.index(code.parent) if code.parent in parents else 0,
                     format_func=lambda x: "（顶层 root）" if x is None else label[x].strip(), key="cb_parent")
        st.form_submit_button("移动 Move", key="cb_apply_move", on_click=on_move)
    with right.form("cb_form_merge"):
        st.markdown(f"**合并 Merge {md(cid)} into another code**")
        used = usage.get(cid, {})
        st.caption(f"{md(cid)} 的全部编码将移到保留的编码 — all codings of {md(cid)} move to the kept code: "
                   f"待审 suggested {used.get('suggested', 0)}, 接受 accepted {used.get('accepted', 0)}, "
                   f"拒绝 rejected {used.get('rejected', 0)}. 保存时执行 done when saving.")
        targets = [c.id for c in draft.codes if c.id != cid and not c.retired]
        st.selectbox("保留 Keep", targets, format_func=lambda x: label[x].strip(), key="cb_merge_into")
        st.checkbox(f"确认合并并删除 {cid} — confirm: merge and remove {cid}", key="cb_merge_ok")
        st.form_submit_button("合并 Merge", key="cb_apply_merge", on_click=on_merge)
    with right:
        st.markdown("**停用 Retire**")
        if code.retired:
            st.button(f"恢复 Restore {cid}", key="cb_restore", on_click=on_retire, args=(False,))
        else:
            st.button(f"停用 Retire {cid}", key="cb_retire", on_click=on_retire, args=(True,),
                      help="停用的编码保留历史，不再用于新的编码 — retired codes keep their history, not offered for new coding")
    with left.form("cb_form_definition"):
        st.markdown("**定义 Definition**")
        st.text_input("简要定义 Short", value=code.short or "", key="cb_short")
        st.text_area("定义 Definition", value=code.definition or "", key="cb_definition")
        st.text_area("适用 Use when（每行一条 one per line）", value="\n".join(code.use_when), key="cb_use_when")
        st.text_area("不适用 Not when（每行一条，`=> 编码` 指明改用 one per line, `=> CODE` to name the code)",
                     value="\n".join(f"{x.text} => {x.use}" if x.use else x.text for x in code.not_when),
                     key="cb_not_when")
        st.text_area("指示词 Indicators（每行一个 one per line）", value="\n".join(code.indicators),
                     key="cb_indicators")
        st.text_area("示例 Examples（每行一条，`|| 说明` 可选 one per line, optional `|| note`）",
                     value="\n".join(f"{x.text} || {x.note}" if x.note else x.text for x in code.examples),
                     key="cb_examples")
        st.form_submit_button("应用到草稿 Apply to draft", key="cb_apply_definition", on_click=on_definition)
    with st.expander("添加编码 Add a code"):
        with st.form("cb_form_add"):
            a1, a2, a3 = st.columns(3)
            a1.text_input("编号 Id", key="cb_new_id", placeholder="e.g. M6")
            a2.text_input("名称 Name", key="cb_new_name")
            a3.text_input("英文名 English name", key="cb_new_name_en")
            b1, b2, b3 = st.columns(3)
            b1.selectbox("上级 Parent", [None] + list(by_id), key="cb_new_parent",
                         format_func=lambda x: "（顶层 root）" if x is None else label[x].strip())
            b2.color_picker("颜色 Colour", value="#888888", key="cb_new_color")
            b3.checkbox("可编码 Codable (否则为分组 else a group)", value=True, key="cb_new_codable")
            st.text_input("简要定义 Short", key="cb_new_short")
            st.text_area("定义 Definition", key="cb_new_definition")
            st.text_area("适用 Use when（每行一条 one per line）", key="cb_new_use_when")
            st.text_area("示例 Examples（每行一条 one per line, optional `|| note`）", key="cb_new_examples")
            st.form_submit_button("添加到草稿 Add to draft", key="cb_apply_add", on_click=on_add)

with rules_tab:
    st.caption("以 YAML 列表编辑此编码的规则；编码自带默认否决时为 rule_defaults 与 rules 两项（格式见 "
               "docs/codebook-format.md）；应用时检查，错误会指出行号。 — Edit this code's rules as a YAML list (or "
               "rule_defaults + rules when the code has default vetoes); checked when applied, errors name the line.")
    st.text_area(f"{cid} 的规则 Rules of {cid}", value=edit.rules_yaml(draft, cid), height=360, key="cb_rules")
    r1, r2, _ = st.columns([1, 1, 2])
    r1.button("应用到草稿 Apply to draft", key="cb_rules_apply", on_click=on_rules, args=(False,))
    r2.button("应用并预览 Apply & preview", key="cb_rules_preview", on_click=on_rules, args=(True,))

with relations_tab:
    st.caption("编码之间的关系（如 F1 —促成→ M3），随编码本保存，并作为 REFI-QDA 的 Link 导出。 — Relations between "
               "codes (F1 —enables→ M3), saved with the codebook and exported as REFI-QDA links.")
    if draft.relations:
        st.graphviz_chart(relation_graph(draft), width="stretch")
        st.dataframe(pd.DataFrame([{"#": i + 1, "从 From": label[r.source].strip(), "关系 Relation": r.label,
                                    "到 To": label[r.target].strip(), "方向 Direction": RELATION_LABELS[r.direction],
                                    "备注 Note": r.note or ""} for i, r in enumerate(draft.relations)]),
                     hide_index=True, width="stretch")
        d1, d2 = st.columns([3, 1])
        d1.selectbox("删除关系 Remove a relation", list(range(len(draft.relations))), key="cb_rel_pick",
                     format_func=lambda i: f"#{i + 1} {draft.relations[i].source} —{draft.relations[i].label}→ "
                                           f"{draft.relations[i].target}")
        d2.button("从草稿删除 Remove from draft", key="cb_rel_remove", on_click=on_relation_remove)
    else:
        st.info("还没有关系 — no relations yet.")
    with st.form("cb_form_relation"):
        f1, f2, f3 = st.columns([2, 2, 2])
        f1.selectbox("从 From", list(by_id), key="cb_rel_source", format_func=lambda x: label[x].strip())
        f2.text_input("关系 Relation", key="cb_rel_label", placeholder="如 促成 enables、导致 leads to")
        f3.selectbox("到 To", list(by_id), key="cb_rel_target", format_func=lambda x: label[x].strip())
        g1, g2 = st.columns([2, 4])
        g1.radio("方向 Direction", list(RELATION_LABELS), format_func=RELATION_LABELS.get, key="cb_rel_direction")
        g2.text_input("备注 Note", key="cb_rel_note")
        st.form_submit_button("添加到草稿 Add to draft", key="cb_apply_relation", on_click=on_relation_add)

with save_tab:
    changes = describe_changes(base, draft)
    merges = state.get("cb_merges", [])
    if not dirty:
        st.info("草稿与项目的编码本相同 — the draft equals the project's codebook; nothing to save.")
    else:
        st.markdown("**未保存的修改 Unsaved changes**")
        st.text("\n".join(changes + [f"merge {d} → {k}" for k, d in merges]))
        with st.expander("编辑记录 Edits in this draft"):
            st.text("\n".join(state.get("cb_log", [])) or "—")
    rules_changed = rule_fingerprints(draft) != rule_fingerprints(base) or bool(merges)
    st.button("预览规则效果 Preview the rules on the whole project", key="cb_preview_btn", on_click=on_preview)
    shown = state.get("cb_preview")
    fresh = shown is not None and shown[0] == draft
    if shown is not None:
        result = shown[1]
        if not fresh:
            st.warning("预览之后草稿又改过 — the draft changed after this preview; preview again.")
        st.markdown(f"重新编码 Re-coding {md(', '.join(result.recoded) or '—')}，涉及 {result.documents} 份文档 "
                    f"documents: **+{result.added}** 新增建议 added, **−{result.removed}** 移除 removed")
        table = pd.DataFrame([{"编码 Code": f"{k} {by_id[k].name if k in by_id else ''}", "新增 Added": v.added,
                               "移除 Removed": v.removed, "不变 Unchanged": v.unchanged,
                               "已决定保留 Decided, kept": v.kept_decided}
                              for k, v in sorted(result.changes.items()) if v.added or v.removed or v.kept_decided])
        if table.empty:
            st.caption("规则的结果没有变化 — the rules give the same suggestions as now.")
        else:
            st.dataframe(table, hide_index=True, width="stretch")
            st.dataframe(pd.DataFrame([{"编码 Code": s.code, "变化 Change": CHANGE[s.change], "文档 Document": s.document,
                                        "句子 Sentence 【evidence】": s.text} for s in result.samples]),
                         hide_index=True, width="stretch")
    s1, s2, s3 = st.columns([1, 1.4, 1.4])
    s1.selectbox("版本升级 Version bump", edit.BUMPS, key="cb_bump",
                 format_func={"patch": "补丁 patch", "minor": "次版本 minor", "major": "主版本 major"}.get)
    s2.checkbox("保存后重新自动编码 Re-code after saving", value=True, key="cb_recode")
    need_preview = rules_changed and not fresh
    if need_preview:
        st.caption("规则有改动：请先预览再保存 — rules changed: preview before saving.")
    s3.button("💾 保存 Save (文件 + 数据库 file + database)", key="cb_save", type="primary", on_click=on_save,
              disabled=not (dirty and me and can(Permission.MANAGE)) or need_preview)
    if not me:
        st.caption("保存需要编码员姓名（侧栏）— saving needs your coder name (sidebar).")
    elif not can(Permission.MANAGE):
        st.caption("只有管理员可以保存编码本 — only an admin saves the codebook.")
    st.button("放弃草稿 Discard the draft", key="cb_discard", on_click=on_discard, disabled=not dirty)
