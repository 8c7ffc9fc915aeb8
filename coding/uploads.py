"""Importing files that arrive as bytes (browser uploads) rather than as paths.

The uploads are written to a private temporary folder, imported with
:meth:`coding.project.Project.import_paths` and the folder is removed again.
An uploaded ``corpus.yaml`` supplies metadata: each uploaded file is placed
at the path of the manifest entry with the same file name, so entries keep
their line numbers for error messages; entries whose file was not uploaded
are listed apart (they are not refusals). Never imports streamlit.
"""

from __future__ import annotations

import math
import posixpath
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coding.corpus import DocumentMeta, Participant, load_manifest
from coding.errors import ImportProblem

Progress = Callable[[float, str], None]  # (fraction 0..1, label without file names)

IMPORTED, DUPLICATE, REFUSED = "imported", "duplicate", "refused"


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as the browser gave it, and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class FileResult:
    name: str  # the uploaded file's name
    status: str  # IMPORTED | DUPLICATE | REFUSED
    document_id: int | None
    detail: str  # the reason for a refusal, the existing title for a duplicate, comments stored, else ""


@dataclass
class UploadReport:
    results: list[FileResult] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # manifest entries whose file was not uploaded

    def of(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def imported(self) -> list[FileResult]:
        return self.of(IMPORTED)

    @property
    def refused(self) -> list[FileResult]:
        return self.of(REFUSED)

    @property
    def duplicates(self) -> list[FileResult]:
        return self.of(DUPLICATE)


# ---------------------------------------------------------------- form fields

_CASE_SEP = re.compile(r"[,，、;；\s]+")


def parse_cases(text: str | None) -> tuple[str, ...]:
    """Case ids from a text field: separated by commas (also ，、；) or spaces; duplicates dropped."""
    seen: dict[str, None] = {}
    for item in _CASE_SEP.split(text or ""):
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def _cell(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def participants_from_rows(rows: Iterable[Mapping[str, object]], *, name: str = "name",
                           role: str = "role") -> tuple[Participant, ...]:
    """Participants from table rows (e.g. an edited data frame's records); blank rows are skipped.

    A row with a role but no name is refused: the role would otherwise be lost silently.
    """
    people = []
    for i, row in enumerate(rows, 1):
        who, what = _cell(row.get(name)), _cell(row.get(role))
        if who is None:
            if what is not None:
                raise ImportProblem(f"participant row {i} has a role ({what}) but no name", field="participants",
                                    hint="write the name, or clear the row")
            continue
        people.append(Participant(who, what))
    return tuple(people)


def parse_participants(text: str | None) -> tuple[Participant, ...]:
    """Participants written one per line (or separated by ；) as ``名字:角色`` (colon half or full width)."""
    rows = []
    for item in re.split(r"[\n;；]+", text or ""):
        name, _, role = item.replace("：", ":").partition(":")
        rows.append({"name": name, "role": role})
    return participants_from_rows(rows)


# ---------------------------------------------------------------- writing and importing

def safe_name(name: str, index: int) -> str:
    """A plain file name for an uploaded name: folders, control characters and dot-only names removed."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if not base.strip("."):
        return f"upload_{index}"
    return base[:200]


def _placements(root: Path, names: Sequence[str], entries: Iterable[str]) -> list[Path]:
    """Where each upload goes: a manifest entry's path when the file names match, else a folder of its own."""
    by_name: dict[str, list[str]] = {}
    for rel in entries:
        by_name.setdefault(posixpath.basename(rel), []).append(rel)
    inside = root.resolve()
    out = []
    for i, name in enumerate(names):
        target = root / f"_upload_{i}" / name
        for rel in by_name.get(name, []):
            candidate = (root / rel).resolve()
            if inside in candidate.parents:
                target = candidate
                by_name[name].remove(rel)
                break
        out.append(target)
    return out


def _manifest(root: Path, manifest: Upload) -> tuple[Path, dict[str, DocumentMeta]]:
    path = root / "corpus.yaml"
    path.write_bytes(manifest.data)
    try:
        return path, load_manifest(path)
    except ImportProblem as err:  # name the uploaded file, not the temporary copy
        raise ImportProblem(err.message, file=safe_name(manifest.name, 0), line=err.line, field=err.field,
                            hint=err.hint) from None


def import_uploads(project, files: Sequence[Upload], *, manifest: Upload | None = None,
                   defaults: DocumentMeta | None = None, coder: str | None = None,
                   progress: Progress | None = None) -> UploadReport:
    """Import uploaded files; every file gets a result (imported, duplicate or refused with its reason).

    A bad manifest raises :class:`ImportProblem` before anything is stored. Each document is stored in
    its own transaction with all its segments, so a failure never leaves a document half written.
    """
    if not files:
        raise ImportProblem("no files to import", field="files", hint="choose .txt, .docx, .pdf or .md files first")
    with tempfile.TemporaryDirectory(prefix="baolian-upload-") as tmp:
        root = Path(tmp)
        manifest_path, entries = _manifest(root, manifest) if manifest is not None else (None, {})
        names = [safe_name(f.name, i) for i, f in enumerate(files)]
        paths = _placements(root, names, entries)
        for upload, path in zip(files, paths):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(upload.data)
        calls = {"n": 0}

        def forward(done: int, total: int, _label: str) -> None:
            calls["n"] += 1
            if progress is None:
                return
            if calls["n"] <= len(paths):  # the first len(paths) calls report reading, the rest storing
                progress(0.4 * done / max(total, 1), f"读取文件 reading {done}/{total}")
            else:
                progress(0.4 + 0.6 * done / max(total, 1), f"切分并保存 segmenting and saving {done}/{total}")

        report = project.import_paths(paths, manifest=manifest_path, defaults=defaults, coder=coder,
                                      progress=forward)
        return _results(root, files, paths, report)


def _results(root: Path, files: Sequence[Upload], paths: Sequence[Path], report) -> UploadReport:
    def readable(reason: str) -> str:  # temporary paths in a reason become the uploaded names
        for upload, path in zip(files, paths):
            reason = reason.replace(str(path.resolve()), upload.name).replace(str(path), upload.name)
        return reason.replace(str(root.resolve()) + "/", "").replace(str(root) + "/", "")

    refused = {Path(r.path).resolve(): readable(r.reason) for r in report.refused}
    imported = list(report.imported)  # (document id, file name), in upload order
    duplicates = list(report.duplicates)  # (file name, existing id, title)
    out = UploadReport()
    for upload, path in zip(files, paths):
        key, filename = path.resolve(), path.name
        if key in refused:
            out.results.append(FileResult(upload.name, REFUSED, None, refused.pop(key)))
        elif (hit := next((x for x in imported if x[1] == filename), None)) is not None:
            imported.remove(hit)
            out.results.append(FileResult(upload.name, IMPORTED, hit[0], report.comments_note(hit[0])))
        elif (dup := next((x for x in duplicates if x[0] == filename), None)) is not None:
            duplicates.remove(dup)
            out.results.append(FileResult(upload.name, DUPLICATE, dup[1], dup[2]))
        else:  # not expected: every file read is imported, a duplicate or refused
            out.results.append(FileResult(upload.name, REFUSED, None, "not imported (please report this)"))
    base = root.resolve()
    out.unlisted = sorted(p.relative_to(base).as_posix() if base in p.parents else p.name for p in refused)
    return out
