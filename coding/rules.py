"""The rule engine: compile a codebook's rules once, then match them on units of text.

Pure: no database, no UI. Semantics of a rule (docs/codebook-format.md), as implemented here:

* **Terms on word boundaries.** A literal term (or a term of an ``@concept``) matches only where its
  start and its end both fall on token boundaries of the jieba (rjieba) segmentation of the text, the
  codebook's terms being user words of the segmenter. A term never matches inside a longer token: in
  ``成立工作专班`` the segmenter keeps ``工作专班`` as one token, so the term ``专班`` does *not* match there
  (``工作专班`` does, when it is a term itself, e.g. through ``@专班``); in ``创城专班`` (cut ``创城/专班``)
  it does. A term may span several tokens as long as both of its ends are boundaries.
* **Parts are conjunctive.** ``any`` (any-of terms), every group of ``all`` (each an any-of group) and
  ``regex`` (any-of regular expressions over the unit text, matched raw, not on word boundaries) must
  each be satisfied when given. A regex counts only with a non-empty match.
* **within N**: some choice of one match of ``any`` (when given) and of every ``all`` group lies in a
  window of at most N words: from the first token of the earliest match to the last token of the latest
  one, counting word tokens (tokens with a letter, digit or CJK character; punctuation and whitespace
  are not words). Regex matches are not part of the window.
* **Vetoes**: a term of ``exclude`` on word boundaries anywhere in the unit, or a match of any
  ``exclude_regex`` in the unit, vetoes the rule for that unit.
* **Units**: a ``sentence`` rule is applied to each sentence (:func:`coding.segment.sentence_spans`), a
  ``paragraph`` rule to the whole paragraph.
* **Score** of a code on a unit: the largest weight among its rules that fired (``score="max"``, the
  default), or the noisy-or ``1 - prod(1 - w)`` (``score="noisy_or"``). Max is the default because the
  rules of one code are written to catch the same meaning, so they are not independent evidence;
  noisy-or would let several weak, correlated rules add up to near-certainty, and max keeps the score
  what the codebook author wrote next to the rule. Where a suggestion counts as present whenever a rule
  fired (rules alone), both give the same codes; they differ only in ranking and when mixed with a model.
* Suggestions are reported for the code the rule belongs to (a rule of M4.2 suggests M4.2, never M4);
  rules of retired codes and of grouping nodes (``codable: false``) are not applied.

Speed: all literal terms (rule and concept terms, any/all/exclude) are one Aho-Corasick automaton; every
regex is compiled once and run only on units that contain one of its *required literals* (derived from
the regex's syntax tree: a set of strings one of which every match must contain), so most of the ~60
regexes of the paper's codebook never run on a given sentence. A rule with terms becomes a candidate
only when a term of its smallest part is present. Segmentation and the automaton run once per document
(:func:`suggest_codes`) or per batch of units (:func:`suggest_for_units`, texts joined by line breaks,
which always end a token).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick

from coding.codebook import Codebook, load_codebook
from coding.errors import BaolianError
from coding.rule_literals import required_literals
from coding.words import WordSegmenter

SCORE_MODES = ("max", "noisy_or")
_WORD_CHAR = re.compile(r"[^\W_]")  # a letter, digit or CJK character: the token is a word
UNIT_KINDS = ("sentence", "paragraph")


@dataclass(frozen=True, slots=True)
class Evidence:
    start: int  # code points into the text that was matched (the document for suggest_codes)
    end: int
    text: str  # == text[start:end]
    rule: str  # the rule's name (unique within its code)


@dataclass(frozen=True, slots=True)
class Suggestion:
    code: str
    score: float  # in (0, 1]
    origin: str  # "rule" (or "model", made by coding.annotate.combine)
    version: str  # the rule (or model) version that made it
    unit: str  # "sentence" | "paragraph" | "unit" (a whole input text, see suggest_for_unit)
    start: int
    end: int
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    name: str
    unit: str
    weight: float
    parts: tuple[frozenset[int], ...]  # keyword ids: `any` first (when given), then each `all` group
    within: int | None
    regex: tuple[int, ...]  # ids into CompiledCodebook._regexes
    exclude: frozenset[int]
    exclude_regex: tuple[re.Pattern[str], ...]


# Raw findings on a unit: code -> (weights of the rules that fired, [(start, end, rule name)]).
Found = dict[str, tuple[list[float], list[tuple[int, int, str]]]]


class CompiledCodebook:
    """A codebook's rules compiled for matching. Build with :func:`compile_codebook`; pickles by rebuilding."""

    def __init__(self, codebook: Codebook, *, version: str | None = None, score: str = "max",
                 engine: str | None = None) -> None:
        if score not in SCORE_MODES:
            raise BaolianError(f"unknown score mode {score!r}", field="score",
                               hint="use max or noisy_or (--rule-score on the command line)")
        self.codebook = codebook
        self.version = version or (f"rules:{codebook.version}:{codebook.fingerprint()[:8]}"
                                   + ("" if score == "max" else f":{score}"))
        self.score_mode = score
        self._engine = engine
        self.segmenter = WordSegmenter(codebook.terms(), engine)
        self._kw: dict[str, int] = {}  # literal -> keyword id
        self._kw_term: list[bool] = []  # used as a term (boundary-checked), not only as a regex trigger
        self._regexes: list[re.Pattern[str]] = []
        self._regex_trigger: list[frozenset[int] | None] = []  # keyword ids; None: run on every unit
        self.rules: list[_Rule] = []
        for code in codebook.codes:
            if not code.codable or code.retired:
                continue
            for rule in code.rules:
                parts = ([rule.any] if rule.any else []) + list(rule.all)
                ids = []
                for pattern in rule.regex:
                    ids.append(len(self._regexes))
                    self._regexes.append(re.compile(pattern))
                    literals = required_literals(self._regexes[-1])
                    self._regex_trigger.append(
                        None if literals is None else frozenset(self._keyword(t, term=False) for t in literals))
                self.rules.append(_Rule(
                    code=code.id, name=rule.name, unit=rule.unit, weight=rule.weight,
                    parts=tuple(self._term_ids(p) for p in parts), within=rule.within, regex=tuple(ids),
                    exclude=self._term_ids(rule.exclude),
                    exclude_regex=tuple(re.compile(p) for p in rule.exclude_regex)))
        n = len(self._kw)
        # Per set of unit kinds: keyword -> rules a boundary hit makes candidates (a rule with terms is
        # indexed by its smallest part only), keyword -> regex-only rules a regex trigger makes
        # candidates, and regex-only rules with a regex that runs on every unit.
        self._kw_rules: dict[tuple[str, ...], list[tuple[int, ...]]] = {}
        self._trigger_rules: dict[tuple[str, ...], list[tuple[int, ...]]] = {}
        self._always_rules: dict[tuple[str, ...], tuple[int, ...]] = {}
        for kinds in (("sentence",), ("paragraph",), ("sentence", "paragraph")):
            by_term: list[list[int]] = [[] for _ in range(n)]
            by_trigger: list[list[int]] = [[] for _ in range(n)]
            always: list[int] = []
            for r, rule in enumerate(self.rules):
                if rule.unit not in kinds:
                    continue
                if rule.parts:  # every part is required: the smallest one suffices to make it a candidate
                    for kw in min(rule.parts, key=len):
                        by_term[kw].append(r)
                    continue
                for rid in rule.regex:
                    trigger = self._regex_trigger[rid]
                    if trigger is None:
                        always.append(r)
                    else:
                        for kw in trigger:
                            by_trigger[kw].append(r)
            self._kw_rules[kinds] = [tuple(x) for x in by_term]
            self._trigger_rules[kinds] = [tuple(x) for x in by_trigger]
            self._always_rules[kinds] = tuple(sorted(set(always)))
        # for the scan: length of a term keyword (0 for a trigger-only one); trigger keywords
        self._term_len = [len(lit) if self._kw_term[kw] else 0 for lit, kw in self._kw.items()]
        self._trigger_kws = frozenset().union(*(t for t in self._regex_trigger if t is not None))
        self._trigger_len = {kw: len(lit) for lit, kw in self._kw.items() if kw in self._trigger_kws}
        self._automaton: Any = None
        if self._kw:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for literal, kw in self._kw.items():
                automaton.add_word(literal, kw)
            automaton.make_automaton()
            self._automaton = automaton
        self.has_paragraph_rules = any(r.unit == "paragraph" for r in self.rules)
        self.has_sentence_rules = any(r.unit == "sentence" for r in self.rules)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.codebook, self.version, self.score_mode, self._engine))

    def __repr__(self) -> str:
        return f"<CompiledCodebook {self.version} rules={len(self.rules)} keywords={len(self._kw)}>"

    # -- compiling ----------------------------------------------------------------------------

    def _keyword(self, literal: str, term: bool) -> int:
        kw = self._kw.get(literal)
        if kw is None:
            kw = self._kw[literal] = len(self._kw)
            self._kw_term.append(term)
        elif term:
            self._kw_term[kw] = True
        return kw

    def _term_ids(self, terms: Iterable[str]) -> frozenset[int]:
        out: set[int] = set()
        for term in terms:
            literals = self.codebook.concept_terms(term) if term.startswith("@") else [term]
            out.update(self._keyword(t, term=True) for t in literals)
        return frozenset(out)

    # -- matching -----------------------------------------------------------------------------

    def scan(self, text: str) -> _Scan:
        """Segment ``text`` once and find every keyword in it (boundary-checked for terms)."""
        return _Scan(self, text)

    def apply(self, scan: _Scan, kinds: tuple[str, ...], start: int, end: int) -> Found:
        """Fire the rules of the unit kinds ``kinds`` on ``scan.text[start:end]``."""
        hits = scan.hits_in(start, end)
        triggered = scan.triggers_in(start, end)
        present = {h[2] for h in hits}
        candidates = set(self._always_rules[kinds])
        if present:
            kw_rules = self._kw_rules[kinds]
            candidates.update(*[kw_rules[kw] for kw in present])
        if triggered:
            trigger_rules = self._trigger_rules[kinds]
            candidates.update(*[trigger_rules[kw] for kw in triggered])
        found: Found = {}
        unit_text: str | None = None
        for r in candidates:
            rule = self.rules[r]
            for part in rule.parts:
                if part.isdisjoint(present):
                    break
            else:
                if not rule.exclude.isdisjoint(present):
                    continue
                evidence: list[tuple[int, int, str]] = []
                if rule.regex:
                    if unit_text is None:
                        unit_text = scan.text[start:end]
                    for rid in rule.regex:
                        trigger = self._regex_trigger[rid]
                        if trigger is None or not trigger.isdisjoint(triggered):
                            evidence += [(m.start() + start, m.end() + start, rule.name)
                                         for m in self._regexes[rid].finditer(unit_text) if m.end() > m.start()]
                    if not evidence:
                        continue
                if rule.exclude_regex:
                    if unit_text is None:
                        unit_text = scan.text[start:end]
                    if any(p.search(unit_text) for p in rule.exclude_regex):
                        continue
                self._fire(rule, hits, scan, evidence, found)
        return found

    def _fire(self, rule: _Rule, hits: list[tuple[int, int, int]], scan: _Scan,
              evidence: list[tuple[int, int, str]], found: Found) -> None:
        """Add the term evidence of a rule whose parts are present, unless ``within`` fails."""
        groups = [[(s, e) for s, e, kw in hits if kw in part] for part in rule.parts]
        if rule.within is not None and groups:
            window = _window(groups, scan.words_between, rule.within)
            if window is None:
                return
            evidence += [(s, e, rule.name) for s, e in window]
        else:
            evidence += [(s, e, rule.name) for group in groups for s, e in group]
        weights, spans = found.setdefault(rule.code, ([], []))
        weights.append(rule.weight)
        spans.extend(evidence)

    def score(self, weights: list[float]) -> float:
        if self.score_mode == "max":
            return max(weights)
        rest = 1.0
        for w in weights:
            rest *= 1.0 - w
        return 1.0 - rest


def _rebuild(codebook: Codebook, version: str, score: str, engine: str | None) -> CompiledCodebook:
    return CompiledCodebook(codebook, version=version, score=score, engine=engine)


class _Scan:
    """One text segmented once, with its keyword hits sorted by start."""

    __slots__ = ("text", "tokens", "hits", "_starts", "_ends", "triggers", "_trigger_starts")

    def __init__(self, cc: CompiledCodebook, text: str) -> None:
        self.text = text
        self.tokens = cc.segmenter.cut(text) if text else []
        self._ends = list(itertools.accumulate(map(len, self.tokens)))
        bounds = set(self._ends)
        bounds.add(0)
        hits: list[tuple[int, int, int]] = []
        triggers: list[tuple[int, int, int]] = []
        if cc._automaton is not None and text:
            term_len, trigger_len = cc._term_len, cc._trigger_len
            for last, kw in cc._automaton.iter(text):
                end = last + 1
                n = term_len[kw]
                if n and end in bounds and end - n in bounds:
                    hits.append((end - n, end, kw))
                if kw in trigger_len:
                    triggers.append((end - trigger_len[kw], end, kw))
        hits.sort()
        triggers.sort()
        self.hits = hits
        self._starts = [h[0] for h in hits]
        self.triggers = triggers
        self._trigger_starts = [t[0] for t in triggers]

    def hits_in(self, start: int, end: int) -> list[tuple[int, int, int]]:
        lo, hi = bisect.bisect_left(self._starts, start), bisect.bisect_left(self._starts, end)
        return [h for h in (self.hits[lo:hi] if lo or hi < len(self.hits) else self.hits) if h[1] <= end]

    def triggers_in(self, start: int, end: int) -> set[int]:
        lo, hi = bisect.bisect_left(self._trigger_starts, start), bisect.bisect_left(self._trigger_starts, end)
        return {t[2] for t in self.triggers[lo:hi] if t[1] <= end}

    def words_between(self, start: int, end: int) -> int:
        """Word tokens (with a letter, digit or CJK character) that start in ``[start, end)``."""
        first = bisect.bisect_right(self._ends, start)  # the token that starts at or contains `start`
        last = bisect.bisect_left(self._ends, end)  # the token that contains `end - 1`
        word = _WORD_CHAR.search
        return sum(1 for tok in self.tokens[first:last + 1] if tok.isalnum() or word(tok))


def _window(groups: list[list[tuple[int, int]]], words: Callable[[int, int], int],
            n: int) -> list[tuple[int, int]] | None:
    """One match per group inside the smallest window (in words), if that window has at most n words."""
    best: tuple[int, list[tuple[int, int]]] | None = None
    for left in sorted({s for group in groups for s, _ in group}):
        chosen = []
        for group in groups:
            after = [h for h in group if h[0] >= left]
            if not after:
                return sorted(set(best[1])) if best else None  # later lefts lack this group too
            chosen.append(min(after, key=lambda h: h[1]))
        size = words(left, max(e for _, e in chosen))
        if size <= n and (best is None or size < best[0]):
            best = (size, chosen)
    return sorted(set(best[1])) if best else None


# -- public API -----------------------------------------------------------------------------------


def compile_codebook(codebook: Codebook | str | Path, *, version: str | None = None, score: str = "max",
                     engine: str | None = None) -> CompiledCodebook:
    """Compile once. ``codebook``: a Codebook or the path of a codebook YAML (errors name file, line, field).

    ``version`` defaults to ``rules:<codebook version>:<first 8 hex digits of its fingerprint>`` (plus
    ``:noisy_or`` with that score mode).
    """
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    return CompiledCodebook(codebook, version=version, score=score, engine=engine)


# Applying compiled rules to texts lives in coding.suggest; re-exported here for callers of coding.rules.
from coding.suggest import suggest_codes, suggest_for_unit, suggest_for_units  # noqa: E402,F401

__all__ = ["SCORE_MODES", "CompiledCodebook", "Evidence", "Suggestion", "compile_codebook", "required_literals",
           "suggest_codes", "suggest_for_unit", "suggest_for_units"]
