"""CLI commands `annotate` and `evaluate` (registered on the main app by :func:`register`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from coding.combine import DEFAULT_COMBINE

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

CodebookOpt = Annotated[Path, typer.Option("--codebook", help="Codebook YAML with the rules.")]
ModelOpt = Annotated[
    Optional[Path],
    typer.Option("--model", help="A trained model (baolian train) to combine with the rules.", show_default=False),
]
CombineOpt = Annotated[
    Optional[str],
    typer.Option("--combine", help="With --model: rules | model | max | max:MIN | max:MIN:SUPPORT | mean | "
                                   f"weighted:ALPHA. Default: {DEFAULT_COMBINE}.", show_default=False),
]
ThresholdOpt = Annotated[
    Optional[float],
    typer.Option("--threshold", help="With --model: report a code when its combined score reaches this. "
                 "Default 0.5 (with --combine model: the model's own per-code thresholds).", show_default=False),
]

RuleScoreOpt = Annotated[
    str, typer.Option("--rule-score", help="Score of a code whose rules fired: max (of the rule weights) | noisy_or.")
]


def _annotator(codebook: Path, model: Path | None, combine: str | None, threshold: float | None,
               rule_score: str = "max"):
    from coding.annotate import Annotator, load_model
    from coding.rules import compile_codebook

    compiled = compile_codebook(codebook, score=rule_score)
    loaded = load_model(model) if model is not None else None
    return Annotator(compiled, loaded, combine, threshold)


def annotate(
    in_path: Annotated[Path, typer.Option("--in", help="Input JSONL: one {\"id\", \"text\"} object per line.",
                                          show_default=False)],
    out_path: Annotated[Path, typer.Option("--out", help="Output JSONL (written when done).", show_default=False)],
    codebook: CodebookOpt = Path("codebook.yaml"),
    model: ModelOpt = None,
    combine: CombineOpt = None,
    threshold: ThresholdOpt = None,
    rule_score: RuleScoreOpt = "max",
    workers: Annotated[
        Optional[int], typer.Option("--workers", min=1, help="Processes for large inputs. Default: all CPUs.",
                                    show_default=False)
    ] = None,
) -> None:
    """Suggest codes for each line of IN (one unit per line) with evidence; write OUT in the same order.

    Malformed lines are reported on stderr with their line number and skipped (exit status 1);
    blank lines are ignored.
    """
    from coding.annotate import annotate_file

    annotator = _annotator(codebook, model, combine, threshold, rule_score)
    report = annotate_file(in_path, out_path, annotator, workers=workers)
    for skip in report.skipped:
        err.print(f"✗ {in_path}:{skip.line}: skipped: {skip.reason}", markup=False)
    rate = report.chars / report.seconds if report.seconds else 0.0
    out.print(f"{report.annotated} units annotated → {out_path} ({report.chars} chars, {report.seconds:.2f} s, "
              f"{rate / 1000:.0f} k chars/s, {report.workers} process(es), {annotator.version})", markup=False)
    if report.skipped:
        err.print(f"{len(report.skipped)} malformed line(s) skipped", markup=False)
        raise typer.Exit(1)


def evaluate(
    gold: Annotated[Path, typer.Option("--gold", help="Gold JSONL: {\"id\", \"text\", \"codes\"} per line.",
                                       show_default=False)],
    codebook: CodebookOpt = Path("codebook.yaml"),
    model: ModelOpt = None,
    combine: CombineOpt = None,
    threshold: ThresholdOpt = None,
    rule_score: RuleScoreOpt = "max",
    codes: Annotated[
        Optional[str], typer.Option("--codes", help="Comma-separated codes to evaluate. Default: the gold's codes.",
                                    show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Precision, recall, F1 and Cohen's κ per code against gold coding; macro- and micro-F1."""
    from coding.errors import BaolianError
    from coding.evaluate import evaluate as run_evaluation
    from coding.evaluate import load_gold

    annotator = _annotator(codebook, model, combine, threshold, rule_score)
    cb = annotator.compiled.codebook
    scope = None
    if codes is not None:
        scope = [c.strip() for c in codes.split(",") if c.strip()]
        unknown = [c for c in scope if c not in cb.codes_by_id]
        if unknown or not scope:
            raise BaolianError(f"unknown code(s) {', '.join(unknown) or '(none given)'}", field="--codes",
                               hint=f"known codes: {', '.join(c.id for c in cb.codable_codes())}")
    units = load_gold(gold, cb)
    predicted = annotator.codes_for([u.text for u in units])
    report = run_evaluation(units, [[c["code"] for c in recs] for recs in predicted], codebook=cb, scope=scope)
    if as_json:
        data = {"gold": str(gold), "version": annotator.version, **report.to_dict()}
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    names = cb.codes_by_id

    def f(x: float | None) -> str:
        return "–" if x is None else f"{x:.3f}"

    table = Table("code", "名称 name", "support", "pred.", "TP", "FP", "FN", "precision", "recall", "F1", "κ",
                  title=f"{gold} · {annotator.version}")
    for m in report.per_code:
        table.add_row(m.code, names[m.code].name if m.code in names else "", str(m.support), str(m.predicted),
                      str(m.tp), str(m.fp), str(m.fn), f(m.precision), f(m.recall), f(m.f1), f(m.kappa))
    out.print(table)
    share = report.no_code_share
    out.print(f"units {report.units} · macro-F1 {f(report.macro_f1)} · micro-F1 {f(report.micro_f1)} "
              f"(P {f(report.micro_precision)}, R {f(report.micro_recall)})", markup=False)
    out.print(f"no-code units with a suggestion: {report.no_code_with_suggestion} of {report.no_code_units}"
              + ("" if share is None else f" ({share:.1%})"), markup=False)
    if report.out_of_scope:
        out.print("not evaluated (outside the gold's codes): "
                  + ", ".join(f"{c} ×{n}" for c, n in report.out_of_scope.items()), markup=False)


def register(app: typer.Typer) -> None:
    """Add `annotate` and `evaluate` to the `baolian` app."""
    app.command("annotate")(annotate)
    app.command("evaluate")(evaluate)
