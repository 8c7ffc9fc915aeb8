"""LaTeX export: a complete document (ctexart, for xelatex) with booktabs tables.

Each table is a ``longtable`` (it may run over pages) with ``\\caption`` and ``\\label{tab:<key>}``,
``\\toprule``/``\\midrule``/``\\bottomrule`` and a 注： notes line below. Every special character of
the text (``# $ % & _ { } ~ ^ \\``) is escaped, Chinese text included, and so are the characters the TeX
ligatures would change (``" ' ` -- << >> ,,``); the metadata (codebook version,
filters, date) is both a comment block at the top and a note under each table.
"""

from __future__ import annotations

import re
from pathlib import Path

from coding.exports.paper import META_LABELS, PaperTable

_SPECIAL = {
    "\\": r"\textbackslash{}", "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    # the TeX ligatures of the main font (fontspec's Ligatures=TeX) would print " as ”, ' as ’, ` as ‘,
    # -- and --- as dashes, << >> ,, as « » „, !` and ?` as ¡ ¿: quotes must print as written
    '"': r"\textquotedbl{}", "'": r"\textquotesingle{}", "`": r"\textasciigrave{}",
    "-": "-{}", "<": "<{}", ">": ">{}", ",": ",{}",
}
_SPECIAL_RE = re.compile(r"[\\#$%&_{}~^\"'`]|([-<>,])(?=\1)")
TEXT_WIDTH_CM = 15.0


def escape(text: object) -> str:
    """``text`` safe in LaTeX text mode: specials escaped, newlines and control characters made spaces."""
    value = "" if text is None else str(text)
    value = re.sub(r"[\x00-\x1f\x7f]+", " ", value)
    return _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group()], value)


def _colspec(table: PaperTable) -> str:
    specs = []
    for width, numeric in zip(table.widths, table.numeric):
        cm = max(0.8, TEXT_WIDTH_CM * width - 0.4)
        align = r"\raggedleft" if numeric else r"\raggedright"
        specs.append(rf">{{{align}\arraybackslash}}p{{{cm:.1f}cm}}")
    return "".join(specs)


def _row(text: str) -> str:
    """A table row; ``{}`` in front when it starts with ``[`` or ``*``, which the ``\\\\`` ending the
    previous row would otherwise read as its optional argument or star."""
    return ("{}" if text.lstrip().startswith(("[", "*")) else "") + text + r" \\"


def render_table(table: PaperTable) -> str:
    header = " & ".join(rf"\textbf{{{escape(c)}}}" for c in table.columns) + r" \\"
    lines = [
        rf"\begin{{longtable}}{{{_colspec(table)}}}",
        rf"\caption{{{escape(table.caption)}}}\label{{tab:{table.key}}} \\",
        r"\toprule", header, r"\midrule", r"\endfirsthead",
        rf"\caption[]{{{escape(table.caption)}（续）}} \\",
        r"\toprule", header, r"\midrule", r"\endhead",
        r"\bottomrule", r"\endlastfoot",
    ]
    if not table.rows:
        lines.append(rf"\multicolumn{{{len(table.columns)}}}{{l}}{{（无数据 no data）}} \\")
    for row in table.rows:
        lines.append(_row(" & ".join(escape(c) for c in row)))
    lines.append(r"\end{longtable}")
    lines.append(rf"\vspace{{-0.5em}}{{\footnotesize 注：{escape(table.notes)}\par}}")
    return "\n".join(lines)


def render(tables: list[PaperTable], meta: dict[str, str]) -> str:
    """The whole document."""
    comment = [f"% {META_LABELS.get(k, k)}: {escape(v)}" for k, v in meta.items()]
    body: list[str] = []
    appendix_started = False
    for table in tables:
        if table.appendix and not appendix_started:
            body.append(r"\appendix\setcounter{table}{0}\renewcommand{\tablename}{附表}")
            appendix_started = True
        body.append(render_table(table))
        body.append("")
    info = r" \\ ".join(rf"{escape(META_LABELS.get(k, k))}：{escape(v)}" for k, v in meta.items())
    return "\n".join([
        "% Baolian 包联 export: tables for papers. Compile with xelatex.",
        *comment,
        r"\documentclass[UTF8,a4paper]{ctexart}",
        r"\usepackage{booktabs,longtable,array}",
        r"\usepackage[labelsep=quad]{caption}",
        r"\usepackage[margin=2.5cm]{geometry}",
        r"\begin{document}",
        r"\section*{导出信息 Export information}",
        rf"{{\small {info}\par}}",
        "",
        *body,
        r"\end{document}",
        "",
    ])


def write(tables: list[PaperTable], meta: dict[str, str], out: Path) -> Path:
    out.write_text(render(tables, meta), encoding="utf-8")
    return out
