"""The `baolian` command line: a thin shell over :class:`coding.project.Project`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer

# typer >= 0.26 vendors click as typer._click: catch its exceptions and click's alike.
try:
    from typer._click.exceptions import ClickException as _TyperClickError
    from typer._click.exceptions import UsageError as _TyperUsageError
except ImportError:  # older typer raises click's own exceptions
    _TyperClickError, _TyperUsageError = click.exceptions.ClickException, click.exceptions.UsageError
USAGE_ERRORS = (click.exceptions.UsageError, _TyperUsageError)
CLICK_ERRORS = (click.exceptions.ClickException, _TyperClickError)
EXITS = (click.exceptions.Exit, typer.Exit)
ABORTS = (click.exceptions.Abort, typer.Abort, KeyboardInterrupt)
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from coding.errors import BaolianError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Baolian 包联: a coding workbench for Chinese qualitative research.",
)
# Piped output (files, other programs) gets wide tables instead of a wrapped 80-column layout.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ProjectOpt = Annotated[
    Optional[str],
    typer.Option(
        "--project", "-p",
        help="Project: a .sqlite path or a SQLAlchemy URL. Default: $BAOLIAN_PROJECT, else ./baolian.sqlite.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
REPO = Path(__file__).resolve().parent.parent

ACTING: dict = {"user": None, "verified": set()}  # set by the global --user option, for this invocation


@app.callback()
def _global_options(
    user: Annotated[
        Optional[str],
        typer.Option("--user", "-u", envvar="BAOLIAN_USER", show_default=False,
                     help="Who acts, in a project with accounts (password: $BAOLIAN_PASSWORD, else asked). "
                          "Default: $BAOLIAN_USER."),
    ] = None,
) -> None:
    """Baolian 包联: a coding workbench for Chinese qualitative research."""
    ACTING["user"] = user.strip() if user and user.strip() else None
    ACTING["verified"] = set()


def acting_user(p, alias: str | None = None) -> str | None:
    """The user a changing command acts as: --user (else ``alias``, e.g. an old --coder option).

    In a project with accounts the password is checked (from $BAOLIAN_PASSWORD, else a hidden prompt);
    without accounts the name is taken as given, as before. None: nobody named (the core decides).
    """
    import os

    from coding.accounts import accounts_exist, verify_login

    name = ACTING["user"] or (alias.strip() if alias and alias.strip() else None)
    if name is None or not accounts_exist(p) or (p.url, name) in ACTING["verified"]:
        return name
    password = os.environ.get("BAOLIAN_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise BaolianError(f"a password is needed for {name!r}", field="BAOLIAN_PASSWORD",
                               hint="set BAOLIAN_PASSWORD, or run in a terminal to be asked")
        password = typer.prompt(f"密码 password for {name}", hide_input=True, err=True)
    verify_login(p, name, password)
    ACTING["verified"].add((p.url, name))
    return name


def _open(project: str | None):
    from coding.project import Project

    return Project.open(project)


def _print_json(data) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str))


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    )


@app.command()
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
    p = Project.init(project)
    if codebook is not None:
        from coding.codebook import load_codebook

        p.set_codebook(load_codebook(codebook), source=str(codebook), coder=acting_user(p))
    info = p.info()
    out.print(f"项目 project: {p.url}")
    out.print(f"编码本 codebook: {info['codebook_version'] or '—'}  codes: {info['codes']}")


@app.command("import")
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

    people = []
    for item in participant or []:
        name, _, role = item.partition(":")
        people.append(Participant(name.strip(), role.strip() or None))
    fields = {
        "title": title, "kind": kind, "date": date, "source": source,
        "participants": tuple(people) or None, "cases": tuple(case or ()) or None,
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
        out.print(f"✓ 导入 imported #{doc_id} {filename}")
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


@app.command()
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


@app.command()
def segments(
    doc: Annotated[str, typer.Argument(help="Document id, title or file name.")],
    project: ProjectOpt = None,
    unit: Annotated[Optional[str], typer.Option(help="paragraph | sentence | turn")] = None,
    words: Annotated[bool, typer.Option("--words", help="Show the words of each sentence.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a document's paragraphs, sentences and speaker turns with their offsets."""
    from coding.segment import UNITS

    if unit is not None and unit not in UNITS:
        raise BaolianError(f"unknown unit {unit!r}", field="--unit", hint=f"use one of {', '.join(UNITS)}")
    segs = _open(project).segments(doc, unit)
    if as_json:
        _print_json([s.__dict__ for s in segs])
        return
    table = Table("unit", "#", "start", "end", "speaker", "text")
    for s in segs:
        text = " / ".join(s.words) if words and s.words else s.text
        table.add_row(s.unit, str(s.index), str(s.start), str(s.end), s.speaker or "", text)
    out.print(table)


@app.command()
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


@app.command()
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


@app.command("code")
def code_(
    project: ProjectOpt = None,
    recode_all: Annotated[bool, typer.Option("--all", help="Re-code every document for every code.")] = False,
    combine: Annotated[
        Optional[str],
        typer.Option(help="How rules and the trained model combine: rules | model | max | max:MIN | mean | "
                          "weighted:ALPHA (saved in the project; default max:0.8)."),
    ] = None,
) -> None:
    """Apply the codebook (rules, plus the trained model once there is one): write suggestions.

    Coders' decisions are never touched; after a codebook edit only changed codes are re-coded.
    """
    from coding.annotate import parse_mode
    from coding.autocode import COMBINE_KEY, code_project

    p = _open(project)
    who = acting_user(p)
    if combine is not None:
        parse_mode(combine)
        p.set_setting(COMBINE_KEY, combine, coder=who)
    with progress_bar() as bar:
        task = bar.add_task("自动编码 coding", total=None)
        run = code_project(p, recode_all=recode_all, user=who,
                           progress=lambda done, total, label: bar.update(task, completed=done, total=total))
    out.print(f"{run.version}: {run.documents} documents coded, {run.added} suggestions added, "
              f"{run.removed} removed, {run.kept} kept (decided by coders)")
    if run.recoded:
        out.print(f"codes (re)coded: {', '.join(run.recoded)}")


@app.command()
def train(
    project: ProjectOpt = None,
    coder: Annotated[Optional[str], typer.Option(help="Learn from this coder's decisions only.")] = None,
    gold: Annotated[
        Optional[Path], typer.Option(help="Train on a gold JSONL file instead of the project's decisions.")
    ] = None,
    codebook: Annotated[Optional[Path], typer.Option(help="Codebook for --gold (default ./codebook.yaml).")] = None,
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", help="Save the model trained from --gold to this folder.")
    ] = None,
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Train the model on coders' decisions (or a gold file); report cross-validated P/R/F1 per code."""
    from coding.learning import train_examples, train_from_decisions

    if gold is not None:
        from coding.codebook import load_codebook
        from coding.evaluate import load_gold
        from coding.model import Example

        if out_dir is None:
            raise BaolianError("--gold needs --out DIR to save the model", field="--out",
                               hint="e.g. --out models/dev")
        cb = load_codebook(codebook or Path("codebook.yaml"))
        units = load_gold(gold, cb)
        labels = sorted({c for u in units for c in u.codes})
        model, result = train_examples([Example(u.text, u.codes) for u in units], labels,
                                       user_words=cb.terms(), folds=folds)
        model.save(out_dir)
    else:
        if out_dir is not None:
            raise BaolianError("--out goes with --gold; a project's model is stored in the project",
                               field="--out", hint="drop --out, or train from --gold")
        p = _open(project)
        with err.status("训练中 training…"):
            result = train_from_decisions(p, coder=coder, trained_by=acting_user(p, coder), folds=folds)
    if as_json:
        _print_json(result.__dict__)
        return
    table = Table("code", "precision", "recall", "F1", "support", title=f"{result.version} · {result.n_examples} units · "
                  f"{folds}-fold cross-validation")
    for code, sc in sorted(result.scores.items()):
        table.add_row(code, f"{sc['precision']:.3f}", f"{sc['recall']:.3f}", f"{sc['f1']:.3f}", str(sc["support"]))
    out.print(table)
    if result.macro_f1 is not None:
        out.print(f"macro-F1 {result.macro_f1:.3f}")


@app.command()
def demo(
    project: ProjectOpt = None,
    corpus: Annotated[Path, typer.Option(help="Demo corpus folder.")] = REPO / "corpus",
    codebook: Annotated[Path, typer.Option(help="Codebook YAML.")] = REPO / "codebook.yaml",
) -> None:
    """Create (or refresh) a project with the demo corpus, the paper's codebook and rule suggestions."""
    from coding.project import Project

    from coding.accounts import accounts_exist
    from coding.codebook import load_codebook

    p = Project.init(project or "demo.sqlite")
    who = acting_user(p)
    p.set_codebook(load_codebook(codebook), source=str(codebook), coder=who)
    with progress_bar() as bar:
        task = bar.add_task("导入示例语料 importing the demo corpus", total=None)
        report = p.import_paths(
            [corpus], coder=who or (None if accounts_exist(p) else "demo"),
            progress=lambda done, total, label: bar.update(task, completed=done, total=total),
        )
    from coding.autocode import code_project

    run = code_project(p, user=who)
    out.print(
        f"demo project {p.url}: {len(report.imported)} imported, "
        f"{len(report.duplicates)} already present, {len(report.refused)} refused; "
        f"{run.added} new suggestions"
    )
    for refusal in report.refused:
        err.print(f"✗ {refusal.path}: {refusal.reason}", markup=False)


def _register_pipeline_commands() -> None:
    from coding import cli_adjudicate, cli_admin, cli_agreement, cli_analysis, cli_coding, cli_export, cli_team

    for module in (cli_coding, cli_analysis, cli_export, cli_team, cli_agreement, cli_adjudicate, cli_admin):
        module.register(app)


_register_pipeline_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become one line on stderr and exit status 2."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="baolian")
    except BaolianError as exc:
        err.print(f"错误 error: {exc}", markup=False)
        return 2
    except USAGE_ERRORS as exc:
        message = exc.format_message().strip()
        if not message:  # no arguments at all: the help was printed
            return 2
        err.print(f"错误 usage: {message}", markup=False)
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            err.print(f"see `{ctx.command_path} --help`", markup=False)
        return 2
    except CLICK_ERRORS as exc:
        err.print(f"错误 error: {exc.format_message()}", markup=False)
        return 2
    except ABORTS:
        err.print("中止 aborted")
        return 1
    except EXITS as exc:
        return getattr(exc, "exit_code", getattr(exc, "code", 0)) or 0
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        err.print(f"内部错误 internal error: {type(exc).__name__}: {exc} (please report this)", markup=False)
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
