"""Learning from coders' decisions: examples, training, the stored model, and suggestions that use it."""

from __future__ import annotations

import json

import pytest

from coding.autocode import COMBINE_KEY, code_project
from coding.decisions import add_code, pending_suggestions, reject
from coding.errors import BaolianError
from coding.learning import current_model, model_history, train_from_decisions, training_examples

from .conftest import CORPUS, ROOT


@pytest.fixture
def decided(project):
    """i01 imported and hand-coded as in the gold file; a few suggestions rejected."""
    project.import_paths([CORPUS / "interviews" / "i01_lhy_vice_district_head.txt"],
                         manifest=CORPUS / "corpus.yaml")
    code_project(project)
    doc = project.documents()[0]
    gold = [json.loads(line) for line in (ROOT / "corpus" / "gold" / "dev.jsonl").open(encoding="utf-8")]
    coded = set()
    for unit in gold:
        if unit["doc"].startswith("interviews/i01"):
            for code in unit["codes"]:
                add_code(project, doc.id, unit["start"], unit["end"], code, coder="甲")
                coded.add((unit["start"], unit["end"], code))
    # the coder rejects a few suggestions the gold does not have (wrong codes, or on a paragraph)
    wrong = [s.id for s in pending_suggestions(project, coder="甲")
             if (s.start, s.end, s.code.split(".")[0]) not in coded]
    assert len(wrong) >= 5
    reject(project, wrong[:5], coder="甲")
    return project


def test_examples_come_from_reviewed_sentences_only(decided):
    examples = training_examples(decided)
    assert 50 <= len(examples) < len(decided.segments(1, "sentence"))
    assert any(eg.negative for eg in examples)
    assert all(eg.text.strip() for eg in examples)
    assert training_examples(decided, coder="nobody") == []


def test_train_stores_the_model_and_coding_uses_it(decided):
    before = len(pending_suggestions(decided, coder="乙"))
    result = train_from_decisions(decided, trained_by="甲", folds=3)
    assert result.n_examples >= 50 and set(result.scores) <= set(result.labels) | {"macro"}
    assert 0.0 <= (result.macro_f1 or 0.0) <= 1.0
    model = current_model(decided)
    assert model is not None and model.version == result.version
    assert model_history(decided)[0]["version"] == result.version
    decided.set_setting(COMBINE_KEY, "max")
    run = code_project(decided)
    assert result.version in run.version and run.documents == 1  # a new model re-codes everything
    sugs = pending_suggestions(decided, coder="乙")
    old = [s for s in sugs if result.version not in s.made_by]
    assert sugs and len(old) <= 5  # only the suggestions 甲 rejected are kept from before the model
    assert len(sugs) != before or any(s.origin == "model" for s in sugs)


def test_too_few_decisions_is_a_clear_error(project):
    with pytest.raises(BaolianError, match="at least"):
        train_from_decisions(project)
