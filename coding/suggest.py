"""Applying a compiled codebook to texts: documents (:func:`suggest_codes`) and units (:func:`suggest_for_units`).

Pure: no database, no UI. Rule semantics are described in :mod:`coding.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from coding.errors import BaolianError
from coding.rules import CompiledCodebook, Evidence, Found, Suggestion, _Scan
from coding.segment import paragraph_spans, sentence_spans

def _suggestions(cc: CompiledCodebook, found: Found, unit: str, start: int, end: int, text: str) -> list[Suggestion]:
    out = [Suggestion(code, cc.score(weights), "rule", cc.version, unit, start, end,
                      tuple(Evidence(s, e, text[s:e], rule) for s, e, rule in sorted(set(spans))))
           for code, (weights, spans) in found.items()]
    out.sort(key=lambda s: (-s.score, s.code))
    return out


def suggest_codes(text: str, compiled: CompiledCodebook, speakers: Iterable[str] = ()) -> list[Suggestion]:
    """Suggestions for a document: sentence rules on each sentence, paragraph rules on each paragraph.

    Offsets (units and evidence) are code points of ``text``; units are those of
    :func:`coding.segment.paragraph_spans` and :func:`coding.segment.sentence_spans`. Ordered by unit
    start, a paragraph before its sentences, then by score (desc) and code. ``speakers`` is accepted for
    symmetry with :func:`coding.segment.segment_text`; speaker labels do not change paragraphs or sentences.
    """
    del speakers
    _check_text(text)
    out: list[Suggestion] = []
    scan = compiled.scan(text)  # the whole document at once: a line break always ends a token
    for p_start, p_end in paragraph_spans(text):
        if compiled.has_paragraph_rules:
            out += _suggestions(compiled, compiled.apply(scan, _PARAGRAPH, p_start, p_end),
                                "paragraph", p_start, p_end, text)
        if compiled.has_sentence_rules:
            for s, e in sentence_spans(text, p_start, p_end):
                out += _suggestions(compiled, compiled.apply(scan, _SENTENCE, s, e), "sentence", s, e, text)
    return out


def suggest_for_unit(text: str, compiled: CompiledCodebook) -> list[Suggestion]:
    """Suggestions for ``text`` as ONE unit (a line of ``baolian annotate``).

    Sentence rules are applied to each sentence inside it and paragraph rules to the whole text (without
    leading and trailing whitespace); the results are merged per code (highest score, all evidence). One
    suggestion per code, unit "unit", spanning the whole text, sorted by score (desc) then code.
    """
    return suggest_for_units([text], compiled)[0]


def suggest_for_units(texts: Sequence[str], compiled: CompiledCodebook) -> list[list[Suggestion]]:
    """:func:`suggest_for_unit` for many texts, segmented and scanned in one pass (faster)."""
    for text in texts:
        _check_text(text)
    # "\n" between the texts: a line break always ends a token, and no hit may cross a text's edges.
    scan = compiled.scan("\n".join(texts))
    out, base = [], 0
    for text in texts:
        out.append(_suggest_unit(compiled, scan, text, base))
        base += len(text) + 1
    return out


def _suggest_unit(compiled: CompiledCodebook, scan: _Scan, text: str, base: int) -> list[Suggestion]:
    sentences = [(s + base, e + base) for s, e in _sentences(text)]
    if not sentences or not compiled.rules:
        return []
    whole = (sentences[0][0], sentences[-1][1])  # the text without surrounding whitespace
    if len(sentences) == 1:  # one sentence is the whole unit: both kinds of rule in one pass
        founds = [compiled.apply(scan, _BOTH, *whole)]
    else:
        founds = [compiled.apply(scan, _SENTENCE, s, e) for s, e in sentences]
        if compiled.has_paragraph_rules:
            founds.append(compiled.apply(scan, _PARAGRAPH, *whole))
    merged: dict[str, tuple[float, set[tuple[int, int, str]]]] = {}
    for found in founds:
        for code, (weights, spans) in found.items():
            score = compiled.score(weights)
            old = merged.get(code)
            if old is None:
                merged[code] = (score, set(spans))
            else:
                old[1].update(spans)
                merged[code] = (max(old[0], score), old[1])
    out = [Suggestion(code, score, "rule", compiled.version, "unit", 0, len(text),
                      tuple(Evidence(s - base, e - base, text[s - base:e - base], rule) for s, e, rule in sorted(spans)))
           for code, (score, spans) in merged.items()]
    out.sort(key=lambda s: (-s.score, s.code))
    return out


_SENTENCE, _PARAGRAPH, _BOTH = ("sentence",), ("paragraph",), ("sentence", "paragraph")
# Characters that can end a sentence or a line (coding.segment); a text with none of them before its
# final run of end marks and closing quotes is one sentence.
_ENDS = "。！？!?…⋯｡．."
_CLOSE = "”’」』）)］]】》〉〕〗｝}›»\"'"
_SPLITTERS = re.compile(f"[{re.escape(_ENDS)}\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _sentences(text: str) -> list[tuple[int, int]]:
    """``coding.segment.sentence_spans(text)``, with a shortcut for the common one-sentence text."""
    stripped = text.rstrip()
    core = stripped.rstrip(_ENDS + _CLOSE)
    if not _SPLITTERS.search(core):
        start = len(text) - len(text.lstrip())
        return [(start, len(stripped))] if stripped else []
    return sentence_spans(text)


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise BaolianError(f"text to code must be a string, got {type(text).__name__}",
                           hint="pass the unit's text")


__all__ = ["suggest_codes", "suggest_for_unit", "suggest_for_units"]
