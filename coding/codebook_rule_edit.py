"""Editing a code's rules as YAML text: the editor's starting text (:func:`rules_yaml`) and replacing the
rules with edited text (:func:`set_rules`), whose errors name the line of that text.

Pure, like :mod:`coding.codebook_edit`, which re-exports both functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from coding.codebook import Codebook, Rule, RuleDefaults, dump_codebook
from coding.codebook_data import _data, _field, _index, _problem, _tree_order
from coding.errors import CodebookError


def rules_yaml(codebook: Codebook, code_id: str) -> str:
    """A code's rules as a YAML list, as they are written in codebook.yaml (the editor's starting text).

    A code with default vetoes of its own gets a mapping instead: ``rule_defaults:`` and ``rules:``."""
    code = codebook.code(code_id)
    if not code.rules and not code.rule_defaults.veto:
        return ""
    text = dump_codebook(codebook.model_copy(update={"codes": [code.model_copy(update={"parent": None})],
                                                     "concepts": {}, "vetoes": {}, "rule_defaults": RuleDefaults()}))
    lines = text.split("\n    rule_defaults:\n" if code.rule_defaults.veto else "\n    rules:\n", 1)[1].splitlines()
    if code.rule_defaults.veto:  # keep the two keys, two spaces in
        return "rule_defaults:\n" + "\n".join(line[4:] for line in lines) + "\n"
    return "\n".join(line[4:] if line.startswith("    ") else line for line in lines) + "\n"


def code_vetoes(codebook: Codebook, code_id: str) -> list[tuple[str, str, list[str]]]:
    """The named vetoes a code's rules use, in codebook order: (name, description, names of the rules using it)."""
    code = codebook.code(code_id)
    used = {name: [r.name for r in code.rules if name in codebook.rule_vetoes(r, code)] for name in codebook.vetoes}
    return [(name, codebook.vetoes[name].description or "", rules) for name, rules in used.items() if rules]


def set_rules(codebook: Codebook, code_id: str, rules_text: str) -> Codebook:
    """Replace a code's rules with the YAML list in ``rules_text`` (``- name: ...`` items), or with a mapping of
    ``rules:`` and optionally ``rule_defaults:`` (the code's own default vetoes), as :func:`rules_yaml` writes it.

    The text stands for both: without ``rule_defaults`` the code has none. Errors name the line of
    ``rules_text``; an empty text removes the rules.
    """
    data = _data(codebook)
    code = data["codes"][_index(data, code_id)]
    try:
        node = yaml.compose(rules_text or "")
        parsed = yaml.safe_load(rules_text or "")
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = " ".join(str(getattr(err, "problem", None) or err).split())
        raise CodebookError(f"YAML syntax error: {problem}", file=f"rules of {code_id}",
                            line=mark.line + 1 if mark else None,
                            hint="check indentation, colons, dashes and quotes near this line") from None
    defaults, root = {}, node
    if isinstance(parsed, dict):
        unknown = sorted(map(str, set(parsed) - {"rules", "rule_defaults"}))
        if unknown:
            raise CodebookError(f"unknown key(s) {', '.join(unknown)} beside the rules", file=f"rules of {code_id}",
                                line=next(k for k, _ in root.value if str(k.value) == unknown[0]).start_mark.line + 1,
                                hint="write a YAML list of rules, or a mapping of rules and rule_defaults only")
        defaults = parsed.get("rule_defaults") or {}
        parsed, node = parsed.get("rules"), next((v for k, v in node.value if k.value == "rules"), None)
    if parsed is None:
        parsed = []
    if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
        raise CodebookError("the rules must be a YAML list of rules", file=f"rules of {code_id}", line=1,
                            hint="write one '- name: ...' item per rule, see docs/codebook-format.md")
    where = f"rules of {code_id}"
    for i, rule in enumerate(parsed):
        try:
            Rule.model_validate(rule)
        except ValidationError as err:
            message, hint, loc = _problem(err)
            raise CodebookError(message, file=where, line=_node_line(node, (i, *loc)),
                                field=_field(("rules", i, *loc)), hint=hint) from None
    code["rules"] = parsed
    code["rule_defaults"] = defaults
    data["codes"] = _tree_order(data["codes"])
    try:
        return Codebook.model_validate(data)
    except ValidationError as err:
        message, hint, loc = _problem(err)
        position = data["codes"].index(code)
        if loc[:3] == ("codes", position, "rules"):  # a problem inside the edited rules: name its line
            raise CodebookError(message, file=where, line=_node_line(node, loc[3:]), field=_field(loc[2:]),
                                hint=hint) from None
        if loc[:3] == ("codes", position, "rule_defaults"):  # or inside the code's default vetoes
            raise CodebookError(message, file=where, line=_node_line(root, loc[2:]), field=_field(loc[2:]),
                                hint=hint) from None
        raise CodebookError(message, field=_field(loc, data), hint=hint) from None


def _node_line(node: Any, path: Sequence[Any]) -> int | None:
    """1-based line of the deepest node of ``path`` in a PyYAML node tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
        elif isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if found is None:
                break
            node = found
        else:
            break
        line = node.start_mark.line + 1
    return line
