"""Vetoes of the rule engine: exclusion regexes (each compiled once) and the codebook's named vetoes. Pure.

Split from :mod:`coding.rules` (which describes the semantics and the speed design). A rule is vetoed on a
unit by a term of its own ``exclude`` or of one of its named vetoes (codebook ``vetoes``, applied through
``rule_defaults.veto`` and the rule's ``veto`` / ``skip_veto``), or by a match of one of their exclusion
regexes. Terms are checked by the plan (they depend only on the keywords of the unit); regexes run only
when their required literals are in the unit. The plan gives each rule one *veto set*: the exclusion regexes
(its own and those of its named vetoes) whose literals are in the unit, registered once and named by an id.
Each exclusion regex and each veto set is decided at most once per unit (``cache``, one dict per unit, keyed
by regex id >= 0 or ``~set id`` < 0): rules sharing named vetoes share the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from coding.codebook import compiled_regex
from coding.rule_literals import required_literal_sets, split_literal_sets


class VetoTable:
    """The exclusion regexes and named vetoes of one compiled codebook.

    ``keyword(literal, term)`` gives a literal's keyword id (see CompiledCodebook._keyword)."""

    def __init__(self, keyword: Callable[[str, bool], int]) -> None:
        self._keyword = keyword
        self.regexes: list[tuple[re.Pattern[str], tuple[Callable[[str], Any], ...]]] = []  # (pattern, tests)
        self.need: list[tuple[frozenset[int], ...]] = []  # literal sets of 2+ characters, as keyword ids
        self._regex_ids: dict[str, int] = {}
        self.named: list[tuple[str, tuple[int, ...]]] = []  # (name, its exclusion regex ids)
        self._named_ids: dict[str, int] = {}
        self.sets: list[tuple[int, ...]] = []  # veto sets of planned rules: exclusion regex ids (see plan_keys)
        self._set_ids: dict[tuple[int, ...], int] = {}

    # -- compiling ----------------------------------------------------------------------------

    def regex(self, pattern: str) -> int:
        """The id of the exclusion regex ``pattern`` (compiled once, however many rules and vetoes use it)."""
        eid = self._regex_ids.get(pattern)
        if eid is None:
            compiled = compiled_regex(pattern)  # compiled by validation
            # an anchored pattern fails fast by itself; others are tried only when their literals are there
            sets = [] if pattern.startswith("^") else required_literal_sets(compiled)
            eid = self._regex_ids[pattern] = len(self.regexes)
            need, tests = split_literal_sets(sets, self._keyword)
            self.regexes.append((compiled, tests))
            self.need.append(need)
        return eid

    def named_veto(self, name: str, patterns: Iterable[str]) -> int:
        """The id of the named veto ``name`` with its exclusion regexes (registered on first use)."""
        vid = self._named_ids.get(name)
        if vid is None:
            vid = self._named_ids[name] = len(self.named)
            self.named.append((name, tuple(self.regex(p) for p in patterns)))
        return vid

    def all_need(self) -> list[frozenset[int]]:
        """Every keyword the plan needs to know about for the exclusion regexes (for the automaton)."""
        return [k for need in self.need for k in need]

    # -- planning and matching ----------------------------------------------------------------

    def live(self, eids: Iterable[int], triggered: frozenset[int]) -> tuple[int, ...]:
        """The exclusion regexes of ``eids`` that may match: their literal sets of 2+ characters are present."""
        need = self.need
        out = []
        for eid in eids:
            for n in need[eid]:
                if n.isdisjoint(triggered):
                    break
            else:
                out.append(eid)
        return tuple(out)

    def plan_keys(self, own: tuple[int, ...], named: tuple[int, ...], triggered: frozenset[int],
                  memo: dict[Any, list[int]] | None = None) -> int | None:
        """The veto set a rule must check on a unit with the triggers ``triggered``, as an id for
        :meth:`vetoed` (None: nothing to check): its own exclusion regexes that may match, then those of
        its named vetoes, each regex once. A rule is vetoed when one of them matches (a named veto
        matches when one of its regexes does). ``memo``: for one ``triggered``, named veto ids (a tuple)
        and each named veto id (an int) -> their regexes that may match (rules share their named vetoes)."""
        shared = None if memo is None else memo.get(named)
        if shared is None:
            shared = []
            for vid in named:
                one = None if memo is None else memo.get(vid)
                if one is None:
                    one = self.live(self.named[vid][1], triggered)
                    if memo is not None:
                        memo[vid] = one
                shared += [eid for eid in one if eid not in shared]
            if memo is not None:
                memo[named] = shared
        eids = list(self.live(own, triggered))
        eids += [eid for eid in shared if eid not in eids] if eids else shared
        if not eids:
            return None
        key = tuple(eids)
        sid = self._set_ids.get(key)
        if sid is None:
            sid = self._set_ids[key] = len(self.sets)
            self.sets.append(key)
        return sid

    def vetoed(self, sid: int, unit_text: str, cache: dict[int, bool]) -> bool:
        """Does a regex of the veto set ``sid`` (see plan_keys) match the unit? ``cache`` holds the unit's
        answers: per veto set (key ``~sid``) and per exclusion regex (key = its id), so that rules sharing
        vetoes decide each regex, and each set, at most once per unit."""
        hit = cache.get(~sid)
        if hit is None:
            hit = False
            for eid in self.sets[sid]:
                one = cache.get(eid)
                if one is None:
                    one = cache[eid] = self._regex_hit(eid, unit_text)
                if one:
                    hit = True
                    break
            cache[~sid] = hit
        return hit

    def _regex_hit(self, eid: int, unit_text: str) -> bool:
        pattern, sets = self.regexes[eid]
        for present_in in sets:  # one literal of every required set must be present for a match
            if present_in(unit_text) is None:
                return False
        return pattern.search(unit_text) is not None


__all__ = ["VetoTable"]
