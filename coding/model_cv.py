"""Cross-validation and threshold tuning for :mod:`coding.model`.

Scores are pooled over folds (TP, FP and FN summed per code); folds are
stratified by each unit's rarest code, or kept whole per group (e.g. document).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from coding.errors import BaolianError
from coding.model import (_THRESHOLD_GRID, DEFAULT_THRESHOLD, DEFAULT_TUNE_FOLDS, MIN_TUNE_EXAMPLES, CodeScores,
                          Example, _check_inputs, train)

def cross_validate(
    examples: Sequence[Example],
    labels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    groups: Sequence[str] | None = None,
    tune_thresholds: bool = False,
    **train_kw: Any,
) -> dict[str, CodeScores]:
    """Per-code precision, recall, F1 and support over ``folds`` folds, plus "macro".

    Folds are stratified by each example's rarest code, or keep every group
    together when ``groups`` (e.g. a document id per example) is given. TP, FP
    and FN are summed over the folds before P/R/F1 are computed; a code never
    predicted has precision 0. Every example counts as gold with its ``codes``
    (implicit negatives), whatever ``implicit_negatives`` training used.
    Codes without any positive example are left out; "macro" is the mean over
    the codes reported, its support the sum. Thresholds: each fold model's own, or with
    ``tune_thresholds`` (or ``tune_folds`` >= 2; :func:`coding.model.train` tunes by default from 100 units on) tuned
    per code on the out-of-fold scores of the *other* folds only (cross-fitted: the fold scored never
    chose its thresholds, and no fold trains extra models).
    """
    examples, labels = _check_inputs(examples, labels)
    if tune_thresholds:
        train_kw["tune_folds"] = 3
    probs = _oof_probabilities(examples, labels, folds, seed, groups, train_kw)
    return score_probabilities(examples, labels, probs)


def score_probabilities(examples: Sequence[Example], labels: Sequence[str], probs) -> dict[str, CodeScores]:
    """Per-code and macro scores of out-of-fold ``(probabilities, thresholds)`` (see :func:`out_of_fold`)."""
    scored = [lb for lb in labels if any(lb in eg.codes for eg in examples)]
    out: dict[str, CodeScores] = {}
    for lb in scored:
        gold = [lb in eg.codes for eg in examples]
        pred = [p.get(lb, 0.0) >= th.get(lb, DEFAULT_THRESHOLD) for p, th in probs]
        out[lb] = _prf(gold, pred)
    if out:
        n = len(out)
        out["macro"] = CodeScores(
            precision=sum(s.precision for s in out.values()) / n,
            recall=sum(s.recall for s in out.values()) / n,
            f1=sum(s.f1 for s in out.values()) / n,
            support=sum(s.support for s in out.values()))
    return out


def out_of_fold(examples: Sequence[Example], labels: Sequence[str], *, folds: int = 5, seed: int = 0,
                **train_kw: Any) -> list:
    """Out-of-fold ``(probabilities, thresholds)`` per example: each predicted by a model that never saw it."""
    examples, labels = _check_inputs(examples, labels)
    return _oof_probabilities(examples, labels, folds, seed, None, train_kw)


def tune_thresholds(examples: Sequence[Example], labels: Sequence[str], probs) -> dict[str, float]:
    """Per-code thresholds that maximise F1 on out-of-fold probabilities."""
    return _tune(list(examples), list(labels), probs)


def _oof_probabilities(examples, labels, folds, seed, groups, train_kw):
    """Out-of-fold (probabilities, thresholds) per example, in input order."""
    if not isinstance(folds, int) or folds < 2:
        raise BaolianError(f"folds must be an integer >= 2, got {folds!r}", field="folds",
                           hint="e.g. 5")
    assignment = _fold_of(examples, folds, seed, groups)
    tune = train_kw.get("tune_folds")
    if tune is None:
        tune = DEFAULT_TUNE_FOLDS if len(examples) >= MIN_TUNE_EXAMPLES else 0
    train_kw = dict(train_kw, tune_folds=0)  # fold models are not tuned inside; cross-fitted below
    out: list[Any] = [None] * len(examples)
    for k in range(folds):
        train_idx = [i for i, f in enumerate(assignment) if f != k]
        test_idx = [i for i, f in enumerate(assignment) if f == k]
        if not test_idx:
            continue
        train_set = [examples[i] for i in train_idx]
        if not any(eg.codes & set(labels) for eg in train_set):
            model = None
        else:
            model = train(train_set, labels, seed=seed, **train_kw)
        probs = model.predict([examples[i].text for i in test_idx]) if model else [{}] * len(test_idx)
        th = model.thresholds if model else {}
        for i, p in zip(test_idx, probs):
            out[i] = (p, th)
    if tune:
        for k in range(folds):
            rest = [i for i, f in enumerate(assignment) if f != k and out[i][0]]
            tuned = _tune([examples[i] for i in rest], labels, [out[i] for i in rest])
            for i in (i for i, f in enumerate(assignment) if f == k):
                out[i] = (out[i][0], {**out[i][1], **{c: t for c, t in tuned.items() if c in out[i][0]}})
    return out


def _fold_of(examples, folds, seed, groups) -> list[int]:
    n = len(examples)
    if groups is not None:
        groups = list(groups)
        if len(groups) != n:
            raise BaolianError(f"{len(groups)} groups for {n} examples", field="groups",
                               hint="give one group (e.g. document id) per example")
        names = sorted(set(map(str, groups)))
        if len(names) < folds:
            raise BaolianError(f"only {len(names)} groups for {folds} folds", field="folds",
                               hint="use fewer folds or no groups")
        random.Random(seed).shuffle(names)
        fold = {g: i % folds for i, g in enumerate(names)}
        return [fold[str(g)] for g in groups]
    if n < folds:
        raise BaolianError(f"only {n} examples for {folds} folds", field="folds",
                           hint="use fewer folds or more examples")
    freq = Counter(c for eg in examples for c in eg.codes)
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    # Rarest code first, no code last: round-robin then spreads every code.
    idx.sort(key=lambda i: min((freq[c] for c in examples[i].codes), default=n + 1))
    out = [0] * n
    for pos, i in enumerate(idx):
        out[i] = pos % folds
    return out


def _tune(examples, labels, probs) -> dict[str, float]:
    """Per code, the grid threshold with the best out-of-fold F1 (ties: nearest 0.5)."""
    out = {}
    for lb in labels:
        gold = [lb in eg.codes for eg in examples]
        if not any(gold):
            continue
        best = max(_THRESHOLD_GRID, key=lambda t: (
            _prf(gold, [p.get(lb, 0.0) >= t for p, _ in probs]).f1, -abs(t - DEFAULT_THRESHOLD)))
        out[lb] = best
    return out


def _prf(gold: Sequence[bool], pred: Sequence[bool]) -> CodeScores:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return CodeScores(precision, recall, f1, tp + fn)
