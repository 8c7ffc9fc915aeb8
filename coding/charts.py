"""Altair charts of the analysis tables, and their PNG / SVG bytes (vl-convert: no browser, no internet).

Every function takes a frame from :mod:`coding.analysis` / :mod:`coding.analysis_tables` and returns
an ``alt.Chart``; :func:`chart_bytes` renders one offline.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from coding.document_variables import VAR_PREFIX
from coding.errors import BaolianError

FONT = "Noto Sans CJK SC, Noto Serif CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif"
KIND_ORDER = ["interview", "policy", "minutes", "news", "other"]
KIND_TITLES = {"interview": "访谈 interview", "policy": "政策文件 policy", "minutes": "会议纪要 minutes",
               "news": "新闻报道 news", "other": "其他 other"}
TITLES = {"segments": "片段 segments", "documents": "文档 documents", "characters": "字数 characters",
          "count": "次数 count", "jaccard": "Jaccard", "kind": "文档类型 kind", "document": "文档 document",
          "speaker_role": "说话人角色 speaker role", "speaker": "说话人 speaker", "case": "案例 case",
          "coder": "编码员 coder", "none": "全部 all"}


def _style(chart):
    return chart.configure(font=FONT).configure_axis(labelFont=FONT, titleFont=FONT).configure_legend(
        labelFont=FONT, titleFont=FONT).configure_title(font=FONT)


def frequency_chart(freq: pd.DataFrame, *, by: str = "kind", measure: str = "segments", group: str | None = None,
                    title: str = "编码频次 Code frequencies", order: list[str] | None = None) -> alt.Chart:
    """Horizontal stacked bars: ``measure`` per code (codebook order), coloured by the ``by`` value (its values
    in ``order`` when given, e.g. a number variable's in numeric order). ``freq`` is
    :func:`coding.analysis.code_frequencies` output; ``group`` keeps one root (e.g. "M")."""
    data = freq if group is None else freq[freq["group"] == group]
    data = data.copy()
    if by == "kind":
        data["kind"] = data["kind"].map(KIND_TITLES).fillna(data["kind"])
    data[by] = data[by].astype(str)
    order = data.sort_values("position")["label"].drop_duplicates().tolist()
    colour_sort = [KIND_TITLES[k] for k in KIND_ORDER] if by == "kind" else order or "ascending"
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", sort=order, title="编码 code", axis=alt.Axis(labelLimit=260)),
        x=alt.X(f"sum({measure}):Q", title=TITLES.get(measure, measure), axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color(field=by, type="nominal", title=TITLES.get(by, by.removeprefix(VAR_PREFIX)), sort=colour_sort,
                        legend=alt.Legend(orient="bottom", columns=3)),  # field=: a variable's by has a colon
        tooltip=[alt.Tooltip("label:N", title="编码 code"), alt.Tooltip(field=by, type="nominal"),
                 alt.Tooltip(f"{measure}:Q"), alt.Tooltip("share:Q", format=".1%", title="share")],
    ).properties(title=title, height=alt.Step(22), width=420)
    return _style(chart)


def mechanism_chart(freq: pd.DataFrame, *, measure: str = "segments") -> alt.Chart:
    """Mechanisms M1–M5 and their sub-codes by document kind (``freq`` = code_frequencies(by="kind"))."""
    return frequency_chart(freq, by="kind", measure=measure, group="M",
                           title="作用机制按文档类型 Mechanisms by document kind")


def _long(square: pd.DataFrame, row: str, column: str, value: str) -> pd.DataFrame:
    long = square.rename_axis(index=row, columns=column).stack().rename(value).reset_index()
    long[row], long[column] = long[row].astype(str), long[column].astype(str)
    return long


def heatmap(square: pd.DataFrame, *, row: str, column: str, value: str, title: str,
            value_format: str = "d") -> alt.Chart:
    """A heat map of a table (rows × columns, numeric cells), in the table's own order, numbers on cells."""
    if square.empty:
        raise BaolianError("nothing to draw: the table is empty", field="chart",
                           hint="accept some codings first, or include pending suggestions")
    data = _long(square, row, column, value)
    rows, columns = [str(r) for r in square.index], [str(c) for c in square.columns]
    peak = float(data[value].max()) or 1.0
    base = alt.Chart(data).encode(
        x=alt.X(f"{column}:N", sort=columns, title=None, axis=alt.Axis(labelAngle=-45, labelLimit=160)),
        y=alt.Y(f"{row}:N", sort=rows, title=None, axis=alt.Axis(labelLimit=200)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="blues", domain=[0, peak]),
                        title=TITLES.get(value, value)),
        tooltip=[alt.Tooltip(f"{row}:N"), alt.Tooltip(f"{column}:N"),
                 alt.Tooltip(f"{value}:Q", format=value_format)],
    )
    text = base.mark_text(fontSize=9).encode(
        text=alt.Text(f"{value}:Q", format=value_format),
        color=alt.condition(f"datum['{value}'] > {peak / 2}", alt.value("white"), alt.value("black")),
    )
    size = {"width": alt.Step(24) if len(columns) > 6 else 60 * len(columns), "height": alt.Step(18)}
    chart = alt.layer(cells, text).properties(title=title, **size)
    return _style(chart)


def cooccurrence_heatmap(square: pd.DataFrame, *, value: str = "count") -> alt.Chart:
    """Code × code heat map of :func:`coding.analysis_tables.cooccurrence_matrix` (counts or Jaccard)."""
    return heatmap(square, row="code", column="code_b", value=value, value_format="d" if value == "count" else ".2f",
                   title="编码共现 Code co-occurrence" + (" (Jaccard)" if value == "jaccard" else ""))


def code_document_heatmap(matrix: pd.DataFrame, *, measure: str = "segments", title_limit: int = 18) -> alt.Chart:
    """Code × document heat map of :func:`coding.analysis_tables.code_document_matrix` (document titles
    shortened to ``title_limit`` characters, made unique)."""
    short, seen = [], set()
    for i, title in enumerate(map(str, matrix.columns)):
        label = title if len(title) <= title_limit else title[:title_limit - 1] + "…"
        if label in seen:
            label = f"{label} ({i + 1})"
        seen.add(label)
        short.append(label)
    data = matrix.copy()
    data.columns = short
    return heatmap(data, row="code", column="document", value=measure,
                   title="编码 × 文档 Codes by document")


def chart_bytes(chart, fmt: str = "png", *, scale: float = 2.0) -> bytes:
    """The chart as PNG or SVG bytes, rendered offline with vl-convert."""
    import vl_convert as vlc

    spec = chart.to_json() if hasattr(chart, "to_json") else chart
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise BaolianError(f"unknown chart format {fmt!r}", field="format", hint="use 'png' or 'svg'")


def code_line_chart(line: pd.DataFrame, n_units: int, *, level: str = "paragraph", title: str = "") -> alt.Chart:
    """One row per code (codebook order), a mark at each paragraph / sentence that carries it, in the code's
    colour (:func:`coding.analysis_codeline.code_line`); ``n_units`` sets the length of the line."""
    if line.empty:
        raise BaolianError("nothing to draw: no codings in this document", field="chart",
                           hint="accept some codings first, or include pending suggestions")
    data = line.assign(x0=line["position"] - 0.42, x1=line["position"] + 0.42)  # a hairline between neighbours
    order = data["label"].drop_duplicates().tolist()
    colours = data.drop_duplicates("label")
    unit = "段 paragraph" if level == "paragraph" else "句 sentence"
    chart = alt.Chart(data).mark_rect().encode(
        x=alt.X("x0:Q", title=f"{unit} 1–{n_units}", scale=alt.Scale(domain=[0.5, n_units + 0.5], nice=False),
                axis=alt.Axis(format="d", tickMinStep=1)),
        x2="x1:Q",
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        color=alt.Color("label:N", scale=alt.Scale(domain=order, range=colours["color"].tolist()), legend=None),
        tooltip=[alt.Tooltip("label:N", title="编码 code"), alt.Tooltip("position:Q", title=unit),
                 alt.Tooltip("speaker:N", title="说话人 speaker"), alt.Tooltip("text:N", title="内容 text")],
    ).properties(title=title or "编码分布 Code line", width=640, height=alt.Step(22))
    return _style(chart)
