"""The stored form of a document's text (:func:`normalise_text`), and the same for text that carries anchors:
places a reader marked (where a Word comment starts and ends, where a PDF page starts) whose positions must follow the text through
normalisation (:func:`normalise_anchored`). Pure: text in, text out."""

from __future__ import annotations

import re
import unicodedata

_DROP = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_DROP.update(dict.fromkeys(c for c in (*range(0x00, 0x09), *range(0x0E, 0x1C), 0x1F, 0x7F)))
_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_EDGE_SPACE = re.compile(r"^[^\S\n]+|[^\S\n]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")

# An anchor in a reader's output: U+FDD0, a name of letters, digits and hyphens, U+FDD1. U+FDD0-U+FDEF are
# Unicode noncharacters, never part of text meant for interchange; readers remove them from document text.
_ANCHOR = re.compile("\ufdd0([A-Za-z0-9-]+)\ufdd1")
NONCHARACTERS = dict.fromkeys(range(0xFDD0, 0xFDF0))


# Characters XML 1.0 cannot hold (C0 controls but tab and line breaks, U+FFFE, U+FFFF): stored text may still carry
# \v and \f in a memo or a code's description. The .xlsx writer and the REFI-QDA export remove them.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def anchor(name: str) -> str:
    """The mark a reader puts into its text where anchor ``name`` is."""
    return f"\ufdd0{name}\ufdd1"


def without_anchors(text: str) -> str:
    """``text`` with the anchors a reader put into it taken out."""
    return _ANCHOR.sub("", text)


def normalise_text(text: str) -> str:
    """Return the stored form of a document's text. Rules, applied in this order:

    1. Remove the BOM / U+FEFF anywhere, zero-width characters U+200B, U+200C, U+200D, U+2060, and C0 control
       characters other than tab and line breaks (U+0000-U+0008, U+000E-U+001B, U+001F, U+007F).
    2. Line breaks: "\\r\\n" and every other character ``str.splitlines`` breaks on (\\r, \\v, \\f, U+001C-U+001E,
       U+0085, U+2028, U+2029) become "\\n".
    3. Unicode NFC. Full-width characters (，。：Ａ１) are kept as they are (no NFKC).
    4. On every line, leading and trailing whitespace is removed, including indentation with U+3000
       (ideographic space), tabs and no-break spaces. Whitespace inside a line is kept.
    5. Runs of two or more blank lines become one blank line ("\\n\\n\\n+" -> "\\n\\n").
    6. The whole text is stripped.

    The result is idempotent (normalising twice changes nothing). Offsets everywhere in Baolian are code
    point indices into this string.
    """
    return _normalise_lines(_normalise_characters(text), {})


def normalise_anchored(text: str) -> tuple[str, dict[str, int]]:
    """:func:`normalise_text` of ``text`` without its anchors, and where each anchor ended up (a code point
    offset into the normalised text; an anchor in removed whitespace moves to where the whitespace was)."""
    text = _normalise_characters(text)
    positions: dict[str, int] = {}
    parts, last, length = [], 0, 0
    for match in _ANCHOR.finditer(text):
        parts.append(text[last:match.start()])
        length += match.start() - last
        positions.setdefault(match.group(1), length)
        last = match.end()
    parts.append(text[last:])
    return _normalise_lines("".join(parts), positions), positions


def _normalise_characters(text: str) -> str:  # rules 1-3
    text = text.translate(_DROP)
    text = _BREAKS.sub("\n", text)
    return unicodedata.normalize("NFC", text)


def _normalise_lines(text: str, positions: dict[str, int]) -> str:  # rules 4-6, moving ``positions`` along
    text = _sub(_EDGE_SPACE, "", text, positions)
    text = _sub(_BLANK_RUNS, "\n\n", text, positions)
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    for name, pos in positions.items():
        positions[name] = min(max(pos - lead, 0), len(stripped))
    return stripped


def _sub(pattern: re.Pattern, repl: str, text: str, positions: dict[str, int]) -> str:
    """``pattern.sub(repl, text)`` (``repl`` no longer than any match), moving every offset in ``positions``
    the way the text moves; an offset inside a match keeps its distance from the match's start, at most
    ``len(repl)``."""
    if not positions:
        return pattern.sub(repl, text)
    matches = [(m.start(), m.end()) for m in pattern.finditer(text)]
    for name, pos in positions.items():
        shift = 0
        for start, end in matches:
            if pos <= start:
                break
            if pos < end:
                shift += (pos - start) - min(pos - start, len(repl))
                break
            shift += (end - start) - len(repl)
        positions[name] = pos - shift
    return pattern.sub(repl, text)
