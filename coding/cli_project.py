"""CLI commands for the project and its documents: init, import, documents, segments, tokens, info.

Registered on the main app by :func:`register` (called by :mod:`coding.cli`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from coding.cli_login import acting_user
from coding.cli_shared import (JsonOpt, ProjectOpt, _open, _print_json, check_project_location, check_unit, err, out,
                               progress_bar)
from coding.corpus_files import is_dir
from coding.errors import BaolianError


def init(
    project: ProjectOpt = None,
    codebook: Annotated[
        Optional[Path], typer.Option(help="Codebook YAML. Default: ./codebook.yaml when it exists.")
    ] = None,
) -> None:
    """Create a project (or bring an existing one up to date) and load its codebook."""
    from coding.project import Project

    if codebook is None and Path("codebook.yaml").exists():
        codebook = Path("codebook.yaml")
    check_project_location(project)
    p = Project.init(project)
    if codebook is not None:
        from coding.codebook import load_codebook

        p.set_codebook(load_codebook(codebook), source=str(codebook), coder=acting_user(p))
    info = p.info()
    out.print(f"项目 project: {p.url}")
    out.print(f"编码本 codebook: {info['codebook_version'] or '—'}  codes: {info['codes']}")


def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to import.", show_default=False)],
    project: ProjectOpt = None,
    kind: Annotated[Optional[str], typer.Option(help="interview | policy | minutes | news | other")] = None,
    manifest: Annotated[Optional[Path], typer.Option(help="A corpus.yaml manifest with metadata.")] = None,
    title: Annotated[Optional[str], typer.Option(help="Title (single file).")] = None,
    date: Annotated[Optional[str], typer.Option(help="Date, YYYY-MM-DD.")] = None,
    source: Annotated[Optional[str], typer.Option(help="Where the document comes from.")] = None,
    participant: Annotated[
        Optional[list[str]], typer.Option(help="NAME or NAME:ROLE; repeat for several.")
    ] = None,
    case: Annotated[Optional[list[str]], typer.Option(help="Case id; repeat for several.")] = None,
    coder: Annotated[Optional[str], typer.Option(help="Who imports (recorded in the log); with accounts: "
                                                    "the account (default: --user).")] = None,
    max_mb: Annotated[float, typer.Option(help="Refuse files larger than this many MB.")] = 50.0,
) -> None:
    """Import .txt/.md/.docx/.pdf files and folders (with corpus.yaml metadata when present), or REFI-QDA
    .qdpx projects and .qdc codebooks (from NVivo, ATLAS.ti, MAXQDA, QualCoder; see docs/refi-qda.md)."""
    from coding.corpus import DocumentMeta, Participant

    refi = [path for path in paths if path.suffix.lower() in (".qdpx", ".qdc")]
    if refi:
        from coding.refi import import_refi

        if len(refi) != len(paths):
            raise BaolianError("REFI-QDA files (.qdpx/.qdc) are imported on their own", field="PATHS",
                               hint="run one `baolian import` for the .qdpx/.qdc files and another for documents")
        p = _open(project)
        for path in refi:
            for line in import_refi(p, path, user=acting_user(p, coder)).lines():
                out.print(line, markup=False)
        return

    if not (max_mb > 0 and math.isfinite(max_mb)):
        raise BaolianError(f"must be a positive number of MB, not {max_mb:g}", field="--max-mb",
                           hint="e.g. --max-mb 100")
    if title is not None and (len(paths) > 1 or any(is_dir(path) for path in paths)):
        raise BaolianError("--title names one document, but several files or a folder are imported", field="--title",
                           hint="import that file on its own with --title, or give titles in a corpus.yaml manifest")
    people = []
    for item in participant or []:
        name, _, role = item.replace("：", ":").partition(":")
        if not name.strip():
            raise BaolianError(f"participant {item!r} has no name", field="--participant",
                               hint="write NAME or NAME:ROLE, e.g. --participant LHY:包联人")
        people.append(Participant(name.strip(), role.strip() or None))
    if any(not c.strip() for c in case or ()):
        raise BaolianError("empty case id", field="--case", hint="give a case id, e.g. --case C01")
    fields = {
        "title": title, "kind": kind, "date": date, "source": source,
        "participants": tuple(people) or None, "cases": tuple(c.strip() for c in case or ()) or None,
    }
    defaults = DocumentMeta(**{k: v for k, v in fields.items() if v is not None})
    p = _open(project)
    with progress_bar() as bar:
        task = bar.add_task("导入 importing", total=None)

        def tick(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label[:40])

        report = p.import_paths(
            paths, manifest=manifest, defaults=defaults, coder=acting_user(p, coder),
            max_bytes=int(max_mb * 1024 * 1024), progress=tick,
        )
    for doc_id, filename in report.imported:
        memo_note = f" ({note})" if (note := report.comments_note(doc_id)) else ""
        out.print(f"✓ 导入 imported #{doc_id} {filename}{memo_note}", markup=False)
    for filename, doc_id, existing in report.duplicates:
        out.print(f"= 已存在 already in project: {filename} (#{doc_id} {existing})")
    for refusal in report.refused:
        err.print(f"✗ 拒绝 refused: {refusal.path}: {refusal.reason}", markup=False)
    out.print(
        f"{len(report.imported)} imported, {len(report.duplicates)} already present, "
        f"{len(report.refused)} refused"
    )
    if report.refused:
        raise typer.Exit(2)


def documents(project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """List the project's documents."""
    docs = _open(project).documents()
    if as_json:
        _print_json([d.__dict__ for d in docs])
        return
    table = Table("id", "标题 title", "类型 kind", "日期 date", "字数 chars", "段落", "句子", "话轮", "编码 enc.")
    for d in docs:
        table.add_row(str(d.id), d.title, d.kind, d.date or "", str(d.n_chars), str(d.n_paragraphs),
                      str(d.n_sentences), str(d.n_turns), d.encoding)
    out.print(table)


_MAX_ID = 2**63 - 1  # largest id SQLite and PostgreSQL (bigint) can hold


def segments(
    doc: Annotated[str, typer.Argument(help="Document id, title or file name.")],
    project: ProjectOpt = None,
    unit: Annotated[Optional[str], typer.Option(help="paragraph | sentence | turn")] = None,
    words: Annotated[bool, typer.Option("--words", help="Show the words of each sentence.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a document's paragraphs, sentences and speaker turns with their offsets."""
    if unit is not None:
        check_unit(unit)
    ref = doc.strip()
    if ref.isdigit() and not (ref.isdecimal() and int(ref) <= _MAX_ID):  # "²" or an id beyond SQL's integers
        raise BaolianError(f"no document {ref!r} in this project", field="DOC",
                           hint="give a document id, title or file name from `baolian documents`")
    segs = _open(project).segments(doc, unit)
    if as_json:
        _print_json([s.__dict__ for s in segs])
        return
    table = Table("unit", "#", "start", "end", "speaker", "text")
    for s in segs:
        text = " / ".join(s.words) if words and s.words else s.text
        table.add_row(s.unit, str(s.index), str(s.start), str(s.end), s.speaker or "", text)
    out.print(table)


def tokens(
    text: Annotated[str, typer.Argument(help="Chinese text to split into words.")],
    project: ProjectOpt = None,
) -> None:
    """Split TEXT into words (one per line) with the project's dictionary and codebook terms."""
    from coding.store.db import project_url, sqlite_path

    path = sqlite_path(project_url(project))
    if path is not None and not path.exists():
        from coding.codebook import load_codebook
        from coding.words import WordSegmenter

        terms = load_codebook("codebook.yaml").terms() if Path("codebook.yaml").exists() else ()
        words = [w for w in WordSegmenter(terms).cut(text) if w.strip()]
    else:
        words = _open(project).tokens(text)
    for w in words:
        out.print(w, markup=False)


def info(project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """Summarise the project: documents, segments, characters, codes, codebook version."""
    data = _open(project).info()
    if as_json:
        _print_json(data)
        return
    table = Table("项 item", "值 value")
    for key, value in data.items():
        table.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value))
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app`` (in the order `baolian --help` lists them)."""
    app.command()(init)
    app.command("import")(import_)
    app.command()(documents)
    app.command()(segments)
    app.command()(tokens)
    app.command()(info)
