"""Required literals of a regular expression: strings one of which every match must contain.

Used by :mod:`coding.rules` to run a rule's regex only on units that contain one of its literals.
Pure and self-contained (only :mod:`re`'s own parser).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

try:  # CPython 3.11+; without it every regex simply runs on every unit
    from re import _constants as _sre_c
    from re import _parser as _sre_p
except ImportError:  # pragma: no cover
    _sre_c = _sre_p = None  # type: ignore[assignment]

_MAX_SET = 64


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """A set of non-empty strings one of which every match of ``pattern`` contains, or None if unknown.

    Built from the parsed regex: literal runs (with small alternations and character classes
    multiplied out) of the top-level sequence and of repeats with a minimum of at least one. Of the
    candidate sets, the one whose shortest string is longest wins.
    """
    sets = required_literal_sets(pattern)
    return sets[0] if sets else None


def required_literal_sets(pattern: re.Pattern[str]) -> list[frozenset[str]]:
    """Every literal set found for ``pattern`` (each one is required: every match contains one of its
    strings), best first (the one :func:`required_literals` returns); [] if none is known."""
    if _sre_p is None or pattern.flags & re.IGNORECASE:
        return []
    try:
        exact, candidates = _sequence(list(_sre_p.parse(pattern.pattern, pattern.flags)))
    except Exception:  # noqa: BLE001 - unknown syntax tree: run the regex on every unit
        return []
    if exact is not None:
        candidates.append(exact)
    out: list[frozenset[str]] = []
    for c in sorted((c for c in candidates if c and "" not in c), key=lambda c: (-min(map(len, c)), len(c))):
        if frozenset(c) not in out:
            out.append(frozenset(c))
    return out


def _sequence(items: list[Any]) -> tuple[set[str] | None, list[set[str]]]:
    """(every string the sequence can match, if finitely few; else None), [necessary literal sets]."""
    run, exact_all, candidates = {""}, True, []
    for op, av in items:
        exact, found = _item(op, av)
        candidates += found
        if exact is None:
            exact_all = False
            if run != {""}:
                candidates.append(run)
            run = {""}
            continue
        product = {a + b for a in run for b in exact}
        if len(product) > _MAX_SET:
            exact_all = False
            if run != {""}:
                candidates.append(run)
            product = set(exact)
        run = product
    if run != {""}:
        candidates.append(run)
    return (run if exact_all else None), candidates


def _item(op: Any, av: Any) -> tuple[set[str] | None, list[set[str]]]:
    c = _sre_c
    if op is c.LITERAL:
        return {chr(av)}, []
    if op is c.AT:
        return {""}, []
    if op is c.IN:
        chars: set[str] = set()
        for kind, arg in av:
            if kind is c.LITERAL:
                chars.add(chr(arg))
            elif kind is c.RANGE and arg[1] - arg[0] < 32:
                chars.update(map(chr, range(arg[0], arg[1] + 1)))
            else:
                return None, []
        return chars, []
    if op is c.SUBPATTERN:
        _, add_flags, _, sub = av
        return (None, []) if add_flags & re.IGNORECASE else _sequence(list(sub))
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _sequence(list(av))
    if op is c.BRANCH:
        results = [_sequence(list(b)) for b in av[1]]
        if all(ex is not None for ex, _ in results):
            union = set().union(*(ex for ex, _ in results))
            if len(union) <= _MAX_SET:
                return union, []
        bests = []
        for ex, found in results:
            options = [s for s in found + ([ex] if ex is not None else []) if s and "" not in s]
            if not options:
                return None, []
            bests.append(max(options, key=lambda s: (min(map(len, s)), -len(s))))
        return None, [set().union(*bests)]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        exact, found = _sequence(list(sub))
        if low == 0:
            return None, []
        if low == high == 1:
            return exact, found
        return None, found + ([exact] if exact is not None else [])
    return None, []  # ANY, CATEGORY, NOT_LITERAL, assertions, group references: no literal known


__all__ = ["literal_tests", "rarest_first", "required_literal_sets", "required_literals", "split_literal_sets"]


def rarest_first(sets: list[frozenset[str]], frequency: Callable[[str], int]) -> list[frozenset[str]]:
    """``sets`` ordered by how often their strings are expected in a text, rarest first (ties keep their
    order). Every set is required, so any of them may serve as a regex's trigger, and the rarest makes
    the regex a candidate on the fewest units: ``{"扛", "兜着", "解释"}`` rather than ``{"他", "我"}``.

    A set with a literal of punctuation or spaces only (``{"，", "；"}``: in almost every unit) comes
    last; the others are ranked by the sum of ``frequency(literal)`` (a word frequency of the segmenter's
    dictionary), a literal without a CJK character counting as :data:`_LATIN_FREQUENCY` (the dictionary
    hardly knows Latin letters and digits; transcripts abound in them: speaker codes, initials)."""
    def expected(literals: frozenset[str]) -> tuple[bool, int]:
        if any(all(c.isspace() or unicodedata.category(c)[0] in "PZ" for c in lit) for lit in literals):
            return True, 0
        return False, sum(frequency(lit) if _CJK.search(lit) else _LATIN_FREQUENCY for lit in literals)

    return sorted(sets, key=expected)


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN_FREQUENCY = 1_000_000  # more than any word of jieba's dictionary (了: 883,634)


def literal_tests(sets: Iterable[frozenset[str]]) -> tuple[Callable[[str], Any], ...]:
    """Tests of the literal sets worth checking before a regex runs (sets of more than 16 strings are
    left out): for each set, the ``search`` of one regex matching any of its literals (one call in C,
    faster than testing the literals one by one); it returns None when no literal of the set is in a text."""
    return tuple(_any_of(tuple(sorted(s, key=lambda x: (len(x), x)))) for s in sets if len(s) <= 16)


def split_literal_sets(sets: list[frozenset[str]], keyword: Callable[[str, bool], int]
                       ) -> tuple[tuple[frozenset[int], ...], tuple[Callable[[str], Any], ...]]:
    """Required literal sets of a regex (sets of more than 16 strings are left out) -> those of strings
    of 2 characters or more as keyword ids (``keyword(literal, False)``: found by the automaton, checked by
    the plan), and tests of the others (see literal_tests; checked on the unit): single characters would
    match too often for the automaton."""
    sets = [s for s in sets if len(s) <= 16]
    need = tuple(frozenset(keyword(t, False) for t in s) for s in sets if min(map(len, s)) >= 2)
    return need, literal_tests([s for s in sets if min(map(len, s)) < 2])


@functools.lru_cache(maxsize=4096)
def _any_of(literals: tuple[str, ...]) -> Callable[[str], Any]:
    """The ``search`` of a regex matching any of ``literals`` (compiled once per set of literals)."""
    return re.compile("|".join(map(re.escape, literals))).search
