"""A text classifier that learns codes from coders' decisions.

A spaCy ``textcat_multilabel`` pipe on top of :func:`coding.words.make_nlp` (jieba/rjieba tokens that
keep codebook terms whole). No vectors, nothing downloaded. Pure: never touches the database.

Default (session 3, benchmarks/model_notes.md): a bag of features -- the jieba words and every character
1-, 2- and 3-gram as tokens (``features="words+chargrams"``, ``ngram_size=1``) -- whose counts are
L2-normalised per unit (``norm="l2"``, architecture :data:`coding.model_features.ARCHITECTURE`, a
``spacy.TextCatBOW.v3`` with the scaling inserted), trained with a cross-entropy gradient
(``loss="log"``), positives weighted ``sqrt(neg/pos)`` (``class_weight``), and per-code thresholds
tuned on an inner cross-validation of the training data (``tune_folds``; by default 3 folds from
:data:`MIN_TUNE_EXAMPLES` units on, else ``w / (1 + w)``, the point that corresponds to 0.5 without
weighting). Older settings stay available ("words+chars" with ``ngram_size=2``, ``norm="none"``,
``loss="squared"``); a saved model whose settings lack a key was trained the old way and is read so
(``features`` missing = "words").

Training targets. For every unit a coder reviewed, a code the coder accepted is 1.0, a code the coder
rejected is 0.0, and -- by default (``implicit_negatives=True``) -- every other label is 0.0 too. With
``implicit_negatives=False`` only the explicit decisions (``codes`` and ``negative``) are targets; the
other labels are masked (spaCy missing values). Codes outside ``labels`` are ignored (counted in
``meta["ignored_codes"]``). A label with no positive example is not trained: it is listed in
``meta["skipped_labels"]`` and absent from ``Model.labels``.

Training is deterministic for a given seed (``spacy.util.fix_random_seed`` and a seeded shuffle).
Scores of :func:`cross_validate` are pooled over the folds (TP, FP and FN summed per code).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import random
import shutil
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import BaolianError
from .model_features import (ARCHITECTURE, _check_settings, _check_texts, _positive_weight, _targets,
                             _weighted_loss, _weighted_threshold, make_doc, register_architecture)
from .words import clean_user_words, make_nlp

FORMAT = "baolian-model"
FORMAT_VERSION = 1
PIPE = "textcat_multilabel"
DEFAULT_THRESHOLD = 0.5
_THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 19))  # 0.05 .. 0.90
DEFAULT_TUNE_FOLDS = 3  # thresholds tuned by default (tune_folds=None) once there are MIN_TUNE_EXAMPLES units
MIN_TUNE_EXAMPLES = 100


@dataclass(frozen=True)
class Example:
    """One reviewed unit: codes a coder accepted and codes a coder rejected."""

    text: str
    codes: frozenset[str]
    negative: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise BaolianError(f"example text must be a string, got {type(self.text).__name__}",
                               field="text", hint="pass the unit's text")
        for name in ("codes", "negative"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(c, str) for c in value):
                raise BaolianError(f"example {name} must be a set of code ids, got {value!r}",
                                   field=name, hint="pass e.g. frozenset({'M2'})")
            object.__setattr__(self, name, frozenset(value))
        both = self.codes & self.negative
        if both:
            raise BaolianError(f"codes {sorted(both)} are both accepted and rejected in one example",
                               field="negative", hint="keep the coder's latest decision only")


@dataclass
class CodeScores:
    precision: float
    recall: float
    f1: float
    support: int  # positive units in the gold data (for "macro": all of them)


class Model:
    """A trained pipeline plus its metadata (version, labels, thresholds, scores)."""

    def __init__(self, nlp: Any, meta: dict[str, Any]) -> None:
        self.nlp = nlp
        self.meta = meta

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.meta["labels"])

    @property
    def thresholds(self) -> dict[str, float]:
        return self.meta["thresholds"]

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Probability in [0, 1] for every label of this model, one dict per text."""
        texts = _check_texts(texts)
        labels = self.labels
        features = self.meta.get("settings", {}).get("features", "words")
        docs = [make_doc(self.nlp, t, features) for t in texts]
        # Blank texts score 0.0 (no evidence). A doc without tokens ("") would
        # crash TextCatBOW's n-gram extraction when batched with others.
        for _ in self.nlp.pipe((d for d, t in zip(docs, texts) if t.strip()), batch_size=256):
            pass
        return [{label: float(doc.cats[label]) if t.strip() else 0.0 for label in labels}
                for doc, t in zip(docs, texts)]

    def predict_codes(self, texts: Sequence[str]) -> list[set[str]]:
        """The labels whose probability reaches their threshold, per text."""
        th = self.thresholds
        return [{c for c, p in probs.items() if p >= th.get(c, DEFAULT_THRESHOLD)}
                for probs in self.predict(texts)]

    def set_cv_scores(self, scores: dict[str, CodeScores]) -> None:
        """Record cross-validated scores in the metadata (saved with the model)."""
        self.meta["cv"] = {k: _scores_dict(v) for k, v in scores.items()}

    # --- persistence ------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write a folder: ``nlp/`` (spaCy ``to_disk``) and ``meta.json``.

        An existing model folder at ``path`` is replaced; any other non-empty
        folder is refused.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise BaolianError("cannot save the model: the path is a file", file=path,
                               hint="give a folder path")
        if path.is_dir() and any(path.iterdir()) and not (path / "meta.json").is_file():
            raise BaolianError("cannot save the model: the folder is not empty and holds no model",
                               file=path, hint="give a new or empty folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".model-", dir=path.parent))
        try:
            self._write(tmp)
            if path.exists():
                shutil.rmtree(path)
            tmp.rename(path)
        except OSError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BaolianError(f"cannot save the model: {err.strerror or err}", file=path,
                               hint="check that the folder is writable") from None

    def _write(self, folder: Path) -> None:
        self.nlp.to_disk(folder / "nlp")
        text = json.dumps(self.meta, ensure_ascii=False, indent=2, sort_keys=True)
        (folder / "meta.json").write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Model:
        path = Path(path)
        meta_file = path / "meta.json"
        if not path.is_dir() or not meta_file.is_file() or not (path / "nlp").is_dir():
            raise BaolianError("not a saved model (expected a folder with meta.json and nlp/)",
                               file=path, hint="give the folder written by Model.save or baolian train")
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            ok = meta.get("format") == FORMAT and isinstance(meta.get("labels"), list)
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            ok = False
        if not ok:
            raise BaolianError("not a saved model: meta.json is missing or damaged", file=meta_file,
                               hint="train the model again")
        if meta.get("format_version", 0) > FORMAT_VERSION:
            raise BaolianError(f"the model was saved by a newer Baolian (format {meta['format_version']})",
                               file=meta_file, hint="upgrade Baolian or train the model again")
        import spacy

        register_architecture()
        try:
            nlp = spacy.load(path / "nlp")
        except BaolianError:
            raise
        except Exception as err:  # spaCy raises many kinds on a damaged folder
            raise BaolianError(f"cannot load the model pipeline: {err}", file=path / "nlp",
                               hint="train the model again") from None
        if PIPE not in nlp.pipe_names or not set(meta["labels"]) <= set(nlp.get_pipe(PIPE).labels):
            raise BaolianError("the model pipeline does not match meta.json", file=path,
                               hint="train the model again")
        return cls(nlp, meta)

    def to_bytes(self) -> bytes:
        """The saved folder as a gzipped tar (reproducible: sorted, no times)."""
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            self._write(root)
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, \
                    tarfile.open(fileobj=gz, mode="w") as tar:
                for file in sorted(root.rglob("*")):
                    info = tar.gettarinfo(str(file), arcname=file.relative_to(root).as_posix())
                    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                    with file.open("rb") if file.is_file() else contextlib.nullcontext() as fh:
                        tar.addfile(info, fh)
            return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise BaolianError(f"model bytes expected, got {type(data).__name__}",
                               hint="pass what Model.to_bytes returned")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                with tarfile.open(fileobj=io.BytesIO(bytes(data)), mode="r:gz") as tar:
                    tar.extractall(tmp, filter="data")
            except (tarfile.TarError, OSError, EOFError, ValueError) as err:
                raise BaolianError(f"the stored model is damaged: {err}",
                                   hint="train the model again") from None
            try:
                return cls.load(tmp)
            except BaolianError as err:
                err.file = "(stored model bytes)"
                raise

    def __repr__(self) -> str:
        return f"Model({self.version!r}, labels={self.labels})"


def load_model(path: str | Path) -> Model:
    return Model.load(path)


# --- training -----------------------------------------------------------------


def train(
    examples: Sequence[Example],
    labels: Sequence[str],
    *,
    epochs: int = 20,
    seed: int = 0,
    ngram_size: int = 1,
    user_words: Iterable[str] = (),
    implicit_negatives: bool = True,
    learn_rate: float = 0.02,
    batch_size: int = 32,
    length: int = 262144,
    tune_folds: int | None = None,
    features: str = "words+chargrams",
    class_weight: str = "sqrt",
    loss: str = "log",
    norm: str = "l2",
    l2: float = 0.0,
) -> Model:
    """Train a model on reviewed units.

    ``tune_folds`` >= 2 tunes a threshold per code on out-of-fold predictions of an inner
    cross-validation (``tune_folds`` extra trainings); codes that cannot be tuned keep their weighted
    threshold. 0: no tuning. None (default): :data:`DEFAULT_TUNE_FOLDS` from :data:`MIN_TUNE_EXAMPLES` on.
    """
    examples, labels = _check_inputs(examples, labels)
    empty = sum(not eg.text.strip() for eg in examples)
    examples = [eg for eg in examples if eg.text.strip()]  # blank: nothing to learn
    if not examples:
        raise BaolianError("every training example has a blank text", field="examples",
                           hint="code or review some units with text first")
    settings = {"epochs": epochs, "seed": seed, "ngram_size": ngram_size,
                "implicit_negatives": implicit_negatives, "learn_rate": learn_rate,
                "batch_size": batch_size, "length": length, "features": features,
                "class_weight": class_weight, "loss": loss, "norm": norm, "l2": l2}
    if tune_folds is None:
        tune_folds = DEFAULT_TUNE_FOLDS if len(examples) >= MIN_TUNE_EXAMPLES else 0
    _check_settings(settings, tune_folds)
    user_words = list(clean_user_words(user_words))
    positives = Counter(c for eg in examples for c in eg.codes)
    rejected = Counter(c for eg in examples for c in eg.negative)
    trained = [lb for lb in labels if positives[lb] > 0]
    skipped = [{"label": lb, "reason": "no positive example"} for lb in labels if not positives[lb]]
    if not trained:
        raise BaolianError("no example has any of the labels to train, nothing to learn",
                           field="labels", hint="accept some suggestions or code some units first")
    ignored = Counter(c for eg in examples for c in eg.codes | eg.negative if c not in set(labels))

    from spacy.training import Example as SpacyExample
    from spacy.util import fix_random_seed, minibatch
    from thinc.api import Adam

    started = time.perf_counter()
    fix_random_seed(seed)
    nlp = make_nlp(user_words)
    arch = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False,
            "ngram_size": ngram_size, "no_output_layer": False, "length": length}
    if norm != "none":
        register_architecture()
        arch.update({"@architectures": ARCHITECTURE, "norm": norm})
    textcat = nlp.add_pipe(PIPE, config={"threshold": DEFAULT_THRESHOLD, "model": arch})
    for label in trained:
        textcat.add_label(label)
    data = [SpacyExample.from_dict(make_doc(nlp, eg.text, features),
                                   {"cats": _targets(eg, trained, implicit_negatives)})
            for eg in examples]
    nlp.initialize(lambda: data)
    weights = {lb: _positive_weight(positives[lb], len(examples), class_weight) for lb in trained}
    if class_weight != "none" or loss != "squared":
        textcat.get_loss = _weighted_loss(textcat, [weights[lb] for lb in trained], loss)
    optimizer = Adam(learn_rate=learn_rate, use_averages=False, L2=l2)
    rng = random.Random(seed)
    order = list(range(len(data)))
    for _ in range(epochs):
        rng.shuffle(order)
        for batch in minibatch([data[i] for i in order], size=batch_size):
            nlp.update(batch, sgd=optimizer, drop=0.0)
    seconds = time.perf_counter() - started
    textcat.__dict__.pop("get_loss", None)  # the weighted loss is for training only

    meta: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "version": f"model:{_utc_stamp()}:{_data_hash(examples, labels, settings, user_words)}",
        "labels": trained, "skipped_labels": skipped,
        "thresholds": {lb: _weighted_threshold(weights[lb]) for lb in trained},
        "training_size": len(examples), "empty_examples_dropped": empty,
        "label_counts": {lb: {"positive": positives[lb], "rejected": rejected[lb]} for lb in labels},
        "ignored_codes": dict(sorted(ignored.items())),
        "settings": settings, "user_words": len(set(user_words)),
        "train_seconds": round(seconds, 3), "cv": None, "tuned_on_folds": 0,
    }
    model = Model(nlp, meta)
    if tune_folds:
        inner = {k: v for k, v in settings.items() if k != "seed"}
        from coding.model_cv import _oof_probabilities, _tune

        probs = _oof_probabilities(examples, labels, tune_folds, seed, None,
                                   dict(inner, user_words=user_words, tune_folds=0))
        meta["thresholds"].update(_tune(examples, trained, probs))
        meta["tuned_on_folds"] = tune_folds
    return model


# --- helpers ------------------------------------------------------------------


def _check_inputs(examples, labels) -> tuple[list[Example], list[str]]:
    if isinstance(labels, str):
        raise BaolianError("labels must be a list of code ids, not a single string",
                           field="labels", hint="pass e.g. ['F1', 'M2']")
    labels = list(dict.fromkeys(labels))
    if not labels or not all(isinstance(lb, str) and lb.strip() for lb in labels):
        raise BaolianError(f"labels must be non-empty code ids, got {labels!r}", field="labels",
                           hint="pass the codebook's code ids, e.g. ['F1', 'M2']")
    examples = list(examples)
    if not examples:
        raise BaolianError("no training examples", field="examples",
                           hint="code or review some units first")
    for i, eg in enumerate(examples):
        if not isinstance(eg, Example):
            raise BaolianError(f"example {i} is a {type(eg).__name__}, not an Example",
                               field="examples", hint="build coding.model.Example(text, codes)")
    return examples, labels


def _scores_dict(s: CodeScores) -> dict[str, float | int]:
    return {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
            "f1": round(s.f1, 4), "support": s.support}


def _utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _data_hash(examples, labels, settings, user_words) -> str:
    blob = json.dumps({"labels": list(labels), "settings": settings,
                       "user_words": sorted(set(user_words)),
                       "examples": [[e.text, sorted(e.codes), sorted(e.negative)] for e in examples]},
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


# Cross-validation lives in its own module; re-exported here for callers of coding.model.
from coding.model_cv import cross_validate  # noqa: E402,F401
