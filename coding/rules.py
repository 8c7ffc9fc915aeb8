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
  ``exclude_regex`` in the unit, vetoes the rule for that unit; so do the terms and regexes of the
  codebook's named vetoes the rule uses (``rule_defaults.veto`` minus its ``skip_veto``, plus its ``veto``;
  :mod:`coding.rule_vetoes`), each named veto decided at most once per unit.
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

Speed. Terms are found from the segmentation itself: a token that is a term is a hit (one dict
lookup per token), and a term of several tokens starts with a token pair that is a prefix of a term
(a set lookup per pair of tokens whose first is such a prefix). Regexes are compiled once and run only
on units that contain one literal of *each* set of required literals derived from the regex's syntax
tree (:mod:`coding.rule_literals`): the *trigger* (the set expected rarest by the segmenter's
dictionary, :func:`~coding.rule_literals.rarest_first`; any set would do, as each is required) and
every other set of strings of two characters or more are found by one Aho-Corasick automaton over the
raw text (its UTF-8 bytes), so the plan (below) already knows whether they are in the unit; sets with a
single character (too frequent for the automaton) are checked on the unit by one regex search each.
Exclusion regexes are tried only when their literal sets are present (the same way), and each at most
once per unit; the plan gives a rule one veto set (:mod:`coding.rule_vetoes`), decided once per unit for all rules sharing it. A rule
with terms becomes a candidate only when a term of its smallest part is present, a regex-only rule when
a trigger is; which candidates pass their term tests (and which of their regexes a trigger calls for)
depends only on the sets of keywords and triggers in the unit, so that *plan* is cached per such pair
of sets. Segmentation and the automaton run once per document (:func:`suggest_codes`) or per batch of
units (:func:`suggest_for_units`, texts joined by line breaks, which always end a token); a unit's hits
and triggers are slices of the batch's (:meth:`_Scan.keywords_in`), and a text without any is skipped
without being split into sentences (the bisections for all texts of a batch at once).

Measured (session 4, frozen codebook of 159 rules, rules only, rjieba, one process, 250 k characters of
the benchmark's demo units, callgrind): 6,870 instructions per character once the plans are cached
(8,050 before the veto sets, the keyword slices, the numpy trigger offsets and the block parser of
:mod:`coding.annotate`), 8,520 on a first run that builds them (9,970 before); raw ``jieba.lcut``
takes 22,300, so rules run at about 3.2x its speed (2.6x on a first run). Wall clock on the shared
2-core machine varies by +-30 % from run to run (``benchmarks/annotate.py``, 2 M characters): one
process 0.53-0.87 M characters per CPU-second, two processes 0.96-1.35 M characters per second.
Session 6 (codebook of 262 rules and 68 named vetoes, 300 k characters, callgrind): 7,996 instructions
per character with cached plans and 10,741 on a first run; 6,842 and 8,651 once the trigger is the
rarest set (half as many planned rules per unit: 65 k instead of 133 k per 890 k characters), the
sentence ends are found from their marks and the output lines reuse their record heads.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick

from coding.codebook import Codebook, compiled_regex, load_codebook
from coding.errors import BaolianError
from coding.rule_literals import rarest_first, required_literal_sets, required_literals, split_literal_sets
from coding.rule_scan import _Scan, _window
from coding.rule_vetoes import VetoTable
from coding.script import fold_codebook
from coding.words import WordSegmenter

SCORE_MODES = ("max", "noisy_or")
_MAX_PLANS = 20_000
_UNKNOWN = object()
_KEYWORD = operator.itemgetter(2)  # of a hit (start, end, keyword id)
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
    exclude: frozenset[int]  # its own exclusion terms and those of its named vetoes
    exclude_regex: tuple[int, ...]  # ids of its own exclusion regexes (CompiledCodebook._vetoes.regexes)
    named: tuple[int, ...]  # ids of its named vetoes with exclusion regexes (CompiledCodebook._vetoes.named)


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
        codebook = self._matched = fold_codebook(codebook)  # matched on folded text: its terms folded too
        self.segmenter = WordSegmenter(codebook.terms(), engine)
        self._kw: dict[str, int] = {}  # literal -> keyword id
        self._kw_term: list[bool] = []  # used as a term (boundary-checked), not only as a regex trigger
        self._regexes: list[re.Pattern[str]] = []
        self._regex_trigger: list[frozenset[int] | None] = []  # keyword ids; None: run on every unit
        # further required literal sets of a regex (one string of each must be in the unit for a match),
        # as tests (see literal_tests)
        self._regex_also: list[tuple[Callable[[str], Any], ...]] = []
        # the other required literal sets whose literals all have 2 characters or more: their literals are
        # in the automaton too (as keyword ids), so the plan checks them; one id of each must be found
        self._regex_need: list[tuple[frozenset[int], ...]] = []
        # Exclusion regexes, each once (rules and named vetoes share them), and the named vetoes
        self._vetoes = VetoTable(self._keyword)
        self.rules: list[_Rule] = []
        for code in codebook.codes:
            if not code.codable or code.retired:
                continue
            for rule in code.rules:
                parts = ([rule.any] if rule.any else []) + list(rule.all)
                ids = []
                for pattern in rule.regex:
                    ids.append(len(self._regexes))
                    self._regexes.append(compiled_regex(pattern))  # compiled by validation
                    sets = rarest_first(required_literal_sets(self._regexes[-1]), self.segmenter.frequency)
                    trigger = frozenset(self._keyword(t, term=False) for t in sets[0]) if sets else None
                    self._regex_trigger.append(trigger)
                    need, tests = split_literal_sets(sets[1:], self._keyword)
                    self._regex_need.append(need)
                    self._regex_also.append(tests)
                vetoes = [(name, codebook.vetoes[name]) for name in codebook.rule_vetoes(rule, code)]
                self.rules.append(_Rule(
                    code=code.id, name=rule.name, unit=rule.unit, weight=rule.weight,
                    parts=tuple(self._term_ids(p) for p in parts), within=rule.within, regex=tuple(ids),
                    exclude=self._term_ids([*rule.exclude, *(t for _, veto in vetoes for t in veto.exclude)]),
                    exclude_regex=tuple(self._vetoes.regex(p) for p in rule.exclude_regex),
                    named=tuple(self._vetoes.named_veto(name, veto.exclude_regex)
                                for name, veto in vetoes if veto.exclude_regex)))
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
        # For the scan. Terms: looked up token by token (one token), and from the token pairs that start
        # a term (several tokens). Regex trigger literals: one Aho-Corasick automaton over the raw text,
        # run on its UTF-8 bytes (see _Scan): each node then has few children, so it runs faster.
        self._term_kw = {lit: kw for lit, kw in self._kw.items() if self._kw_term[kw]}
        prefixes = {t[:i] for t in self._term_kw for i in range(1, len(t))}
        self._term_prefixes = frozenset(prefixes)
        follow: dict[str, set[str]] = {}  # proper prefix of a term -> the strings that may come next in it
        for term in self._term_kw:
            for i in range(1, len(term)):
                follow.setdefault(term[:i], set()).update(term[i:j] for j in range(i + 1, len(term) + 1))
        self._term_follow = {first: frozenset(rest) for first, rest in follow.items()}
        trigger_kws = frozenset().union(*(t for t in self._regex_trigger if t is not None),
                                        *(k for need in self._regex_need for k in need), *self._vetoes.all_need())
        self._trigger_len = [len(lit) for lit in self._kw]
        self._automaton: Any = None
        self._longest_trigger = max((len(lit) for lit, kw in self._kw.items() if kw in trigger_kws), default=1)
        self._longest_term = max(map(len, self._term_kw), default=1)
        self._triggers_spaceless = not any(c.isspace() for lit, kw in self._kw.items() if kw in trigger_kws for c in lit)
        self._terms_spaceless = not any(c.isspace() for term in self._term_kw for c in term)
        if trigger_kws:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for literal, kw in self._kw.items():
                if kw in trigger_kws:
                    automaton.add_word(literal.encode().decode("latin-1"), kw)
            automaton.make_automaton()
            self._automaton = automaton
        self.has_paragraph_rules = any(r.unit == "paragraph" for r in self.rules)
        self.has_sentence_rules = any(r.unit == "sentence" for r in self.rules)
        self.has_unconditional_rules = any(self._always_rules.values())  # regex-only rules run on every unit
        # (unit kinds, keywords present, triggers present) -> _plan(); a cache, emptied when full
        self._plans: dict[tuple[tuple[str, ...], frozenset[int], frozenset[int]], Any] = {}

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
            literals = self._matched.concept_terms(term) if term.startswith("@") else [term]
            out.update(self._keyword(t, term=True) for t in literals)
        return frozenset(out)

    # -- matching -----------------------------------------------------------------------------

    def scan(self, text: str) -> _Scan:
        """Segment ``text`` once and find every keyword in it (boundary-checked for terms)."""
        return _Scan(self, text)

    def apply(self, scan: _Scan, kinds: tuple[str, ...], start: int, end: int) -> Found:
        """Fire the rules of the unit kinds ``kinds`` on ``scan.text[start:end]``."""
        hits, triggered = scan.keywords_in(start, end)
        always = self._always_rules[kinds]
        if not hits and not triggered and not always:
            return {}
        present = frozenset(map(_KEYWORD, hits))
        key = (kinds, present, triggered)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(kinds, present, triggered)
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            self._plans[key] = plan
        found: Found = {}
        unit_text: str | None = None
        excluded: dict[int, bool] | None = None  # veto cache of the unit (see VetoTable.vetoed)
        regex_also, regexes, vetoed = self._regex_also, self._regexes, self._vetoes.vetoed
        for rids, vetoes, parts, within, name, code, weight in plan:
            if rids:
                if unit_text is None:
                    unit_text = scan.text[start:end]
                evidence: list[tuple[int, int, str]] = []
                for rid in rids:
                    for present_in in regex_also[rid]:  # one literal of every other required set must be present
                        if present_in(unit_text) is None:
                            break
                    else:
                        evidence += [(m.start() + start, m.end() + start, name)
                                     for m in regexes[rid].finditer(unit_text) if m.end() > m.start()]
                if not evidence:
                    continue
            else:
                evidence = []
            if vetoes is not None:
                if unit_text is None:
                    unit_text = scan.text[start:end]
                if excluded is None:
                    excluded = {}
                if vetoed(vetoes, unit_text, excluded):
                    continue
            if parts:  # the term evidence, unless `within` fails
                if len(parts) == 1 and within is None:
                    part = parts[0]
                    evidence += [(s, e, name) for s, e, kw in hits if kw in part]
                else:
                    groups = [[(s, e) for s, e, kw in hits if kw in part] for part in parts]
                    if within is not None:
                        window = _window(groups, scan.words_between, within)
                        if window is None:
                            continue
                        evidence += [(s, e, name) for s, e in window]
                    else:
                        evidence += [(s, e, name) for group in groups for s, e in group]
            entry = found.get(code)
            if entry is None:
                found[code] = ([weight], evidence)
            else:
                entry[0].append(weight)
                entry[1].extend(evidence)
        return found

    def _plan(self, kinds: tuple[str, ...], present: frozenset[int],
              triggered: frozenset[int]) -> tuple[tuple[Any, ...], ...]:
        """The rules whose terms are satisfied by the keywords ``present`` (and no exclusion term is), each
        with the ids of its regexes a trigger in ``triggered`` calls for, and whose other required literal
        sets of two characters or more are present too (a rule with regexes and none called for is left
        out): everything about a unit that depends only on which keywords it has. Each as the tuple apply()
        unpacks: (regex ids, the id of its veto set -- the exclusion regexes whose literal sets of two
        characters or more are all present, see VetoTable.plan_keys -- or None, parts, within, name, code,
        weight)."""
        kw_rules, trigger_rules = self._kw_rules[kinds], self._trigger_rules[kinds]
        candidates = set(self._always_rules[kinds])
        candidates.update(*[kw_rules[kw] for kw in present], *[trigger_rules[kw] for kw in triggered])
        plan = []
        veto_sets: dict[tuple[tuple[int, ...], tuple[int, ...]], Any] = {}  # (own, named) -> veto set id or None
        live: dict[tuple[int, ...], list[int]] = {}  # named veto ids -> their exclusion regexes that may match
        rules, regex_trigger, regex_need, plan_keys = (self.rules, self._regex_trigger, self._regex_need,
                                                       self._vetoes.plan_keys)
        for r in candidates:
            rule = rules[r]
            for part in rule.parts:
                if part.isdisjoint(present):
                    break
            else:
                if not rule.exclude.isdisjoint(present):
                    continue
                rids = tuple([rid for rid in rule.regex
                              if (regex_trigger[rid] is None or not regex_trigger[rid].isdisjoint(triggered))
                              and (not regex_need[rid] or not any(n.isdisjoint(triggered) for n in regex_need[rid]))])
                if rule.regex and not rids:
                    continue
                veto_key = (rule.exclude_regex, rule.named)  # rules often share all their vetoes
                vetoes = veto_sets.get(veto_key, _UNKNOWN)
                if vetoes is _UNKNOWN:
                    vetoes = veto_sets[veto_key] = plan_keys(rule.exclude_regex, rule.named, triggered, live)
                plan.append((rids, vetoes, rule.parts, rule.within, rule.name, rule.code, rule.weight))
        return tuple(plan)

    def score(self, weights: list[float]) -> float:
        if self.score_mode == "max":
            return max(weights)
        rest = 1.0
        for w in weights:
            rest *= 1.0 - w
        return 1.0 - rest


def _rebuild(codebook: Codebook, version: str, score: str, engine: str | None) -> CompiledCodebook:
    return CompiledCodebook(codebook, version=version, score=score, engine=engine)


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

__all__ = ["SCORE_MODES", "CompiledCodebook", "Evidence", "Suggestion", "compile_codebook", "required_literal_sets",
           "required_literals", "suggest_codes", "suggest_for_unit", "suggest_for_units"]
