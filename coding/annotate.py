"""Batch annotation: the fixed JSONL contract of ``baolian annotate``. Pure: no database.

Input: one JSON object per line, ``{"id": ..., "text": ...}`` (other keys ignored); each line is ONE
unit (sentence rules run on each sentence inside it, paragraph rules on the whole text; see
:func:`coding.rules.suggest_for_unit`). Output: one line per good input line, in input order::

    {"id": ..., "codes": [{"code": "M2", "score": 0.87, "origin": "rule",
                           "evidence": [{"start": 12, "end": 15, "text": "...", "rule": "..."}]}]}

codes sorted by score (desc), ties by code id; ``"codes": []`` when none; offsets are code points of
the line's ``text``; UTF-8 without ASCII escapes. A malformed line (not UTF-8, bad JSON, not an object,
``id`` missing or not a string/integer, ``text`` missing or not a string, lone surrogates) is skipped
and reported with its line number. Blank lines are no units and are passed over silently.

Large inputs (at least :data:`PARALLEL_MIN_BYTES`) are annotated by a pool of worker processes (fork
where available, which shares the compiled codebook; spawn rebuilds it) on chunks of lines, order kept.
The parent only reads blocks, sends them and writes the returned text: about 4 % of the CPU time of a
2-process run (0.13-0.15 s of 3-4 s for 2 M characters, ``benchmarks/annotate.py``); each worker
builds its own plan cache (:mod:`coding.rules`), so the workers together use a little more CPU than
one process does.

With a model (``--model``), rule and model scores are combined per code by :func:`combine`; then a
code is reported when its combined score is at least ``threshold`` (default 0.5). Without a model
every code whose rule fired is reported (its score is the rule weight). ``origin`` is ``"rule"`` when
a rule fired for the code and the mode uses rules (its evidence is attached), else ``"model"`` with
empty evidence.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coding.annotate_lines import rule_lines
from coding.combine import COMBINE_MODES, DEFAULT_COMBINE, DEFAULT_THRESHOLD, calibrated, combine, parse_mode
from coding.errors import BaolianError
from coding.rules import CompiledCodebook, suggest_for_units
from coding.suggest import unit_codes

PARALLEL_MIN_BYTES = 600_000  # about 200 k Chinese characters
CHUNK_CHARS = 40_000
_SURROGATE = re.compile("[\ud800-\udfff]")
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # == json.dumps(obj, ensure_ascii=False), built once
_SCAN_ONCE = json.JSONDecoder().scan_once  # (value, end) of the JSON value at an index; what json.loads calls


def load_model(path: str | Path) -> Any:
    """``coding.model.load_model(path)``, imported only when a model is asked for."""
    try:
        from coding.model import load_model as load
    except ImportError as err:
        raise BaolianError(f"cannot load a model: {err}", field="--model",
                           hint="annotate without --model (rules only), or install the model support") from None
    return load(path)


class Annotator:
    """Rules (and optionally a model) -> the output code records of the contract.

    ``threshold`` (with a model): the combined score a code needs to be reported; default 0.5. Model
    scores are first rescaled so that the model's per-code thresholds (``model.thresholds``) map to
    0.5 (:func:`calibrated`); the reported model scores are these rescaled values. With a
    model, a rule suggestion for a code the model has no label for counts for the nearest ancestor it
    has (M4.2 -> M4 for a model trained on the main codes), so that rules and model speak about the
    same code; codes without such an ancestor (e.g. R4) stay as they are.
    """

    def __init__(self, compiled: CompiledCodebook, model: Any = None, mode: str | None = None,
                 threshold: float | None = None) -> None:
        self.compiled = compiled
        self.model = model
        self.mode = mode or (DEFAULT_COMBINE if model is not None else "rules")
        kind = parse_mode(self.mode).kind
        if kind != "rules" and model is None:
            raise BaolianError(f"combination mode {self.mode!r} needs a model", field="--combine",
                               hint="give --model PATH, or use --combine rules")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise BaolianError(f"threshold {threshold} is out of range", field="--threshold",
                               hint="use a number from 0 to 1")
        self.uses_model = kind != "rules"
        self.uses_rules = kind != "model"
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        self._thresholds: dict[str, float] = {}
        # The model's per-code thresholds (tuned on out-of-fold predictions) are applied by rescaling its
        # scores so that each threshold maps to 0.5 (see calibrated()): then rules, model and their
        # combinations all speak on one scale and meet one threshold.
        self._model_thresholds = {c: float(v) for c, v in (getattr(model, "thresholds", None) or {}).items()}
        self._codes = {c.id for c in compiled.codebook.codable_codes()}
        self._lifted: dict[str, str] = {}

    @property
    def version(self) -> str:
        if not self.uses_model:
            return self.compiled.version
        model_version = str(getattr(self.model, "version", "model"))
        return model_version if not self.uses_rules else f"{self.compiled.version}+{model_version}:{self.mode}"

    def codes_for(self, texts: Sequence[str]) -> list[list[dict[str, Any]]]:
        """The ``codes`` list of the output line for each text."""
        if not self.uses_model:  # rules only: records straight from the raw findings
            return [[{"code": code, "score": round(float(score), 4), "origin": "rule",
                      "evidence": [{"start": s, "end": e, "text": text[s:e], "rule": rule} for s, e, rule in spans]}
                     for code, score, spans in codes]
                    for text, codes in zip(texts, unit_codes(texts, self.compiled), strict=True)]
        rules = suggest_for_units(texts, self.compiled) if self.uses_rules else [[] for _ in texts]
        predicted = self.model.predict(list(texts)) if texts else []
        out = []
        for sug, scores in zip(rules, predicted, strict=True):
            model_scores = {c: calibrated(float(v), self._model_thresholds.get(c, DEFAULT_THRESHOLD))
                            for c, v in scores.items() if c in self._codes}
            rule_scores: dict[str, float] = {}
            evidence: dict[str, set[Any]] = {}
            for s in sug:
                code = self._lift(s.code, model_scores)
                rule_scores[code] = max(rule_scores.get(code, 0.0), s.score)
                evidence.setdefault(code, set()).update(s.evidence)
            records = []
            for code, score in combine(rule_scores, model_scores, self.mode).items():
                if score < self._thresholds.get(code, self.threshold):
                    continue
                found = sorted(evidence.get(code, ()), key=lambda e: (e.start, e.end, e.rule))
                records.append(_record(code, score, "rule" if found else "model", found))
            records.sort(key=lambda r: (-r["score"], r["code"]))
            out.append(records)
        return out

    def _lift(self, code: str, labels: Mapping[str, float]) -> str:
        """``code``, or its nearest ancestor among the model's labels when the model lacks it."""
        if code in labels:
            return code
        if code not in self._lifted:
            cb = self.compiled.codebook
            self._lifted[code] = next((a.id for a in cb.ancestors(code) if a.id in labels), code)
        return self._lifted[code]


def _record(code: str, score: float, origin: str, evidence: Iterable[Any]) -> dict[str, Any]:
    return {"code": code, "score": round(float(score), 4), "origin": origin,
            "evidence": [{"start": e.start, "end": e.end, "text": e.text, "rule": e.rule} for e in evidence]}


# -- the JSONL contract ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str


@dataclass
class AnnotateReport:
    lines: int = 0  # non-blank input lines
    annotated: int = 0  # output lines written
    chars: int = 0  # characters of annotated text
    seconds: float = 0.0
    workers: int = 1
    skipped: list[Skipped] = field(default_factory=list)


def parse_line(raw: bytes | str) -> tuple[Any, str]:
    """(id, text) of one input line; raises ValueError naming what is wrong."""
    try:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"bad JSON: {err.msg} at column {err.colno}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"not a JSON object but {type(obj).__name__}; write {{\"id\": ..., \"text\": ...}}")
    if "id" not in obj:
        raise ValueError('missing "id"')
    uid = obj["id"]
    if isinstance(uid, bool) or not isinstance(uid, (str, int)):
        raise ValueError(f'"id" must be a string or an integer, got {json.dumps(uid, ensure_ascii=False)[:40]}')
    if "text" not in obj:
        raise ValueError('missing "text"')
    text = obj["text"]
    if not isinstance(text, str):
        raise ValueError(f'"text" must be a string, got {type(text).__name__}')
    # in text decoded from UTF-8, a lone surrogate can only come from a \\u escape
    if ((not isinstance(raw, bytes) or "\\u" in line)
            and (_SURROGATE.search(text) or (isinstance(uid, str) and _SURROGATE.search(uid)))):
        raise ValueError("contains invalid Unicode (a lone surrogate escape such as \\ud800)")
    return uid, text


Result = tuple[str, list[Skipped], int, int]  # output text, skipped lines, lines written, characters
Encoded = tuple[bytes, list[Skipped], int, int]  # the same with the output text encoded to UTF-8


def annotate_block(annotator: Annotator, first_line: int, block: bytes) -> Result:
    """Annotate a block of whole input lines whose first line has number ``first_line``."""
    # The cyclic garbage collector is paused for the block: it makes no reference cycles, and the
    # collector would otherwise walk the block's many small objects again and again (about 6 % of the time).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _annotate_block(annotator, first_line, block)
    finally:
        if paused:
            gc.enable()


def _parse_block(first_line: int, block: bytes) -> tuple[list[tuple[Any, str]], list[Skipped]]:
    """(id, text) of the good lines of a block, and the skipped ones (see :func:`parse_line`).

    Fast path, for the usual line ``{...}`` of valid UTF-8 without ``\\u`` escapes: the whole block is
    decoded at once and each line is parsed by one call of json's C scanner; any other line (or
    object) goes through :func:`parse_line`, so the result and the reasons are the same."""
    raws = block.split(b"\n")
    try:
        lines = block.decode("utf-8").split("\n")  # a newline byte is never part of a longer character
    except UnicodeDecodeError:
        lines = [None] * len(raws)  # type: ignore[list-item]
    good: list[tuple[Any, str]] = []
    skipped: list[Skipped] = []
    scan = _SCAN_ONCE
    for number, (raw, line) in enumerate(zip(raws, lines, strict=True), start=first_line):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw, line = raw[3:], (None if line is None else line[1:])
        if not raw.strip():  # blank lines (and the end of the block) are no units
            continue
        if line is not None and line[:1] == "{" and line[-1:] == "}" and "\\u" not in line:
            try:
                obj, end = scan(line, 0)
            except (StopIteration, ValueError):
                end = -1
            if end == len(line) and type(obj) is dict:
                uid, text = obj.get("id"), obj.get("text")
                if type(text) is str and (type(uid) is str or type(uid) is int):
                    good.append((uid, text))
                    continue
        try:
            good.append(parse_line(raw))
        except ValueError as err:
            skipped.append(Skipped(number, str(err)))
    return good, skipped


def _annotate_block(annotator: Annotator, first_line: int, block: bytes) -> Result:
    good, skipped = _parse_block(first_line, block)
    texts = [text for _, text in good]
    if annotator.uses_model:
        encode = _ENCODE
        lines = [encode({"id": uid, "codes": c}) + "\n"
                 for (uid, _), c in zip(good, annotator.codes_for(texts), strict=True)]
    else:
        lines = rule_lines(good, unit_codes(texts, annotator.compiled))
    return "".join(lines), skipped, len(good), sum(map(len, texts))


def _blocks(handle: Any, size: int) -> Iterator[tuple[int, bytes]]:
    """(number of the first line, bytes of whole lines) of about ``size`` bytes each."""
    number = 1
    while block := handle.read(size):
        if not block.endswith(b"\n"):
            block += handle.readline()
        yield number, block
        number += block.count(b"\n")


_STATE: Annotator | None = None


def _init_worker(annotator: Annotator) -> None:
    global _STATE
    _STATE = annotator


def _work(item: tuple[int, bytes]) -> Encoded:
    """:func:`annotate_block` in a worker, its output already encoded: the parent then only writes bytes
    (pickling a str encodes it to UTF-8 anyway, and the parent would decode it and encode it again)."""
    assert _STATE is not None
    return _encoded(annotate_block(_STATE, *item))


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def annotate_file(in_path: str | Path, out_path: str | Path, annotator: Annotator, *, workers: int | None = None,
                  chunk_chars: int = CHUNK_CHARS, parallel_min_bytes: int = PARALLEL_MIN_BYTES) -> AnnotateReport:
    """Annotate IN.jsonl into OUT.jsonl (written atomically). The function behind ``baolian annotate``.

    ``workers``: processes for inputs of at least ``parallel_min_bytes`` (default: the CPUs available);
    1 = this process only. ``chunk_chars``: about how many characters a worker gets at a time.
    """
    in_path, out_path = Path(in_path), Path(out_path)
    try:
        size = in_path.stat().st_size
        handle = in_path.open("rb")
    except OSError as err:
        raise BaolianError(f"cannot read the input: {err.strerror or err}", file=in_path,
                           hint="check the path given to --in") from None
    workers = default_workers() if workers is None else max(1, int(workers))
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods else "spawn"
    if size < parallel_min_bytes or (method == "spawn" and annotator.model is not None):
        workers = 1
    report = AnnotateReport(workers=workers)
    t0 = time.perf_counter()
    tmp: str | None = None
    with handle:
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the output the usual mode
            with os.fdopen(fd, "wb") as out:  # UTF-8 written by the block (lone surrogates are refused)
                blocks = _blocks(handle, chunk_chars * 3)  # about chunk_chars Chinese characters
                if workers == 1:
                    _drain((_encoded(annotate_block(annotator, *b)) for b in blocks), out, report)
                else:
                    ctx = multiprocessing.get_context(method)
                    gc.freeze()  # forked workers: the collector then never writes to (and copies) inherited pages
                    try:
                        with ctx.Pool(workers, initializer=_init_worker, initargs=(annotator,)) as pool:
                            _drain(pool.imap(_work, blocks), out, report)
                    finally:
                        gc.unfreeze()
            os.replace(tmp, out_path)
            tmp = None
        except OSError as err:
            raise BaolianError(f"cannot write the output: {err.strerror or err}", file=out_path,
                               hint="check that the folder of --out exists and is writable") from None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
    report.seconds = time.perf_counter() - t0
    return report


def _encoded(result: Result) -> Encoded:
    """``result`` with its output text encoded (the file is written in binary)."""
    text, skipped, written, chars = result
    return text.encode(), skipped, written, chars


def _drain(results: Iterable[Encoded], out: Any, report: AnnotateReport) -> None:
    for data, skipped, written, chars in results:
        out.write(data)
        report.annotated += written
        report.lines += written + len(skipped)
        report.skipped += skipped
        report.chars += chars


__all__ = ["COMBINE_MODES", "DEFAULT_THRESHOLD", "AnnotateReport", "Annotator", "Skipped", "annotate_block",
           "annotate_file", "combine", "DEFAULT_COMBINE", "load_model", "parse_line", "parse_mode"]
