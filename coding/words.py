"""Chinese word segmentation: one engine behind one API, plus a spaCy tokenizer.

:class:`WordSegmenter` owns its own dictionary instance -- an ``rjieba.Jieba``
when rjieba is installed, else a ``jieba.Tokenizer`` -- never the global
``jieba`` module, so user words never leak between segmenters or processes.

Both engines give the same tokens (tested on the demo corpus): HMM is on for
both, and the jieba engine is driven through :class:`_JiebaCompat`, which
reproduces the three places where rjieba (jieba-rs 0.11) differs from Python
jieba 0.42.1:

1. In the HMM fallback, ASCII letter/digit runs joined by ``.``, ``_`` or ``-``
   stay one token (``e.g``, ``COVID-19``, ``3.5.6``); jieba splits them.
2. CJK characters outside U+4E00..U+9FD5 (U+9FD6..U+9FFF, extensions A-F,
   compatibility ideographs) belong to the dictionary blocks, not to the
   punctuation blocks that are cut character by character.
3. ``add_word`` on a word already in the dictionary replaces its frequency in
   the dictionary total; jieba adds the new frequency without removing the old.

User words get frequency :data:`USER_WORD_FREQ`: a jieba entry *replaces* the
word's built-in frequency, and a low one lets the route split it again.

Offsets are code points (``str`` indices). :meth:`WordSegmenter.cut` is
lossless (``"".join(cut(t)) == t``, whitespace tokens included);
:meth:`WordSegmenter.spans` leaves out whitespace-only tokens.

Importing this module does not import spaCy (about a second, more than jieba
needs to load its dictionary): the tokenizer factory is registered in spaCy's
``tokenizers`` registry through catalogue, which spaCy's registry reads, and
spaCy itself is imported only when a ``Doc`` is built or :func:`make_nlp` runs.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import catalogue

from .errors import BaolianError

USER_WORD_FREQ = 100_000
ENGINES = ("rjieba", "jieba")
TOKENIZER_NAME = "baolian.JiebaTokenizer.v1"
_FORMAT = 1

# rjieba is imported when the first rjieba segmenter is built: its import
# loads a default dictionary (~0.1 s) that segment-only callers do not need.
_HAS_RJIEBA = importlib.util.find_spec("rjieba") is not None


def available_engines() -> tuple[str, ...]:
    """The engines that can be built here, preferred first."""
    return ENGINES if _HAS_RJIEBA else ("jieba",)


def _resolve_engine(engine: str | None) -> str:
    if engine is None:
        return available_engines()[0]
    if engine not in ENGINES:
        raise BaolianError(
            f"unknown word segmentation engine {engine!r}",
            field="engine",
            hint="use 'rjieba', 'jieba', or leave it empty to pick automatically",
        )
    if engine == "rjieba" and not _HAS_RJIEBA:
        raise BaolianError(
            "the rjieba engine was asked for but rjieba is not installed",
            field="engine",
            hint="pip install rjieba, or use engine 'jieba' (same tokens, slower)",
        )
    return engine


def clean_user_words(words: Iterable[str]) -> tuple[str, ...]:
    """Strip, drop empties and duplicates (first occurrence wins).

    Words that contain whitespace are dropped too: whitespace always separates
    tokens in both engines, so such a word could never become one token.
    """
    if isinstance(words, str):
        raise BaolianError(
            "user words must be a list of words, not a single string",
            field="user_words",
            hint="pass e.g. ['包联领导', '工作专班']",
        )
    out: dict[str, None] = {}
    try:
        items = list(words)
    except TypeError:
        raise BaolianError(
            f"user words must be a list of words, got {type(words).__name__}",
            field="user_words",
            hint="pass e.g. ['包联领导', '工作专班']",
        ) from None
    for word in items:
        if not isinstance(word, str):
            raise BaolianError(
                f"user word {word!r} is not text",
                field="user_words",
                hint="every user word must be a string",
            )
        word = word.strip()
        if word and not _HAS_SPACE.search(word):
            out[word] = None
    return tuple(out)


_HAS_SPACE = re.compile(r"\s")

# --- jieba engine made to cut exactly like rjieba --------------------------

_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
    "\U0002a700-\U0002b73f\U0002b740-\U0002b81f\U0002b820-\U0002ceaf"
    "\U0002ceb0-\U0002ebef\U0002f800-\U0002fa1f"
)
# Dictionary blocks (jieba-rs ``is_han_default``); everything else is cut
# character by character, "\r\n" kept together.
_BLOCK = re.compile(f"[{_CJK}a-zA-Z0-9+#&._%\\-]+")
_OTHER = re.compile(r"\r\n|[\s\S]")
# HMM fallback: Han characters for the Viterbi pass, and the jieba-rs rule for
# the rest ("skip" runs: alphanumerics joined by . _ -, optional %).
_HMM_HAN = re.compile("([\u4e00-\u9fd5]+)")
_HMM_SKIP = re.compile(r"([a-zA-Z0-9]+(?:[._\-][a-zA-Z0-9]+)*%?)")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _JiebaCompat:
    """A private ``jieba.Tokenizer`` cut the way rjieba cuts (HMM on)."""

    def __init__(self, words: tuple[str, ...]) -> None:
        import jieba
        import jieba.finalseg

        tok = jieba.Tokenizer()
        tok.initialize()
        self._dictionary: dict[str, int] = {}  # the user words' frequencies before they were replaced
        for word in words:
            old = self._dictionary[word] = tok.FREQ.get(word, 0)
            tok.add_word(word, USER_WORD_FREQ)
            tok.total -= old  # replace, as jieba-rs does (see module doc, 3.)
        self._tok = tok
        self._freq = tok.FREQ
        self._viterbi = getattr(jieba.finalseg, "__cut")

    def cut(self, text: str) -> list[str]:
        bad = _SURROGATE.search(text)
        if bad:  # rjieba cannot take them either
            raise UnicodeEncodeError("utf-8", text, bad.start(), bad.end(), "surrogates not allowed")
        out: list[str] = []
        pos = 0
        for m in _BLOCK.finditer(text):
            if m.start() > pos:
                out.extend(_OTHER.findall(text, pos, m.start()))
            self._cut_block(m.group(), out)
            pos = m.end()
        if pos < len(text):
            out.extend(_OTHER.findall(text, pos))
        return out

    def frequency(self, word: str) -> int:
        """``suggest_freq(word)``, a user word with its frequency from before it was added (see
        :meth:`WordSegmenter.frequency`)."""
        if word in self._dictionary:
            return max(self._dictionary[word], 1)
        return self._tok.suggest_freq(word)

    def _cut_block(self, block: str, out: list[str]) -> None:
        tok = self._tok
        dag = tok.get_DAG(block)
        route: dict[int, tuple[float, int]] = {}
        tok.calc(block, dag, route)
        x, n, left = 0, len(block), -1
        while x < n:
            y = route[x][1] + 1
            if y - x == 1:
                if left < 0:
                    left = x
            else:
                if left >= 0:
                    self._cut_run(block[left:x], out)
                    left = -1
                out.append(block[x:y])
            x = y
        if left >= 0:
            self._cut_run(block[left:], out)

    def _cut_run(self, run: str, out: list[str]) -> None:
        """A run of single-character route steps (jieba's ``buf``)."""
        if len(run) == 1:
            out.append(run)
        elif self._freq.get(run):
            out.extend(run)
        else:
            for piece in _HMM_HAN.split(run):
                if not piece:
                    continue
                if "\u4e00" <= piece[0] <= "\u9fd5":
                    out.extend(self._viterbi(piece) if len(piece) > 1 else (piece,))
                else:
                    out.extend(p for p in _HMM_SKIP.split(piece) if p)


def _build_cut(engine: str, words: tuple[str, ...]) -> tuple[Callable[[str], list[str]], Callable[[str], int]]:
    """The cut function of the engine, and the frequency estimate of a word in its default dictionary."""
    if engine == "rjieba":
        import rjieba

        jb = rjieba.Jieba()
        for word in words:
            jb.add_word(word, USER_WORD_FREQ, None)
        cut = jb.cut
        return (lambda text: cut(text, True)), rjieba.suggest_freq  # the module's default Jieba
    compat = _JiebaCompat(words)
    return compat.cut, compat.frequency


class WordSegmenter:
    """Word segmentation with a private dictionary and fixed user words.

    ``engine``: "rjieba", "jieba" or None (rjieba when installed). Immutable:
    to change the words, build a new segmenter. Pickles by rebuilding.
    """

    def __init__(self, user_words: Iterable[str] = (), engine: str | None = None) -> None:
        self._requested = engine
        self._engine = _resolve_engine(engine)
        self._words = clean_user_words(user_words)
        self._cut, self._frequency = _build_cut(self._engine, self._words)

    @property
    def engine(self) -> str:
        return self._engine

    @property
    def user_words(self) -> tuple[str, ...]:
        return self._words

    def cut(self, text: str) -> list[str]:
        """All tokens, whitespace included: ``"".join(cut(text)) == text``."""
        if not isinstance(text, str):
            raise BaolianError(
                f"text to segment must be a string, got {type(text).__name__}",
                hint="decode the document to text first",
            )
        try:
            return self._cut(text)
        except UnicodeEncodeError:
            raise BaolianError(
                "text contains characters that are not valid Unicode (lone surrogates)",
                hint="re-import the document so that its text is normalised",
            ) from None

    def frequency(self, word: str) -> int:
        """About how common ``word`` is in general text: jieba's ``suggest_freq`` (its frequency in the
        dictionary, or what the probabilities of its pieces give when it is no word there; at least 1).
        rjieba: the module's default dictionary, without user words; jieba: the private dictionary, where
        a user word counts with the frequency it had before it was added."""
        return self._frequency(word)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` code-point offsets of the non-whitespace tokens."""
        out: list[tuple[int, int]] = []
        pos = 0
        for word in self.cut(text):
            end = pos + len(word)
            if not word.isspace():
                out.append((pos, end))
            pos = end
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (WordSegmenter, (self._words, self._requested))

    def __repr__(self) -> str:
        return f"WordSegmenter(engine={self._engine!r}, user_words={len(self._words)})"


# --- spaCy tokenizer ----------------------------------------------------------


def words_and_spaces(tokens: Iterable[str]) -> tuple[list[str], list[bool]]:
    """spaCy ``words``/``spaces`` from lossless tokens, in one pass.

    Same result as ``spacy.util.get_words_and_spaces(tokens, "".join(tokens))``
    (tested), which searches the rest of the text for every word and so takes
    quadratic time on long documents. One space after a word becomes its
    trailing space; other whitespace becomes tokens of its own.
    """
    words: list[str] = []
    spaces: list[bool] = []
    gap: list[str] = []
    for tok in tokens:
        if tok.isspace():
            gap.append(tok)
            continue
        if gap:
            _flush_gap(gap, words, spaces)
        words.append(tok)
        spaces.append(False)
    if gap:
        _flush_gap(gap, words, spaces)
    return words, spaces


def _flush_gap(gap: list[str], words: list[str], spaces: list[bool]) -> None:
    text = "".join(gap)
    gap.clear()
    if words and text[0] == " ":
        spaces[-1] = True
        text = text[1:]
    if text:
        words.append(text)
        spaces.append(False)


_Doc: Any = None


class JiebaTokenizer:
    """spaCy tokenizer around a :class:`WordSegmenter`; ``doc.text == text``."""

    def __init__(self, vocab: Any, segmenter: WordSegmenter | None = None) -> None:
        self.vocab = vocab
        self.segmenter = segmenter if segmenter is not None else WordSegmenter()

    def __call__(self, text: str) -> Any:
        global _Doc
        if _Doc is None:
            from spacy.tokens import Doc as _Doc
        words, spaces = words_and_spaces(self.segmenter.cut(text))
        return _Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Any]:
        for text in texts:
            yield self(text)

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        data = {
            "format": _FORMAT,
            "user_words": list(self.segmenter.user_words),
            "engine": self.segmenter._requested,
        }
        return json.dumps(data, ensure_ascii=False).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> JiebaTokenizer:
        try:
            cfg = json.loads(data.decode("utf-8"))
            words, engine = cfg["user_words"], cfg.get("engine")
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
            raise BaolianError(
                "the saved word segmenter settings are damaged",
                field="tokenizer",
                hint="rebuild the pipeline with coding.words.make_nlp and save it again",
            ) from None
        self.segmenter = WordSegmenter(words, engine)
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        Path(path).write_bytes(self.to_bytes())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> JiebaTokenizer:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise BaolianError(
                f"cannot read the saved word segmenter settings: {err.strerror}",
                file=path,
                hint="save the pipeline again with nlp.to_disk",
            ) from None
        try:
            return self.from_bytes(data)
        except BaolianError as err:
            err.file = str(path)
            raise

    def __reduce__(self) -> tuple[Any, ...]:
        return (JiebaTokenizer, (self.vocab, self.segmenter))


def create_tokenizer(user_words: list[str] = [], engine: str | None = None):  # noqa: B006
    """The registered factory ``baolian.JiebaTokenizer.v1``."""
    segmenter = WordSegmenter(user_words, engine)

    def make(nlp: Any) -> JiebaTokenizer:
        return JiebaTokenizer(nlp.vocab, segmenter)

    return make


# Same entry as ``@spacy.registry.tokenizers(TOKENIZER_NAME)``: spaCy's
# registry is catalogue's, namespace ("spacy", "tokenizers").
catalogue.Registry(("spacy", "tokenizers")).register(TOKENIZER_NAME, func=create_tokenizer)


def make_nlp(user_words: Iterable[str] = (), engine: str | None = None) -> Any:
    """A blank Chinese spaCy pipeline whose tokenizer is a WordSegmenter.

    Saves with ``nlp.to_disk`` and loads with ``spacy.load`` (after importing
    this module); the user words live in the config and the tokenizer file.
    """
    import spacy

    words = list(clean_user_words(user_words))
    _resolve_engine(engine)
    config = {"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME, "user_words": words, "engine": engine}}}
    return spacy.blank("zh", config=config)
