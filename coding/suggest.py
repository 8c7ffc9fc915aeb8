"""Applying a compiled codebook to texts: documents (:func:`suggest_codes`) and units (:func:`suggest_for_units`).

Pure: no database, no UI. Rule semantics are described in :mod:`coding.rules`.
"""

from __future__ import annotations

import itertools
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
    version = compiled.version
    return [[Suggestion(code, score, "rule", version, "unit", 0, len(text),
                        tuple(Evidence(s, e, text[s:e], rule) for s, e, rule in spans))
             for code, score, spans in codes]
            for text, codes in zip(texts, unit_codes(texts, compiled), strict=True)]


# Per text: [(code, score, evidence spans (start, end, rule name) sorted, offsets into the text)], sorted
# by score (desc) then code -- what suggest_for_units reports, without building the objects.
UnitCodes = list[tuple[str, float, list[tuple[int, int, str]]]]


def unit_codes(texts: Sequence[str], compiled: CompiledCodebook) -> list[UnitCodes]:
    """The raw content of :func:`suggest_for_units` (for callers that build their own records)."""
    if not all(map(str.__instancecheck__, texts)):
        for text in texts:
            _check_text(text)
    if not compiled.rules:
        return [[] for _ in texts]
    # "\n" between the texts: a line break always ends a token, and no hit may cross a text's edges.
    scan = compiled.scan("\n".join(texts))
    # Start and end of each text in the joined text; a text without hits or triggers is passed over,
    # unless a regex-only rule runs on every unit.
    edges = list(itertools.accumulate(itertools.chain.from_iterable((1, len(t)) for t in texts), initial=-1))[1:]
    anything = [True] * len(texts) if compiled.has_unconditional_rules else scan.anything_in_each(edges)
    return [_unit_codes(compiled, scan, text, edges[2 * i]) if found else []
            for i, (text, found) in enumerate(zip(texts, anything, strict=True))]


def _unit_codes(compiled: CompiledCodebook, scan: _Scan, text: str, base: int) -> UnitCodes:
    sentences = _sentences(text)
    if not sentences:
        return []
    apply = compiled.apply
    if len(sentences) == 1:  # one sentence is the whole unit: both kinds of rule in one pass
        found = apply(scan, _BOTH, sentences[0][0] + base, sentences[0][1] + base)
        if not found:
            return []
        out = [(code, compiled.score(weights), sorted({(s - base, e - base, rule) for s, e, rule in spans}))
               for code, (weights, spans) in found.items()]
    else:
        founds = [apply(scan, _SENTENCE, s + base, e + base) for s, e in sentences]
        if compiled.has_paragraph_rules:  # the text without surrounding whitespace
            founds.append(apply(scan, _PARAGRAPH, sentences[0][0] + base, sentences[-1][1] + base))
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
        out = [(code, score, sorted([(s - base, e - base, rule) for s, e, rule in spans]))
               for code, (score, spans) in merged.items()]
    if len(out) > 1:
        out.sort(key=_BY_SCORE_THEN_CODE)
    return out


def _BY_SCORE_THEN_CODE(codes: tuple[str, float, list[tuple[int, int, str]]]) -> tuple[float, str]:  # noqa: N802
    return -codes[1], codes[0]


_SENTENCE, _PARAGRAPH, _BOTH = ("sentence",), ("paragraph",), ("sentence", "paragraph")
# Characters that can end a sentence or a line (coding.segment); a text with none of them before its
# final run of end marks and closing quotes is one sentence.
_ENDS = "。！？!?…⋯｡．."
_CLOSE = "”’」』）)］]】》〉〕〗｝}›»\"'"
_ENDS_CLOSE = _ENDS + _CLOSE
_SPLITTERS = re.compile(f"[{re.escape(_ENDS)}\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _sentences(text: str) -> list[tuple[int, int]]:
    """``coding.segment.sentence_spans(text)``, with a shortcut for the common one-sentence text."""
    stripped = text.rstrip()
    core = stripped.rstrip(_ENDS_CLOSE)
    if not _SPLITTERS.search(core):
        start = len(text) - len(text.lstrip())
        return [(start, len(stripped))] if stripped else []
    return sentence_spans(text)


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise BaolianError(f"text to code must be a string, got {type(text).__name__}",
                           hint="pass the unit's text")


__all__ = ["UnitCodes", "suggest_codes", "suggest_for_unit", "suggest_for_units", "unit_codes"]
