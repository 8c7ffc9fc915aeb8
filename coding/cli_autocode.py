"""CLI commands for automatic coding: code (apply the codebook), train (the model), and demo (a project
with the demo corpus, the paper's codebook and rule suggestions).

Registered on the main app by :func:`register` (called by :mod:`coding.cli`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from coding.cli_login import acting_user
from coding.cli_shared import JsonOpt, ProjectOpt, _open, _print_json, err, out, progress_bar
from coding.combine import DEFAULT_COMBINE
from coding.errors import BaolianError

REPO = Path(__file__).resolve().parent.parent


def code_(
    project: ProjectOpt = None,
    recode_all: Annotated[bool, typer.Option("--all", help="Re-code every document for every code.")] = False,
    combine: Annotated[
        Optional[str],
        typer.Option(help="How rules and the trained model combine: rules | model | max | max:MIN | "
                          f"max:MIN:SUPPORT | mean | weighted:ALPHA (saved in the project; default {DEFAULT_COMBINE})."),
    ] = None,
) -> None:
    """Apply the codebook (rules, plus the trained model once there is one): write suggestions.

    Coders' decisions are never touched; after a codebook edit only changed codes are re-coded.
    """
    from coding.combine import parse_mode
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


def train(
    project: ProjectOpt = None,
    coder: Annotated[Optional[str], typer.Option(help="Learn from this coder's decisions only.")] = None,
    gold: Annotated[
        Optional[list[Path]],
        typer.Option(help="Train on a gold JSONL file instead of the project's decisions (repeat the option to "
                          "train on several files together)."),
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

    if gold:
        from coding.codebook import load_codebook
        from coding.evaluate import load_gold_files
        from coding.model import Example

        if out_dir is None:
            raise BaolianError("--gold needs --out DIR to save the model", field="--out",
                               hint="e.g. --out models/dev")
        cb = load_codebook(codebook or Path("codebook.yaml"))
        units = load_gold_files(gold, cb)
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


def demo(
    project: ProjectOpt = None,
    corpus: Annotated[Path, typer.Option(help="Demo corpus folder.")] = REPO / "corpus",
    codebook: Annotated[Path, typer.Option(help="Codebook YAML.")] = REPO / "codebook.yaml",
    coders: Annotated[bool, typer.Option(
        help="Replay the demo corpus's double coding (development documents) as two coders' decisions.")] = True,
) -> None:
    """Create (or refresh) a project with the demo corpus, the paper's codebook, rule suggestions and two coders'
    decisions on the development documents (the held-out ones are left to you)."""
    from coding.project import Project

    from coding.accounts import accounts_exist
    from coding.codebook import load_codebook

    p = Project.init(project or "demo.sqlite")
    who = acting_user(p)
    p.set_codebook(load_codebook(codebook), source=str(codebook), coder=who)
    with progress_bar() as bar:
        task = bar.add_task("导入示例语料 importing the demo corpus", total=None)
        report = p.import_paths(
            [corpus], coder=who,
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
    if not coders:
        return
    if accounts_exist(p):
        out.print("the project has accounts: the demo coders' decisions were not added (they would need accounts)")
        return
    from coding.demo import DEMO_CODERS, seed_double_coding

    seeded = seed_double_coding(p, corpus / "gold")
    out.print(f"{' and '.join(DEMO_CODERS)} on {seeded.documents} development documents: {seeded.accepted} accepted, "
              f"{seeded.rejected} rejected, {seeded.added} coded by hand"
              + (f" ({len(seeded.skipped)} already done)" if seeded.skipped else ""))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app`` (in the order `baolian --help` lists them)."""
    app.command("code")(code_)
    app.command()(train)
    app.command()(demo)
