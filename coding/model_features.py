"""Inputs and loss of the classifier in :mod:`coding.model`: the tokens it sees and class weighting.

Pure helpers, no training loop here (see ``coding.model.train``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FEATURES = ("words", "words+chars")
CLASS_WEIGHTS = ("none", "balanced", "sqrt")


def _positive_weight(positives: int, n: int, mode: str) -> float:
    """Weight of a positive target against a negative one: negatives/positives ("balanced"), its root
    ("sqrt"), or 1 ("none"). Codes are rare (5-8 % of units): unweighted, the model learns to say no."""
    ratio = max(1.0, (n - positives) / max(1, positives))
    return {"none": 1.0, "balanced": ratio, "sqrt": ratio ** 0.5}[mode]


def _weighted_threshold(weight: float) -> float:
    """The threshold that undoes the class weighting: with positives weighted ``w``, the squared-error
    optimum is p = w*q / (w*q + 1 - q) for true probability q, so q = 0.5 lies at p = w / (1 + w).
    The weighting then changes what the model learns (rare codes get a gradient) but not where it
    decides; 0.5 without weighting."""
    return round(weight / (1.0 + weight), 4)


def _weighted_loss(textcat: Any, weights: Sequence[float]) -> Any:
    """textcat's squared-error loss with positive targets weighted per label (class weighting)."""
    w = textcat.model.ops.asarray([weights], dtype="f")

    def get_loss(examples, scores):
        truths, not_missing = textcat._examples_to_truth(examples)
        ops = textcat.model.ops
        truths, not_missing = ops.asarray(truths), ops.asarray(not_missing)
        d_scores = (scores - truths) * not_missing * (1.0 + truths * (w - 1.0))
        return float((d_scores ** 2).mean()), d_scores

    return get_loss


def make_doc(nlp: Any, text: str, features: str = "words") -> Any:
    """The ``Doc`` the classifier sees: jieba words, then (``words+chars``) every non-space character.

    TextCatBOW takes n-grams over the token sequence, so ``words+chars`` adds character unigrams and
    bigrams to the word n-grams: paraphrases that share characters but not jieba words (走访/访问,
    家里/到家) then share features. Models saved before this setting existed use ``words``.
    """
    doc = nlp.make_doc(text)
    if features == "words":
        return doc
    from spacy.tokens import Doc

    words = [t.text for t in doc if not t.is_space] + ["|"] + [ch for ch in text if not ch.isspace()]
    return Doc(nlp.vocab, words=words, spaces=[False] * len(words))


__all__ = ["CLASS_WEIGHTS", "FEATURES", "make_doc"]
