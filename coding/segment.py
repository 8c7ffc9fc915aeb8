"""Paragraphs, sentences and speaker turns of a document, as code-point spans.

Every segment satisfies ``text[start:end]`` non-empty with no leading or
trailing whitespace.

* Paragraph: one non-blank line (documents store one paragraph per line).
* Sentence: ends after a run of end marks -- ``。！？!?…⋯｡``, fullwidth ``．``
  unless a digit follows, ASCII ``.`` only when whitespace or the line end
  follows (so ``3.5`` stays whole) and the word before it is not an
  abbreviation (``e.g.``, ``U.S.``, ``Mr.``; see :data:`ABBREVIATIONS`) --
  together with the closing quotes and brackets right after it, so
  ``“我不去了。”`` ends at ``”`` and ``？！``, ``。。。``, ``……”。`` stay one
  end. ``；`` and ``，`` never end a sentence; a line break always does. A
  speaker label (``WXG：``) stays inside the first sentence of its turn.
* Turn: starts at a paragraph that begins with a speaker label and runs up to
  the next labelled paragraph; unlabelled paragraphs in between continue it.
  See :func:`turns` for the labels recognised, and :data:`STOP_LABELS` for the
  header fields (``访谈时间：``, ``出席：``) that are never speakers: such a
  field ends the current turn, and text before the first turn has no turn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .errors import BaolianError

UNITS = ("paragraph", "sentence", "turn")


@dataclass(frozen=True, slots=True)
class Segment:
    unit: str  # one of UNITS
    index: int  # 0-based, within its unit kind in the document
    start: int  # code points; text[start:end] is the segment
    end: int
    speaker: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start

    def text_of(self, text: str) -> str:
        return text[self.start : self.end]


# --- paragraphs and sentences -------------------------------------------------

# The line breaks of str.splitlines().
_LB = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_PARAGRAPH = re.compile(f"\\S(?:[^{_LB}]*\\S)?")
_CLOSERS = "”’」』）)］\\]】》〉〕〗｝}›»\"'"
_END_MARK = f"(?:[。！？!?…⋯｡]|．(?![0-9０-９])|\\.+(?=[{_CLOSERS}]*(?:\\s|\\Z)))"
# group 1: the end marks with their closers; then the whitespace to skip.
_SENTENCE_END = re.compile(f"((?:{_END_MARK}+[{_CLOSERS}]*)+)\\s*")
_WORD_BEFORE_DOT = re.compile(r"[A-Za-z]+\Z")
# The characters a sentence end starts with: where _SENTENCE_END may match (a plain character class is
# found by the regex engine's fast prefix scan; _SENTENCE_END itself is tried at every position).
_END_START = re.compile("[。！？!?…⋯｡．.]")

ABBREVIATIONS = frozenset(
    "Mr Mrs Ms Dr Prof Sr Jr St vs cf al Fig Figs No Nos Vol pp Inc Ltd Co Corp Dept Gov approx".split()
)


def _check_range(text: str, start: int, end: int | None) -> int:
    if not isinstance(text, str):
        raise BaolianError(f"text to segment must be a string, got {type(text).__name__}")
    n = len(text)
    end = n if end is None else end
    if not 0 <= start <= end <= n:
        raise BaolianError(
            f"segment range {start}:{end} lies outside the text (length {n})",
            hint="offsets are code points into the stored document text",
        )
    return end


def _split_line(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    """Append the sentences of ``text[s:e]`` (one line, stripped).

    The ends are the matches of ``_SENTENCE_END.finditer(text, s, e)``: each is the match at the first
    position, from the end of the previous one, where an end mark starts and the pattern matches."""
    pos, find, match = s, _END_START.search, _SENTENCE_END.match
    while (mark := find(text, pos, e)) is not None:
        m = match(text, mark.start(), e)
        if m is None:
            pos = mark.end()
            continue
        pos = m.end()
        dot = m.start(1)
        if m.end(1) - dot == 1 and text[dot] == "." and _abbreviation_before(text, s, dot):
            continue
        out.append((s, m.end(1)))
        s = m.end()
    if s < e:
        out.append((s, e))


def _abbreviation_before(text: str, s: int, dot: int) -> bool:
    m = _WORD_BEFORE_DOT.search(text, max(s, dot - 12), dot)
    return bool(m) and (len(m.group()) == 1 or m.group() in ABBREVIATIONS)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text[start:end]``."""
    end = _check_range(text, start, end)
    out: list[tuple[int, int]] = []
    for m in _PARAGRAPH.finditer(text, start, end):
        _split_line(text, m.start(), m.end(), out)
    return out


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    _check_range(text, 0, None)
    return [m.span() for m in _PARAGRAPH.finditer(text)]


def paragraphs(text: str) -> list[Segment]:
    return [Segment("paragraph", i, s, e) for i, (s, e) in enumerate(paragraph_spans(text))]


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Segment]:
    return [Segment("sentence", i, s, e) for i, (s, e) in enumerate(sentence_spans(text, start, end))]


# --- turns --------------------------------------------------------------------

# A time stamp of a transcript (00:15, 1:02:03, 00:01:02.5), as speech-to-text tools (讯飞听见, 飞书妙记,
# 腾讯会议, 通义听悟) write them beside a speaker.
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# The colon after a label, with the time stamp a transcript may put before it: 张三(00:00:05)：
_COLON = r"[^\S\n]*(?:[(（](?P<time>" + _TIME + r")[)）][^\S\n]*)?[：:]"
# A time stamp opening a paragraph, before its label: [00:01:23] 访谈者：
_TIME_PREFIX = re.compile(r"[\[【(（]?" + _TIME + r"[\]】)）]?[^\S\n]+")
# A paragraph that is only a speaker and a time stamp, the speech following in the next paragraphs:
# 说话人1 00:00 / 发言人 2  00:01:15 / 张三 00:03
_TIME_HEADER = re.compile(r"(?P<speaker>(?:说话人|发言人|讲话人|[Ss]peaker)[^\S\n]*\d{1,3}|[\u4e00-\u9fff]{1,6}[A-Za-z0-9]{0,3}"
                          r"|[A-Za-z][A-Za-z0-9._-]{0,19})[^\S\n]+[\[【(（]?" + _TIME + r"[\]】)）]?[^\S\n]*\Z")
# Words that stand before a time without naming a speaker (上午 09:30).
TIME_WORDS: frozenset[str] = frozenset("上午 下午 中午 晚上 早上 凌晨 傍晚 时间 日期 开始 结束 录音 音频 视频 会议".split())
DEFAULT_TURN_PATTERNS: tuple[str, ...] = (
    # Interview and Q&A labels; every pattern names its label `speaker`.
    r"(?P<speaker>问|答|Q|A|访谈者|访谈人|采访者|主持人|受访者|记者)" + _COLON,
)
# Used when no speakers are known: a short name or code before a colon.
GENERIC_TURN_PATTERN = r"(?P<speaker>[\u4e00-\u9fff]{1,6}[A-Za-z0-9]?|[A-Za-z][A-Za-z0-9]{0,9})" + _COLON + "(?!//)"
# Any "field:" at a paragraph start, to look the field up in the stop-list.
_FIELD = re.compile(r"(?P<field>[^\s：:]{1,12})" + _COLON)
_NUMERAL_LABEL = re.compile(r"(?:第|其)?[一二三四五六七八九十百零〇两]+(?:是|条|点|章|节|部分)?")
_END_PUNCT = re.compile(r"[。！？!?]")

STOP_LABELS: frozenset[str] = frozenset(
    """访谈编号 访谈时间 访谈地点 访谈对象 访谈方式 访谈时长 访谈人员 记录整理 整理 整理人 记录 记录人
    时间 日期 地点 会议名称 会议时间 会议地点 会议主题 会议议题 议题 会议议定事项 议定事项 会议议程 议程
    出席 列席 缺席 参会人员 参加人员 参会单位 主题 备注 附件 抄送 主送 发文机关 文号 标题 来源 作者
    责任编辑 编辑 通讯员 摄影 联系人 联系电话 电话 地址 邮编 签发 印发 发布时间 发布日期 关键词 摘要
    注 说明 组长 副组长 成员 联络员
    note notes date time place location venue subject title source tel phone email fax url re cc to from
    attachment attachments keywords abstract http https""".split()
)
# Labels that are also header fields (minutes: 主持人：LHY（副区长）). Such a
# label next to a stop-listed field, on a paragraph without end punctuation,
# is a header field too.
AMBIGUOUS_LABELS: frozenset[str] = frozenset({"主持人", "记者"})


@lru_cache(maxsize=64)
def _compile(patterns: tuple[str, ...], speakers: tuple[str, ...]) -> tuple[re.Pattern[str] | None, ...]:
    compiled = []
    if speakers:
        names = "|".join(re.escape(s) for s in sorted(speakers, key=len, reverse=True))
        compiled.append(re.compile(f"(?P<speaker>{names})" + _COLON))
    for p in patterns:
        try:
            compiled.append(re.compile(p))
        except re.error as err:
            raise BaolianError(
                f"turn pattern {p!r} is not a valid regular expression: {err}",
                field="turn_patterns",
                hint="fix the pattern; name the label group (?P<speaker>...)",
            ) from None
    return tuple(compiled)


_GENERIC = re.compile(GENERIC_TURN_PATTERN)


def _label(m: re.Match[str]) -> str:
    if "speaker" in m.re.groupindex and m.group("speaker"):
        return m.group("speaker")
    return m.group(0).rstrip().rstrip("：:").strip()


def _turn_ranges(
    text: str,
    paras: list[tuple[int, int]],
    speakers: Iterable[str],
    patterns: Iterable[str] | None,
    stop_labels: Iterable[str] | None,
) -> list[tuple[int, int, str]]:
    """``(first paragraph, last paragraph, speaker)`` of each turn."""
    if isinstance(speakers, str) or (patterns is not None and isinstance(patterns, str)):
        raise BaolianError(
            "speakers and turn patterns must be lists, not a single string",
            field="speakers",
            hint="pass e.g. ['LHY', 'WXG']",
        )
    names = list(speakers)
    if not all(isinstance(n, str) for n in names):
        raise BaolianError("every speaker name must be text", field="speakers", hint="pass e.g. ['LHY', 'WXG']")
    known = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    generic = patterns is None and not known
    explicit = _compile(DEFAULT_TURN_PATTERNS if patterns is None else tuple(patterns), known)
    stop = STOP_LABELS if stop_labels is None else frozenset(stop_labels)
    stop = stop | {s.casefold() for s in stop}

    # kind per paragraph: speaker label (str), "" for a header field, None for plain text
    kinds: list[str | None] = []
    ambiguous: list[int] = []
    cjk_generic: Counter[str] = Counter()
    generic_at: dict[int, str] = {}
    time_headers: dict[int, str] = {}
    for i, (s0, e) in enumerate(paras):
        kind = None
        stamp = _TIME_PREFIX.match(text, s0, e)
        s = stamp.end() if stamp else s0
        for rx in explicit:
            m = rx.match(text, s, e)
            if m:
                kind = _label(m)
                if kind in AMBIGUOUS_LABELS:
                    ambiguous.append(i)
                break
        if kind is None:
            m = _FIELD.match(text, s, e)
            if m and (m["field"] in stop or m["field"].casefold() in stop):
                kind = ""
            elif generic and (g := _GENERIC.match(text, s, e)) and not _NUMERAL_LABEL.fullmatch(g["speaker"]):
                name = g["speaker"]
                if name.isascii() or g["time"]:  # a time stamp before the colon marks a transcript's label
                    kind = name
                else:
                    generic_at[i] = name
                    cjk_generic[name] += 1
            elif patterns is None and (h := _TIME_HEADER.match(text, s0, e)):
                name = " ".join(h["speaker"].split())
                if name not in TIME_WORDS and name.casefold() not in stop and not _NUMERAL_LABEL.fullmatch(name):
                    time_headers[i] = name
        kinds.append(kind)
    if len(time_headers) >= 2:  # a transcript: one "speaker time" line opens each turn
        for i, name in time_headers.items():
            kinds[i] = name
    for i, name in generic_at.items():  # a CJK name must label two paragraphs
        if cjk_generic[name] >= 2:
            kinds[i] = name
    for i in ambiguous:
        near_field = (i > 0 and kinds[i - 1] == "") or (i + 1 < len(kinds) and kinds[i + 1] == "")
        if near_field and not _END_PUNCT.search(text, *paras[i]):
            kinds[i] = ""

    out: list[tuple[int, int, str]] = []
    first, last, name = -1, -1, ""  # the open turn, if first >= 0
    for i, kind in enumerate(kinds):
        if kind is None:  # plain paragraph: continues the open turn
            last = i
            continue
        if first >= 0:
            out.append((first, last, name))
        first, last, name = (i, i, kind) if kind else (-1, -1, "")  # a label, or a header field
    if first >= 0:
        out.append((first, last, name))
    return out


def turns(
    text: str,
    speakers: Iterable[str] = (),
    patterns: Iterable[str] | None = None,
    *,
    stop_labels: Iterable[str] | None = None,
) -> list[Segment]:
    """Speaker turns.

    Labels (full-width or ASCII colon, optional whitespace before it) are found
    by ``patterns`` (regexes matched at the paragraph start, label in group
    ``speaker``; default :data:`DEFAULT_TURN_PATTERNS`: 问/答, Q/A, 访谈者,
    主持人, ...) and the names in ``speakers``. With neither ``speakers`` nor
    ``patterns`` given, :data:`GENERIC_TURN_PATTERN` also accepts a Latin code
    (``LHY：``) and a CJK name of up to 6 characters that labels at least two
    paragraphs (so ``后来区里决定：`` is not a speaker). Labels in
    ``stop_labels`` (default :data:`STOP_LABELS`) and numerals are never
    speakers.
    """
    _check_range(text, 0, None)
    paras = paragraph_spans(text)
    return [
        Segment("turn", k, paras[a][0], paras[b][1], name)
        for k, (a, b, name) in enumerate(_turn_ranges(text, paras, speakers, patterns, stop_labels))
    ]


def segment_text(
    text: str,
    *,
    speakers: Iterable[str] = (),
    turn_patterns: Iterable[str] | None = None,
    stop_labels: Iterable[str] | None = None,
) -> list[Segment]:
    """All paragraphs, then all sentences, then all turns, each in text order.

    Paragraphs and sentences carry the speaker of the turn they fall in.
    """
    _check_range(text, 0, None)
    paras = paragraph_spans(text)
    ranges = _turn_ranges(text, paras, speakers, turn_patterns, stop_labels)
    para_speaker: list[str | None] = [None] * len(paras)
    for a, b, name in ranges:
        para_speaker[a : b + 1] = [name] * (b - a + 1)
    out = [Segment("paragraph", i, s, e, para_speaker[i]) for i, (s, e) in enumerate(paras)]
    spans: list[tuple[int, int]] = []
    k = 0
    for i, (s, e) in enumerate(paras):
        _split_line(text, s, e, spans)
        who = para_speaker[i]
        out.extend(Segment("sentence", k + j, a, b, who) for j, (a, b) in enumerate(spans))
        k += len(spans)
        spans.clear()
    out.extend(Segment("turn", k, paras[a][0], paras[b][1], name) for k, (a, b, name) in enumerate(ranges))
    return out
