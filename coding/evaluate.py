"""Evaluation of suggestions against gold coding. Pure: no database.

Gold file: JSON Lines, ``{"id": ..., "text": ..., "codes": ["M2", ...]}`` per unit (other keys ignored).

Scope: the codes evaluated are the codes that occur in the gold file (or an explicit ``scope``). A
predicted code outside the scope is mapped to its nearest ancestor in the scope through the codebook's
parent links (gold coded with parents: M1.2 -> M1, M4.1 -> M4) -- only when the scope lacks the child
itself; a predicted code with no such ancestor (e.g. R4 when the gold codes only F and M) is left out
and counted in ``Report.out_of_scope``. Gold codes are mapped the same way when a scope is given.

Per code (presence/absence per unit): precision = TP/(TP+FP) (None without predictions), recall =
TP/(TP+FN) (None without support), F1 = 2TP/(2TP+FP+FN) (0 when TP is 0; None without support and
predictions), Cohen's kappa by :func:`sklearn.metrics.cohen_kappa_score`. Kappa is undefined when gold
and predictions are the same constant vector (expected agreement 1): we report 1.0 then (perfect
agreement); two different constant vectors give 0.0 (sklearn's value). Macro-F1: mean F1 over the scope
codes with support; micro-F1: pooled over all scope codes. No-code units: gold units without a scope
code; the report counts those that got any (scope) suggestion.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coding.codebook import Codebook
from coding.errors import BaolianError


@dataclass(frozen=True)
class GoldUnit:
    id: Any
    text: str
    codes: frozenset[str]
    line: int | None = None


@dataclass(frozen=True)
class CodeMetrics:
    code: str
    support: int  # gold units with the code
    predicted: int  # units the code was suggested for
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    kappa: float


@dataclass(frozen=True)
class Report:
    units: int
    scope: tuple[str, ...]
    per_code: tuple[CodeMetrics, ...]
    macro_f1: float | None
    micro_precision: float | None
    micro_recall: float | None
    micro_f1: float | None
    no_code_units: int
    no_code_with_suggestion: int
    out_of_scope: dict[str, int] = field(default_factory=dict)  # predicted codes left out -> units

    @property
    def no_code_share(self) -> float | None:
        return self.no_code_with_suggestion / self.no_code_units if self.no_code_units else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_code"] = [asdict(m) for m in self.per_code]
        data["scope"] = list(self.scope)
        data["no_code_share"] = self.no_code_share
        return data

    def to_markdown(self) -> str:
        def f(x: float | None) -> str:
            return "–" if x is None else f"{x:.3f}"

        rows = ["| code | support | predicted | TP | FP | FN | precision | recall | F1 | κ |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        rows += [f"| {m.code} | {m.support} | {m.predicted} | {m.tp} | {m.fp} | {m.fn} | {f(m.precision)} | "
                 f"{f(m.recall)} | {f(m.f1)} | {f(m.kappa)} |" for m in self.per_code]
        share = self.no_code_share
        rows += ["", f"units: {self.units}; macro-F1: {f(self.macro_f1)}; micro-F1: {f(self.micro_f1)} "
                 f"(P {f(self.micro_precision)}, R {f(self.micro_recall)}); no-code units with a suggestion: "
                 f"{self.no_code_with_suggestion} of {self.no_code_units}"
                 + ("" if share is None else f" ({share:.1%})")]
        if self.out_of_scope:
            rows.append("not evaluated (outside the gold's codes): "
                        + ", ".join(f"{c} ×{n}" for c, n in sorted(self.out_of_scope.items())))
        return "\n".join(rows)


def load_gold(path: str | Path, codebook: Codebook | None = None) -> list[GoldUnit]:
    """Read a gold JSONL file. Every problem raises BaolianError naming the file, the line and the field."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BaolianError(f"cannot read the gold file: {err.strerror or err}", file=path,
                           hint="check the path given to --gold") from None
    known = codebook.codes_by_id if codebook is not None else None
    units: list[GoldUnit] = []
    seen: dict[Any, int] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue

        def bad(message: str, field_: str | None = None, hint: str | None = None) -> BaolianError:
            return BaolianError(message, file=path, line=number, field=field_,
                                hint=hint or 'each line is {"id": ..., "text": ..., "codes": [...]}')

        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise bad("not UTF-8 text", hint="save the gold file as UTF-8") from None
        except json.JSONDecodeError as err:
            raise bad(f"bad JSON: {err.msg} at column {err.colno}") from None
        if not isinstance(obj, dict):
            raise bad(f"not a JSON object but {type(obj).__name__}")
        for key in ("id", "text", "codes"):
            if key not in obj:
                raise bad(f'missing "{key}"', key)
        uid, text, codes = obj["id"], obj["text"], obj["codes"]
        if isinstance(uid, bool) or not isinstance(uid, (str, int)):
            raise bad("the id must be a string or an integer", "id")
        if uid in seen:
            raise bad(f"duplicate id {uid!r} (first on line {seen[uid]})", "id", "give every gold unit its own id")
        seen[uid] = number
        if not isinstance(text, str):
            raise bad("the text must be a string", "text")
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise bad("codes must be a list of code ids", "codes", 'e.g. "codes": ["F1", "M2"], or [] for none')
        for code in codes:
            if known is not None and code not in known:
                raise bad(f"unknown code {code!r}: the codebook has no such code", "codes",
                          f"known codes: {', '.join(c.id for c in codebook.codable_codes())}")
            if known is not None and not known[code].codable:
                raise bad(f"code {code!r} is a grouping node, not a codable code", "codes",
                          f"use one of its children: {', '.join(c.id for c in codebook.children(code))}")
        units.append(GoldUnit(uid, text, frozenset(codes), number))
    if not units:
        raise BaolianError("the gold file has no units", file=path, hint="write one JSON object per line")
    return units


def load_gold_files(paths: Iterable[str | Path], codebook: Codebook | None = None) -> list[GoldUnit]:
    """Read several gold files as one set (:func:`load_gold` each); an id may appear in only one of them."""
    units: list[GoldUnit] = []
    first: dict[Any, tuple[Path, int]] = {}
    for path in paths:
        for unit in load_gold(path, codebook):
            if unit.id in first:
                where, line = first[unit.id]
                raise BaolianError(f"duplicate id {unit.id!r}: it is in more than one gold file (first in {where} "
                                   f"line {line})", file=path, line=unit.line, field="id",
                                   hint="give each file once; ids must be unique across the files")
            first[unit.id] = (Path(path), unit.line)
            units.append(unit)
    return units


def _mapper(scope: frozenset[str], codebook: Codebook | None):
    cache: dict[str, str | None] = {}

    def to_scope(code: str) -> str | None:
        if code in scope:
            return code
        if code not in cache:
            found = None
            if codebook is not None and code in codebook.codes_by_id:
                found = next((a.id for a in codebook.ancestors(code) if a.id in scope), None)
            cache[code] = found
        return cache[code]

    return to_scope


def evaluate(gold_units: Sequence[GoldUnit], predictions: Sequence[Iterable[str]], *,
             codebook: Codebook | None = None, scope: Iterable[str] | None = None) -> Report:
    """Score ``predictions`` (the suggested codes of each gold unit, same order) against the gold codes."""
    if len(predictions) != len(gold_units):
        raise BaolianError(f"{len(predictions)} predictions for {len(gold_units)} gold units",
                           hint="give one list of suggested codes per gold unit, in the same order")
    explicit = scope is not None
    scope_set = frozenset(scope) if explicit else frozenset(c for u in gold_units for c in u.codes)
    to_scope = _mapper(scope_set, codebook)
    gold = [{m for c in u.codes if (m := to_scope(c) if explicit else c) is not None} for u in gold_units]
    out_of_scope: Counter[str] = Counter()
    pred: list[set[str]] = []
    for codes in predictions:
        mapped = set()
        for c in set(codes):
            m = to_scope(c)
            if m is None:
                out_of_scope[c] += 1
            else:
                mapped.add(m)
        pred.append(mapped)
    order = {c.id: i for i, c in enumerate(codebook.codes)} if codebook is not None else {}
    codes = sorted(scope_set, key=lambda c: (order.get(c, len(order)), c))
    rows = [_metrics(code, [code in g for g in gold], [code in p for p in pred]) for code in codes]
    tp, fp, fn = (sum(getattr(m, k) for m in rows) for k in ("tp", "fp", "fn"))
    supported = [m.f1 for m in rows if m.support and m.f1 is not None]
    no_code = [i for i, g in enumerate(gold) if not g]
    return Report(
        units=len(gold_units), scope=tuple(codes), per_code=tuple(rows),
        macro_f1=sum(supported) / len(supported) if supported else None,
        micro_precision=_ratio(tp, tp + fp), micro_recall=_ratio(tp, tp + fn),
        micro_f1=_ratio(2 * tp, 2 * tp + fp + fn),
        no_code_units=len(no_code), no_code_with_suggestion=sum(1 for i in no_code if pred[i]),
        out_of_scope=dict(sorted(out_of_scope.items())))


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _metrics(code: str, gold: list[bool], pred: list[bool]) -> CodeMetrics:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    return CodeMetrics(code, tp + fn, tp + fp, tp, fp, fn, _ratio(tp, tp + fp), _ratio(tp, tp + fn),
                       _ratio(2 * tp, 2 * tp + fp + fn), kappa(gold, pred))


def kappa(gold: Sequence[bool], pred: Sequence[bool]) -> float:
    """Cohen's kappa of two presence vectors; 1.0 for identical constant vectors (undefined in sklearn)."""
    if len(set(gold)) <= 1 and len(set(pred)) <= 1:
        return 1.0 if list(gold) == list(pred) else 0.0
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score([int(g) for g in gold], [int(p) for p in pred], labels=[0, 1]))
    return 0.0 if math.isnan(value) else value


__all__ = ["CodeMetrics", "GoldUnit", "Report", "evaluate", "kappa", "load_gold", "load_gold_files"]
