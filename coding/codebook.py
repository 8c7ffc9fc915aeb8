"""The codebook: pydantic models, validation with YAML line numbers, and a tidy YAML dump.

The file format is described in notes/CODEBOOK-SCHEMA.md. Every problem in a codebook file
raises :class:`coding.errors.CodebookError` naming the file, the 1-based line, the field
(e.g. ``codes[3].color``) and a hint. Only the first problem is reported.
"""

from __future__ import annotations

import yaml

import difflib
import hashlib
import io
import os
import re
import tempfile
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from coding.errors import CodebookError

ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
COLOR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")
VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")


def _problem(message: str, hint: str, *sub: str | int) -> PydanticCustomError:
    """A validation error carrying a hint and an optional path below the failing node."""
    return PydanticCustomError("codebook", "{message}", {"message": message, "hint": hint, "sub": sub})


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


def _regexes(values: list[str]) -> list[str]:
    if not values:
        raise _problem("empty regex list", "give at least one regex, or remove the key")
    for i, pattern in enumerate(values):
        try:
            re.compile(pattern)
        except re.error as err:
            raise _problem(f"regex {pattern!r} does not compile: {err}",
                           "fix the regular expression, Python re syntax", i) from None
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
    color: Color
    short: Text | None = None
    definition: Text | None = None
    use_when: list[Text] = Field(default_factory=list)
    not_when: list[Exclusion] = Field(default_factory=list)
    indicators: list[Term] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Code:
        if self.codable:
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


class Codebook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version
    title: Text
    title_en: str | None = None
    citation: str | None = None
    description: str | None = None
    concepts: dict[str, Concept] = Field(default_factory=dict)
    codes: Annotated[list[Code], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> Codebook:
        _check_codebook(self)
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

    def terms(self) -> list[str]:
        """Sorted literal terms (indicators, rule terms, concept terms) for the segmenter dictionary."""
        found = {t for concept in self.concepts.values() for t in concept.terms}
        for code in self.codes:
            found.update(code.indicators)
            found.update(t for rule in code.rules for _, t in rule.references() if not t.startswith("@"))
        return sorted(found)

    def fingerprint(self) -> str:
        """Stable sha256 of the canonical dump: changes exactly when the content changes."""
        return hashlib.sha256(dump_codebook(self).encode("utf-8")).hexdigest()


def _check_codebook(cb: Codebook) -> None:
    """Cross-references: unique ids and names, parents, cycles, not_when targets, @concepts."""
    first_id: dict[str, int] = {}
    first_name: dict[str, int] = {}
    for i, code in enumerate(cb.codes):
        if code.id in first_id:
            raise _problem(f"duplicate code id {code.id!r} (first used at codes[{first_id[code.id]}])",
                           "give every code its own id", "codes", i, "id")
        if code.name in first_name:
            raise _problem(f"duplicate code name {code.name!r} (first used at codes[{first_name[code.name]}])",
                           "give every code its own name", "codes", i, "name")
        first_id[code.id], first_name[code.name] = i, i
    known = ", ".join(first_id)
    for i, code in enumerate(cb.codes):
        if code.parent is not None and code.parent not in first_id:
            raise _problem(f"unknown parent {code.parent!r} of code {code.id!r}",
                           f"remove 'parent' or use one of: {known}", "codes", i, "parent")
    for i, code in enumerate(cb.codes):
        chain, current = [code.id], code.parent
        while current is not None and current not in chain:
            chain.append(current)
            current = cb.codes[first_id[current]].parent
        if current == code.id:
            cycle = " -> ".join(chain + [code.id])
            raise _problem(f"parent cycle: {cycle}", "make one code of the cycle a root or point it elsewhere",
                           "codes", i, "parent")
    for i, code in enumerate(cb.codes):
        for j, exclusion in enumerate(code.not_when):
            if exclusion.use is not None and exclusion.use not in first_id:
                raise _problem(f"not_when names unknown code {exclusion.use!r}",
                               f"use null or one of: {known}", "codes", i, "not_when", j, "use")
        for r, rule in enumerate(code.rules):
            for sub, term in rule.references():
                if term.startswith("@") and term[1:] not in cb.concepts:
                    raise _problem(f"unknown concept {term!r} in rule {rule.name!r}",
                                   f"define '{term[1:]}' under concepts; known: {', '.join(cb.concepts) or 'none'}",
                                   "codes", i, "rules", r, *sub)


# -- loading ----------------------------------------------------------------------------------


def load_codebook(path: str | Path) -> Codebook:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise CodebookError(f"cannot read the codebook: {err}", file=path,
                            hint="check the path and that the file is UTF-8 text") from None
    return parse_codebook(text, file=str(path))


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml loader that refuses duplicate keys (PyYAML would silently keep the last one)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=True) for k, _ in node.value]
        if len(keys) != len(set(map(repr, keys))):
            raise yaml.constructor.ConstructorError(None, None, "duplicate key", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def parse_codebook(text: str, file: str = "<string>") -> Codebook:
    """Parse and validate a codebook.

    A valid file takes the fast path (libyaml, ~20x faster than the round-trip
    parser); anything the fast path does not accept is parsed again with
    ruamel's round-trip loader, which knows every node's line for the error.
    """
    try:
        data = yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a safe loader
        if isinstance(data, dict):
            return Codebook.model_validate(data)
    except (yaml.YAMLError, ValidationError, TypeError, ValueError):
        pass
    return _parse_with_lines(text, file)


def _parse_with_lines(text: str, file: str) -> Codebook:
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = " ".join(str(err.problem or err.context or "invalid YAML").split())
        hint = ("write each key only once per mapping" if "duplicate key" in problem
                else "check indentation, colons, quotes and brackets near this line")
        raise CodebookError(f"YAML syntax error: {problem}", file=file,
                            line=mark.line + 1 if mark else None, hint=hint) from None
    except YAMLError as err:
        raise CodebookError(f"YAML error: {err}", file=file, hint="check the YAML syntax") from None
    if not isinstance(tree, CommentedMap):
        what = "is empty" if tree is None else "must be a YAML mapping with version, title and codes"
        raise CodebookError(f"the codebook {what}", file=file,
                            line=1, hint="start the file with 'version: \"1.0.0\"'")
    try:
        return Codebook.model_validate(_plain(tree))
    except ValidationError as err:
        raise _translate(_first(err.errors()), tree, file) from None


def _first(errors: list[Any]) -> Any:
    """The first error; an unknown key beats a missing one in the same mapping (it is usually a typo)."""
    first = errors[0]
    if first["type"] == "missing":
        container = first["loc"][:-1]
        return next((e for e in errors if e["type"] == "extra_forbidden" and e["loc"][:-1] == container), first)
    return first


def _plain(node: Any) -> Any:
    """ruamel round-trip nodes -> plain Python values (the tree itself keeps the line numbers)."""
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    for kind in (bool, str, int, float):  # bool before int; ruamel scalar subclasses -> builtins
        if isinstance(node, kind):
            return kind(node)
    return node


def _line(tree: Any, path: tuple[Any, ...]) -> int:
    """1-based line of the deepest node of `path` that exists in the YAML tree."""
    line, node = 1, tree
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            line, node = node.lc.key(key)[0] + 1, node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line, node = node.lc.item(key)[0] + 1, node[key]
        else:
            break
    return line


def _field(path: tuple[Any, ...]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"


def _model_at(path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that the node at `path` is validated as (for 'allowed keys' hints)."""
    model: Any = Codebook
    skip = 0
    for key in path:
        if skip:
            skip -= 1
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or key not in model.model_fields:
            return None
        model, skip = _unwrap(model.model_fields[key].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> tuple[Any, int]:
    """(innermost type, number of container levels) of a field annotation."""
    depth = 0
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is Annotated:
            annotation = args[0]
        elif origin in (list, dict):
            annotation, depth = args[-1], depth + 1
        elif args and type(None) in args:
            annotation = next(a for a in args if a is not type(None))
        else:
            return annotation, depth


_FIELD_HINTS = {"color": COLOR_HINT, "version": VERSION_HINT}
_TYPE_HINTS = {"string": "write text; quote it if it looks like a number, date or boolean",
               "list": "write a YAML list, e.g. [a, b]",
               "dict": "write a YAML mapping of key: value", "model": "write a YAML mapping of key: value",
               "bool": "write true or false", "float": "write a number", "int": "write a whole number",
               "greater_than": "use a whole number of at least 1", "too_short": "give at least one entry"}


def _translate(error: dict[str, Any], tree: Any, file: str) -> CodebookError:
    loc = tuple(k for k in error["loc"]
                if not (isinstance(k, str) and (k.startswith(("function-", "list[")) or k == "[key]")))
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "codebook":
        path = loc + tuple(ctx.get("sub", ()))
        message, hint = ctx["message"], ctx["hint"]
    elif kind == "missing":
        path = loc
        model = _model_at(loc[:-1])
        what = model.__name__.lower() if model else "entry"
        message, hint = f"missing required field {loc[-1]!r}", f"add '{loc[-1]}: ...' to this {what}"
    elif kind == "extra_forbidden":
        path = loc
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        message = f"unknown key {loc[-1]!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
        hint = f"allowed keys here: {', '.join(allowed)}"
    else:
        path = loc
        shown = repr(error.get("input"))
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        what = "wrong type" if kind.endswith(("_type", "_parsing")) else "bad value"
        message = f"{what}: {error['msg'][0].lower()}{error['msg'][1:]}, got {shown}"
        if error.get("input") is None:
            message = "no value given"
        hint = next((h for key, h in _TYPE_HINTS.items() if kind.startswith(key)), "see notes/CODEBOOK-SCHEMA.md")
        hint = _FIELD_HINTS.get(str(loc[-1]) if loc else "", hint)
        if kind == "literal_error":
            hint = "use one of the values listed"
    return CodebookError(message, file=file, line=_line(tree, path), field=_field(path), hint=hint)


# -- saving -----------------------------------------------------------------------------------


def _yaml_writer() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode = True
    yaml.default_flow_style = None  # flow style for lists/mappings of scalars only
    yaml.width = 100000
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.sort_base_mapping_type_on_output = False

    def text(representer: Any, value: str) -> Any:
        style = "|" if "\n" in value.strip("\n") else None
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    yaml.representer.add_representer(str, text)
    yaml.representer.add_representer(
        _Block, lambda rep, value: rep.represent_mapping("tag:yaml.org,2002:map", value, flow_style=False))
    yaml.representer.add_representer(
        _BlockList, lambda rep, value: rep.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=False))
    return yaml


class _Block(dict):
    """A mapping always written in block style (codes and examples: one key per line)."""


class _BlockList(list):
    """A list always written in block style (prose such as use_when: one item per line)."""


def dump_codebook(codebook: Codebook) -> str:
    """Canonical YAML: schema key order, defaults/None/empty omitted, Unicode kept."""
    data = codebook.model_dump(mode="python", exclude_defaults=True, exclude_none=True)
    data["codes"] = [_Block(code) for code in data["codes"]]
    for code in data["codes"]:
        if "use_when" in code:
            code["use_when"] = _BlockList(code["use_when"])
        if "examples" in code:
            code["examples"] = [_Block(example) for example in code["examples"]]
    buffer = io.StringIO()
    _yaml_writer().dump(data, buffer)
    return buffer.getvalue()


def save_codebook(codebook: Codebook, path: str | Path) -> None:
    """Write the canonical dump atomically (temporary file in the same folder + os.replace)."""
    target = Path(path)
    text = dump_codebook(codebook)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise CodebookError(f"cannot write the codebook: {err}", file=path,
                            hint="check that the folder exists and is writable") from None


__all__ = ["Code", "Codebook", "Concept", "Example", "Exclusion", "Rule", "dump_codebook", "load_codebook",
           "parse_codebook", "save_codebook"]
