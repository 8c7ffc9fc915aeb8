"""Tune the codebook rules on the dev gold only: rules alone, per-code P/R/F1 and the errors to read.

    python benchmarks/rules_dev.py                       # summary table
    python benchmarks/rules_dev.py --fp M3 --fn M3       # also list false positives / negatives of M3
    python benchmarks/rules_dev.py --fp all --nocode     # every false positive; suggestions on no-code units
    python benchmarks/rules_dev.py --codebook other.yaml --gold corpus/gold/dev.jsonl
    python benchmarks/rules_dev.py --combine max max:0.8 max:0.9   # rules + out-of-fold model scores

Never point it at corpus/gold/test.jsonl: that file is the held-out set (benchmarks/evaluation.py).
``demo_more_test.jsonl`` is a check set: it is scored (summary table only) but its errors are not listed.
Each listed error shows the unit id, gold codes, suggested codes with the rule names that fired
(evidence text), and the unit text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coding.annotate import Annotator  # noqa: E402
from coding.codebook import load_codebook  # noqa: E402
from coding.evaluate import evaluate, load_gold  # noqa: E402
from coding.rules import compile_codebook  # noqa: E402

SCOPE = ("F1", "F2", "F3", "M1", "M2", "M3", "M4", "M5")
CHECK_ONLY = ("demo_more_test.jsonl",)  # scored in aggregate to check rules written on other data; errors never read


def to_scope(code: str, parents: dict[str, str | None]) -> str | None:
    while code is not None and code not in SCOPE:
        code = parents.get(code)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebook.yaml")
    parser.add_argument("--gold", type=Path, nargs="+", default=[ROOT / "corpus" / "gold" / "dev.jsonl"],
                        help="one or more gold files (scored together; per-file macro-F1 is printed too)")
    parser.add_argument("--fp", action="append", default=[], help="list false positives of CODE (or 'all')")
    parser.add_argument("--fn", action="append", default=[], help="list false negatives of CODE (or 'all')")
    parser.add_argument("--nocode", action="store_true", help="list no-code units that got a suggestion")
    parser.add_argument("--rules", action="store_true", help="per rule: units fired, correct, precision")
    parser.add_argument("--combine", nargs="+", metavar="MODE",
                        help="also score these combination modes with out-of-fold model scores (5 folds grouped "
                             "by document; trains 5 models, a few minutes)")
    args = parser.parse_args()
    if any(g.name in ("test.jsonl", "other_test.jsonl") for g in args.gold):
        parser.error("tune on dev only; test.jsonl and other_test.jsonl are held out")
    listing = args.fp or args.fn or args.nocode or args.rules or args.combine
    if listing and any(g.name in CHECK_ONLY for g in args.gold):
        parser.error(f"{', '.join(CHECK_ONLY)} is a check set: run it without --fp/--fn/--nocode/--rules/--combine "
                     "(aggregate scores only), and read errors on the development files")
    codebook = load_codebook(args.codebook)
    parents = {c.id: c.parent for c in codebook.codes}
    gold, files = [], []
    for path in args.gold:
        units = load_gold(path, codebook)
        gold += units
        files += [path] * len(units)
    annotator = Annotator(compile_codebook(codebook))
    records = annotator.codes_for([u.text for u in gold])
    predicted = [[r["code"] for r in recs] for recs in records]
    report = evaluate(gold, predicted, codebook=codebook, scope=SCOPE)
    print(f"{'code':5} {'sup':>4} {'pred':>4} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}")
    for m in report.per_code:
        def f(x: float | None) -> str:
            return "  -   " if x is None else f"{x:6.3f}"
        print(f"{m.code:5} {m.support:4} {m.predicted:4} {m.tp:4} {m.fp:4} {m.fn:4} {f(m.precision)} "
              f"{f(m.recall)} {f(m.f1)}")
    print(f"macro-F1 {report.macro_f1:.3f}  micro-P {report.micro_precision or 0:.3f}  "
          f"micro-R {report.micro_recall or 0:.3f}  micro-F1 {report.micro_f1 or 0:.3f}  "
          f"no-code with suggestion {report.no_code_with_suggestion}/{report.no_code_units} "
          f"({report.no_code_share:.1%})")
    if len(args.gold) > 1:
        for path in args.gold:
            idx = [i for i, f in enumerate(files) if f == path]
            rep = evaluate([gold[i] for i in idx], [predicted[i] for i in idx], codebook=codebook, scope=SCOPE)
            print(f"  {path.name:28} units {len(idx):5}  macro-F1 {rep.macro_f1:.3f}  P {rep.micro_precision or 0:.3f}"
                  f"  R {rep.micro_recall or 0:.3f}  no-code {rep.no_code_share:.1%}")

    if args.combine:
        combine_oof(args, codebook, gold, report)

    if args.rules:
        per_rule: dict[tuple[str, str], list[int]] = {}
        for unit, recs in zip(gold, records):
            gold_s = {to_scope(c, parents) for c in unit.codes}
            for r in recs:
                scoped = to_scope(r["code"], parents)
                for name in {e["rule"] for e in r["evidence"]}:
                    counts = per_rule.setdefault((r["code"], name), [0, 0])
                    counts[0] += 1
                    counts[1] += scoped in gold_s
        print(f"\n{'code':5} {'rule':40} {'fired':>5} {'right':>5} {'P':>6}")
        for (code, name), (n, ok) in sorted(per_rule.items(), key=lambda kv: kv[1][1] / kv[1][0]):
            print(f"{code:5} {name:40} {n:5} {ok:5} {ok / n:6.2f}")

    def show(unit, recs, tag: str) -> None:
        fired = []
        for r in recs:
            rules = sorted({f"{e['rule']}[{e['text']}]" for e in r["evidence"]})
            fired.append(f"{r['code']}:{' '.join(rules)}")
        print(f"\n[{tag}] {unit.id}  gold={sorted(unit.codes)}")
        if fired:
            print("   fired: " + " | ".join(fired))
        print("   " + unit.text)

    for unit, recs in zip(gold, records):
        gold_s = {to_scope(c, parents) for c in unit.codes} - {None}
        pred_s: dict[str, list] = {}
        for r in recs:
            s = to_scope(r["code"], parents)
            if s:
                pred_s.setdefault(s, []).append(r)
        for code in args.fp:
            bad = [c for c in pred_s if c not in gold_s and (code == "all" or c == code)]
            if bad:
                show(unit, [r for c in bad for r in pred_s[c]], "FP " + ",".join(bad))
        for code in args.fn:
            miss = [c for c in gold_s if c not in pred_s and (code == "all" or c == code)]
            if miss:
                show(unit, recs, "FN " + ",".join(miss))
        if args.nocode and not gold_s and pred_s:
            show(unit, recs, "NOCODE")


def combine_oof(args, codebook, gold, rules_report) -> None:
    """Rules + model per combination mode, the model scores out of fold (each unit scored by a model
    trained on the other documents), through the same Annotator as `baolian annotate`."""
    import json

    from coding.model import Example
    from coding.model_cv import _oof_probabilities

    docs = [json.loads(line).get("doc", "") for path in args.gold
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(docs) != len(gold):
        docs = [u.id.split("#")[0] for u in gold]
    oof = _oof_probabilities([Example(u.text, u.codes) for u in gold], list(SCOPE), 5, 0, docs,
                             {"user_words": codebook.terms()})

    class OutOfFold:  # the out-of-fold scores in unit order, each with its own fold's thresholds
        labels, version = list(SCOPE), "out-of-fold"

        def __init__(self, fold_thresholds: dict[str, float]) -> None:
            self.thresholds = fold_thresholds

        def predict(self, texts):
            return scores

    from coding.combine import calibrated
    scores = [{c: calibrated(v, th.get(c, 0.5)) for c, v in p.items()} for p, th in oof]
    model = OutOfFold({})  # already calibrated per fold
    compiled = compile_codebook(codebook)
    print(f"\n{'mode':14} {'macro-F1':>8} {'P':>6} {'R':>6} {'no-code':>8}")
    print(f"{'rules':14} {rules_report.macro_f1:8.3f} {rules_report.micro_precision or 0:6.3f} "
          f"{rules_report.micro_recall or 0:6.3f} {rules_report.no_code_share:8.1%}")
    for mode in ["model", *args.combine]:
        records = Annotator(compiled, model, mode).codes_for([u.text for u in gold])
        rep = evaluate(gold, [[r["code"] for r in recs] for recs in records], codebook=codebook, scope=SCOPE)
        print(f"{mode:14} {rep.macro_f1:8.3f} {rep.micro_precision or 0:6.3f} {rep.micro_recall or 0:6.3f} "
              f"{rep.no_code_share:8.1%}")


if __name__ == "__main__":
    main()
