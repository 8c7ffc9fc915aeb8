"""Learning from coders: training examples from decisions, training, and the project's current model.

Units are sentences a coder reviewed: codes the coder accepted (or added by
hand) are positives, codes the coder rejected are explicit negatives, and
(see :mod:`coding.model`) other codes count as negatives for that unit.
Only units with at least one decision are used: an untouched sentence tells
nothing. The trained model is stored inside the project (table
``trained_models``) with its cross-validated scores.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from coding.errors import BaolianError
from coding.model import Example, Model, train
from coding.model_cv import out_of_fold, score_probabilities
from coding.roles import Permission, acting, require
from coding.store import Code, CodeApplication, Coder, Document, Segment, TrainedModel, record_event

MIN_EXAMPLES = 10


@dataclass
class TrainingResult:
    version: str
    n_examples: int
    labels: list[str]
    scores: dict[str, dict] = field(default_factory=dict)  # code -> precision, recall, f1, support
    macro_f1: float | None = None
    skipped: list[dict] = field(default_factory=list)


def training_examples(project, *, coder: str | None = None) -> list[Example]:
    """One example per reviewed sentence (all coders pooled unless ``coder`` is given)."""
    with project.read() as s:
        query = (select(CodeApplication.segment_id, CodeApplication.status, Code.key, Segment.start, Segment.end,
                        Segment.unit, Document.text)
                 .join(Code, Code.id == CodeApplication.code_id)
                 .join(Segment, Segment.id == CodeApplication.segment_id)
                 .join(Document, Document.id == CodeApplication.document_id)
                 .where(CodeApplication.coder_id.is_not(None), Document.deleted_at.is_(None)))
        if coder:
            query = query.join(Coder, Coder.id == CodeApplication.coder_id).where(Coder.name == coder)
        units: dict[int, dict] = defaultdict(lambda: {"pos": set(), "neg": set(), "text": ""})
        for seg_id, status, key, start, end, unit, text in s.execute(query):
            entry = units[seg_id]
            entry["text"] = text[start:end]
            (entry["pos"] if status == "accepted" else entry["neg"]).add(key)
    return [Example(u["text"], frozenset(u["pos"]), frozenset(u["neg"] - u["pos"])) for _, u in sorted(units.items())]


def codable_labels(project) -> list[str]:
    codebook = project.codebook()
    if codebook is None:
        raise BaolianError("the project has no codebook", hint="load one with `baolian init --codebook FILE`")
    return [c.id for c in codebook.codable_codes()]


def train_examples(examples: list[Example], labels: list[str], *, user_words=(), folds: int = 5,
                   seed: int = 0) -> tuple[Model, TrainingResult]:
    """Cross-validate, then train on everything. Pure: nothing is stored."""
    if len(examples) < MIN_EXAMPLES:
        raise BaolianError(f"only {len(examples)} reviewed units; at least {MIN_EXAMPLES} are needed to train",
                           field="decisions", hint="accept or reject more suggestions first")
    folds = max(2, min(folds, len(examples)))
    probs = out_of_fold(examples, labels, folds=folds, seed=seed, user_words=user_words)
    cv = score_probabilities(examples, labels, probs)  # at the default threshold: an honest estimate
    model = train(examples, labels, seed=seed, user_words=user_words)
    model.set_cv_scores(cv)
    # The model's per-code thresholds are tuned inside `train` on inner folds of the training data
    # (coding.model); suggestions use them. `cv` above scores each fold with thresholds tuned on the
    # other folds, so it stays an estimate on data the thresholds never saw.
    scores = {code: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support}
              for code, s in cv.items() if code != "macro"}
    macro = cv.get("macro")
    result = TrainingResult(version=model.version, n_examples=len(examples), labels=list(model.labels),
                            scores=scores, macro_f1=None if macro is None else macro.f1,
                            skipped=list(model.meta.get("skipped_labels", [])))
    return model, result


def train_from_decisions(project, *, coder: str | None = None, trained_by: str | None = None,
                         folds: int = 5) -> TrainingResult:
    """Train on the project's decisions and store the model as the project's current one.

    With accounts, ``trained_by`` (else ``coder``) must be an admin: the model changes everyone's suggestions.
    """
    with project.read() as s:
        require(s, trained_by or coder, Permission.MANAGE)  # refuse before the (slow) training
    examples = training_examples(project, coder=coder)
    model, result = train_examples(examples, codable_labels(project), user_words=project.user_words(),
                                   folds=folds)
    data = model.to_bytes()
    with project.transaction() as s:
        coder_id = acting(s, trained_by or coder, Permission.MANAGE)
        row = TrainedModel(version=model.version, n_examples=len(examples), created_by=coder_id,
                           scores={"per_code": result.scores, "macro_f1": result.macro_f1}, data=data)
        s.add(row)
        s.flush()
        record_event(s, "model.train", "trained_model", row.id,
                     after={"version": model.version, "n_examples": len(examples), "macro_f1": result.macro_f1},
                     coder_id=coder_id)
    project.__dict__.pop("_model_cache", None)
    return result


def current_model(project) -> Model | None:
    """The most recently trained model of the project, or None."""
    with project.read() as s:
        row = s.scalar(select(TrainedModel).order_by(TrainedModel.id.desc()).limit(1))
        if row is None:
            return None
        cached = project.__dict__.get("_model_cache")
        if cached is not None and cached.version == row.version:
            return cached
        model = Model.from_bytes(row.data)
    project.__dict__["_model_cache"] = model
    return model


def model_history(project) -> list[dict]:
    with project.read() as s:
        return [{"version": r.version, "created_at": r.created_at, "n_examples": r.n_examples,
                 "macro_f1": (r.scores or {}).get("macro_f1")}
                for r in s.scalars(select(TrainedModel).order_by(TrainedModel.id.desc()))]
