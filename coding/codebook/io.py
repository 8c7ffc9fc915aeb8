"""Reading and writing codebook YAML.

Every problem in a codebook file raises :class:`coding.errors.CodebookError` naming the file,
the 1-based line, the field (e.g. ``codes[3].color``) and a hint. Only the first problem is
reported. Saving is deterministic and atomic.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import tempfile
import typing
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from coding.codebook.models import COLOR_HINT, VERSION_HINT, Codebook
from coding.errors import CodebookError

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
        hint = next((h for key, h in _TYPE_HINTS.items() if kind.startswith(key)), "see docs/codebook-format.md")
        hint = _FIELD_HINTS.get(str(loc[-1]) if loc else "", hint)
        if kind == "literal_error":
            hint = "use one of the values listed"
    return CodebookError(message, file=file, line=_line(tree, path), field=_field(path), hint=hint)


# -- saving -----------------------------------------------------------------------------------


# Characters that YAML flow syntax or YAML 1.1 readers give a meaning (regexes are full of them).
_RISKY = re.compile(r"[?:#\[\]{},&*!|>'\"%@`]|^[-\s]|\s$")


def _yaml_writer() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode = True
    yaml.default_flow_style = None  # flow style for lists/mappings of scalars only
    yaml.width = 100000
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.sort_base_mapping_type_on_output = False

    def text(representer: Any, value: str) -> Any:
        if "\n" in value.strip("\n"):
            style = "|"
        elif _RISKY.search(value):  # quote what a YAML 1.1 reader (PyYAML, other tools) might misread
            style = "'"
        else:
            style = None
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


_DUMPS: dict[str, str] = {}  # the codebook's JSON -> its canonical YAML (the YAML emitter takes ~0.4 s)
_DUMPS_KEPT = 16


def dump_codebook(codebook: Codebook) -> str:
    """Canonical YAML: schema key order, defaults/None/empty omitted, Unicode kept.

    Remembered by content (the model's JSON, which pydantic writes in about a millisecond), since a project
    dumps the same codebook to store it, to fingerprint it and to version its rules; and kept on disk between
    runs (:mod:`coding.codebook.dump_cache`)."""
    key = codebook.model_dump_json()
    text = _DUMPS.get(key)
    if text is None:
        from coding.codebook.dump_cache import cached

        text = cached(key, lambda: _dump(codebook))
        if len(_DUMPS) >= _DUMPS_KEPT:
            _DUMPS.clear()
        _DUMPS[key] = text
    return text


def _dump(codebook: Codebook) -> str:
    data = codebook.model_dump(mode="python", exclude_defaults=True, exclude_none=True)
    data["codes"] = [_Block(code) for code in data["codes"]]
    if "vetoes" in data:
        data["vetoes"] = _Block({name: _Block(veto) for name, veto in data["vetoes"].items()})
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
    write_atomic(Path(path), dump_codebook(codebook).encode("utf-8"))


def write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically, keeping the file's permissions (mkstemp would make 0600)."""
    tmp: str | None = None
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise CodebookError(f"cannot write the codebook: {err}", file=target,
                            hint="check that the folder exists and is writable") from None
