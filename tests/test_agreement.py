"""Reliability arithmetic (coding.agreement) against scikit-learn, krippendorff and statsmodels, plus edge cases."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from coding.agreement import (
    NEEDS_TWO,
    NO_COMPLETE,
    NO_PAIRS,
    NO_UNITS,
    NOT_TWO,
    cohen_kappa,
    coincidences,
    fleiss_kappa,
    krippendorff_alpha,
    mean_stat,
    percent_agreement,
    reliability,
    Stat,
)

TOL = 1e-9


def random_data(rng, n_coders: int, n_units: int, n_categories: int, missing: float) -> np.ndarray:
    data = rng.integers(0, n_categories, size=(n_coders, n_units)).astype(float)
    # make coders agree more than chance, so values spread over the whole range
    truth = rng.integers(0, n_categories, size=n_units)
    copy = rng.random((n_coders, n_units)) < rng.random()
    data[copy] = np.broadcast_to(truth, data.shape)[copy]
    data[rng.random(data.shape) < missing] = np.nan
    return data


try:  # test-only dependency; without it the hand-computed Fleiss (1971) example still checks Fleiss' κ
    from statsmodels.stats import inter_rater
except ImportError:  # pragma: no cover
    inter_rater = None


def fleiss_reference(data: np.ndarray) -> float | None:
    if inter_rater is None:
        return None
    complete = data[:, ~np.isnan(data).any(axis=0)]
    table, _ = inter_rater.aggregate_raters(complete.T.astype(int))
    return float(inter_rater.fleiss_kappa(table, method="fleiss"))


CASES = [(seed, coders, units) for seed in range(12) for coders, units in ((2, 8), (2, 60), (3, 25), (4, 200))]


@pytest.mark.parametrize("seed,n_coders,n_units", CASES)
def test_matches_reference_libraries(seed, n_coders, n_units):
    rng = np.random.default_rng(seed)
    checked = 0
    for n_categories in (2, 3, 5):
        for missing in (0.0, 0.15):
            data = random_data(rng, n_coders, n_units, n_categories, missing)
            if n_coders == 2:
                both = ~np.isnan(data).any(axis=0)
                a, b = data[0, both], data[1, both]
                if np.unique(np.concatenate([a, b])).size >= 2:
                    ours = cohen_kappa(data).value
                    assert ours == pytest.approx(cohen_kappa_score(a, b), abs=TOL)
                    checked += 1
            values = np.unique(data[~np.isnan(data)])
            pairable = (~np.isnan(data)).sum(axis=0) >= 2
            if values.size >= 2 and np.unique(data[:, pairable][~np.isnan(data[:, pairable])]).size >= 2:
                expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
                assert krippendorff_alpha(data).value == pytest.approx(expected, abs=TOL)
                checked += 1
            complete = data[:, ~np.isnan(data).any(axis=0)]
            if complete.size and np.unique(complete).size >= 2 and inter_rater is not None:
                assert fleiss_kappa(data).value == pytest.approx(fleiss_reference(data), abs=TOL)
                checked += 1
    assert checked >= 6


def test_binary_presence_data_like_the_project_makes():
    """0/1 per unit with whole rows missing where a coder did not work on a document."""
    rng = np.random.default_rng(2026)
    for _ in range(30):
        n = int(rng.integers(5, 300))
        data = (rng.random((3, n)) < rng.uniform(0.05, 0.6)).astype(float)
        data[1:, :] = np.where(rng.random((2, n)) < 0.8, data[0], data[1:])
        data[2, : n // 3] = np.nan  # the third coder skipped a document
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert krippendorff_alpha(data).value == pytest.approx(expected, abs=TOL)
        pair = data[:2]
        assert cohen_kappa(pair).value == pytest.approx(cohen_kappa_score(pair[0], pair[1]), abs=TOL)
        if inter_rater is not None:
            assert fleiss_kappa(data).value == pytest.approx(fleiss_reference(data), abs=TOL)


def test_weights_equal_repeated_units():
    """A column of weight w is the same as w identical columns (how the char level stays fast)."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        data = random_data(rng, int(rng.integers(2, 5)), 30, 2, 0.1)
        w = rng.integers(0, 6, size=30)
        expanded = np.repeat(data, w, axis=1)
        a, b = reliability(data, w), reliability(expanded)
        for name in ("percent", "kappa", "alpha", "fleiss"):
            got, want = getattr(a, name).value, getattr(b, name).value
            assert (got is None) == (want is None), name
            if got is not None:
                assert got == pytest.approx(want, abs=TOL), name
        assert a.n_units == w.sum() and a.n_units == b.n_units
        sample = ~np.isnan(data[:2]).any(axis=0)
        if a.n_coders == 2 and a.kappa.value is not None:
            sk = cohen_kappa_score(data[0, sample], data[1, sample], sample_weight=w[sample])
            assert a.kappa.value == pytest.approx(sk, abs=TOL)


def test_textbook_examples():
    a = [1, 1, 0, 0, 1, 0, 1, 1, 0, 0]
    b = [1, 0, 0, 0, 1, 0, 1, 1, 1, 0]
    assert cohen_kappa([a, b]).value == pytest.approx(0.6)
    assert krippendorff_alpha([a, b]).value == pytest.approx(0.62)
    assert percent_agreement([a, b]).value == pytest.approx(0.8)
    # Krippendorff (2011, "Computing Krippendorff's alpha-reliability"), nominal example with missing data: α = 0.743
    nan = np.nan
    k = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    assert krippendorff_alpha(k).value == pytest.approx(0.743, abs=5e-4)


def test_fleiss_1971_style_table():
    """Fleiss' κ on the classic 10 subjects × 14 raters × 5 categories table: κ ≈ 0.210."""
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    # expand the counts into a raters × subjects matrix
    data = np.array([[k for k, n in enumerate(row) for _ in range(n)] for row in table], dtype=float).T
    assert data.shape == (14, 10)
    # P̄ = 0.378, P̄_e = 0.2128 → κ = (0.378 − 0.2128)/(1 − 0.2128)
    p_j = np.array(table).sum(axis=0) / 140
    p_bar = np.mean([(np.square(r).sum() - 14) / (14 * 13) for r in np.array(table)])
    hand = (p_bar - np.square(p_j).sum()) / (1 - np.square(p_j).sum())
    assert fleiss_kappa(data).value == pytest.approx(hand, abs=TOL)
    assert fleiss_kappa(data).value == pytest.approx(0.2099, abs=1e-4)


def qualcoder_style_kappa(a, b) -> float:
    """The formula QualCoder used: the chance terms of 'yes' and 'no' multiplied instead of added."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    p_o = np.mean(a == b)
    p_yes = a.mean() * b.mean()
    p_no = (1 - a.mean()) * (1 - b.mean())
    p_e = p_yes * p_no  # wrong: must be p_yes + p_no
    return (p_o - p_e) / (1 - p_e)


def test_regression_chance_agreement_is_a_sum_not_a_product():
    a = [1, 1, 0, 0, 1, 0, 1, 1, 0, 0]
    b = [1, 0, 0, 0, 1, 0, 1, 1, 1, 0]
    ours = cohen_kappa([a, b]).value
    assert ours == pytest.approx(0.6)
    assert qualcoder_style_kappa(a, b) == pytest.approx(1 - 0.2 / (1 - 0.0625))  # 0.7867
    assert abs(qualcoder_style_kappa(a, b) - ours) > 0.15
    # p_e = 0.5·0.5 + 0.5·0.5 = 0.5 (sum), not 0.0625 (product)
    assert ours == pytest.approx((0.8 - 0.5) / (1 - 0.5))


def test_code_nobody_used():
    data = np.zeros((2, 40))
    r = reliability(data)
    assert r.percent.value == 1.0
    for stat in (r.kappa, r.alpha, r.fleiss):
        assert stat.value is None and "no variation" in stat.reason
    assert "κ is undefined" in r.kappa.reason
    assert r.reasons() == [r.kappa.reason, r.alpha.reason, r.fleiss.reason]


def test_total_agreement_with_variation():
    data = np.array([[1, 0, 1, 1, 0, np.nan], [1, 0, 1, 1, 0, 1], [1, 0, 1, 1, 0, 1]], dtype=float)
    r = reliability(data)
    assert r.percent.value == 1.0 and r.alpha.value == 1.0 and r.fleiss.value == 1.0
    assert r.kappa.value is None and r.kappa.reason == NOT_TWO
    assert cohen_kappa(data[1:]).value == 1.0
    assert r.n_units == 6 and r.n_pairable == 6 and r.n_complete == 5


def test_one_coder_and_no_units():
    one = reliability([[1, 0, 1]])
    assert one.n_coders == 1
    for stat in (one.percent, one.kappa, one.alpha, one.fleiss):
        assert stat.value is None and stat.reason == NEEDS_TWO
    empty = reliability(np.zeros((2, 0)))
    assert empty.n_units == 0
    for stat in (empty.percent, empty.kappa, empty.alpha, empty.fleiss):
        assert stat.value is None and stat.reason == NO_UNITS
    zero_weight = reliability([[1, 0], [1, 1]], weights=[0, 0])
    assert zero_weight.alpha.reason == NO_UNITS


def test_no_pairable_and_no_complete_units():
    nan = np.nan
    data = [[1, nan, 0], [nan, 0, nan]]  # nobody coded a unit together
    r = reliability(data)
    assert r.percent.reason == r.kappa.reason == r.alpha.reason == NO_PAIRS
    assert r.fleiss.reason == NO_COMPLETE
    assert r.n_pairable == 0
    # unpairable units are dropped from α: adding them changes nothing
    base = [[1, 0, 1, 0], [1, 1, 1, 0]]
    extra = [[1, 0, 1, 0, 1, nan], [1, 1, 1, 0, nan, 0]]
    assert krippendorff_alpha(base).value == pytest.approx(krippendorff_alpha(extra).value, abs=TOL)
    cats, o = coincidences(extra)
    assert list(cats) == [0, 1] and o.sum() == 8


def test_opposite_coders_and_bad_input():
    assert cohen_kappa([[1, 1, 1], [0, 0, 0]]).value == 0.0  # one category each, different: κ = 0
    assert percent_agreement([[1, 1, 1], [0, 0, 0]]).value == 0.0
    with pytest.raises(ValueError):
        reliability([[1, 0], [1, 0]], weights=[1])
    with pytest.raises(ValueError):
        reliability([[1, 0], [1, 0]], weights=[1, -1])


def test_percent_agreement_is_pairwise():
    # unit 1: three agree (3 of 3 pairs); unit 2: 2 vs 1 (1 of 3 pairs); unit 3: two coders agree (1 of 1)
    data = [[1, 1, np.nan], [1, 1, 0], [1, 0, 0]]
    assert percent_agreement(data).value == pytest.approx((3 + 1 + 1) / (3 + 3 + 1))


def test_mean_stat():
    assert mean_stat([Stat(0.5), Stat(None, "x"), Stat(1.0)]).value == 0.75
    assert mean_stat([Stat(None, "x")]) == Stat(None, "x")
