"""Relations between codes (编码关系): pure edits that return a NEW, validated :class:`Codebook`, and the
network drawn from them (Graphviz DOT text, for the Codebook page).

A relation links two codes with a label (F1 --促成 enables--> M3), as ATLAS.ti's code-code links and NVivo's
relationships do; it is part of the codebook (``relations:`` in the YAML), so it travels with the codebook and
its version, and REFI-QDA projects carry it as a ``<Link>`` between two codes. Re-exported by
:mod:`coding.codebook_edit`.
"""

from __future__ import annotations

from coding.codebook import Codebook
from coding.codebook.models import RELATION_DIRECTIONS
from coding.codebook_data import _data, _validated
from coding.errors import CodebookError

ARROWS = {"one-way": "forward", "both": "both", "none": "none"}
LABELS = {"one-way": "单向 one-way →", "both": "双向 both ↔", "none": "关联 associated —"}


def add_relation(codebook: Codebook, source: str, target: str, label: str, *, direction: str = "one-way",
                 note: str | None = None) -> Codebook:
    """``codebook`` with the relation ``source --label--> target`` added (checked as the codebook checks it)."""
    if direction not in RELATION_DIRECTIONS:
        raise CodebookError(f"unknown direction {direction!r}", field="direction",
                            hint=f"use one of: {', '.join(RELATION_DIRECTIONS)}")
    data = _data(codebook)
    relation = {"source": source, "target": target, "label": (label or "").strip(), "direction": direction}
    if note and note.strip():
        relation["note"] = note.strip()
    data["relations"] = [*data.get("relations", []), relation]
    return _validated(data)


def remove_relation(codebook: Codebook, index: int) -> Codebook:
    """``codebook`` without its relation number ``index`` (0-based, as listed)."""
    data = _data(codebook)
    relations = data.get("relations", [])
    if not 0 <= index < len(relations):
        raise CodebookError(f"no relation #{index + 1}", field="relations",
                            hint=f"the codebook has {len(relations)} relation(s)")
    data["relations"] = relations[:index] + relations[index + 1:]
    return _validated(data)


def relations_after_merge(relations: list[dict], keep: str, drop: str) -> list[dict]:
    """Relations of plain codebook data once ``drop`` is merged into ``keep``: ``drop`` becomes ``keep``; a
    relation that now links ``keep`` to itself, or repeats another, is dropped."""
    out, seen = [], set()
    for rel in relations:
        rel = {**rel, **{end: keep for end in ("source", "target") if rel[end] == drop}}
        key = (rel["source"], rel["target"], rel["label"].strip())
        if rel["source"] != rel["target"] and key not in seen:
            seen.add(key)
            out.append(rel)
    return out


def dot_quoted(text: str) -> str:
    """``text`` as a quoted Graphviz DOT string (quotes and backslashes escaped, one line)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def relation_graph(codebook: Codebook, *, only: set[str] | None = None) -> str:
    """The relations as a Graphviz DOT graph: the related codes as boxes in their colours (with their names), an
    arrow per relation with its label. ``only``: just the relations that touch these codes."""
    relations = [r for r in codebook.relations if only is None or {r.source, r.target} & only]
    codes = codebook.codes_by_id
    used = list(dict.fromkeys(end for r in relations for end in (r.source, r.target)))
    lines = ["digraph relations {", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="Noto Sans CJK SC", fontsize=11];',
             '  edge [fontname="Noto Sans CJK SC", fontsize=10];']
    for key in used:
        code = codes[key]
        lines.append(f"  {dot_quoted(key)} [label={dot_quoted(f'{key} {code.name}')}, "
                     f"fillcolor={dot_quoted(code.color + '33')}, color={dot_quoted(code.color)}];")
    for r in relations:
        lines.append(f"  {dot_quoted(r.source)} -> {dot_quoted(r.target)} [label={dot_quoted(r.label)}, "
                     f"dir={ARROWS[r.direction]}];")
    lines.append("}")
    return "\n".join(lines)
