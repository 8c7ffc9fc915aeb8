"""Inputs, settings and loss of the classifier in :mod:`coding.model`: the tokens it sees, the checks of
its settings, class weighting, the cross-entropy gradient and the length-normalised bag-of-n-grams
architecture. Pure helpers, no training loop here (see ``coding.model.train``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import BaolianError
from .script import fold

FEATURES = ("words", "words+chars", "words+chargrams")
CLASS_WEIGHTS = ("none", "balanced", "sqrt")
LOSSES = ("squared", "log")
NORMS = ("none", "l2")
ARCHITECTURE = "baolian.TextCatBOWNorm.v1"


# --- settings -----------------------------------------------------------------

_SETTING_RULES = {  # name: (test, what is expected, hint)
    "epochs": (lambda v: v >= 1, "a positive integer", "e.g. 20"),
    "seed": (lambda v: True, "an integer", "e.g. 0"),
    "ngram_size": (lambda v: 1 <= v <= 3, "1, 2 or 3", "2: unigrams and bigrams"),
    "batch_size": (lambda v: v >= 1, "a positive integer", "e.g. 32"),
    "length": (lambda v: v >= 1024, "an integer >= 1024", "e.g. 262144"),
    "learn_rate": (lambda v: 0 < v < 1, "a number between 0 and 1", "e.g. 0.02"),
    "l2": (lambda v: 0 <= v < 1, "a number from 0 to 1", "0: no weight decay, e.g. 1e-4"),
    "tune_folds": (lambda v: v == 0 or v >= 2, "0 or an integer >= 2", "0: no tuning, e.g. 3"),
}


def _check_settings(settings: dict[str, Any], tune_folds: Any) -> None:
    if settings.get("features", "words") not in FEATURES:
        raise BaolianError(f"unknown features {settings['features']!r}", field="features",
                           hint="use " + " or ".join(FEATURES))
    for name, allowed in (("class_weight", CLASS_WEIGHTS), ("loss", LOSSES), ("norm", NORMS)):
        if settings.get(name, allowed[0]) not in allowed:
            raise BaolianError(f"unknown {name} {settings[name]!r}", field=name, hint="use " + ", ".join(allowed))
    for name, value in [*settings.items(), ("tune_folds", tune_folds)]:
        if name not in _SETTING_RULES:
            continue
        test, expected, hint = _SETTING_RULES[name]
        kinds = (int, float) if name in ("learn_rate", "l2") else int
        if not isinstance(value, kinds) or isinstance(value, bool) or not test(value):
            raise BaolianError(f"{name} must be {expected}, got {value!r}", field=name, hint=hint)


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise BaolianError("predict takes a list of texts, not a single string", field="texts",
                           hint="wrap it: model.predict([text])")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise BaolianError(f"text {i} is a {type(t).__name__}, not a string", field="texts",
                               hint="pass the units' text")
    return texts


def _targets(eg: Any, labels: Sequence[str], implicit_negatives: bool) -> dict[str, float]:
    if implicit_negatives:
        return {lb: 1.0 if lb in eg.codes else 0.0 for lb in labels}
    return {lb: 1.0 if lb in eg.codes else 0.0 for lb in labels if lb in eg.codes | eg.negative}


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


def _weighted_loss(textcat: Any, weights: Sequence[float], loss: str = "squared") -> Any:
    """textcat's loss with positive targets weighted per label (class weighting): squared error (spaCy's),
    or "log" (cross-entropy: its gradient d/dp = (p - y) / (p (1 - p)), so that after the sigmoid the
    logit gets p - y and a confidently wrong unit is not ignored as under squared error)."""
    w = textcat.model.ops.asarray([weights], dtype="f")

    def get_loss(examples, scores):
        truths, not_missing = textcat._examples_to_truth(examples)
        ops = textcat.model.ops
        truths, not_missing = ops.asarray(truths), ops.asarray(not_missing)
        d_scores = (scores - truths) * not_missing * (1.0 + truths * (w - 1.0))
        value = float((d_scores ** 2).mean())
        if loss == "log":
            d_scores = d_scores / ops.xp.maximum(scores * (1.0 - scores), 1e-4)
        return value, d_scores

    return get_loss


def make_doc(nlp: Any, text: str, features: str = "words") -> Any:
    """The ``Doc`` the classifier sees: jieba words, then (``words+chars``) every non-space character.

    TextCatBOW takes n-grams over the token sequence, so ``words+chars`` adds character unigrams and
    bigrams to the word n-grams: paraphrases that share characters but not jieba words (走访/访问,
    家里/到家) then share features. Models saved before this setting existed use ``words``.
    """
    text = fold(text)  # traditional characters seen as simplified (coding.script), as the rules see them
    doc = nlp.make_doc(text)
    if features == "words":
        return doc
    from spacy.tokens import Doc

    chars = [ch for ch in text if not ch.isspace()]
    words = [t.text for t in doc if not t.is_space] + ["|"]
    if features == "words+chars":
        words += chars
    else:  # a bag: every character 1-, 2- and 3-gram is one token (for ngram_size 1)
        line = "".join(chars)
        words += [line[i:i + n] for n in (1, 2, 3) for i in range(len(line) - n + 1)]
    return Doc(nlp.vocab, words=words, spaces=[False] * len(words))


def register_architecture() -> None:
    """Register :data:`ARCHITECTURE` with spaCy (needed before training or loading a model that uses it)."""
    from spacy.util import registry

    if ARCHITECTURE not in registry.architectures.get_all():
        registry.architectures.register(ARCHITECTURE, func=_build_bow_norm)


def _build_bow_norm(exclusive_classes: bool, ngram_size: int, no_output_layer: bool, length: int = 262144,
                    norm: str = "l2", nO: int | None = None) -> Any:
    """``spacy.TextCatBOW.v3`` with each document's n-gram counts scaled (``norm``): "l2" divides them by
    their Euclidean norm (as tf-idf vectors are), so long and short units speak with one voice instead of
    a long unit's sum of weights drowning the bias. Its weights are SparseLinear_v2's, nothing else."""
    from functools import partial

    from spacy.attrs import ORTH
    from spacy.ml.extract_ngrams import extract_ngrams
    from spacy.ml.models.textcat import NEG_VALUE, resize_and_set_ref
    from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, softmax_activation, with_cpu
    from thinc.layers.resizable import resize_linear_weighted

    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    fill = {"b": NEG_VALUE if not no_output_layer else 0, "W": 0}
    layer = resizable(sparse_linear, resize_layer=partial(resize_linear_weighted, fill_defaults=fill))

    def scale(model, X, is_train):
        keys, vals, lengths = X
        xp = model.ops.xp
        starts = xp.concatenate([xp.zeros(1, dtype="int64"), xp.cumsum(lengths)[:-1]])
        sums = xp.add.reduceat(vals * vals, starts) if len(vals) else vals
        div = xp.repeat(xp.sqrt(xp.maximum(sums, 1e-12)), lengths) if norm == "l2" else 1.0
        return (keys, (vals / div).astype("f"), lengths), lambda dY: []

    model = chain(extract_ngrams(ngram_size, attr=ORTH), Model("scale_counts", scale), layer)
    model = with_cpu(model, model.ops)
    if not no_output_layer:
        out = softmax_activation() if exclusive_classes else Logistic()
        model = chain(model, with_cpu(out, out.ops))
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=layer)
    return model


__all__ = ["CLASS_WEIGHTS", "FEATURES", "make_doc"]

