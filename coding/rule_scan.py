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

import numpy as np  # imported here, not on the first scan: forked workers would each import it again

from coding.script import fold

if TYPE_CHECKING:
    from coding.rules import CompiledCodebook

_WORD_CHAR = re.compile(r"[^\W_]")  # a letter, digit or CJK character: the token is a word
_NONE: frozenset[int] = frozenset()


class _Scan:
    """One text segmented once, with its keyword hits sorted by start."""

    __slots__ = ("text", "tokens", "hits", "_starts", "_ends", "_trigger_lasts", "_trigger_kws", "_cc")

    def __init__(self, cc: CompiledCodebook, text: str) -> None:
        text = self.text = fold(text)  # traditional characters matched as simplified; offsets unchanged
        tokens = self.tokens = cc.segmenter.cut(text) if text else []
        ends = self._ends = list(itertools.accumulate(map(len, tokens)))
        # A term on word boundaries is one token, or a run of tokens whose first two make a prefix of it
        # (the second token is then one of the strings that may follow the first, cc._term_follow).
        term_kw = cc._term_kw
        single = list(map(term_kw.__contains__, tokens))
        hit_ends = list(itertools.compress(ends, single))
        hit_tokens = list(itertools.compress(tokens, single))
        hit_starts = list(map(operator.sub, hit_ends, map(len, hit_tokens)))
        hits = list(zip(hit_starts, hit_ends, map(term_kw.__getitem__, hit_tokens), strict=True))
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
            hit_starts = list(map(operator.itemgetter(0), hits))
        self.hits = hits
        self._starts = hit_starts
        # last index and keyword of every trigger literal, ordered by last index (as the automaton finds them)
        if cc._automaton is not None and text:
            self._trigger_lasts, self._trigger_kws = _triggers(cc._automaton, text)
        else:
            self._trigger_lasts, self._trigger_kws = [], []
        self._cc = cc

    @property
    def triggers(self) -> list[tuple[int, int]]:
        """(last code point index, keyword) of every trigger literal in the text, ordered by last index."""
        return list(zip(self._trigger_lasts, self._trigger_kws, strict=True))

    def keywords_in(self, start: int, end: int) -> tuple[list[tuple[int, int, int]], frozenset[int]]:
        """The hits inside ``[start, end)`` and the keywords of the triggers inside it.

        Only a hit that starts within the longest term of ``end`` can end after it, and only a trigger
        that ends within the longest trigger literal of ``start`` can start before it; neither can when
        the character there is whitespace (a line break between units, say) and no literal has any.
        The others are taken as they are (slices, no test)."""
        cc, text, starts, lasts = self._cc, self.text, self._starts, self._trigger_lasts
        lo, hi = bisect.bisect_left(starts, start), bisect.bisect_left(starts, end)
        if lo == hi:
            hits = []
        elif end < len(text) and not (cc._terms_spaceless and text[end].isspace()):
            mid = bisect.bisect_right(starts, end - cc._longest_term, lo, hi)
            hits = self.hits[lo:mid]
            if mid < hi:
                hits += [h for h in self.hits[mid:hi] if h[1] <= end]
        else:
            hits = self.hits[lo:hi]
        lo, hi = bisect.bisect_left(lasts, start), bisect.bisect_left(lasts, end)
        if lo == hi:
            return hits, _NONE
        kws = self._trigger_kws
        if start and not (cc._triggers_spaceless and text[start - 1].isspace()):
            mid = bisect.bisect_left(lasts, start + cc._longest_trigger - 1, lo, hi)
            if mid > lo:
                length = cc._trigger_len
                return hits, frozenset([kw for last, kw in zip(lasts[lo:mid], kws[lo:mid])
                                        if last - length[kw] >= start - 1] + kws[mid:hi])
        return hits, frozenset(kws[lo:hi])

    def anything_in_each(self, edges: list[int]) -> list[bool]:
        """For each span of ``edges`` (flat: start, end, start, end, ...; ascending): does a hit start, or a
        trigger literal end, inside it? One bisection per edge for all spans at once; a span with neither
        can fire no rule but a regex-only one that runs on every unit."""
        hit_at = list(map(bisect.bisect_left, itertools.repeat(self._starts), edges))
        trigger_at = list(map(bisect.bisect_left, itertools.repeat(self._trigger_lasts), edges))
        return [hit_at[i] < hit_at[i + 1] or trigger_at[i] < trigger_at[i + 1] for i in range(0, len(edges), 2)]

    def triggers_in(self, start: int, end: int) -> set[int]:
        """The trigger keywords found inside ``[start, end)`` (plainly; :meth:`keywords_in` is faster)."""
        lasts = self._trigger_lasts
        lo, hi = bisect.bisect_left(lasts, start), bisect.bisect_left(lasts, end)
        length = self._cc._trigger_len
        return {kw for last, kw in zip(lasts[lo:hi], self._trigger_kws[lo:hi]) if last - length[kw] >= start - 1}

    def words_between(self, start: int, end: int) -> int:
        """Word tokens (with a letter, digit or CJK character) that start in ``[start, end)``."""
        first = bisect.bisect_right(self._ends, start)  # the token that starts at or contains `start`
        last = bisect.bisect_left(self._ends, end)  # the token that contains `end - 1`
        tokens = self.tokens[first:last + 1]
        words = sum(map(str.isalnum, tokens))
        if words < len(tokens):  # some tokens are not alphanumeric: punctuation, or e.g. "COVID-19"
            words += len(list(filter(None, map(_WORD_CHAR.search, itertools.filterfalse(str.isalnum, tokens)))))
        return words


def _triggers(automaton: Any, text: str) -> tuple[list[int], list[int]]:
    """Last code point index, and keyword, of every occurrence of a literal of ``automaton`` in ``text``.

    The automaton holds the literals' UTF-8 bytes (as Latin-1 strings) and runs on the text's: with
    256 letters at most, its nodes have few children, which the automaton searches one by one. UTF-8
    is self-synchronising, so every match starts and ends on a character; a byte offset becomes a code
    point offset by counting the bytes up to it that start a character (one numpy cumulative sum over
    the text, instead of decoding the bytes between matches one by one: 0.12 s instead of 0.145 s per
    million characters of demo units, about 156,000 matches).
    """
    data = text.encode()  # the segmenter has already refused lone surrogates
    found = list(automaton.iter(data.decode("latin-1")))
    kws = list(map(operator.itemgetter(1), found))
    if len(data) == len(text) or not found:  # ASCII: bytes are code points
        return list(map(operator.itemgetter(0), found)), kws
    starts_char = np.cumsum((np.frombuffer(data, np.uint8) & 0xC0) != 0x80)  # characters begun up to each byte
    byte_lasts = np.fromiter(map(operator.itemgetter(0), found), np.int64, len(found))
    return (starts_char[byte_lasts] - 1).tolist(), kws


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
