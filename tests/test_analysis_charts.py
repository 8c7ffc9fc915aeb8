"""Altair charts of the analysis tables, rendered offline to PNG and SVG with vl-convert."""

from __future__ import annotations

import pytest

from coding.analysis import code_document_matrix, code_frequencies, cooccurrence_matrix
from coding.charts import chart_bytes, code_document_heatmap, cooccurrence_heatmap, frequency_chart, mechanism_chart
from coding.errors import BaolianError

from .test_analysis_tables import small  # noqa: F401  (the hand-built project fixture)


def data_of(chart) -> list[dict]:
    spec = chart.to_dict()
    (values,) = [d for d in spec["datasets"].values()]
    return values


def test_mechanism_chart_png(small):  # noqa: F811
    freq = code_frequencies(small["project"], by="kind")
    chart = mechanism_chart(freq)
    rows = data_of(chart)
    assert {(r["code"], r["kind"], r["segments"]) for r in rows} == {
        ("M1", "访谈 interview", 2), ("M1", "政策文件 policy", 1), ("M2", "访谈 interview", 2),
        ("M2", "政策文件 policy", 2), ("M3", "访谈 interview", 1), ("M3", "政策文件 policy", 1)}
    png = chart_bytes(chart, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


def test_heatmaps_svg(small):  # noqa: F811
    p = small["project"]
    square = cooccurrence_matrix(p)
    chart = cooccurrence_heatmap(square)
    cells = {(r["code"], r["code_b"]): r["count"] for r in data_of(chart)}
    assert cells[("M1", "M2")] == cells[("M2", "M1")] == 2 and cells[("M2", "M2")] == 4
    svg = chart_bytes(chart, "svg").decode("utf-8")
    assert "<svg" in svg and "M2" in svg
    matrix = code_document_matrix(p)
    heat = code_document_heatmap(matrix[matrix.sum(axis=1) > 0])
    cells = {(r["code"], r["document"]): r["segments"] for r in data_of(heat)}
    assert cells[("M2", "政策B")] == 2 and cells[("M3", "访谈A")] == 1
    assert "<svg" in chart_bytes(heat, "svg").decode("utf-8")


def test_long_titles_are_shortened_and_bad_input_refused(small):  # noqa: F811
    matrix = code_document_matrix(small["project"])
    matrix.columns = ["一个非常非常非常非常非常非常长的文件标题甲", "一个非常非常非常非常非常非常长的文件标题乙"]
    labels = {r["document"] for r in data_of(code_document_heatmap(matrix, title_limit=10))}
    assert len(labels) == 2 and all(len(x) <= 14 for x in labels)
    with pytest.raises(BaolianError):
        chart_bytes(frequency_chart(code_frequencies(small["project"], by="none"), by="none"), "gif")
    with pytest.raises(BaolianError, match="empty"):
        cooccurrence_heatmap(cooccurrence_matrix(small["project"], coder="nobody"))
