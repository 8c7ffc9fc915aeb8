"""Evaluation of the auto-coder on the demo gold: rules alone, model alone, and their combinations.

    python benchmarks/evaluation.py [--write benchmarks/EVALUATION.md]

Rules were written, and the model is trained, on corpus/gold/dev.jsonl only; every score
printed here is on corpus/gold/test.jsonl (held-out documents), never on data used for tuning.
Scope: the gold's eight codes F1-F3, M1-M5 (sub-code suggestions count for their parent).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coding.annotate import Annotator  # noqa: E402
from coding.codebook import load_codebook  # noqa: E402
from coding.evaluate import evaluate, load_gold  # noqa: E402
from coding.learning import train_examples  # noqa: E402
from coding.model import Example  # noqa: E402
from coding.rules import compile_codebook  # noqa: E402

GOLD = ROOT / "corpus" / "gold"
SCOPE = ("F1", "F2", "F3", "M1", "M2", "M3", "M4", "M5")
MODES = ("rules", "model", "max", "max:0.8", "mean", "weighted:0.7")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", type=Path, help="also write the report as Markdown to this file")
    args = parser.parse_args()
    codebook = load_codebook(ROOT / "codebook.yaml")
    dev, test = load_gold(GOLD / "dev.jsonl", codebook), load_gold(GOLD / "test.jsonl", codebook)
    compiled = compile_codebook(codebook)
    t0 = time.perf_counter()
    model, training = train_examples([Example(u.text, u.codes) for u in dev], list(SCOPE),
                                     user_words=codebook.terms(), folds=5)
    train_s = time.perf_counter() - t0
    lines = [
        "# Auto-coder evaluation (held-out demo gold)", "",
        f"Codebook {codebook.version}; rules {compiled.version}; model {model.version} trained on "
        f"{len(dev)} dev units in {train_s:.1f} s (5-fold CV macro-F1 on dev {training.macro_f1:.3f}). "
        f"Test: {len(test)} units from documents never used for rules or training, "
        f"{sum(not u.codes for u in test)} of them without any code.", "",
        "| combination | macro-F1 | micro-P | micro-R | micro-F1 | no-code units with a suggestion |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    reports = {}
    for mode in MODES:
        annotator = Annotator(compiled, None if mode == "rules" else model, mode)
        predicted = [[r["code"] for r in recs] for recs in annotator.codes_for([u.text for u in test])]
        report = evaluate(test, predicted, codebook=codebook, scope=SCOPE)
        reports[mode] = report
        lines.append(f"| {mode} | {report.macro_f1:.3f} | {report.micro_precision or 0:.3f} | "
                     f"{report.micro_recall or 0:.3f} | {report.micro_f1 or 0:.3f} | "
                     f"{report.no_code_with_suggestion}/{report.no_code_units} ({report.no_code_share:.1%}) |")
    best = max(MODES[2:], key=lambda m: reports[m].macro_f1 or 0)
    for mode in ("rules", best):
        lines += ["", f"## Per code: {mode}", "", reports[mode].to_markdown()]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
