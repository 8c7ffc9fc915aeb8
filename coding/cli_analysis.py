"""CLI commands: analysis (frequencies, matrices, co-occurrence, KWIC, word frequencies, charts).

Registered on the main app by :func:`register`:

    baolian analysis freq   [--by kind|document|speaker_role|speaker|case|coder|none] [--rollup]
    baolian analysis matrix [--measure segments|characters]
    baolian analysis cooc   [--level sentence|paragraph] [--square [--jaccard]]
    baolian analysis kwic   WORD | --code M1 [--width 20] [--limit N]
    baolian analysis words  [--by none|kind|document|speaker_role|speaker|code] [--top 30]
    baolian analysis keywords --by speaker_role --group 信访人 [--top 30] [--min-count 3]
    baolian analysis codeline DOC [--level paragraph|sentence] [--rollup] [--out FILE.png|FILE.svg]
    baolian analysis chart  mechanisms|cooc|matrix --out FILE.png|FILE.svg

Common options: --coder NAME, --pending (include undecided suggestions), --suggested (all machine
suggestions), --final (the adjudicated coding), --where NAME=VALUE (only documents with that document variable,
kind or case; repeatable), --json, --project.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from coding.cli_shared import WhereOpt, where_documents

if TYPE_CHECKING:  # pandas is imported where a table is shown: every other command starts 0.3-0.5 s sooner
    import pandas as pd

CoderOpt = Annotated[Optional[str], typer.Option("--coder", help="Only this coder's codings.", show_default=False)]
PendingOpt = Annotated[bool, typer.Option("--pending", help="Also count suggestions nobody (or --coder) decided.")]
SuggestedOpt = Annotated[bool, typer.Option("--suggested", help="Count every machine suggestion, decided or not.")]
FinalOpt = Annotated[bool, typer.Option("--final", help="Count the adjudicated (final) coding.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
MinLengthOpt = Annotated[int, typer.Option("--min-length", min=1, help="Shortest word counted.")]
StopOpt = Annotated[Optional[list[str]], typer.Option("--stop", help="Extra stop word (repeatable).",
                                                      show_default=False)]
ProjOpt = Annotated[Optional[str], typer.Option("--project", "-p", help="Project (.sqlite path or URL).",
                                                show_default=False)]


def _selection(coder, pending, suggested, final) -> dict:
    status = ["accepted"] + (["pending"] if pending else []) + (["suggested"] if suggested else [])
    return {"status": tuple(status), "coder": coder, "layer": "final" if final else "coding"}


def _open_selection(project, coder, pending, suggested, final, where=None):
    """(the project, the selection with ``as_user`` = the global --user, and ``documents`` for --where): in blind
    mode before adjudication a coder counts only their own codings."""
    from coding.cli import _open, acting_user

    p = _open(project)
    sel = {**_selection(coder, pending, suggested, final), "as_user": acting_user(p)}
    if (documents := where_documents(p, where)) is not None:
        sel["documents"] = documents
    return p, sel


def _records(frame: pd.DataFrame, index: bool = False) -> list[dict]:
    data = frame.reset_index() if index else frame
    rows = data.to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows]


def _show(frame: pd.DataFrame, title: str, as_json: bool, *, index: bool = False, meta: dict | None = None) -> None:
    from pandas.api.types import is_numeric_dtype
    from rich.table import Table

    from coding.cli import _print_json, out

    if as_json:
        _print_json({**(meta or {}), "rows": _records(frame, index)})
        return
    if frame.empty:
        out.print(f"{title}: nothing to show (no accepted codings? try --pending)", markup=False)
        return
    data = frame.reset_index() if index else frame
    table = Table(title=title)
    for col in data.columns:
        table.add_column(str(col), justify="right" if is_numeric_dtype(data[col]) else "left")
    formats = [".2g" if str(col) in ("p", "p_adj") else ".3f" for col in data.columns]  # a p value: 3.4e-07, not 0.000
    for row in data.itertuples(index=False):
        table.add_row(*[format(v, f) if isinstance(v, float) else str(v) for v, f in zip(row, formats)])
    out.print(table)


def freq(
    by: Annotated[str, typer.Option("--by", help="kind | document | speaker_role | speaker | case | coder | none | "
                                    "var:NAME (a document variable)")]
    = "kind",
    rollup: Annotated[bool, typer.Option("--rollup", help="Count sub-codes under their level-1 code.")] = False,
    coder: CoderOpt = None, pending: PendingOpt = False, suggested: SuggestedOpt = False, final: FinalOpt = False,
    where: WhereOpt = None, as_json: JsonOpt = False, project: ProjOpt = None,
) -> None:
    """Segments, documents and characters per code (with shares), by document kind, speaker role, case, coder…"""
    from coding.analysis import code_frequencies

    p, sel = _open_selection(project, coder, pending, suggested, final, where)
    table = code_frequencies(p, by=by, rollup=rollup, **sel)
    table = table.drop(columns=["group", "group_name", "label", "position", "count"], errors="ignore")
    _show(table, f"编码频次 Code frequencies by {by}", as_json, meta={"by": by, **_meta(sel)})


def matrix(
    measure: Annotated[str, typer.Option("--measure", help="segments | characters")] = "segments",
    coder: CoderOpt = None, pending: PendingOpt = False, suggested: SuggestedOpt = False, final: FinalOpt = False,
    where: WhereOpt = None, as_json: JsonOpt = False, project: ProjOpt = None,
) -> None:
    """Code × document matrix (rows: codes in codebook order; columns: documents)."""
    from coding.analysis import code_document_matrix

    p, sel = _open_selection(project, coder, pending, suggested, final, where)
    table = code_document_matrix(p, measure=measure, **sel)
    if as_json:
        from coding.cli import _print_json

        _print_json({"measure": measure, **_meta(sel), "documents": list(table.columns),
                     "rows": [{"code": c, "cells": [int(v) for v in table.loc[c]]} for c in table.index]})
        return
    short = table.copy()
    short.columns = [f"D{i + 1}" for i in range(len(table.columns))]
    _show(short, f"编码×文档 Code × document ({measure})", False, index=True)
    from coding.cli import out

    for i, title in enumerate(table.columns):
        out.print(f"D{i + 1} = {title}", markup=False)


def cooc(
    level: Annotated[str, typer.Option("--level", help="sentence | paragraph")] = "sentence",
    square: Annotated[bool, typer.Option("--square", help="Print the square code × code table.")] = False,
    jaccard: Annotated[bool, typer.Option("--jaccard", help="With --square: Jaccard instead of counts.")] = False,
    coder: CoderOpt = None, pending: PendingOpt = False, suggested: SuggestedOpt = False, final: FinalOpt = False,
    where: WhereOpt = None, as_json: JsonOpt = False, project: ProjOpt = None,
) -> None:
    """Code co-occurrence in the same sentence or paragraph: counts and Jaccard."""
    from coding.analysis import cooccurrence, cooccurrence_matrix

    p, sel = _open_selection(project, coder, pending, suggested, final, where)
    if square:
        table = cooccurrence_matrix(p, level=level, value="jaccard" if jaccard else "count", **sel)
        _show(table, f"编码共现 Co-occurrence ({level})", as_json, index=True, meta={"level": level, **_meta(sel)})
    else:
        _show(cooccurrence(p, level=level, **sel), f"编码共现 Co-occurrence ({level})", as_json,
              meta={"level": level, **_meta(sel)})


def kwic(
    word: Annotated[Optional[str], typer.Argument(help="Word to find (whole jieba words); @name: any term of "
                                                  "that codebook lexicon, e.g. @领导.", show_default=False)]
    = None,
    code: Annotated[Optional[str], typer.Option("--code", help="Show the codings of this code instead.",
                                                show_default=False)] = None,
    width: Annotated[int, typer.Option("--width", min=0, help="Characters of context on each side.")] = 20,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Show at most N hits.",
                                                 show_default=False)] = None,
    coder: CoderOpt = None, pending: PendingOpt = False, suggested: SuggestedOpt = False, final: FinalOpt = False,
    where: WhereOpt = None, as_json: JsonOpt = False, project: ProjOpt = None,
) -> None:
    """Keyword in context for a word or a code: left context, keyword, right context, document, speaker."""
    from coding.analysis_words import kwic as find

    p, sel = _open_selection(project, coder, pending, suggested, final, where)
    scope = {"documents": sel["documents"]} if "documents" in sel else {}
    options = {"word": word, **scope} if code is None else {"word": word, "code": code, **sel}  # both: refused
    hits = find(p, width=width, limit=limit, **options)
    table = hits.drop(columns=["document_id", "kind"]) if not as_json else hits
    _show(table, f"关键词语境 KWIC: {word or code}", as_json, meta={"query": word or code})


def words(
    by: Annotated[str, typer.Option("--by", help="none | kind | document | speaker_role | speaker | code | "
                                    "var:NAME (a document variable)")] = "none",
    top: Annotated[int, typer.Option("--top", min=1, help="Words per group.")] = 30,
    min_length: MinLengthOpt = 2, stop: StopOpt = None,
    coder: CoderOpt = None, pending: PendingOpt = False, suggested: SuggestedOpt = False, final: FinalOpt = False,
    where: WhereOpt = None, as_json: JsonOpt = False, project: ProjOpt = None,
) -> None:
    """Chinese word frequencies (stop words, punctuation and numbers left out), by group."""
    from coding.analysis_words import word_frequencies

    p, sel = _open_selection(project, coder, pending, suggested, final, where)
    table = word_frequencies(p, by=by, top=top, min_length=min_length, extra_stopwords=stop or (),
                             **_word_selection(sel, by))
    _show(table, f"词频 Word frequencies by {by}", as_json, meta={"by": by})


def _word_selection(sel: dict, by: str) -> dict:
    """What word counts take of the selection: all of it for the words of coded sentences (by code), else only
    the chosen documents."""
    return sel if by == "code" else {k: v for k, v in sel.items() if k == "documents"}


def keywords(
    by: Annotated[str, typer.Option("--by", help="kind | document | speaker_role | speaker | code | var:NAME")],
    group: Annotated[str, typer.Option("--group", help="The group whose keywords to find, e.g. 信访人 or M5.")],
    against: Annotated[Optional[str], typer.Option("--against", help="Compare with this one group (e.g. 包联人) "
                                                   "instead of all the others.", show_default=False)] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Keywords shown.")] = 30,
    min_count: Annotated[int, typer.Option("--min-count", min=1, help="Fewest uses in the group.")] = 3,
    min_length: MinLengthOpt = 2, stop: StopOpt = None,
    coder: CoderOpt = None, pending: PendingOpt = False, suggested: SuggestedOpt = False, final: FinalOpt = False,
    where: WhereOpt = None, as_json: JsonOpt = False, project: ProjOpt = None,
) -> None:
    """Keywords (keyness): the words one group uses markedly more than the rest, or than one other group
    (--against), with G², p, BH-adjusted p and log ratio."""
    from coding.analysis_keywords import keywords as find

    p, sel = _open_selection(project, coder, pending, suggested, final, where)
    table = find(p, by=by, group=group, against=against, top=top, min_count=min_count, min_length=min_length,
                 extra_stopwords=stop or (), **_word_selection(sel, by))
    _show(table, f"特征词 Keywords of {group} ({by})" + (f" against {against}" if against else ""), as_json,
          meta={"by": by, "group": group, "against": against})


def codeline(
    document: Annotated[str, typer.Argument(help="Document id, title or file name.", show_default=False)],
    level: Annotated[str, typer.Option("--level", help="paragraph | sentence")] = "paragraph",
    rollup: Annotated[bool, typer.Option("--rollup", help="Count sub-codes under their level-1 code.")] = False,
    out_path: Annotated[Optional[Path], typer.Option("--out", help="Also draw it to FILE.png or FILE.svg.",
                                                     show_default=False)] = None,
    coder: CoderOpt = None, pending: PendingOpt = False, suggested: SuggestedOpt = False, final: FinalOpt = False,
    as_json: JsonOpt = False, project: ProjOpt = None,
) -> None:
    """Where in one document each code is: the paragraphs (or sentences) that carry it, in order."""
    from coding import charts
    from coding.analysis_codeline import code_line
    from coding.cli import out

    p, sel = _open_selection(project, coder, pending, suggested, final)
    doc = p.find_document(document)
    line, n_units = code_line(p, doc.id, level=level, rollup=rollup, **sel)
    if out_path is not None:
        fmt = _chart_format(out_path)
        data = charts.chart_bytes(charts.code_line_chart(line, n_units, level=level, title=doc.title), fmt)
        out_path.write_bytes(data)
        out.print(f"code line → {out_path} ({len(data)} bytes)", markup=False)
    _show(line.drop(columns=["color", "label"]), f"编码分布 Code line: {doc.title} ({n_units} {level}s)", as_json,
          meta={"document_id": doc.id, "level": level, "units": n_units, **_meta(sel)})


def _chart_format(out_path: Path) -> str:
    from coding.errors import BaolianError

    fmt = out_path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise BaolianError(f"cannot write a chart as {out_path.name}", field="--out", hint="name a .png or .svg file")
    return fmt


def chart(
    which: Annotated[str, typer.Argument(help="mechanisms | cooc | matrix")],
    out_path: Annotated[Path, typer.Option("--out", help="FILE.png or FILE.svg", show_default=False)],
    jaccard: Annotated[bool, typer.Option("--jaccard", help="cooc: Jaccard instead of counts.")] = False,
    level: Annotated[str, typer.Option("--level", help="cooc: sentence | paragraph")] = "sentence",
    coder: CoderOpt = None, pending: PendingOpt = False, suggested: SuggestedOpt = False, final: FinalOpt = False,
    where: WhereOpt = None, project: ProjOpt = None,
) -> None:
    """Draw a chart to a PNG or SVG file (offline)."""
    from coding import charts
    from coding.analysis import code_document_matrix, code_frequencies, cooccurrence_matrix
    from coding.cli import out
    from coding.errors import BaolianError

    fmt = _chart_format(out_path)
    p, sel = _open_selection(project, coder, pending, suggested, final, where)
    if which == "mechanisms":
        drawn = charts.mechanism_chart(code_frequencies(p, by="kind", **sel))
    elif which == "cooc":
        value = "jaccard" if jaccard else "count"
        drawn = charts.cooccurrence_heatmap(cooccurrence_matrix(p, level=level, value=value, **sel), value=value)
    elif which == "matrix":
        m = code_document_matrix(p, **sel)
        drawn = charts.code_document_heatmap(m[m.sum(axis=1) > 0])
    else:
        raise BaolianError(f"unknown chart {which!r}", field="chart", hint="use mechanisms, cooc or matrix")
    data = charts.chart_bytes(drawn, fmt)
    out_path.write_bytes(data)
    out.print(f"{which} chart → {out_path} ({len(data)} bytes)", markup=False)


def _meta(selection: dict) -> dict:
    return {"status": list(selection["status"]), "coder": selection["coder"], "layer": selection["layer"],
            **({"as_user": selection["as_user"]} if selection.get("as_user") else {}),
            **({"documents": list(selection["documents"])} if "documents" in selection else {})}


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
    sub = typer.Typer(help="统计分析 Analysis: frequencies, matrices, co-occurrence, KWIC, word frequencies, code "
                      "lines, charts.",
                      no_args_is_help=True)
    for name, func in (("freq", freq), ("matrix", matrix), ("cooc", cooc), ("kwic", kwic), ("words", words),
                       ("keywords", keywords), ("codeline", codeline), ("chart", chart)):
        sub.command(name)(func)
    app.add_typer(sub, name="analysis")

