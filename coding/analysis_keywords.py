"""Keywords (特征词): the words one group uses markedly more than the rest, as corpus linguists compare a target
corpus with a reference (keyness): how 包联人 talk against everyone else, policy documents against interviews, the
sentences coded M5 against the other coded sentences. Counts are those of the word frequencies (whole jieba words,
stop words, punctuation and numbers left out; :func:`coding.analysis_words.grouped_words`).

For each word, with ``a`` occurrences in the group (of ``N1`` counted words) and ``b`` in the rest (of ``N2``):

- **G²** (log-likelihood, Dunning 1993; Rayson & Garside 2000): ``2·(a·ln(a/E1) + b·ln(b/E2))`` with
  ``E1 = N1·(a+b)/(N1+N2)``, ``E2 = N2·(a+b)/(N1+N2)``; ``p`` from the χ² distribution with one degree of
  freedom. G² ≥ 3.84 is p < .05, ≥ 10.83 p < .001, ≥ 15.13 p < .0001.
- **Log ratio** (Hardie 2014): ``log2((a/N1) / (b/N2))``, a zero count taken as 0.5: the effect size, 1 = twice
  as frequent in the group.
- **p_adj**: p adjusted for testing many words at once (Benjamini–Hochberg false discovery rate, over every word
  the group uses at least ``min_count`` times, in either direction; scipy): a word with p_adj < .05 stays a
  keyword when 5 % of the listed keywords may be there by chance. Thousands of words are compared, so p alone
  flatters: a p of .01 is expected for one word in a hundred by chance.

Only words the group uses more than the rest (positive keywords) with at least ``min_count`` occurrences in the
group are listed, strongest G² first. Read-only, pandas.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from coding.analysis_words import grouped_words
from coding.errors import BaolianError

COLUMNS = ["word", "count", "count_rest", "per_10k", "per_10k_rest", "log_ratio", "g2", "p", "p_adj", "documents"]


def keywords(project, *, by: str, group: str, against: str | None = None, top: int | None = 30,
             min_count: int = 3, min_length: int = 2,
             stopwords: Iterable[str] | None = None, extra_stopwords: Iterable[str] = (),
             status: Iterable[str] = ("accepted",), coder: str | None = None, layer: str = "coding",
             as_user: str | None = None, documents: Collection[int] | None = None) -> pd.DataFrame:
    """The keywords of ``group`` (a value of ``by``: kind, document, speaker_role, speaker, code or var:NAME)
    against all the other groups' words, or against one other group ``against`` (信访人 against 包联人: the
    "rest" columns are then that group's): word, count, count_rest, per_10k (per 10,000 counted words of the
    group), per_10k_rest, log_ratio, g2, p, p_adj (Benjamini–Hochberg), documents (of the group the word
    occurs in)."""
    if by == "none":
        raise BaolianError("keywords compare one group with the rest", field="by",
                           hint="group the words, e.g. by speaker_role, kind or code")
    if min_count < 1:
        raise BaolianError(f"min_count must be at least 1, got {min_count}", field="min_count",
                           hint="e.g. 3: words the group uses at least three times")
    words = grouped_words(project, by=by, min_length=min_length, stopwords=stopwords,
                          extra_stopwords=extra_stopwords, status=status, coder=coder, layer=layer, as_user=as_user,
                          documents=documents)
    groups = sorted(map(str, words[by].dropna().unique())) if not words.empty else []
    if group not in groups:
        raise BaolianError(f"no words in group {group!r} of {by}", field="group",
                           hint=f"use one of: {', '.join(groups[:20]) or '(no groups: nothing is coded yet?)'}")
    if against is not None and (against not in groups or against == group):
        raise BaolianError(f"cannot compare {group!r} with {against!r}", field="against",
                           hint=f"use another group of {by}: {', '.join(g for g in groups[:20] if g != group)}")
    inside = words[by].astype(str) == group
    outside = ~inside if against is None else words[by].astype(str) == against
    if by == "code":  # a sentence with two codes is in both groups: the rest counts each word once, none of group's
        rest_words = words[outside].drop_duplicates(["document_id", "start"])
        rest_words = rest_words[~rest_words.set_index(["document_id", "start"]).index.isin(
            words[inside].set_index(["document_id", "start"]).index)]
    else:
        rest_words = words[outside]
    mine = words[inside].groupby("word").agg(count=("word", "size"), documents=("document_id", "nunique"))
    rest = rest_words.groupby("word").size().rename("count_rest")
    n1, n2 = int(mine["count"].sum()), int(rest.sum())
    if n2 == 0:
        raise BaolianError(f"nothing to compare {group!r} with: every counted word is in it", field="group",
                           hint="choose a grouping with more than one group")
    table = mine.join(rest, how="left").fillna({"count_rest": 0}).astype({"count_rest": "int64"})
    a, b = table["count"].to_numpy(float), table["count_rest"].to_numpy(float)
    table["per_10k"] = a / n1 * 10_000
    table["per_10k_rest"] = b / n2 * 10_000
    table["log_ratio"] = np.log2((np.where(a > 0, a, 0.5) / n1) / (np.where(b > 0, b, 0.5) / n2))
    table["g2"] = log_likelihood(a, b, n1, n2)
    table["p"] = [chi2_p(g) for g in table["g2"]]
    tested = table["count"] >= min_count
    table["p_adj"] = np.nan
    if tested.any():
        table.loc[tested, "p_adj"] = false_discovery_control(table.loc[tested, "p"].to_numpy(float), method="bh")
    table = table[tested & (a / n1 > b / n2)].reset_index()
    table = table.sort_values(["g2", "count", "word"], ascending=[False, False, True])
    if top is not None:
        table = table.head(top)
    return table[COLUMNS].reset_index(drop=True)


def log_likelihood(a: np.ndarray, b: np.ndarray, n1: int, n2: int) -> np.ndarray:
    """G² of each word (counts ``a`` of ``n1`` and ``b`` of ``n2``); a zero count adds nothing."""
    total = a + b
    e1, e2 = n1 * total / (n1 + n2), n2 * total / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        part1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        part2 = np.where(b > 0, b * np.log(b / e2), 0.0)
    return 2 * (part1 + part2)


def chi2_p(g2: float) -> float:
    """p of a χ² statistic with one degree of freedom: erfc(sqrt(g2 / 2))."""
    return math.erfc(math.sqrt(max(float(g2), 0.0) / 2))
