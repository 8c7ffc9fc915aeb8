"""Cross-reference checks of a codebook, run when a :class:`~coding.codebook.models.Codebook` is validated:
unique ids and names, parents and cycles, ``not_when`` targets, ``@concept`` references, named vetoes.
Each problem is raised as a pydantic error carrying a hint and the path of the failing field, which
:mod:`coding.codebook.io` turns into a message naming the file, line and field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from .models import Codebook


def problem(message: str, hint: str, *sub: str | int) -> PydanticCustomError:
    """A validation error carrying a hint and an optional path below the failing node."""
    return PydanticCustomError("codebook", "{message}", {"message": message, "hint": hint, "sub": sub})



def check_codebook(cb: Codebook) -> None:
    """Cross-references: unique ids and names, parents, cycles, not_when targets, @concepts."""
    first_id: dict[str, int] = {}
    first_name: dict[str, int] = {}
    for i, code in enumerate(cb.codes):
        if code.id in first_id:
            raise problem(f"duplicate code id {code.id!r} (first used at codes[{first_id[code.id]}])",
                           "give every code its own id", "codes", i, "id")
        if code.name in first_name:
            raise problem(f"duplicate code name {code.name!r} (first used at codes[{first_name[code.name]}])",
                           "give every code its own name", "codes", i, "name")
        first_id[code.id], first_name[code.name] = i, i
    known = ", ".join(first_id)
    for i, code in enumerate(cb.codes):
        if code.parent is not None and code.parent not in first_id:
            raise problem(f"unknown parent {code.parent!r} of code {code.id!r}",
                           f"remove 'parent' or use one of: {known}", "codes", i, "parent")
    for i, code in enumerate(cb.codes):
        chain, current = [code.id], code.parent
        while current is not None and current not in chain:
            chain.append(current)
            current = cb.codes[first_id[current]].parent
        if current == code.id:
            cycle = " -> ".join(chain + [code.id])
            raise problem(f"parent cycle: {cycle}", "make one code of the cycle a root or point it elsewhere",
                           "codes", i, "parent")
    seen_relations: dict[tuple[str, str, str], int] = {}
    for i, rel in enumerate(cb.relations):
        for end in ("source", "target"):
            if getattr(rel, end) not in first_id:
                raise problem(f"relation names unknown code {getattr(rel, end)!r}", f"use one of: {known}",
                              "relations", i, end)
        if rel.source == rel.target:
            raise problem(f"relation from {rel.source!r} to itself", "relate two different codes",
                          "relations", i, "target")
        key = (rel.source, rel.target, rel.label.strip())
        if key in seen_relations:
            raise problem(f"duplicate relation {rel.source} --{rel.label}--> {rel.target} "
                          f"(first at relations[{seen_relations[key]}])", "remove one of the two",
                          "relations", i)
        seen_relations[key] = i
    for i, code in enumerate(cb.codes):
        for j, exclusion in enumerate(code.not_when):
            if exclusion.use is not None and exclusion.use not in first_id:
                raise problem(f"not_when names unknown code {exclusion.use!r}",
                               f"use null or one of: {known}", "codes", i, "not_when", j, "use")
        for r, rule in enumerate(code.rules):
            for sub, term in rule.references():
                check_concept(cb, term, f"rule {rule.name!r}", "codes", i, "rules", r, *sub)
    check_vetoes(cb)


def check_concept(cb: Codebook, term: str, where: str, *path: str | int) -> None:
    """An ``@concept`` reference (in a rule or a veto) must name a defined concept."""
    if term.startswith("@") and term[1:] not in cb.concepts:
        raise problem(f"unknown concept {term!r} in {where}",
                       f"define '{term[1:]}' under concepts; known: {', '.join(cb.concepts) or 'none'}", *path)


def check_vetoes(cb: Codebook) -> None:
    """Named vetoes: their @concepts exist; every veto name used (defaults, rules) is defined; a rule skips only
    a default of the codebook or of its code."""
    known = ", ".join(cb.vetoes) or "none"
    for name, veto in cb.vetoes.items():
        for j, term in enumerate(veto.exclude):
            check_concept(cb, term, f"veto {name!r}", "vetoes", name, "exclude", j)
    for j, name in enumerate(cb.rule_defaults.veto):
        if name not in cb.vetoes:
            raise problem(f"unknown veto {name!r} in rule_defaults", f"define '{name}' under vetoes; known: {known}",
                           "rule_defaults", "veto", j)
    for i, code in enumerate(cb.codes):
        for j, name in enumerate(code.rule_defaults.veto):
            if name not in cb.vetoes:
                raise problem(f"unknown veto {name!r} in the rule_defaults of code {code.id!r}",
                               f"define '{name}' under vetoes; known: {known}", "codes", i, "rule_defaults", "veto", j)
            if name in cb.rule_defaults.veto:
                raise problem(f"veto {name!r} of code {code.id!r} is already a default of the whole codebook",
                               "remove it from the code's rule_defaults", "codes", i, "rule_defaults", "veto", j)
        defaults = {*cb.rule_defaults.veto, *code.rule_defaults.veto}
        for r, rule in enumerate(code.rules):
            for key in ("veto", "skip_veto"):
                for j, name in enumerate(getattr(rule, key)):
                    if name not in cb.vetoes:
                        raise problem(f"unknown veto {name!r} in rule {rule.name!r}",
                                       f"define '{name}' under vetoes; known: {known}", "codes", i, "rules", r, key, j)
                    if key == "skip_veto" and name not in defaults:
                        raise problem(f"rule {rule.name!r} skips veto {name!r}, which is not a default",
                                       "remove it from skip_veto (only vetoes of rule_defaults.veto, the codebook's "
                                       "or the code's, can be skipped)",
                                       "codes", i, "rules", r, key, j)
                    if key == "veto" and name in rule.skip_veto:
                        raise problem(f"rule {rule.name!r} both adds and skips veto {name!r}",
                                       "keep it in veto or in skip_veto, not both", "codes", i, "rules", r, key, j)
