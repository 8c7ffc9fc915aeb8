"""Simplified and traditional characters (简繁通查): text written in traditional characters (Hong Kong, Taiwan,
older or overseas material) is segmented, matched against the codebook, searched and counted as if it were
written in simplified ones, while the stored text, what is shown and every offset stay as written.

:func:`fold` maps a text to simplified characters with OpenCC's ``t2s`` conversion (phrases first, so 乾隆 stays
乾隆 while 乾燥 becomes 干燥), character for character: the result has the same length, so a code point offset
into it is one into the text. Simplified text comes back unchanged (the demo corpus: not one character of 61,900
differs). Used where words are cut or terms matched: the words stored for each sentence
(:mod:`coding.ingest`), the codebook's rules (:mod:`coding.rule_scan`), the model's features
(:mod:`coding.model_features`), search words and plain-string search (:mod:`coding.analysis_words`); a
codebook written in traditional characters is folded the same way for matching (:func:`fold_codebook`).
"""

from __future__ import annotations

import threading

_local = threading.local()  # one converter per thread (the app serves sessions from several)


def _converter():
    converter = getattr(_local, "t2s", None)
    if converter is None:
        import opencc

        converter = _local.t2s = opencc.OpenCC("t2s")
    return converter


def fold(text: str) -> str:
    """``text`` in simplified characters, of the same length (an ASCII text is returned as it is)."""
    if text.isascii():
        return text
    folded = _converter().convert(text)
    return folded if len(folded) == len(text) else by_character(text)


def by_character(text: str) -> str:
    """:func:`fold` one character at a time: the fallback when a phrase conversion changed the length (a
    character whose simplified form is not one character stays as it is)."""
    convert = _converter().convert
    return "".join(simple if len(simple := convert(ch)) == 1 else ch for ch in text)


def fold_codebook(codebook):
    """The codebook as the rules match it: its terms, lexicons, regexes and vetoes in simplified characters (a
    team may write them in traditional ones). The same object when nothing changes (a simplified codebook), or
    when the folded copy would not validate."""
    import json

    from pydantic import ValidationError

    text = codebook.model_dump_json(exclude_defaults=True, exclude_none=True)
    folded = fold(text)
    if folded == text:
        return codebook
    try:
        return type(codebook).model_validate(json.loads(folded))
    except ValidationError:  # e.g. two names that differ only in their script: match as written
        return codebook
