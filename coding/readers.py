"""Format readers for document import: plain text (with encoding detection); .docx and .pdf are read by
:mod:`coding.readers_docx` and :mod:`coding.readers_pdf`.

Pure functions: bytes/files in, raw text out. Normalisation happens in :mod:`coding.corpus`.
Every problem the user can fix raises :class:`~coding.errors.ImportProblem`.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from functools import cache
from pathlib import Path

from coding.errors import ImportProblem

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Legacy candidates tried in this order; ties in plausibility go to the earlier one.
_LEGACY = ("gb18030", "big5", "cp950", "big5hkscs")
# Single-byte codecs that decode any byte sequence: their "success" says nothing, so charset-normalizer
# guesses in these families are not accepted.
_ANY_BYTES = re.compile(r"^(latin_1|iso8859_\d+|cp437|cp85\d|mac_\w+|koi8_\w+|tis_620|hp_roman8|ptcp154|kz1048)$")
_MULTIBYTE = re.compile(r"gb|big5|cp9[345]\d|shift_jis|euc|johab|hz|iso2022")
_SAMPLE_CHARS = 200_000
_MIN_PLAUSIBILITY = 0.6
_CONTROL = frozenset(range(0, 9)) | {0x0B, 0x7F} | frozenset(range(0x0E, 0x1B)) | frozenset(range(0x1C, 0x20))
_MAGIC = ((b"%PDF-", "a PDF"), (b"PK\x03\x04", "a zip archive or .docx"), (b"\xd0\xcf\x11\xe0", "an old Office file (.doc)"),
          (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"))


def _size(n: float) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"


def too_big(path: Path, size: int, max_bytes: int | None) -> None:
    """Raise if ``size`` exceeds ``max_bytes`` (None = no limit)."""
    if max_bytes is not None and size > max_bytes:
        need = -(-size // (1024 * 1024))
        raise ImportProblem(f"file is {_size(size)}, over the import limit of {_size(max_bytes)}", file=path,
                            hint=f"raise the limit, e.g. --max-mb {need}, or split the file")


def file_status(path: Path) -> os.stat_result | None:
    """``os.stat`` of ``path`` (following links), None if it does not exist; an ImportProblem if it cannot be
    looked at (e.g. a folder on the way is not readable), where ``Path.exists()`` would raise PermissionError."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ImportProblem(f"cannot access the file: {exc.strerror or exc}", file=path,
                            hint="check that you may read the file and the folders it is in") from None
    except ValueError:  # e.g. a NUL character in the name
        return None


def read_bytes(path: Path, max_bytes: int | None) -> bytes:
    """Read a whole file after the existence, type and size checks shared by all formats."""
    info = file_status(path)
    if info is None:
        raise ImportProblem("file does not exist", file=path, hint="check the path and the spelling")
    if stat.S_ISDIR(info.st_mode):
        raise ImportProblem("is a folder, not a file", file=path, hint="pass the files, or import the folder as a whole")
    try:
        too_big(path, info.st_size, max_bytes)
        data = path.read_bytes()
    except OSError as exc:
        raise ImportProblem(f"cannot read the file: {exc.strerror or exc}", file=path,
                            hint="check that the file is readable") from None
    if not data:
        raise ImportProblem("file is empty (0 bytes)", file=path, hint="remove it or add the text")
    return data


@cache
def _common_hanzi() -> frozenset[str]:
    """GB2312 level 1 (3755 most common simplified) + Big5 level 1 (5401 common traditional) characters."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA4, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if (lead, trail) >= (0xC6, 0x7F):
                break
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


# Non-ideograph ranges normal in Chinese text: Latin-1/Latin Extended, general punctuation, currency, letterlike
# symbols, number forms, arrows, maths, enclosed numbers (①), box drawing, shapes (■●), misc symbols (★), CJK symbols and
# punctuation, enclosed CJK (㈠), CJK compatibility, vertical and small forms, half/full-width forms.
_USUAL = ((0x00A0, 0x024F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x22FF),
          (0x2460, 0x26FF), (0x3000, 0x303F), (0x3200, 0x33FF), (0xFE10, 0xFE6F), (0xFF00, 0xFFEF))


def plausibility(text: str, codec: str = "") -> float:
    """Share (0..1) of non-ASCII characters that are plausible in real text (sampled from the start).

    Rare ideographs (outside GB2312 level 1 + Big5 level 1), private-use, unassigned and control characters
    count as wrong. For multibyte codecs (CJK, UTF-16/32), characters outside the usual ranges of Chinese
    text (kana, hangul, Greek, Cyrillic, other scripts; kana/hangul are fine for Japanese/Korean codecs)
    count half wrong: they are what mis-decoded Chinese turns into. No non-ASCII characters scores 1.
    """
    common = _common_hanzi()
    strict = bool(_MULTIBYTE.search(codec)) or codec.startswith("utf")
    cjk_lang = codec.startswith(("shift_jis", "cp932", "euc_j", "iso2022_jp", "euc_kr", "cp949", "johab"))
    bad = 0.0
    total = 0
    for ch in text[:_SAMPLE_CHARS]:
        o = ord(ch)
        if o < 0x80:
            if o in _CONTROL:
                bad, total = bad + 1, total + 1
            continue
        total += 1
        if 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or o >= 0x20000:
            bad += ch not in common
        elif o < 0xA0 or 0xE000 <= o <= 0xF8FF or o == 0xFFFD or unicodedata.category(ch) in ("Cn", "Co", "Cs", "Cc"):
            bad += 1
        elif strict and not any(lo <= o <= hi for lo, hi in _USUAL):
            kana_hangul = 0x3040 <= o <= 0x30FF or 0xAC00 <= o <= 0xD7A3 or 0x3130 <= o <= 0x318F
            bad += 0 if cjk_lang and kana_hangul else 0.5
    return 1.0 if total == 0 else 1.0 - bad / total


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _wide_candidates(data: bytes) -> list[str]:
    """UTF-16/32 codecs (without BOM) that fit the length of the data."""
    names = ["utf-32-le", "utf-32-be"] if len(data) % 4 == 0 else []
    return names + (["utf-16-le", "utf-16-be"] if len(data) % 2 == 0 else [])


def _binary(path: Path, data: bytes) -> ImportProblem:
    kind = next((name for magic, name in _MAGIC if data.startswith(magic)), None)
    what = f"looks like a binary file ({kind}), not text" if kind else "looks like a binary file, not text"
    return ImportProblem(what, file=path, hint="import text files (.txt/.md), .docx or .pdf; give files their real extension")


def _normalizer_guess(data: bytes) -> tuple[str | None, float]:
    """charset-normalizer's best codec for (a prefix of) the data, with its language coherence (0..1)."""
    from charset_normalizer import from_bytes

    cut = data[:262_144]
    if len(data) > len(cut) and b"\n" in cut:  # cut at a line end, never inside a multibyte character
        cut = cut[: cut.rindex(b"\n") + 1]
    try:
        best = from_bytes(cut).best()
    except Exception:  # a guess only; never let the helper break an import
        return None, 0.0
    return (best.encoding, best.coherence) if best is not None else (None, 0.0)


def _codec_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name  # _strict() then fails on it


def _pick(data: bytes, names: list[str]) -> tuple[float, str, str] | None:
    """(plausibility, codec, text) of the most plausible strict decoding; ties go to the earlier codec."""
    best = None
    for codec in dict.fromkeys(_codec_name(n) for n in names):
        text = _strict(data, codec)
        if text is not None:
            score = plausibility(text, codec)
            if best is None or score > best[0]:
                best = (score, codec, text)
    return best


# Encodings whose text with a few invalid bytes is refused by name (and line) rather than decoded as mojibake.
_NEAR_MISS = (("utf-8", "UTF-8"), ("gb18030", "GB18030/GBK"), ("big5", "Big5"))
_MAX_BAD_SHARE = 0.05  # more undecodable bytes than 3 or this share of the non-ASCII characters: not a near miss


def _refuse_near_miss(data: bytes, path: Path) -> None:
    """Raise if ``data`` is clearly UTF-8, GB18030/GBK or Big5 text spoiled by a few invalid byte sequences.

    The error names the encoding, the number of bad sequences and the line of the first one, so the user can
    repair the file; importing it with any other codec would store mojibake.
    """
    best = None
    for codec, label in _NEAR_MISS:
        try:
            data.decode(codec)
            continue  # decodes strictly: not a near miss
        except UnicodeDecodeError as exc:
            first = exc.start
        text = data.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        non_ascii = sum(1 for ch in text[:_SAMPLE_CHARS] if ord(ch) >= 0x80)
        sample_bad = text[:_SAMPLE_CHARS].count("\ufffd")
        if non_ascii - sample_bad < 4 or sample_bad > max(3, _MAX_BAD_SHARE * non_ascii):
            continue
        score = plausibility(text.replace("\ufffd", ""), codec)
        if score >= _MIN_PLAUSIBILITY and (best is None or score > best[0]):
            best = (score, label, bad, first)
    if best is None:
        return
    _, label, bad, first = best
    line = data.count(b"\n", 0, first) + 1  # b"\n" is never part of a multibyte character in these encodings
    what = "an invalid byte sequence" if bad == 1 else f"{bad} invalid byte sequences"
    raise ImportProblem(f"looks like {label} text but has {what}, the first at byte {first}", file=path, line=line,
                        hint=f"repair or delete the damaged characters (open it as {label} in an editor and re-save "
                             "it as UTF-8); it is not imported so as not to store garbled text")


def decode_bytes(data: bytes, path: Path) -> tuple[str, str]:
    """Decode text bytes, detecting the encoding from the bytes alone. Returns (text, encoding)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is None:
                family = codec.upper().removesuffix("-SIG")
                raise ImportProblem(f"starts with a {family} byte-order mark but is not valid {family}",
                                    file=path, hint="re-save the file as UTF-8")
            return text, codec
    head = data[:1_000_000]
    binary_like = len(head) - len(head.translate(None, bytes(_CONTROL))) > 0.01 * len(head)  # NUL included
    if b"\x00" in data or binary_like:  # UTF-16/32 without BOM, binary, or text with a few stray NULs
        best = _pick(data, _wide_candidates(data))
        if best is not None and best[0] >= _MIN_PLAUSIBILITY:
            return best[2], best[1]
        if binary_like:
            raise _binary(path, data)
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    guess, coherence = _normalizer_guess(data)
    multibyte = [*_LEGACY, *([guess] if guess and _MULTIBYTE.search(guess) else []), *_wide_candidates(data)]
    single = [*([guess] if guess and coherence >= 0.2 and not _ANY_BYTES.match(guess) else []), "cp1252"]
    decoded = False
    for tier in (multibyte, single):  # Chinese and other multibyte codecs first; single-byte only if none fits
        best = _pick(data, tier)
        decoded = decoded or best is not None
        if best is not None and best[0] >= _MIN_PLAUSIBILITY:
            return best[2], best[1]
        if tier is multibyte:  # Chinese text with a few bad bytes must not fall through to a single-byte codec
            _refuse_near_miss(data, path)
    if not decoded:
        raise ImportProblem("cannot decode the bytes: not UTF-8, UTF-16, GB18030/GBK, Big5 or another known encoding",
                            file=path, hint="open it in an editor and re-save it as UTF-8")
    raise ImportProblem("cannot tell the text encoding (every candidate gives garbled text)",
                        file=path, hint="open it in an editor and re-save it as UTF-8")


def read_text_file(path: str | Path, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> tuple[str, str]:
    """Read a text file and return ``(text, encoding)``.

    The encoding is detected from the bytes, never from the extension:

    1. a byte-order mark (UTF-32, UTF-8, UTF-16);
    2. NUL or more than 1 % control bytes: UTF-16/32 LE/BE without BOM if one decodes to plausible text,
       else "looks like a binary file" (a few stray NULs in otherwise normal text are tolerated);
    3. strict UTF-8;
    4. the most plausible strict decoding (see :func:`plausibility`) among GB18030 (superset of
       GB2312/GBK), big5, cp950, big5hkscs, a multibyte charset-normalizer guess and UTF-16 LE/BE;
       ties go to that order;
    5. only if none of those is plausible: a single-byte charset-normalizer guess, then cp1252.

    ``encoding`` is the Python codec name that decoded the bytes ("utf-8", "utf-8-sig", "utf-16",
    "utf-16-le", "gb18030", "big5", ...); GB2312/GBK files are decoded and reported as "gb18030".
    The text is decoded only (a BOM is dropped by the codec); it is not normalised.
    """
    path = Path(path)
    return decode_bytes(read_bytes(path, max_bytes), path)
