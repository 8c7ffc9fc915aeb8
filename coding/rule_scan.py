"""The scan of a text for :mod:`coding.rules`: its segmentation, term hits and regex triggers. Pure.

Split from :mod:`coding.rules` (which describes the semantics and the speed design).
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coding.rules import CompiledCodebook

_WORD_CHAR = re.compile(r"[^\W_]")  # a letter, digit or CJK character: the token is a word


class _Scan:
    """One text segmented once, with its keyword hits sorted by start."""

    __slots__ = ("text", "tokens", "hits", "_starts", "_ends", "triggers", "_trigger_lasts", "_trigger_len")

    def __init__(self, cc: CompiledCodebook, text: str) -> None:
        self.text = text
        tokens = self.tokens = cc.segmenter.cut(text) if text else []
        ends = self._ends = list(itertools.accumulate(map(len, tokens)))
        # A term on word boundaries is one token, or a run of tokens whose first two make a prefix of it
        # (the second token is then one of the strings that may follow the first, cc._term_follow).
        term_kw = cc._term_kw
        single = list(map(term_kw.__contains__, tokens))
        hit_ends = list(itertools.compress(ends, single))
        hit_tokens = list(itertools.compress(tokens, single))
        hits = list(zip(map(operator.sub, hit_ends, map(len, hit_tokens)), hit_ends,
                        map(term_kw.__getitem__, hit_tokens), strict=True))
        prefixes, n = cc._term_prefixes, len(tokens)
        follow = map(cc._term_follow.get, tokens, itertools.repeat(frozenset()))
        several = list(itertools.compress(itertools.count(), map(frozenset.__contains__, follow,
                                                                 itertools.islice(tokens, 1, None))))
        if several:
            for i in several:
                literal, j = tokens[i], i + 1
                while j < n:
                    literal += tokens[j]
                    kw = term_kw.get(literal)
                    if kw is not None:
                        hits.append((ends[i] - len(tokens[i]), ends[j], kw))
                    if literal not in prefixes:
                        break
                    j += 1
            hits.sort()
        self.hits = hits
        self._starts = [h[0] for h in hits]
        # (last index, keyword) of every trigger literal, ordered by last index (as the automaton finds them)
        self.triggers = _triggers(cc._automaton, text) if cc._automaton is not None and text else []
        self._trigger_lasts = list(map(operator.itemgetter(0), self.triggers))  # for bisect (ints compare fast)
        self._trigger_len = cc._trigger_len

    def anything_in(self, start: int, end: int) -> bool:
        """Might a hit or a trigger lie in ``[start, end)``? (False: certainly none.)"""
        starts, lasts = self._starts, self._trigger_lasts
        return (bisect.bisect_left(starts, start) < bisect.bisect_left(starts, end)
                or bisect.bisect_left(lasts, start) < bisect.bisect_left(lasts, end))

    def hits_in(self, start: int, end: int) -> list[tuple[int, int, int]]:
        lo, hi = bisect.bisect_left(self._starts, start), bisect.bisect_left(self._starts, end)
        return [h for h in (self.hits[lo:hi] if lo or hi < len(self.hits) else self.hits) if h[1] <= end]

    def triggers_in(self, start: int, end: int) -> set[int]:
        """The trigger keywords found inside ``[start, end)``."""
        triggers, lasts = self.triggers, self._trigger_lasts
        lo, hi = bisect.bisect_left(lasts, start), bisect.bisect_left(lasts, end)
        if lo == hi:
            return set()
        length = self._trigger_len
        return {kw for last, kw in triggers[lo:hi] if last - length[kw] >= start - 1}

    def words_between(self, start: int, end: int) -> int:
        """Word tokens (with a letter, digit or CJK character) that start in ``[start, end)``."""
        first = bisect.bisect_right(self._ends, start)  # the token that starts at or contains `start`
        last = bisect.bisect_left(self._ends, end)  # the token that contains `end - 1`
        tokens = self.tokens[first:last + 1]
        words = sum(map(str.isalnum, tokens))
        if words < len(tokens):  # some tokens are not alphanumeric: punctuation, or e.g. "COVID-19"
            word = _WORD_CHAR.search
            words += sum(1 for tok in tokens if not tok.isalnum() and word(tok))
        return words


def _triggers(automaton: Any, text: str) -> list[tuple[int, int]]:
    """(last code point index, keyword) of every occurrence of a literal of ``automaton`` in ``text``.

    The automaton holds the literals' UTF-8 bytes (as Latin-1 strings) and runs on the text's: with
    256 letters at most, its nodes have few children, which the automaton searches one by one. UTF-8
    is self-synchronising, so every match starts and ends on a character; byte offsets are turned into
    code point offsets by decoding the bytes between consecutive matches.
    """
    data = text.encode()  # the segmenter has already refused lone surrogates
    found = list(automaton.iter(data.decode("latin-1")))
    if len(data) == len(text) or not found:  # ASCII: bytes are code points
        return found
    lasts, byte, char = [], 0, 0
    for last, _ in found:
        char += len(data[byte:last + 1].decode())
        byte = last + 1
        lasts.append(char - 1)
    return list(zip(lasts, map(operator.itemgetter(1), found)))


def _window(groups: list[list[tuple[int, int]]], words: Callable[[int, int], int],
            n: int) -> list[tuple[int, int]] | None:
    """One match per group inside the smallest window (in words), if that window has at most n words.

    Every group has at least one match."""
    end = operator.itemgetter(1)
    if sum(map(len, groups)) == len(groups):  # one choice only
        chosen = [group[0] for group in groups]
        return sorted(set(chosen)) if words(min(chosen)[0], max(map(end, chosen))) <= n else None
    best: tuple[int, list[tuple[int, int]]] | None = None
    for left in sorted({s for group in groups for s, _ in group}):
        chosen = []
        for group in groups:
            after = [h for h in group if h[0] >= left]
            if not after:
                return sorted(set(best[1])) if best else None  # later lefts lack this group too
            chosen.append(min(after, key=end))
        size = words(left, max(map(end, chosen)))
        if size <= n and (best is None or size < best[0]):
            best = (size, chosen)
    return sorted(set(best[1])) if best else None
