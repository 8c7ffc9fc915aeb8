"""Intercoder reliability: percent agreement, Cohen's κ, Krippendorff's α (nominal) and Fleiss' κ.

Pure arithmetic on a *reliability matrix*: one row per coder, one column per unit, each cell a
category (any number; Baolian uses 1 = code present, 0 = absent) or NaN when that coder did not
code that unit (missing). An optional ``weights`` vector gives each column a multiplicity, so a run
of identical units (e.g. 1,000 code points with the same codings) is one column of weight 1,000;
every measure equals the one computed on the expanded data.

Definitions (``W`` = sum of the weights of the units counted):

- **Percent agreement** (pairwise): agreeing coder pairs / all coder pairs that both coded the unit,
  summed over units. For two coders: the share of commonly coded units on which they agree.
- **Cohen's κ** (exactly two coders, units both coded): ``κ = (p_o − p_e) / (1 − p_e)`` with
  ``p_e = Σ_k p_A(k)·p_B(k)``, the *sum* over categories of the two coders' marginal shares
  (QualCoder multiplies the per-category terms instead, which is wrong).
- **Krippendorff's α** (nominal; two or more coders; missing data allowed): coincidence matrix
  ``o_ck = Σ_u n_uc·(n_uk − [c = k]) / (m_u − 1)`` over units with ``m_u ≥ 2`` values (units with
  fewer are unpairable and dropped); ``α = 1 − (n − 1)·Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k``.
- **Fleiss' κ** (two or more raters): computed on the units rated by *all* coders (units with a
  missing rating are left out; see ``n_complete``); ``κ = (P̄ − P̄_e) / (1 − P̄_e)``.

Edge cases never divide by zero: a measure that is undefined is ``None`` with a reason text —
fewer than two coders, no units, no unit coded by two coders, or no variation at all (every value
the same category: agreement is 1.0 but chance-corrected measures are undefined). Total agreement
with variation gives κ = α = 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

NEEDS_TWO = "至少需要两位编码员 needs at least two coders"
NO_UNITS = "没有分析单位 no units"
NO_PAIRS = "没有两位编码员都编码过的单位 no unit was coded by two or more coders"
NOT_TWO = "Cohen's κ 只适用于两位编码员 is for exactly two coders (see α / Fleiss' κ)"
NO_COMPLETE = "没有全部编码员都编码过的单位 no unit was coded by all coders (Fleiss' κ)"


NO_VARIATION = "无变异 no variation"
STRUCTURAL = (NEEDS_TWO, NO_UNITS, NO_PAIRS, NOT_TWO, NO_COMPLETE)  # the same for every code of a data set


def no_variation(measure: str) -> str:
    return f"{NO_VARIATION}: every value is the same category, so {measure} is undefined"


class Stat(NamedTuple):
    """A measure's value, or None with the reason it is undefined."""

    value: float | None
    reason: str | None = None


@dataclass(frozen=True)
class Reliability:
    """All measures on one reliability matrix."""

    n_coders: int
    n_units: float  # sum of unit weights (the number of units when unweighted)
    n_pairable: float  # units coded by at least two coders
    n_complete: float  # units coded by every coder (Fleiss' κ uses these)
    percent: Stat
    kappa: Stat
    alpha: Stat
    fleiss: Stat

    def reasons(self, *, skip: Iterable[str] = ()) -> list[str]:
        """The distinct reasons of the undefined measures, in column order."""
        found: list[str] = []
        for stat in (self.percent, self.kappa, self.alpha, self.fleiss):
            if stat.value is None and stat.reason and stat.reason not in found and stat.reason not in skip:
                found.append(stat.reason)
        return found


# -- preparing the matrix ---------------------------------------------------------------------------
def _matrix(data, weights) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(data, dtype=float)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ValueError("reliability data must be a 2-D array: one row per coder, one column per unit")
    if weights is None:
        w = np.ones(arr.shape[1], dtype=float)
    else:
        w = np.asarray(weights, dtype=float).reshape(-1)
        if w.shape[0] != arr.shape[1]:
            raise ValueError(f"{w.shape[0]} weights for {arr.shape[1]} units")
        if np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError("unit weights must be finite and not negative")
    keep = w > 0
    return arr[:, keep], w[keep]


def _counts(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(categories, counts): counts[u, k] = how many coders gave unit u category k."""
    present = ~np.isnan(arr)
    categories = np.unique(arr[present])
    counts = np.zeros((arr.shape[1], categories.size), dtype=float)
    for k, value in enumerate(categories):
        counts[:, k] = np.sum(arr == value, axis=0)
    return categories, counts


def _precheck(arr: np.ndarray, w: np.ndarray) -> str | None:
    if arr.shape[0] < 2:
        return NEEDS_TWO
    if w.sum() <= 0:
        return NO_UNITS
    return None


# -- the measures -------------------------------------------------------------------------------------
def percent_agreement(data, weights=None) -> Stat:
    """Pairwise percent agreement as a fraction (1.0 = complete agreement)."""
    arr, w = _matrix(data, weights)
    if (reason := _precheck(arr, w)) is not None:
        return Stat(None, reason)
    _, counts = _counts(arr)
    m = counts.sum(axis=1)
    pairs = m * (m - 1) / 2
    agreeing = (counts * (counts - 1) / 2).sum(axis=1)
    total = float(np.dot(w, pairs))
    if total <= 0:
        return Stat(None, NO_PAIRS)
    return Stat(float(np.dot(w, agreeing)) / total)


def cohen_kappa(data, weights=None) -> Stat:
    """Cohen's κ for exactly two coders, on the units both coded."""
    arr, w = _matrix(data, weights)
    if (reason := _precheck(arr, w)) is not None:
        return Stat(None, reason)
    if arr.shape[0] != 2:
        return Stat(None, NOT_TWO)
    both = ~np.isnan(arr).any(axis=0)
    a, b, w = arr[0, both], arr[1, both], w[both]
    total = float(w.sum())
    if total <= 0:
        return Stat(None, NO_PAIRS)
    categories = np.unique(np.concatenate([a, b]))
    if categories.size < 2:
        return Stat(None, no_variation("κ"))
    ia, ib = np.searchsorted(categories, a), np.searchsorted(categories, b)
    p_a = np.bincount(ia, weights=w, minlength=categories.size) / total
    p_b = np.bincount(ib, weights=w, minlength=categories.size) / total
    p_o = float(w[ia == ib].sum()) / total
    p_e = float(np.dot(p_a, p_b))  # Σ_k p_A(k)·p_B(k): a sum over categories, not a product
    if p_o == 1.0:
        return Stat(1.0)
    return Stat((p_o - p_e) / (1.0 - p_e))  # p_e < 1 here: two categories used and some disagreement


def coincidences(data, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Krippendorff's coincidence matrix (categories, o) over the pairable units."""
    arr, w = _matrix(data, weights)
    categories, counts = _counts(arr)
    m = counts.sum(axis=1)
    pairable = m >= 2
    counts, m, w = counts[pairable], m[pairable], w[pairable]
    scaled = counts * (w / (m - 1))[:, None]
    o = counts.T @ scaled - np.diag(scaled.sum(axis=0))
    return categories, o


def krippendorff_alpha(data, weights=None) -> Stat:
    """Krippendorff's α for nominal data; missing values (NaN) allowed, unpairable units dropped."""
    arr, w = _matrix(data, weights)
    if (reason := _precheck(arr, w)) is not None:
        return Stat(None, reason)
    _, o = coincidences(arr, w)
    n_c = o.sum(axis=1)
    n = float(n_c.sum())
    if n <= 0:
        return Stat(None, NO_PAIRS)
    if np.count_nonzero(n_c > 0) < 2:
        return Stat(None, no_variation("α"))
    observed = n - float(np.trace(o))  # Σ_{c≠k} o_ck
    if observed == 0:
        return Stat(1.0)
    expected = n * n - float(np.dot(n_c, n_c))  # Σ_{c≠k} n_c·n_k > 0 with two categories present
    return Stat(1.0 - (n - 1.0) * observed / expected)


def fleiss_kappa(data, weights=None) -> Stat:
    """Fleiss' κ on the units rated by every coder (units with a missing rating are left out)."""
    arr, w = _matrix(data, weights)
    if (reason := _precheck(arr, w)) is not None:
        return Stat(None, reason)
    complete = ~np.isnan(arr).any(axis=0)
    arr, w = arr[:, complete], w[complete]
    total = float(w.sum())
    if total <= 0:
        return Stat(None, NO_COMPLETE)
    n = arr.shape[0]
    _, counts = _counts(arr)
    if counts.shape[1] < 2:
        return Stat(None, no_variation("Fleiss' κ"))
    p_j = (w @ counts) / (total * n)
    p_i = ((counts * counts).sum(axis=1) - n) / (n * (n - 1))
    p_bar = float(np.dot(w, p_i)) / total
    p_e = float(np.dot(p_j, p_j))
    if p_bar == 1.0:
        return Stat(1.0)
    return Stat((p_bar - p_e) / (1.0 - p_e))


def reliability(data, weights=None) -> Reliability:
    """Every measure on one reliability matrix (coders × units, NaN = missing)."""
    arr, w = _matrix(data, weights)
    present = ~np.isnan(arr)
    m = present.sum(axis=0)
    return Reliability(
        n_coders=arr.shape[0], n_units=float(w.sum()),
        n_pairable=float(w[m >= 2].sum()), n_complete=float(w[m == arr.shape[0]].sum()),
        percent=percent_agreement(arr, w), kappa=cohen_kappa(arr, w),
        alpha=krippendorff_alpha(arr, w), fleiss=fleiss_kappa(arr, w),
    )


def mean_stat(stats: Sequence[Stat]) -> Stat:
    """The plain mean of the defined values (None, with a reason, when none is defined)."""
    values = [s.value for s in stats if s.value is not None]
    if not values:
        reasons = [s.reason for s in stats if s.reason]
        return Stat(None, reasons[0] if reasons else NO_UNITS)
    return Stat(float(np.mean(values)))


def mean_reliability(items: Sequence[Reliability]) -> Reliability:
    """The mean of per-code values (each measure over the codes where it is defined)."""
    if not items:
        empty = Stat(None, NO_UNITS)
        return Reliability(0, 0.0, 0.0, 0.0, empty, empty, empty, empty)
    first = items[0]
    return Reliability(
        n_coders=first.n_coders, n_units=first.n_units, n_pairable=first.n_pairable,
        n_complete=first.n_complete,
        percent=mean_stat([r.percent for r in items]), kappa=mean_stat([r.kappa for r in items]),
        alpha=mean_stat([r.alpha for r in items]), fleiss=mean_stat([r.fleiss for r in items]),
    )
