"""Escaped, overlapping code highlights (coding.highlight)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from coding.highlight import (
    STYLE,
    Span,
    code_label,
    code_labels,
    legend_html,
    render_html,
    runs,
    safe_color,
    spans_from_applications,
    with_descendants,
)

from .conftest import CODEBOOK

INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "**bold** [link](javascript:alert(1)) <b>b</b> &amp;",
]


class Collector(HTMLParser):
    """Parses the output like a browser would: tags, attributes, visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    c.close()
    return c


def visible_text(html: str) -> str:
    """Document text as shown: separator labels (<sup>) left out, paragraphs joined by newlines."""
    html = re.sub(r"<sup>.*?</sup>", "", html).replace("</p><p>", "\n")
    return "".join(parse(html).text)


def marks(html: str) -> list[dict]:
    return [attrs for tag, attrs in parse(html).tags if tag == "mark"]


def test_injection_text_is_escaped_and_round_trips():
    text = "\n".join(INJECTIONS)
    html = render_html(text, [])
    for bad in ("<script", "<img", "<svg", "<b>"):
        assert bad not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert {tag for tag, _ in parse(html).tags} == {"p"}  # nothing but paragraphs became a tag
    assert visible_text(html) == text  # and the reader sees exactly the text


def test_markdown_is_left_as_text():
    text = "**bold** [link](javascript:alert(1))"
    html = render_html(text, [Span(0, 8, "C1", "名", "#112233")])
    assert "<strong>" not in html and "<a " not in html and "href" not in html
    assert visible_text(html) == text


def test_code_names_rule_names_and_evidence_are_escaped_in_titles():
    bad = '"><script>alert(1)</script>'
    span = Span(0, 3, "C1", bad, "#112233", "suggested", note=f"规则 {bad} 「<img src=x onerror=alert(1)>」")
    html = render_html("abcdef", [span])
    assert "<script" not in html and "<img" not in html
    [mark] = marks(html)
    assert mark["title"] == span.note  # the browser shows the unescaped text as the tooltip


def test_colours_in_style_attributes_are_checked():
    html = render_html("abc", [Span(0, 3, "C1", "x", 'red;background:url(javascript:alert(1))')])
    assert "javascript" not in html
    assert safe_color("#A1b2C3") == "#A1b2C3"
    assert safe_color("red") == "#888888"
    assert safe_color(None) == "#888888"


def test_overlapping_spans_split_into_pieces_with_every_code():
    text = "0123456789"
    a = Span(0, 6, "A", "甲", "#aa0000", "accepted", "A note")
    b = Span(3, 9, "B", "乙", "#0000bb", "suggested", "B note")
    html = render_html(text, [a, b])
    got = marks(html)
    assert len(got) == 3
    pieces = re.findall(r"<mark[^>]*>(.*?)</mark>", html)
    assert pieces == ["012", "345", "678"]
    assert got[0]["title"] == "A note"
    assert got[1]["title"] == "A note\nB note"  # decided code first: it is the top one
    assert got[2]["title"] == "B note"
    assert "#aa0000" in got[0]["style"] and "#0000bb" not in got[0]["style"]
    assert "repeating-linear-gradient" in got[1]["style"]  # several codes: stripes of both colours
    assert "#aa0000" in got[1]["style"] and "#0000bb" in got[1]["style"]
    assert "solid #aa0000" in got[1]["style"]  # underline of the top code
    assert "dashed #0000bb" in got[2]["style"]  # pending: dashed
    assert visible_text(html) == text


def test_nested_same_code_is_not_striped_and_evidence_is_marked():
    coding = Span(0, 10, "A", "甲", "#aa0000", "suggested", "coding")
    evidence = Span(2, 4, "A", "甲", "#aa0000", "suggested", "evidence", evidence=True)
    html = render_html("0123456789", [coding, evidence])
    got = marks(html)
    assert [m.get("class") for m in got] == [None, "bl-ev", None]
    assert all("gradient" not in m["style"] for m in got)
    assert got[1]["title"] == "evidence\ncoding"  # the narrowest span first


def test_rejected_codings_are_only_dotted():
    html = render_html("abcdef", [Span(1, 3, "A", "甲", "#aa0000", "rejected", "no")])
    [m] = marks(html)
    assert m["class"] == "bl-rej" and "style" not in m


def test_empty_and_outside_spans_are_ignored():
    text = "abcdef"
    html = render_html(text, [Span(2, 2, "A"), Span(4, 3, "B"), Span(10, 12, "C"), Span(0, 2, "D")],
                       start=2, end=6)
    assert marks(html) == []
    assert visible_text(html) == "cdef"


def test_window_clips_spans():
    text = "甲乙丙丁戊己庚辛"
    html = render_html(text, [Span(1, 7, "A", "x", "#123456")], start=3, end=5)
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", html) == ["丁戊"]


def test_offsets_are_code_points_with_emoji_and_cjk():
    text = "👍🏽好的，😀政策资源到位了𠀀。"
    start = text.index("政策资源")
    html = render_html(text, [Span(start, start + 4, "M4.2", "政策资源", "#CF8F2E"), Span(0, 2, "E", "e")])
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", html) == ["👍🏽", "政策资源"]
    assert visible_text(html) == text


def test_paragraphs_and_segment_separators():
    text = "第一句。第二句。\n\n第三句。"
    html = render_html(text, [Span(2, 11, "A", "x", "#123456")], segment_bounds=[(0, "1"), (4, "2"), 10])
    assert html.count("<p>") == 2  # the blank line makes no empty paragraph
    assert html.count('class="bl-sb"') == 3
    assert "<sup>1</sup>" in html and "<sup>2</sup>" in html
    assert visible_text(html) == "第一句。第二句。\n第三句。"
    for m in re.findall(r"<mark[^>]*>(.*?)</mark>", html):
        assert "\n" not in m  # a highlight never crosses a paragraph break


def test_separator_labels_are_escaped():
    html = render_html("abc", [], segment_bounds=[(1, "<i>x</i>")])
    assert "<i>" not in html and "&lt;i&gt;" in html


def test_focus_marks_the_selected_sentence():
    html = render_html("abcdefgh", [Span(0, 3, "A", "x", "#123456")], focus=(2, 6))
    assert re.findall(r'class="[^"]*bl-focus[^"]*"[^>]*>(\w+)<', html) == ["c", "def"]


@dataclass
class App:
    start: int
    end: int
    code: str
    code_name: str = "名"
    color: str = "#123456"
    status: str = "suggested"
    score: float | None = 0.85
    coder: str | None = None
    origin: str = "rule"
    evidence: list = field(default_factory=list)


def test_spans_from_applications_with_evidence_and_filters():
    apps = [
        App(0, 10, "A", evidence=[{"start": 2, "end": 4, "text": "<script>", "rule": "r<1>"}]),
        App(0, 10, "B", status="accepted", score=None, coder="甲", origin="human"),
        App(5, 9, "C", status="rejected", evidence=[{"start": 5, "end": 6, "text": "x", "rule": "r"}]),
    ]
    spans = spans_from_applications(apps)
    assert [(s.code, s.evidence) for s in spans] == [("A", False), ("A", True), ("B", False), ("C", False)]
    assert "分数 score 0.85" in spans[0].note and "r<1>" in spans[0].note and "<script>" in spans[0].note
    assert "规则 rule r<1>" in spans[1].note and "「<script>」" in spans[1].note
    assert "编码员 coder 甲" in spans[2].note and "人工 human" in spans[2].note
    assert [s.code for s in spans_from_applications(apps, codes=["B"])] == ["B"]
    assert {s.code for s in spans_from_applications(apps, statuses=["suggested", "rejected"])} == {"A", "C"}
    html = render_html("0123456789", spans)
    assert "<script" not in html and "&lt;script&gt;" in html


def test_legend_is_escaped_and_counts():
    html = legend_html([App(0, 1, "A", code_name="<b>x</b>"), App(1, 2, "A", status="accepted"),
                        App(0, 1, "B10"), App(0, 1, "B9")])
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert html.index("B9") < html.index("B10")  # natural order of ids
    assert "<small>2</small>" in html
    assert "无编码" in legend_html([])


def test_code_labels_from_the_codebook():
    from coding.codebook import load_codebook

    cb = load_codebook(CODEBOOK)
    labels = code_labels(cb)
    assert labels["M4.2"].startswith("M4.2 政策资源 — 治理机制 › ")
    assert set(labels) == {c.id for c in cb.codable_codes()}
    assert "M" not in labels and "M" in code_labels(cb, codable_only=False)
    assert code_label(cb, "M") == f"M {cb.codes_by_id['M'].name}"
    assert with_descendants(cb, ["M4"]) == {"M4", "M4.1", "M4.2", "M4.3"}
    assert "M4.2" in with_descendants(cb, ["M"])


def test_runs():
    assert runs([]) == []
    assert runs([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 7), (9, 10)]


def test_style_is_one_style_block():
    assert STYLE.startswith("<style>") and STYLE.endswith("</style>") and STYLE.count("<") == 2


def long_document(n_sentences: int = 2000) -> tuple[str, list[Span], list[tuple[int, str]]]:
    sentence = "区里成立工作专班，包联领导牵头协调政策资源，😀信访人的诉求得到回应。"
    parts, bounds, spans, pos = [], [], [], 0
    for i in range(n_sentences):
        bounds.append((pos, str(i + 1)))
        spans.append(Span(pos, pos + len(sentence) - 1, f"C{i % 7}", "名", "#123456",
                          ("suggested", "accepted", "rejected")[i % 3], f"note {i}"))
        spans.append(Span(pos + 9, pos + 13, f"C{i % 7}", "名", "#123456", "suggested", "ev", evidence=True))
        spans.append(Span(pos + 5, pos + 20, f"C{(i + 1) % 7}", "名", "#654321", "accepted", "other"))
        parts.append(sentence)
        pos += len(sentence)
        if i % 5 == 4:
            parts.append("\n")
            pos += 1
    return "".join(parts), spans, bounds


def test_renders_a_2000_sentence_document_fast():
    text, spans, bounds = long_document()
    render_html(text, spans, segment_bounds=bounds)  # warm-up
    best = min(_timed(lambda: render_html(text, spans, segment_bounds=bounds)) for _ in range(3))
    html = render_html(text, spans, segment_bounds=bounds)
    assert html.count('class="bl-sb"') == 2000 and html.count("<p>") == 400
    assert visible_text(html) == text.rstrip("\n")  # a trailing line break makes no empty paragraph
    # ~0.1 s on the 2-core reference machine; the bound only catches a quadratic regression
    assert best < 2.0, f"rendering 2,000 sentences took {best:.2f} s"


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@pytest.mark.parametrize("payload", INJECTIONS)
def test_each_injection_inside_a_highlight(payload):
    text = f"前文{payload}后文"
    html = render_html(text, [Span(1, len(text) - 1, "A", payload, "#123456", "accepted", payload)])
    assert all(tag in ("p", "mark") for tag, _ in parse(html).tags)
    assert visible_text(html) == text
