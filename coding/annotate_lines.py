"""The output lines of a rules-only ``baolian annotate`` run, written without ``json.dumps``. Pure.

Split from :mod:`coding.annotate` (which describes the JSONL contract).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coding.suggest import UnitCodes

_ESCAPE = json.encoder.encode_basestring  # the string encoder of json.dumps(..., ensure_ascii=False)


def rule_lines(good: list[tuple[Any, str]], found: list[UnitCodes]) -> list[str]:
    """The output lines of a rules-only run, exactly as ``json.dumps({"id": ..., "codes": [records]},
    ensure_ascii=False)`` writes them (tested), built straight from the raw findings (faster).

    ``good``: (id, text) per unit; ``found``: :func:`coding.suggest.unit_codes` of the texts."""
    esc = _ESCAPE
    heads: dict[tuple[str, float], str] = {}  # (code, score) -> the record up to its evidence
    tails: dict[str, str] = {}  # rule name -> the end of an evidence item
    out = []
    for (uid, text), codes in zip(good, found, strict=True):
        key = esc(uid) if isinstance(uid, str) else int.__repr__(uid)
        if not codes:
            out.append(f'{{"id": {key}, "codes": []}}\n')
            continue
        records = []
        for code, score, spans in codes:
            head = heads.get((code, score))
            if head is None:
                rounded = float.__repr__(round(float(score), 4))
                head = heads[code, score] = (f'{{"code": {esc(code)}, "score": {rounded}, "origin": "rule", '
                                             '"evidence": [')
            items = []
            for s, e, rule in spans:
                tail = tails.get(rule)
                if tail is None:
                    tail = tails[rule] = f', "rule": {esc(rule)}}}'
                items.append(f'{{"start": {s}, "end": {e}, "text": {esc(text[s:e])}{tail}')
            records.append(head + ", ".join(items) + "]}")
        out.append(f'{{"id": {key}, "codes": [{", ".join(records)}]}}\n')
    return out


__all__ = ["rule_lines"]
