"""Chinese word segmentation: one engine behind one API, plus a spaCy tokenizer.

:class:`WordSegmenter` owns its own dictionary instance -- an ``rjieba.Jieba``
when rjieba is installed, else a ``jieba.Tokenizer`` -- never the global
``jieba`` module, so user words never leak between segmenters or processes.

Both engines give the same tokens (tested on the demo corpus): HMM is on for
both, and the jieba engine is driven through :class:`coding.jieba_compat.JiebaCompat`,
which reproduces the places where rjieba (jieba-rs 0.11) differs from Python jieba.

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

def _build_cut(engine: str, words: tuple[str, ...]) -> tuple[Callable[[str], list[str]], Callable[[str], int]]:
    """The cut function of the engine, and the frequency estimate of a word in its default dictionary."""
    if engine == "rjieba":
        import rjieba

        jb = rjieba.Jieba()
        for word in words:
            jb.add_word(word, USER_WORD_FREQ, None)
        cut = jb.cut
        return (lambda text: cut(text, True)), rjieba.suggest_freq  # the module's default Jieba
    from .jieba_compat import JiebaCompat

    compat = JiebaCompat(words)
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
