"""The Python jieba engine cut exactly the way rjieba cuts (HMM on), for machines without rjieba.

:class:`JiebaCompat` drives a private ``jieba.Tokenizer`` and reproduces the three places where rjieba
(jieba-rs 0.11) differs from Python jieba 0.42.1:

1. In the HMM fallback, ASCII letter/digit runs joined by ``.``, ``_`` or ``-``
   stay one token (``e.g``, ``COVID-19``, ``3.5.6``); jieba splits them.
2. CJK characters outside U+4E00..U+9FD5 (U+9FD6..U+9FFF, extensions A-F,
   compatibility ideographs) belong to the dictionary blocks, not to the
   punctuation blocks that are cut character by character.
3. ``add_word`` on a word already in the dictionary replaces its frequency in
   the dictionary total; jieba adds the new frequency without removing the old.

Used through :class:`coding.words.WordSegmenter` (engine ``"jieba"``).
"""

from __future__ import annotations

import re

from .words import USER_WORD_FREQ

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


class JiebaCompat:
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
            tok.total -= old  # replace, as jieba-rs does (see the module doc, 3.)
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
