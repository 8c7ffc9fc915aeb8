"""CLI commands: agreement (intercoder reliability). Registered on the main app by :func:`register`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from coding.cli_shared import WhereOpt, where_documents


def fmt(value: float | None, *, percent: bool = False) -> str:
    """A measure for display: 3 decimals (percent: one), '—' when undefined."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if percent else f"{value:.3f}"


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    return names


def agreement(
    project: Annotated[Optional[str], typer.Option(
        "--project", "-p", show_default=False,
        help="Project: a .sqlite path or a SQLAlchemy URL. Default: $BAOLIAN_PROJECT, else ./baolian.sqlite.")] = None,
    coders: Annotated[Optional[str], typer.Option(
        help="Coders to compare, comma-separated (default: everyone who made decisions).")] = None,
    unit: Annotated[str, typer.Option(help="segment (sentences) | char (code points)")] = "segment",
    codes: Annotated[Optional[str], typer.Option(help="Codes to report, comma-separated (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    where: WhereOpt = None,
) -> None:
    """Intercoder reliability per code and overall: percent agreement, Cohen's κ, Krippendorff's α, Fleiss' κ."""
    from rich.table import Table
    from rich.text import Text

    from coding.agreement_data import agreement_report
    from coding.cli import ACTING, _open, _print_json, out

    p = _open(project)
    report = agreement_report(p, coders=_names(coders), unit=unit, codes=_names(codes), as_user=ACTING["user"],
                              documents=where_documents(p, where))
    if as_json:
        _print_json(report.to_dict())
        return
    table = Table("code", "名称 name", "单位 units", "出现 present", "一致率 agreement", "Cohen κ",
                  "Krippendorff α", "Fleiss κ", "说明 note")
    for row in (*report.rows, report.pooled, report.mean):
        table.add_row(Text(row.code), Text(row.name), f"{row.n_units:,}", f"{row.present:,}", fmt(row.percent, percent=True),
                      fmt(row.kappa), fmt(row.alpha), fmt(row.fleiss), Text(row.reason or ""))
    out.print(report.summary(), markup=False)
    out.print(table)
    for note in report.notes:
        out.print(f"· {note}", markup=False)


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
    app.command("agreement")(agreement)
