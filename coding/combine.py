"""How rule scores and model scores combine into one score per code. Pure and light (no spaCy, no jieba):
the CLI reads :data:`DEFAULT_COMBINE` for its help text without loading the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from coding.errors import BaolianError

COMBINE_MODES = ("rules", "model", "max", "max:MIN", "max:MIN:SUPPORT", "mean", "weighted:ALPHA")
# The default with a model: the larger of rule and model score, but a code no rule fired for needs a
# (calibrated) model score of at least 0.7, and a rule hit needs the model to give its code at least 0.05.
# The support (0.05) was chosen on fresh gold in session 4 (it took precision from .715 to .867 on 788 new
# units). The floor was 0.6 until session 5: on the demo corpus's own development documents, each scored by a
# model that never saw its document (3 folds, benchmarks/model_notes.md "Session 5"), a floor of 0.6 put a
# suggestion on 10.6 % of the units without a code (0.7: 7.2 %; macro-F1 .704 -> .719), while on written gold
# passages the two floors lie within .006 macro-F1.
DEFAULT_COMBINE = "max:0.7:0.05"
DEFAULT_THRESHOLD = 0.5


class Mode(NamedTuple):
    """A parsed combination mode: ``kind`` and its number (``max``: the model score a code no rule fired
    for needs; ``weighted``: the weight of the rules), and for ``max`` the model score a rule hit needs."""

    kind: str
    value: float = 0.0
    support: float = 0.0


def parse_mode(mode: str) -> Mode:
    """``"max"`` -> Mode("max", 0.0); ``"max:0.8"`` -> Mode("max", 0.8) (the model score a code needs when
    no rule fired for it); ``"max:0.6:0.1"`` -> Mode("max", 0.6, 0.1) (and a rule hit counts only where the
    model gives the code at least 0.1); ``"weighted:0.7"`` -> Mode("weighted", 0.7) (weight of the rules)."""
    kind, colon, arg = str(mode).partition(":")
    if kind in ("rules", "model", "max", "mean") and not colon:
        return Mode(kind)
    limits = {
        "max": ("the model-only minimum and the rule support", 2,
                "e.g. max:0.8 (a code no rule found needs a model score of 0.8) or max:0.6:0.1 (and a rule hit "
                "needs a model score of 0.1)"),
        "weighted": ("the weight", 1, "e.g. weighted:0.6 (0.6 x rules + 0.4 x model)"),
    }
    if kind in limits:
        what, most, example = limits[kind]
        parts = arg.split(":")
        values = [_unit_number(x) for x in parts]
        if len(parts) <= most and all(v is not None for v in values):
            return Mode(kind, *values)
        raise BaolianError(f"bad combination mode {mode!r}: {what} must be numbers from 0 to 1 "
                           f"(at most {most})", field="--combine", hint=example)
    raise BaolianError(f"unknown combination mode {mode!r}", field="--combine",
                       hint="use rules, model, max, max:MIN (MIN = model score a code without a rule hit needs), "
                            "max:MIN:SUPPORT (SUPPORT = model score a rule hit needs), mean or weighted:ALPHA "
                            "(ALPHA = weight of the rules)")


def _unit_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def combine(rule_scores: Mapping[str, float], model_scores: Mapping[str, float], mode: str = "max") -> dict[str, float]:
    """Combine per-code scores. A code missing on one side scores 0 there.

    rules: the rule scores; model: the model scores; max: the larger; max:MIN: the larger, but a code
    no rule fired for keeps its model score only when that is at least MIN (else 0: the model alone
    needs more confidence than the model backing a rule); max:MIN:SUPPORT: besides, a rule hit counts
    only where the model gives its code at least SUPPORT (a rule firing on a unit the model finds nothing
    like the code in is dropped); mean: the average; weighted:α: α·rule + (1-α)·model.
    """
    kind, alpha, support = parse_mode(mode)
    if kind == "rules":
        return dict(rule_scores)
    if kind == "model":
        return dict(model_scores)
    out = {}
    for code in {*rule_scores, *model_scores}:
        r, m = rule_scores.get(code, 0.0), model_scores.get(code, 0.0)
        if kind == "max":
            out[code] = max(r, m) if (r > 0.0 and m >= support) or m >= alpha else 0.0
        elif kind == "mean":
            out[code] = (r + m) / 2
        else:
            out[code] = alpha * r + (1 - alpha) * m
    return out


def calibrated(p: float, t: float) -> float:
    """Rescale probability ``p`` so that threshold ``t`` maps to 0.5 (monotone; 0 -> 0, 1 -> 1)."""
    if t == 0.5:
        return p
    if t >= 1.0:  # only certainty passes
        return 0.5 * p if p < 1.0 else 1.0
    if t <= 0.0:  # everything passes
        return 0.5 + 0.5 * p
    return 0.5 * p / t if p < t else 0.5 + 0.5 * (p - t) / (1.0 - t)
