"""Document text as escaped HTML with coloured, overlapping code highlights (pure: no DB, no UI).

:func:`render_html` cuts the text at every span, segment and line boundary and
gives each piece the set of spans covering it: the piece is coloured by its top
code, striped when several codes overlap, and its ``title`` (the hover text)
names every code with its reason. Every piece of text and every attribute is
HTML-escaped, so a document containing ``<script>`` or markdown shows as plain
text. Offsets are code points (Python ``str`` indices), like everywhere else.

The page puts :data:`STYLE` once before the rendered text (``st.html``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

STATUSES = ("suggested", "accepted", "rejected")
STATUS_LABELS = {"suggested": "待审 pending", "accepted": "已接受 accepted", "rejected": "已拒绝 rejected"}
ORIGIN_LABELS = {"rule": "规则 rule", "human": "人工 human", "model": "模型 model"}
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_DEFAULT_COLOR = "#888888"
_RANK = {"accepted": 0, "suggested": 1, "rejected": 2}
_ALPHA = {"accepted": "66", "suggested": "3A", "rejected": "00"}

STYLE = """<style>
.bl-doc{line-height:2.05;font-size:1.02rem}
.bl-doc p{margin:0 0 .55em 0}
.bl-doc mark{color:inherit;background:none;padding:0 1px;border-radius:2px}
.bl-doc .bl-ev{font-weight:600;text-decoration-line:underline;text-decoration-thickness:2px;text-underline-offset:3px}
.bl-doc .bl-rej{border-bottom:1px dotted #999}
.bl-doc .bl-focus{box-shadow:inset 0 2px 0 #1f2937}
.bl-doc .bl-sb{border-left:1px solid #c8c8c8;margin:0 1px 0 3px;padding-left:1px}
.bl-doc .bl-sb sup{color:#9a9a9a;font-size:.62em;user-select:none}
.bl-doc .bl-gap{color:#aaa;text-align:center;margin:.4em 0}
.bl-legend{line-height:2.2}
.bl-chip{display:inline-block;margin:0 .45em .2em 0;padding:0 .45em;border-radius:3px;font-size:.86rem}
</style>"""


@dataclass(frozen=True, slots=True)
class Span:
    """One highlight: a coding (``evidence=False``) or an evidence term of a coding's rule."""

    start: int
    end: int
    code: str
    name: str = ""
    color: str = _DEFAULT_COLOR
    status: str = "accepted"  # suggested | accepted | rejected
    note: str = ""  # hover text, plain (escaped when rendered)
    evidence: bool = False


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def safe_color(color: str | None) -> str:
    """A ``#RRGGBB`` colour, or grey for anything else (colours go into style attributes)."""
    return color if isinstance(color, str) and _COLOR.match(color) else _DEFAULT_COLOR


def _attr(text: str) -> str:
    """Escaped attribute text; line breaks kept as character references (multi-line tooltips)."""
    return esc(text).replace("\n", "&#10;")


def _priority(span: Span) -> tuple:
    """Sort key: the first span of a piece is its top code (decided before pending, then the narrowest)."""
    return (_RANK.get(span.status, 3), span.end - span.start, -span.start, span.code, span.evidence)


def _style(active: tuple[Span, ...]) -> tuple[str, str]:
    """(class attribute, style attribute) for a piece covered by ``active`` (already in priority order)."""
    live = [s for s in active if s.status != "rejected"]
    if not live:
        return "bl-rej", ""
    top = live[0]
    colors: list[str] = []
    for s in live:
        c = safe_color(s.color)
        if c not in colors:
            colors.append(c)
    alpha = _ALPHA.get(top.status, "3A")
    if len(colors) == 1:
        background = f"background-color:{colors[0]}{alpha}"
    else:  # overlapping codes: diagonal stripes of each code's colour
        stops, width = [], 6
        for i, c in enumerate(colors[:4]):
            stops.append(f"{c}{alpha} {i * width}px {(i + 1) * width}px")
        background = f"background-image:repeating-linear-gradient(135deg,{','.join(stops)})"
    line = "solid" if top.status == "accepted" else "dashed"
    style = f"{background};border-bottom:2px {line} {safe_color(top.color)}"
    evidence = [s for s in live if s.evidence]
    cls = ""
    if evidence:
        cls = "bl-ev"
        style += f";text-decoration-color:{safe_color(evidence[0].color)}"
    return cls, style


def _title(active: tuple[Span, ...]) -> str:
    notes: list[str] = []
    for s in active:
        note = s.note or f"{s.code} {s.name}".strip()
        if note not in notes:
            notes.append(note)
    return "\n".join(notes)


def _bounds(segment_bounds: Iterable[int | tuple[int, str]], start: int, end: int) -> dict[int, str]:
    out: dict[int, str] = {}
    for b in segment_bounds:
        pos, label = (b, "") if isinstance(b, int) else (int(b[0]), str(b[1]))
        if start <= pos < end:
            out[pos] = label
    return out


def render_html(
    text: str, spans: Iterable[Span], *, start: int = 0, end: int | None = None,
    segment_bounds: Iterable[int | tuple[int, str]] = (), focus: tuple[int, int] | None = None,
) -> str:
    """``text[start:end]`` as escaped HTML: one ``<p>`` per line, ``<mark>`` per highlighted piece.

    ``segment_bounds`` are offsets (or ``(offset, label)`` pairs) where a thin
    separator (with the label as a small number) is drawn; ``focus`` underlines
    a span from above (the selected sentence). Empty spans and spans outside
    the window are ignored.
    """
    n = len(text)
    end = n if end is None else min(end, n)
    start = max(0, min(start, end))
    live = sorted((s for s in spans if s.end > s.start and s.end > start and s.start < end), key=_priority)
    rank = {id(s): i for i, s in enumerate(live)}
    starts: dict[int, list[Span]] = {}
    ends: dict[int, list[Span]] = {}
    cuts = {start, end}
    for s in live:
        a, b = max(s.start, start), min(s.end, end)
        starts.setdefault(a, []).append(s)
        ends.setdefault(b, []).append(s)
        cuts.add(a)
        cuts.add(b)
    labels = _bounds(segment_bounds, start, end)
    cuts.update(labels)
    for m in re.finditer(r"\n+", text[start:end]):  # line breaks are pieces of their own
        cuts.add(start + m.start())
        cuts.add(start + m.end())
    f0, f1 = focus if focus else (-1, -1)
    if focus:
        cuts.update(x for x in (f0, f1) if start < x < end)
    points = sorted(cuts)

    out: list[str] = ["<p>"]
    active: list[Span] = []
    styles: dict[tuple[int, ...], tuple[str, str, str]] = {}
    for a, b in zip(points, points[1:]):
        if a in ends:
            gone = {id(s) for s in ends[a]}
            active = [s for s in active if id(s) not in gone]
        if a in starts:
            active.extend(starts[a])
            active.sort(key=lambda s: rank[id(s)])
        piece = text[a:b]
        if piece[0] == "\n":
            out.append("</p><p>")
            continue
        if a in labels:
            label = labels[a]
            out.append(f'<span class="bl-sb">{f"<sup>{esc(label)}</sup>" if label else ""}</span>')
        body = esc(piece)
        in_focus = f0 <= a < f1
        if active:
            key = tuple(rank[id(s)] for s in active)
            found = styles.get(key)
            if found is None:
                cls, style = _style(tuple(active))
                found = styles[key] = (cls, style, _attr(_title(tuple(active))))
            cls, style, title = found
            if in_focus:
                cls = f"{cls} bl-focus".strip()
            cls_attr = f' class="{cls}"' if cls else ""
            style_attr = f' style="{style}"' if style else ""
            out.append(f'<mark{cls_attr}{style_attr} title="{title}">{body}</mark>')
        elif in_focus:
            out.append(f'<span class="bl-focus">{body}</span>')
        else:
            out.append(body)
    out.append("</p>")
    result = "".join(out)
    return result.replace("<p></p>", "")


# -- from the store's codings to spans --------------------------------------------------------

def application_note(app) -> str:
    """The hover text of a coding: code, status, score or coder, origin and every evidence term."""
    parts = [f"{app.code} {app.code_name}", STATUS_LABELS.get(app.status, app.status)]
    if app.score is not None:
        parts.append(f"分数 score {app.score:.2f}")
    if app.coder:
        parts.append(f"编码员 coder {app.coder}")
    parts.append(ORIGIN_LABELS.get(app.origin, app.origin))
    lines = [" · ".join(parts)]
    for ev in app.evidence or []:
        lines.append(f"  规则 rule {ev.get('rule', '?')}：「{ev.get('text', '')}」")
    return "\n".join(lines)


def spans_from_applications(
    applications: Iterable, *, codes: Iterable[str] | None = None, statuses: Iterable[str] | None = None,
) -> list[Span]:
    """Highlight spans of codings (``coding.decisions.Application``-like), filtered by code and status.

    Each coding gives its span; each evidence term of a coding that is not
    rejected gives an evidence span, whose hover text says which rule found it.
    """
    wanted_codes = None if codes is None else set(codes)
    wanted_status = None if statuses is None else set(statuses)
    out: list[Span] = []
    for app in applications:
        if wanted_codes is not None and app.code not in wanted_codes:
            continue
        if wanted_status is not None and app.status not in wanted_status:
            continue
        note = application_note(app)
        out.append(Span(app.start, app.end, app.code, app.code_name, app.color, app.status, note))
        if app.status == "rejected":
            continue
        score = f" · 分数 score {app.score:.2f}" if app.score is not None else ""
        for ev in app.evidence or []:
            ev_note = (f"证据 evidence → {app.code} {app.code_name} · 规则 rule {ev.get('rule', '?')}："
                       f"「{ev.get('text', '')}」{score}")
            out.append(Span(int(ev["start"]), int(ev["end"]), app.code, app.code_name, app.color, app.status,
                            ev_note, evidence=True))
    return out


def legend_html(applications: Iterable) -> str:
    """Escaped legend chips: one per code present, with its colour and counts by status."""
    counts: dict[str, dict] = {}
    for app in applications:
        entry = counts.setdefault(app.code, {"name": app.code_name, "color": app.color, "n": {}})
        entry["n"][app.status] = entry["n"].get(app.status, 0) + 1
    if not counts:
        return '<div class="bl-legend">（无编码 no codes）</div>'
    chips = []
    for code in sorted(counts, key=_code_sort_key):
        e = counts[code]
        color = safe_color(e["color"])
        detail = " · ".join(f"{STATUS_LABELS.get(s, s)} {k}" for s, k in sorted(e["n"].items()))
        chips.append(f'<span class="bl-chip" style="background-color:{color}33;border-left:5px solid {color}"'
                     f' title="{_attr(detail)}">{esc(code)} {esc(e["name"])}'
                     f' <small>{sum(e["n"].values())}</small></span>')
    return '<div class="bl-legend">' + "".join(chips) + "</div>"


# -- code picker labels --------------------------------------------------------------------------

def _code_sort_key(code_id: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", code_id))


def code_label(codebook, code_id: str, *, limit: int = 48) -> str:
    """``"M4.2 政策资源 — 治理机制 › 协调重配的资源机制"``: id, name, then the path from the root."""
    code = codebook.codes_by_id[code_id]
    path = " › ".join(c.name for c in reversed(codebook.ancestors(code_id)))
    if len(path) > limit:
        path = path[: limit - 1] + "…"
    return f"{code.id} {code.name}" + (f" — {path}" if path else "")


def code_labels(codebook, *, codable_only: bool = True) -> dict[str, str]:
    """Labels of the codes a coder may pick (hierarchy order), keyed by id."""
    codes = codebook.codable_codes() if codable_only else [c for c in codebook.codes if not c.retired]
    return {c.id: code_label(codebook, c.id) for c in codes}


def with_descendants(codebook, code_ids: Iterable[str]) -> set[str]:
    """The codes chosen plus every code below them (choosing a group means its sub-codes)."""
    children: dict[str | None, list[str]] = {}
    for c in codebook.codes:
        children.setdefault(c.parent, []).append(c.id)
    out: set[str] = set()
    todo: list[str] = list(code_ids)
    while todo:
        cid = todo.pop()
        if cid not in out:
            out.add(cid)
            todo.extend(children.get(cid, []))
    return out


def runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indices as (first, last) pairs: ``[1,2,3,7] -> [(1,3),(7,7)]``."""
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and i == out[-1][1] + 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out
