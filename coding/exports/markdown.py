"""Markdown export: the tables for papers as pipe tables (GitHub / pandoc), with a metadata section.

Cell text is escaped so that it stays literal: ``|`` becomes ``\\|`` (the only way to keep a pipe inside a
pipe-table cell), and the characters Markdown would read as formatting, HTML or an entity (backslash,
backtick, ``* _ [ ] < > ~ # &``, and pandoc's ``$`` maths and ``^`` superscript) get a backslash, so that
``&amp;`` in a quote shows as ``&amp;``, not as ``&``; newlines become spaces.
"""

from __future__ import annotations

import re
from pathlib import Path

from coding.exports.paper import META_LABELS, PaperTable

_ESCAPE_RE = re.compile(r"([\\`*_\[\]<>|~#&$^])")


def escape(text: object) -> str:
    value = "" if text is None else str(text)
    value = re.sub(r"[\x00-\x1f\x7f]+", " ", value)
    return _ESCAPE_RE.sub(r"\\\1", value)


def render_table(table: PaperTable, number: int) -> str:
    prefix = "附表" if table.appendix else "表"
    lines = [f"**{prefix} {number} {escape(table.caption)}**", ""]
    lines.append("| " + " | ".join(escape(c) for c in table.columns) + " |")
    lines.append("|" + "|".join("---:" if n else "---" for n in table.numeric) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(escape(c) for c in row) + " |")
    if not table.rows:
        lines.append("| " + " | ".join(["（无数据 no data）"] + [""] * (len(table.columns) - 1)) + " |")
    lines += ["", f"注：{escape(table.notes)}", ""]
    return "\n".join(lines)


def render(tables: list[PaperTable], meta: dict[str, str]) -> str:
    lines = ["# 包联 Baolian 导出 Export", "", "## 导出信息 Export information", ""]
    lines += [f"- {META_LABELS.get(k, k)}: {escape(v)}" for k, v in meta.items()]
    lines.append("")
    numbers = {False: 0, True: 0}
    for table in tables:
        numbers[table.appendix] += 1
        lines.append(render_table(table, numbers[table.appendix]))
    return "\n".join(lines)


def write(tables: list[PaperTable], meta: dict[str, str], out: Path) -> Path:
    out.write_text(render(tables, meta), encoding="utf-8")
    return out
