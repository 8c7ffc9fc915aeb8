"""The codebook's data model: codes, concepts, rules, and the checks of each field (the checks across
fields, such as references between codes, concepts and vetoes, are in :mod:`coding.codebook.checks`).

The file format is described in docs/codebook-format.md; reading and writing YAML (with line
numbers for every error) lives in :mod:`coding.codebook.io`.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from coding.errors import CodebookError

from .checks import check_codebook, problem as _problem
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
COLOR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")
VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")


def _text(value: str) -> str:
    if not value.strip():
        raise _problem("must not be empty", "write some text or remove the key")
    return value


def _term(value: str) -> str:
    if not value.strip():
        raise _problem("empty term", "remove the empty entry or write a word")
    if value != value.strip():
        raise _problem(f"term {value!r} has leading or trailing spaces", "remove the spaces")
    return value


def _terms(values: list[str]) -> list[str]:
    if not values:
        raise _problem("empty term list", "give at least one term, or remove the key")
    return values


@lru_cache(maxsize=8192)
def compiled_regex(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, cached for the process: a codebook is validated on every load, edit and save
    and then compiled into rules, and holds more distinct regexes than the ``re`` module's own cache (512),
    which then compiled every one of them again each time. Raises ``re.error`` (not cached)."""
    return re.compile(pattern)


def _compile_error(pattern: str) -> str | None:
    """Why ``pattern`` does not compile (None: it does)."""
    try:
        compiled_regex(pattern)
    except re.error as err:
        return str(err)
    return None


def _regexes(values: list[str]) -> list[str]:
    if not values:
        raise _problem("empty regex list", "give at least one regex, or remove the key")
    for i, pattern in enumerate(values):
        error = _compile_error(pattern)
        if error is not None:
            raise _problem(f"regex {pattern!r} does not compile: {error}",
                           "fix the regular expression, Python re syntax", i)
    return values


def _matching(pattern: re.Pattern[str], what: str, expected: str, hint: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise _problem(f"bad {what} {value!r}, expected {expected}", hint)
        return value
    return check


Text = Annotated[str, AfterValidator(_text)]
Term = Annotated[str, AfterValidator(_term)]
Terms = Annotated[list[Term], AfterValidator(_terms)]
Regexes = Annotated[list[str], AfterValidator(_regexes)]
COLOR_HINT = 'write the colour quoted, e.g. color: "#4E79A7"; an unquoted # starts a YAML comment'
VERSION_HINT = 'write a quoted semantic version, e.g. version: "1.0.0"'
CodeId = Annotated[str, AfterValidator(_matching(
    ID_PATTERN, "code id", "a letter followed by letters, digits, '_', '.' or '-'", "e.g. F1, M1.2 or team_code-3"))]
Color = Annotated[str, AfterValidator(_matching(COLOR_PATTERN, "colour", "the form #RRGGBB", COLOR_HINT))]
Version = Annotated[str, AfterValidator(_matching(
    VERSION_PATTERN, "version", "the form MAJOR.MINOR.PATCH", VERSION_HINT))]


class Concept(BaseModel):
    """A shared lexicon, referenced from rules as ``@name``."""

    model_config = ConfigDict(extra="forbid")
    description: Text | None = None
    terms: Terms

    @model_validator(mode="after")
    def _literal_terms(self) -> Concept:
        for i, term in enumerate(self.terms):
            if term.startswith("@"):
                raise _problem(f"concept term {term!r} is a reference",
                               "concept terms are literal words; '@' references belong in rules", "terms", i)
        return self


def _veto_names(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for i, name in enumerate(values):
        if not ID_PATTERN.match(name):
            raise _problem(f"bad veto name {name!r}", "a veto name is a letter followed by letters, digits, '_', "
                           "'.' or '-', e.g. interviewer_line", i)
        if name in seen:
            raise _problem(f"veto {name!r} is listed twice", "list each veto once", i)
        seen.add(name)
    return values


VetoNames = Annotated[list[str], AfterValidator(_veto_names)]


class Veto(BaseModel):
    """A named veto, defined once under the top-level ``vetoes`` and applied to the rules that use it:
    a term of ``exclude`` (word boundaries, may be an @concept) or a match of an ``exclude_regex`` anywhere in
    the unit vetoes every rule using it for that unit."""

    model_config = ConfigDict(extra="forbid")
    description: Text | None = None
    exclude: Terms = Field(default_factory=list)
    exclude_regex: Regexes = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Veto:
        if not (self.exclude or self.exclude_regex):
            raise _problem("veto has neither exclude terms nor exclude_regex",
                           "give 'exclude: [terms]' or 'exclude_regex: [regexes]', or remove the veto")
        return self


class RuleDefaults(BaseModel):
    """What every rule gets unless it says otherwise (``veto``: named vetoes; a rule opts out by ``skip_veto``).

    At the top of the codebook for every rule; on a code for that code's rules (added to the codebook's)."""

    model_config = ConfigDict(extra="forbid")
    veto: VetoNames = Field(default_factory=list)


class Rule(BaseModel):
    """A machine-matching rule (evaluated by the rule engine, validated here)."""

    model_config = ConfigDict(extra="forbid")
    name: Text
    unit: Literal["sentence", "paragraph"] = "sentence"
    weight: float = 0.8
    any: Terms = Field(default_factory=list)
    all: Annotated[list[Terms], AfterValidator(_terms)] = Field(default_factory=list)
    within: Annotated[int, Field(ge=1)] | None = None
    regex: Regexes = Field(default_factory=list)
    exclude: Terms = Field(default_factory=list)
    exclude_regex: Regexes = Field(default_factory=list)
    veto: VetoNames = Field(default_factory=list)  # named vetoes (top-level `vetoes`) added to this rule
    skip_veto: VetoNames = Field(default_factory=list)  # default vetoes (codebook's or code's) not applied here

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if not 0 < self.weight <= 1:
            raise _problem(f"weight {self.weight} is out of range",
                           "use a number above 0 and at most 1, e.g. 0.8", "weight")
        if not (self.any or self.all or self.regex):
            raise _problem(f"rule {self.name!r} matches nothing", "give at least one of any, all or regex")
        return self

    def references(self) -> list[tuple[tuple[str | int, ...], str]]:
        """(path below the rule, term) for every term of any/all/exclude."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        found += [(("any", i), t) for i, t in enumerate(self.any)]
        found += [(("all", g, i), t) for g, group in enumerate(self.all) for i, t in enumerate(group)]
        found += [(("exclude", i), t) for i, t in enumerate(self.exclude)]
        return found


class Exclusion(BaseModel):
    """When not to use a code, and which code to use instead (None if none)."""

    model_config = ConfigDict(extra="forbid")
    text: Text
    use: str | None = None


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text
    note: str | None = None


class Code(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: CodeId
    name: Text
    name_en: Text
    parent: str | None = None
    codable: bool = True
    retired: bool = False
    # a code brought in without its write-up (e.g. imported from REFI-QDA): codable before it has short,
    # definition, use_when and examples; remove the flag once they are written
    draft: bool = False
    color: Color
    short: Text | None = None
    definition: Text | None = None
    use_when: list[Text] = Field(default_factory=list)
    not_when: list[Exclusion] = Field(default_factory=list)
    indicators: list[Term] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    rule_defaults: RuleDefaults = Field(default_factory=RuleDefaults)  # for this code's rules, see RuleDefaults
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Code:
        if self.codable and not self.draft:
            for key in ("short", "definition", "use_when", "examples"):
                if not getattr(self, key):
                    raise _problem(f"codable code {self.id!r} has no {key}",
                                   f"add '{key}', or set 'codable: false' for a grouping node", key)
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in seen:
                raise _problem(f"duplicate rule name {rule.name!r} in code {self.id!r}",
                               "give each rule of a code its own name", "rules", i, "name")
            seen.add(rule.name)
        return self


RELATION_DIRECTIONS = ("one-way", "both", "none")  # REFI-QDA: OneWay, Bidirectional, Associative


class Relation(BaseModel):
    """A relation the team sees between two codes (ATLAS.ti's code-code links, NVivo's relationships): F1
    --促成 enables--> M3. ``direction``: one-way (source to target), both, or none (associated)."""

    model_config = ConfigDict(extra="forbid")
    source: str
    target: str
    label: Text
    direction: Literal["one-way", "both", "none"] = "one-way"
    note: str | None = None


class Codebook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version
    title: Text
    title_en: str | None = None
    citation: str | None = None
    description: str | None = None
    concepts: dict[str, Concept] = Field(default_factory=dict)
    vetoes: dict[str, Veto] = Field(default_factory=dict)  # named vetoes, see Veto
    rule_defaults: RuleDefaults = Field(default_factory=RuleDefaults)
    codes: Annotated[list[Code], Field(min_length=1)]
    relations: list[Relation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Codebook:
        check_codebook(self)
        return self

    # -- queries -----------------------------------------------------------------------------

    @property
    def codes_by_id(self) -> dict[str, Code]:
        return {code.id: code for code in self.codes}

    def code(self, code_id: str) -> Code:
        found = next((c for c in self.codes if c.id == code_id), None)
        if found is None:
            known = ", ".join(c.id for c in self.codes)
            raise CodebookError(f"unknown code id {code_id!r}", field="codes", hint=f"known ids: {known}")
        return found

    def children(self, code_id: str) -> list[Code]:
        self.code(code_id)
        return [c for c in self.codes if c.parent == code_id]

    def ancestors(self, code_id: str) -> list[Code]:
        """Parent, grandparent, ... up to the root (the codebook has no cycles)."""
        chain, code = [], self.code(code_id)
        while code.parent is not None:
            code = self.code(code.parent)
            chain.append(code)
        return chain

    def roots(self) -> list[Code]:
        return [c for c in self.codes if c.parent is None]

    def codable_codes(self, include_retired: bool = False) -> list[Code]:
        """Codes a coder may apply (grouping nodes and, by default, retired codes left out)."""
        return [c for c in self.codes if c.codable and (include_retired or not c.retired)]

    def concept_terms(self, name: str) -> list[str]:
        concept = self.concepts.get(name.removeprefix("@"))
        if concept is None:
            raise CodebookError(f"unknown concept {name!r}", field="concepts",
                                hint=f"known concepts: {', '.join(self.concepts) or '(none)'}")
        return list(concept.terms)

    def rule_vetoes(self, rule: Rule, code: Code) -> list[str]:
        """Names of the named vetoes applied to ``rule`` of ``code``: the codebook's defaults, then the code's,
        less those the rule skips, then the rule's own ``veto``."""
        names = [n for n in (*self.rule_defaults.veto, *code.rule_defaults.veto) if n not in rule.skip_veto]
        return names + [n for n in rule.veto if n not in names]

    def rule_data(self, rule: Rule, code: Code) -> dict:
        """``rule`` as JSON data with the named vetoes it uses written out (without their descriptions): all its
        matching depends on besides the concepts, so a change of a veto is a change of every rule using it.
        Without named vetoes, the plain rule dump (as before vetoes existed)."""
        data = rule.model_dump(mode="json")
        for key in ("veto", "skip_veto"):
            if not data[key]:
                del data[key]
        names = self.rule_vetoes(rule, code)
        if names:
            data["vetoes"] = {name: self.vetoes[name].model_dump(mode="json", exclude={"description"})
                              for name in names}
        return data

    def rule_concepts(self, rule: Rule, code: Code) -> list[str]:
        """Names of the concepts ``rule`` of ``code`` uses, directly or through its named vetoes."""
        terms = [t for _, t in rule.references()]
        terms += [t for name in self.rule_vetoes(rule, code) for t in self.vetoes[name].exclude]
        return sorted({t[1:] for t in terms if t.startswith("@")})

    def terms(self) -> list[str]:
        """Sorted literal terms (indicators, rule and veto terms, concept terms) for the segmenter dictionary."""
        found = {t for concept in self.concepts.values() for t in concept.terms}
        found.update(t for veto in self.vetoes.values() for t in veto.exclude if not t.startswith("@"))
        for code in self.codes:
            found.update(code.indicators)
            found.update(t for rule in code.rules for _, t in rule.references() if not t.startswith("@"))
        return sorted(found)

    def fingerprint(self) -> str:
        """Stable sha256 of the canonical dump: changes exactly when the content changes."""
        from coding.codebook.io import dump_codebook

        return hashlib.sha256(dump_codebook(self).encode("utf-8")).hexdigest()
