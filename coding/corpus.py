"""Document import: files in, normalised documents out. Never touches the database.

Formats: .txt / .md / no extension (encoding detected from the bytes), .docx, .pdf (text layer).
Readers live in :mod:`coding.readers`, the stored form of text in :mod:`coding.normalise`; this module reads a file
into a document, reads manifests and collects folders.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

import yaml

from coding.corpus_files import exists, is_dir, is_file, walk
from coding.errors import ImportProblem
from coding.normalise import normalise_anchored, normalise_text
from coding.readers import DEFAULT_MAX_BYTES, file_status, read_text_file
from coding.readers_docx import DocxContent, read_docx
from coding.readers_pdf import PdfContent, page_anchor, read_pdf
from coding.readers_pdf_notes import place_notes

__all__ = [
    "DEFAULT_MAX_BYTES", "KINDS", "MANIFEST_NAME", "SUPPORTED_EXTENSIONS", "DocumentComment", "DocumentMeta",
    "ImportedDocument",
    "Participant", "Refusal", "collect", "load_manifest", "normalise_text", "read_document", "read_text_file",
]

KINDS = ("interview", "policy", "minutes", "news", "other")
MANIFEST_NAME = "corpus.yaml"  # found automatically at the top of a folder passed to collect() (also corpus.yml)
SUPPORTED_EXTENSIONS = (".txt", ".md", ".docx", ".pdf")  # plus files without an extension (read as text)


@dataclass(frozen=True)
class Participant:
    name: str
    role: str | None = None


@dataclass(frozen=True)
class DocumentMeta:
    title: str | None = None
    kind: str = "other"
    date: str | None = None  # ISO yyyy-mm-dd
    source: str | None = None
    participants: tuple[Participant, ...] = ()
    cases: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class DocumentComment:
    """A comment the file carried (a Word 批注, a PDF annotation's note): the text it covers (``start``..``end`` in
    code points of the document text; equal for a comment on a point), who wrote it, when (YYYY-MM-DD or None),
    what, and the kind of file it came from ("Word" or "PDF")."""

    start: int
    end: int
    author: str
    date: str | None
    text: str
    source: str = "Word"


@dataclass(frozen=True)
class ImportedDocument:
    path: Path
    filename: str
    text: str  # normalised; all offsets refer to this string
    sha256: str  # hex digest of text encoded as UTF-8
    encoding: str  # detected codec name for text files, "docx" or "pdf" otherwise
    format: str  # "txt" | "md" | "docx" | "pdf"
    meta: DocumentMeta  # title is never None: manifest title, else defaults title, else the file stem
    comments: tuple[DocumentComment, ...] = ()  # in the order of their start


@dataclass(frozen=True)
class Refusal:
    path: Path
    reason: str  # one line: what is wrong and what to do


# ---------------------------------------------------------------- manifest

_ENTRY_KEYS = ("file", "title", "kind", "date", "source", "participants", "cases", "extra")
_NULL = "tag:yaml.org,2002:null"


def _err(path: Path, node: yaml.Node | None, message: str, field_: str | None = None,
         hint: str | None = None) -> ImportProblem:
    line = node.start_mark.line + 1 if node is not None else None
    return ImportProblem(message, file=path, line=line, field=field_, hint=hint)


def _scalar(path: Path, node: yaml.Node, name: str) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        raise _err(path, node, "must be a single value, not a list or mapping", name)
    if node.tag == _NULL or not node.value.strip():
        return None
    return node.value.strip()


def _pairs(path: Path, node: yaml.Node, allowed: tuple[str, ...], what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise _err(path, node, f"{what} must be a mapping (key: value)", hint=f"keys: {', '.join(allowed)}")
    out: dict[str, yaml.Node] = {}
    for key_node, value in node.value:
        key = str(key_node.value)
        if key not in allowed:
            raise _err(path, key_node, f"unknown key {key!r} in {what}", key, f"allowed keys: {', '.join(allowed)}")
        if key in out:
            raise _err(path, key_node, f"key {key!r} given twice in {what}", key)
        out[key] = value
    return out


def _seq(path: Path, node: yaml.Node, name: str) -> list[yaml.Node]:
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise _err(path, node, "must be a list", name)
    return list(node.value)


def _plain(node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): _plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v) for v in node.value]
    return None if node.tag == _NULL else node.value


def _entry(path: Path, node: yaml.Node) -> tuple[str, DocumentMeta, frozenset[str]]:
    keys = _pairs(path, node, _ENTRY_KEYS, "a documents entry")
    if "file" not in keys:
        raise _err(path, node, "entry has no 'file:'", "file", "give the document's path relative to the manifest")
    raw = _scalar(path, keys["file"], "file")
    if raw is None:
        raise _err(path, keys["file"], "'file:' is empty", "file")
    rel = posixpath.normpath(raw.replace("\\", "/"))
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        raise _err(path, keys["file"], f"file path {raw!r} is absolute", "file",
                   "write it relative to the manifest's folder")
    values: dict[str, object] = {}
    for name in ("title", "source"):
        if name in keys and (value := _scalar(path, keys[name], name)) is not None:
            values[name] = value
    if "kind" in keys and (kind := _scalar(path, keys["kind"], "kind")) is not None:
        if kind not in KINDS:
            raise _err(path, keys["kind"], f"unknown kind {kind!r} for {rel}", "kind",
                       f"use one of: {', '.join(KINDS)}")
        values["kind"] = kind
    if "date" in keys and (day := _scalar(path, keys["date"], "date")) is not None:
        if not _iso_date(day):
            raise _err(path, keys["date"], f"bad date {day!r} for {rel}", "date",
                       "write an ISO date yyyy-mm-dd, e.g. 2020-10-15")
        values["date"] = day
    if "participants" in keys:
        people = []
        for item in _seq(path, keys["participants"], "participants"):
            if isinstance(item, yaml.ScalarNode):
                name, role = _scalar(path, item, "participants"), None
            else:
                person = _pairs(path, item, ("name", "role"), "a participant")
                name = _scalar(path, person["name"], "name") if "name" in person else None
                role = _scalar(path, person["role"], "role") if "role" in person else None
            if name is None:
                raise _err(path, item, "participant without a name", "participants", "write {name: LHY, role: 包联人}")
            people.append(Participant(name, role))
        values["participants"] = tuple(people)
    if "cases" in keys:
        node_ = keys["cases"]
        items = [node_] if isinstance(node_, yaml.ScalarNode) and node_.tag != _NULL else _seq(path, node_, "cases")
        values["cases"] = tuple(c for c in (_scalar(path, i, "cases") for i in items) if c is not None)
    if "extra" in keys:
        extra = _plain(keys["extra"])
        if not isinstance(extra, dict):
            raise _err(path, keys["extra"], "extra must be a mapping", "extra")
        values["extra"] = extra
    return rel, DocumentMeta(**values), frozenset(values)


def _iso_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _manifest_entries(path: str | Path) -> dict[str, tuple[DocumentMeta, frozenset[str], int]]:
    path = Path(path)
    if not path.is_file():
        raise ImportProblem("manifest does not exist" if not path.exists() else "manifest is not a file", file=path,
                            hint="check the --manifest path")
    try:
        root = yaml.compose(path.read_bytes().decode("utf-8-sig"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        raise ImportProblem("manifest is not UTF-8 text", file=path, hint="re-save it as UTF-8") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
            # e.g. an unclosed quote is found only at the end of the file: name the line where it starts
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise ImportProblem(message, file=path, line=mark.line + 1 if mark else None,
                            hint="check indentation, colons and quotes") from None
    except (yaml.YAMLError, OSError) as exc:
        raise ImportProblem(f"cannot read manifest: {exc}", file=path) from None
    if root is None:
        raise ImportProblem("manifest is empty", file=path, hint="add 'documents:' with one entry per file")
    top = _pairs(path, root, ("documents",), "the manifest")
    if "documents" not in top:
        raise _err(path, root, "manifest has no 'documents:' list", "documents")
    out: dict[str, tuple[DocumentMeta, frozenset[str], int]] = {}
    for node in _seq(path, top["documents"], "documents"):
        rel, meta, given = _entry(path, node)
        if rel in out:
            raise _err(path, node, f"{rel} is listed twice (first at line {out[rel][2]})", "file")
        out[rel] = (meta, given, node.start_mark.line + 1)
    return out


def load_manifest(path: str | Path) -> dict[str, DocumentMeta]:
    """Read a corpus.yaml manifest. Keys are file paths relative to the manifest's folder (posix strings).

    Raises ImportProblem naming file, line and field for bad YAML, unknown keys, unknown kind or a bad date.
    """
    return {rel: meta for rel, (meta, _, _) in _manifest_entries(path).items()}


# ---------------------------------------------------------------- reading

def _check_meta(meta: DocumentMeta, path: Path | None) -> None:
    if meta.kind not in KINDS:
        raise ImportProblem(f"unknown document kind {meta.kind!r}", file=path, field="kind",
                            hint=f"use one of: {', '.join(KINDS)}")
    if meta.date is not None and not _iso_date(meta.date):
        raise ImportProblem(f"bad date {meta.date!r}", file=path, field="date", hint="write an ISO date yyyy-mm-dd")


def read_document(path: str | Path, meta: DocumentMeta | None = None, *,
                  max_bytes: int | None = DEFAULT_MAX_BYTES) -> ImportedDocument:
    """Read one file into an :class:`ImportedDocument` (text normalised by :func:`normalise_text`).

    Raises ImportProblem (naming the file, with a hint) for anything that cannot be imported.
    """
    path = Path(path)
    meta = meta or DocumentMeta()
    _check_meta(meta, path)
    ext = path.suffix.lower()
    info = file_status(path)
    if info is not None and not stat.S_ISDIR(info.st_mode) and ext not in SUPPORTED_EXTENSIONS and ext:
        hint = "save it as .docx" if ext in (".doc", ".wps", ".rtf", ".odt") else "convert it to one of these"
        raise ImportProblem(f"unsupported file type {ext!r}; supported: {', '.join(SUPPORTED_EXTENSIONS)} "
                            "and files without an extension (text)", file=path, hint=hint)
    comments: tuple[DocumentComment, ...] = ()
    if ext == ".docx":
        content, encoding, fmt = read_docx(path, max_bytes), "docx", "docx"
        text, comments = _with_comments(content)
    elif ext == ".pdf":
        text, comments = _with_notes(read_pdf(path, max_bytes))
        encoding, fmt = "pdf", "pdf"
    else:
        raw, encoding = read_text_file(path, max_bytes=max_bytes)
        text, fmt = normalise_text(raw), "md" if ext == ".md" else "txt"
    if not text:
        raise ImportProblem("contains no text (only whitespace)", file=path, hint="check the file, or leave it out")
    if meta.title is None:
        meta = replace(meta, title=path.stem)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return ImportedDocument(path=path, filename=path.name, text=text, sha256=sha, encoding=encoding, format=fmt,
                            meta=meta, comments=comments)


def _with_comments(content: DocxContent) -> tuple[str, tuple[DocumentComment, ...]]:
    text, at = normalise_anchored(content.text)
    comments = []
    for c in content.comments:
        start = at[c.start_anchor]
        comments.append(DocumentComment(start, max(start, at.get(c.end_anchor, start)), c.author, c.date, c.text))
    return text, tuple(sorted(comments, key=lambda c: (c.start, c.end)))


def _with_notes(content: PdfContent) -> tuple[str, tuple[DocumentComment, ...]]:
    text, at = normalise_anchored(content.text)
    starts = [at.get(page_anchor(n), len(text)) for n in range(content.pages)]
    comments = [DocumentComment(start, end, note.author, note.date, note.text, "PDF")
                for start, end, note in place_notes(text, starts, list(content.notes))]
    return text, tuple(sorted(comments, key=lambda c: (c.start, c.end)))


# ---------------------------------------------------------------- collecting

@dataclass
class _Manifest:
    path: Path
    folder: Path
    by_file: dict[Path, tuple[DocumentMeta, frozenset[str]]]
    entries: dict[str, tuple[DocumentMeta, frozenset[str], int]]


def _open_manifest(path: str | Path) -> _Manifest:
    path = Path(path)
    entries = _manifest_entries(path)
    folder = path.parent
    by_file = {(folder / rel).resolve(): (meta, given) for rel, (meta, given, _) in entries.items()}
    return _Manifest(path, folder, by_file, entries)


def _merge(found: tuple[DocumentMeta, frozenset[str]] | None, defaults: DocumentMeta) -> DocumentMeta:
    if found is None:
        return defaults
    meta, given = found
    values = {f.name: getattr(meta if f.name in given else defaults, f.name) for f in fields(DocumentMeta)}
    values["extra"] = {**defaults.extra, **meta.extra}
    return DocumentMeta(**values)


def _reason(err: ImportProblem) -> str:
    text = f"{err.field}: {err.message}" if err.field else err.message
    if err.hint:
        text += f" ({err.hint})"
    return " ".join(text.split())


def collect(paths: Iterable[str | Path], *, manifest: str | Path | None = None, defaults: DocumentMeta | None = None,
            max_bytes: int | None = DEFAULT_MAX_BYTES,
            progress: Callable[[int, int, Path], None] | None = None) -> tuple[list[ImportedDocument], list[Refusal]]:
    """Read files and folders (recursively) into documents; one :class:`Refusal` per file that cannot be imported.

    Metadata comes from ``manifest`` if given, else from a ``corpus.yaml`` at the top of each folder passed
    (entries matched by path relative to the manifest's folder); fields an entry does not set come from
    ``defaults``. A bad manifest raises ImportProblem (nothing is read). Refused: unreadable files, files with
    the same text as an earlier one, manifest entries whose file does not exist. ``progress(done, total, path)``
    is called after each file.
    """
    defaults = defaults or DocumentMeta()
    _check_meta(defaults, None)
    explicit = _open_manifest(manifest) if manifest is not None else None
    manifests = {explicit.path.resolve(): explicit} if explicit else {}
    refusals: list[Refusal] = []

    def refuse(path: Path, reason: str) -> None:
        refusals.append(Refusal(path, reason))

    todo: list[tuple[Path, _Manifest | None]] = []
    for raw in paths:
        p = Path(raw)
        if is_dir(p):
            ctx = explicit
            auto = [p / n for n in (MANIFEST_NAME, "corpus.yml") if is_file(p / n)]
            if ctx is None and auto:
                ctx = manifests.get(auto[0].resolve()) or _open_manifest(auto[0])
                manifests[ctx.path.resolve()] = ctx
            todo.extend((f, ctx) for f in walk(p, refuse))
        elif p.suffix.lower() in (".yaml", ".yml") and is_file(p):
            refusals.append(Refusal(p, "is a YAML file, not a document (pass a manifest with --manifest, "
                                       f"or put it in the folder as {MANIFEST_NAME})"))
        else:
            todo.append((p, explicit))
    docs: list[ImportedDocument] = []
    seen_paths: dict[Path, Path] = {}
    seen_text: dict[str, Path] = {}
    for done, (path, ctx) in enumerate(todo, 1):
        try:
            key = path.resolve()
            if key in seen_paths:
                refusals.append(Refusal(path, "given twice in this import (imported once)"))
                continue
            seen_paths[key] = path
            found = ctx.by_file.get(key) if ctx else None
            doc = read_document(path, _merge(found, defaults), max_bytes=max_bytes)
            if doc.sha256 in seen_text:
                refusals.append(Refusal(path, f"same text as {seen_text[doc.sha256]} (imported once)"))
                continue
            seen_text[doc.sha256] = path
            docs.append(doc)
        except ImportProblem as err:
            refusals.append(Refusal(path, _reason(err)))
        except Exception as exc:  # a bug must not stop the other files
            reason = f"unexpected error {type(exc).__name__}: {exc} (please report this)"
            refusals.append(Refusal(path, " ".join(reason.split())))
        finally:
            if progress is not None:
                progress(done, len(todo), path)
    for ctx in manifests.values():
        for rel, (_, _, line) in ctx.entries.items():
            if not exists(ctx.folder / rel):
                refusals.append(Refusal(ctx.folder / rel, f"listed in {ctx.path} (line {line}) but the file does not "
                                                          "exist (fix the 'file:' entry or add the file)"))
    return docs, refusals
