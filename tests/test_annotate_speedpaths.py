"""The speed paths of rules-only annotation give the results of the plain ways they replace."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from coding.corpus import collect
from coding.rule_literals import rarest_first, required_literal_sets
from coding.rules import compile_codebook
from coding.segment import _SENTENCE_END, _abbreviation_before, _split_line, sentence_spans
from coding.suggest import unit_codes
from coding.words import WordSegmenter

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "codebook.yaml"


def test_rarest_first_orders_literal_sets_by_dictionary_frequency() -> None:
    freq = {"他": 100_000, "我": 300_000, "扛": 800, "兜着": 50, "解释": 5_000}.__getitem__
    common, rare = frozenset({"他", "我"}), frozenset({"扛", "兜着", "解释"})
    assert rarest_first([common, rare], freq) == [rare, common]
    # punctuation (or spaces) only: last, however rare the dictionary says it is
    comma = frozenset({"，", "；"})
    assert rarest_first([comma, common], lambda s: 1) == [common, comma]
    # a literal without a CJK character counts as frequent (speaker codes, initials)
    latin = frozenset({"A", "B"})
    assert rarest_first([latin, common], freq) == [common, latin]
    # ties keep their order
    a, b = frozenset({"甲"}), frozenset({"乙"})
    assert rarest_first([a, b], lambda s: 7) == [a, b] and rarest_first([b, a], lambda s: 7) == [b, a]


@pytest.mark.parametrize("engine", ["rjieba", "jieba"])
def test_word_frequency_is_the_default_dictionary_s(engine: str) -> None:
    if engine == "rjieba":
        pytest.importorskip("rjieba")
    seg = WordSegmenter(["兜着"], engine)
    assert seg.frequency("我") > seg.frequency("扛") > 1
    assert seg.frequency("兜着") < 100_000  # the user word counts with its dictionary frequency


def test_trigger_choice_never_changes_what_fires(monkeypatch: pytest.MonkeyPatch) -> None:
    # any required literal set may be the trigger: with every set of the real codebook equally frequent
    # (their order as found) the results are those of the dictionary's choice
    docs, _ = collect([ROOT / "corpus"])
    texts = [p for d in docs for p in d.text.split("\n") if p.strip()][:1500]
    chosen = compile_codebook(REAL)
    monkeypatch.setattr(WordSegmenter, "frequency", lambda self, word: 1)
    as_found = compile_codebook(REAL)
    changed = sum(a != b for a, b in zip(chosen._regex_trigger, as_found._regex_trigger, strict=True))
    assert changed > 10  # the choice matters for many regexes
    found = unit_codes(texts, chosen)
    assert found == unit_codes(texts, as_found)
    assert sum(map(bool, found)) > 200


def test_every_trigger_is_a_required_literal_set() -> None:
    cc = compile_codebook(REAL)
    literal = {kw: lit for lit, kw in cc._kw.items()}
    for pattern, trigger in zip(cc._regexes, cc._regex_trigger, strict=True):
        sets = required_literal_sets(pattern)
        assert (trigger is None) == (not sets)
        if trigger is not None:
            assert frozenset(literal[k] for k in trigger) in sets


def _split_line_by_finditer(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    for m in _SENTENCE_END.finditer(text, s, e):  # the plain way: the regex tried at every position
        dot = m.start(1)
        if m.end(1) - dot == 1 and text[dot] == "." and _abbreviation_before(text, s, dot):
            continue
        out.append((s, m.end(1)))
        s = m.end()
    if s < e:
        out.append((s, e))


def test_sentence_ends_found_from_end_marks_equal_finditer() -> None:
    rng = random.Random(7)
    pieces = [*"。！？!?…⋯｡．.”’」』）)］]】》〉〕〗｝}›»\"' \t0９a中文", "Mr.", "e.g. ", "3.5", "...", "U.S.", "．5", "．５"]
    docs, _ = collect([ROOT / "corpus"])
    texts = [d.text for d in docs] + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
                                      for _ in range(20_000)]
    for text in texts:
        for s, e in [(0, len(text)), (len(text) // 3, len(text))]:
            fast: list[tuple[int, int]] = []
            plain: list[tuple[int, int]] = []
            _split_line(text, s, e, fast)
            _split_line_by_finditer(text, s, e, plain)
            assert fast == plain, text
    assert len(sentence_spans(docs[0].text)) > 5
