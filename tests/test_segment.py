"""Paragraphs, sentences and speaker turns."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from coding.errors import BaolianError
from coding.segment import (
    UNITS,
    Segment,
    paragraphs,
    segment_text,
    sentence_spans,
    sentences,
    turns,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def read_txt(path: Path) -> str:
    """The corpus is meant to be UTF-8, but a GB18030 file tests the importer."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def sents(text: str, **kw) -> list[str]:
    return [text[s.start : s.end] for s in sentences(text, **kw)]


def who(text: str, **kw) -> list[tuple[str | None, str]]:
    return [(t.speaker, text[t.start : t.end]) for t in turns(text, **kw)]


# --- sentences --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("第一句。第二句。", ["第一句。", "第二句。"]),
        ("真的吗？是的！好", ["真的吗？", "是的！", "好"]),
        ("Really? Yes! ok", ["Really?", "Yes!", "ok"]),
        ("你去吗?我不去!他呢", ["你去吗?", "我不去!", "他呢"]),
        ("我们……我们也没办法。", ["我们……", "我们也没办法。"]),
        ("他想了想…然后走了⋯⋯", ["他想了想…", "然后走了⋯⋯"]),
        ("半角句号｡下一句", ["半角句号｡", "下一句"]),
        ("全角句号．下一句", ["全角句号．", "下一句"]),
    ],
)
def test_every_end_mark_ends_a_sentence(text, expected):
    assert sents(text) == expected


def test_semicolons_and_commas_do_not_end_a_sentence():
    assert sents("一是压实责任；二是明确分工，三是加强督办。下一句") == [
        "一是压实责任；二是明确分工，三是加强督办。",
        "下一句",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("他说：“我不去了。”然后走了。", ["他说：“我不去了。”", "然后走了。"]),
        ("‘好吧。’他说。", ["‘好吧。’", "他说。"]),
        ("「真的？」『假的！』（完。）【注。】《书名。》再见", ["「真的？」", "『假的！』", "（完。）", "【注。】", "《书名。》", "再见"]),
        ('He said "Stop!" Then (he left.) End', ['He said "Stop!"', "Then (he left.)", "End"]),
        ("他问：“你去吗？”。我说：“不去！”）然后", ["他问：“你去吗？”。", "我说：“不去！”）", "然后"]),
    ],
)
def test_closing_quotes_and_brackets_stay_with_their_sentence(text, expected):
    assert sents(text) == expected


def test_runs_of_end_marks_stay_together():
    assert sents("真的吗？！太好了!!! 好。。。然后……”他说。") == ["真的吗？！", "太好了!!!", "好。。。", "然后……”", "他说。"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("增长了3.5%，达到12.75万元。下一句", ["增长了3.5%，达到12.75万元。", "下一句"]),
        ("版本３．５已经发布。", ["版本３．５已经发布。"]),
        ("Version 3.5 is out. Next one", ["Version 3.5 is out.", "Next one"]),
        ("Plans, e.g. this one, and the U.S. plan. Mr. Li came.", ["Plans, e.g. this one, and the U.S. plan.", "Mr. Li came."]),
        ("The end... Then more", ["The end...", "Then more"]),
        ("见www.gov.cn网站。", ["见www.gov.cn网站。"]),
    ],
)
def test_western_full_stops(text, expected):
    assert sents(text) == expected


def test_a_line_break_always_ends_a_sentence():
    assert sents("没有标点\n下一行，也没有\r\n第三行") == ["没有标点", "下一行，也没有", "第三行"]


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\n\n", "\t\u3000 \n", "。", " 。 ！ ", "！！！？？？", "  好  ", "\n 。\n\n。。\n", "a.\n.b", "……"],
)
def test_no_empty_or_padded_sentences_on_messy_input(text):
    spans = sentence_spans(text)
    for s, e in spans:
        piece = text[s:e]
        assert piece and piece.strip() == piece
    assert "".join(text[s:e] for s, e in spans) == "".join(text.split())


def test_offsets_index_the_text_and_ranges_work():
    text = "  访谈者：您好。请讲讲！\n\n  LHY：好的。  那是2019年。 \n"
    got = sentences(text)
    assert [(s.start, s.end) for s in got] == [(2, 9), (9, 13), (17, 24), (26, 34)]
    assert [text[s.start : s.end] for s in got] == ["访谈者：您好。", "请讲讲！", "LHY：好的。", "那是2019年。"]
    assert [s.index for s in got] == [0, 1, 2, 3] and all(s.unit == "sentence" for s in got)
    assert [text[s.start : s.end] for s in sentences(text, 17, 28)] == ["LHY：好的。", "那是"]
    assert got[0].length == 7 and got[0].text_of(text) == "访谈者：您好。"


@pytest.mark.parametrize("start, end", [(-1, None), (5, 2), (0, 999)])
def test_bad_range_raises_baolian_error(start, end):
    with pytest.raises(BaolianError):
        sentences("第一句。第二句。", start, end)


def test_non_text_raises_baolian_error():
    with pytest.raises(BaolianError):
        segment_text(b"bytes")  # type: ignore[arg-type]


# --- paragraphs -----------------------------------------------------------------


def test_paragraphs_are_stripped_non_blank_lines():
    text = "\u3000\u3000第一段。  \n\n \n第二段\r\n第三段\n"
    got = paragraphs(text)
    assert [text[p.start : p.end] for p in got] == ["第一段。", "第二段", "第三段"]
    assert [p.index for p in got] == [0, 1, 2] and all(p.unit == "paragraph" for p in got)


# --- turns ----------------------------------------------------------------------

INTERVIEW = """访谈编号：I-01
访谈对象：LHY（副区长）
访谈时间：2020年10月15日
访谈地点：区政府
记录整理：课题组

访谈者：您好，请您先介绍一下。

LHY：好的。我分管信访。

那一年压力很大。

访谈者：后来呢？

LHY ： 后来成立了专班。
"""


def test_interview_turns_with_header_and_continuation():
    assert who(INTERVIEW) == [
        ("访谈者", "访谈者：您好，请您先介绍一下。"),
        ("LHY", "LHY：好的。我分管信访。\n\n那一年压力很大。"),
        ("访谈者", "访谈者：后来呢？"),
        ("LHY", "LHY ： 后来成立了专班。"),
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("问：你好吗？\n答：很好。\n还行吧。\n问：再见。", [("问", "问：你好吗？"), ("答", "答：很好。\n还行吧。"), ("问", "问：再见。")]),
        ("Q: How?\n\nA: Like this.\n\nQ:Why", [("Q", "Q: How?"), ("A", "A: Like this."), ("Q", "Q:Why")]),
        ("主持人：大家好。\n\n受访者：你好。", [("主持人", "主持人：大家好。"), ("受访者", "受访者：你好。")]),
    ],
)
def test_fixed_labels(text, expected):
    assert who(text) == expected


def test_header_fields_headings_and_urls_are_not_speakers():
    text = "时间：2019年\n地点：会议室\n出席：LHY\n一：说明\n（一）：说明\nhttp://example.com\n备注：无\nNote: none"
    assert turns(text) == []


def test_a_stop_listed_field_ends_the_turn():
    text = "LHY：我讲两点。\n\n第一点。\n\n会议议定事项：\n\n一、由LHY包案。"
    assert who(text) == [("LHY", "LHY：我讲两点。\n\n第一点。")]


def test_minutes_chair_in_the_header_is_not_a_turn():
    text = (
        "会议名称：专班会议\n\n时间：2019年3月26日\n\n主持人：LHY（副区长，专班组长）\n\n"
        "出席：ZYM、HJW\n\nLHY：今天开第一次会。\n\nZYM：我先通报。"
    )
    assert who(text) == [("LHY", "LHY：今天开第一次会。"), ("ZYM", "ZYM：我先通报。")]


def test_cjk_names_need_two_labels_unless_known():
    once = "访谈者：您说。\n\n后来区里决定：先摸底。\n\n王主任：我补充一句。"
    assert [t.speaker for t in turns(once)] == ["访谈者"]
    twice = once + "\n\n后来区里决定：再研究。\n\n王主任：再补充。"
    assert [t.speaker for t in turns(twice)] == ["访谈者", "后来区里决定", "王主任", "后来区里决定", "王主任"]
    known = turns(once, speakers=["王主任"])
    assert [(t.speaker, once[t.start : t.end]) for t in known] == [
        ("访谈者", "访谈者：您说。\n\n后来区里决定：先摸底。"),
        ("王主任", "王主任：我补充一句。"),
    ]


def test_known_speakers_replace_the_generic_pattern():
    text = "LHY：我先说。\n\nWXG：我不同意。\n\nLHY：好。"
    assert [t.speaker for t in turns(text)] == ["LHY", "WXG", "LHY"]
    assert [t.speaker for t in turns(text, speakers=["LHY"])] == ["LHY", "LHY"]
    assert [t.speaker for t in turns(text, speakers=["LHY", "WXG", "LH"])] == ["LHY", "WXG", "LHY"]


def test_custom_patterns_and_stop_labels():
    text = "【甲】这样。\n\n【乙】那样。\n\n时间：今天"
    pattern = [r"【(?P<speaker>[甲乙])】"]
    assert who(text, patterns=pattern) == [("甲", "【甲】这样。"), ("乙", "【乙】那样。")]
    assert who(text, patterns=pattern, stop_labels=()) == [("甲", "【甲】这样。"), ("乙", "【乙】那样。\n\n时间：今天")]
    assert who("LHY：好。\n\nLHY：再说。", stop_labels=["LHY"]) == []
    with pytest.raises(BaolianError):
        turns(text, patterns=["(unclosed"])
    with pytest.raises(BaolianError):
        turns(text, speakers="LHY")
    with pytest.raises(BaolianError):
        turns(text, speakers=["LHY", None])  # type: ignore[list-item]


# --- segment_text -------------------------------------------------------------


def test_segment_text_carries_speakers_down():
    segs = segment_text(INTERVIEW)
    assert [s.unit for s in segs] == sorted((s.unit for s in segs), key=UNITS.index)
    for unit in UNITS:
        assert [s.index for s in segs if s.unit == unit] == list(range(sum(s.unit == unit for s in segs)))
    by_text = {(s.unit, INTERVIEW[s.start : s.end]): s.speaker for s in segs}
    assert by_text[("paragraph", "访谈编号：I-01")] is None
    assert by_text[("sentence", "访谈编号：I-01")] is None
    assert by_text[("sentence", "LHY：好的。")] == "LHY"  # the label stays in the first sentence
    assert by_text[("sentence", "我分管信访。")] == "LHY"
    assert by_text[("paragraph", "那一年压力很大。")] == "LHY"
    assert by_text[("sentence", "访谈者：后来呢？")] == "访谈者"
    assert all(isinstance(s, Segment) for s in segs)
    with pytest.raises(AttributeError):
        segs[0].start = 3  # type: ignore[misc]


def _corpus_paragraphs() -> list[str]:
    paras = [p.strip() for f in sorted(CORPUS.rglob("*.txt")) for p in read_txt(f).splitlines()]
    builtin = [p for p in INTERVIEW.splitlines()] + [
        "他说：“我不去了。”然后走了。",
        "Version 3.5 is out. e.g. this. Mr. Li!",
        "！！！",
        "……",
        "a.b.c. d",
    ]
    return [p for p in paras + builtin if p.strip()]


def test_property_sentences_tile_paragraphs_on_random_corpus_mixtures():
    pool = _corpus_paragraphs()
    rng = random.Random(20201015)
    seps = ["\n", "\n\n", " \n\u3000\n", "\r\n", "\n\t\n"]
    pads = ["", " ", "\u3000\u3000", "\t"]
    for _ in range(300):
        text = "".join(
            rng.choice(pads) + rng.choice(pool) + rng.choice(pads) + rng.choice(seps) for _ in range(rng.randint(1, 12))
        )
        segs = segment_text(text)
        paras = [(s.start, s.end) for s in segs if s.unit == "paragraph"]
        spans = [(s.start, s.end) for s in segs if s.unit == "sentence"]
        assert spans == sentence_spans(text)
        assert all(s < e for s, e in spans) and all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
        for s, e in spans + paras:
            assert text[s:e].strip() == text[s:e] != ""
        k = 0
        for ps, pe in paras:  # sentences inside each paragraph cover its non-space characters
            inside = []
            while k < len(spans) and spans[k][1] <= pe:
                assert spans[k][0] >= ps
                inside.append(spans[k])
                k += 1
            assert "".join("".join(text[s:e].split()) for s, e in inside) == "".join(text[ps:pe].split())
        assert k == len(spans)
        turn_spans = [(s.start, s.end, s.speaker) for s in segs if s.unit == "turn"]
        for s, e, name in turn_spans:
            assert name and text[s:e].startswith(name)
            assert {p for p in paras if s <= p[0] < e} and all(p[1] <= e for p in paras if s <= p[0] < e)


def test_speed_two_megabytes():
    base = "\n\n".join(_corpus_paragraphs())
    text = (base * (2_000_000 // len(base) + 1))[:2_000_000]
    t = time.perf_counter()
    segs = segment_text(text)
    elapsed = time.perf_counter() - t
    assert segs and elapsed < 8, f"segment_text took {elapsed:.2f} s on 2 MB"


# --- transcripts from speech-to-text tools (讯飞听见, 飞书妙记, 腾讯会议, 通义听悟) ----------------------------

def test_speaker_and_time_lines_open_the_turns_of_a_transcript():
    iflytek = "说话人1 00:00\n大家好，今天想请您谈谈包联。\n\n说话人 2  00:15\n好的。\n那一年压力很大。\n说话人1 01:02:03\n后来呢？"
    assert who(iflytek) == [
        ("说话人1", "说话人1 00:00\n大家好，今天想请您谈谈包联。"),
        ("说话人 2", "说话人 2  00:15\n好的。\n那一年压力很大。"),
        ("说话人1", "说话人1 01:02:03\n后来呢？"),
    ]
    named = "张三 00:00:03\n我先说。\n李四 00:01:10\n我补充。\nSpeaker 3 00:02:00.5\nOK."
    assert [t.speaker for t in turns(named)] == ["张三", "李四", "Speaker 3"]
    assert [t.speaker for t in turns(named, speakers=["张三"])] == ["张三", "李四", "Speaker 3"]  # lines, not names
    assert [t.speaker for t in turns(named, patterns=[r"(?P<speaker>张三)："])] == []  # own patterns: only those


def test_a_lone_time_line_or_a_time_of_day_is_no_speaker():
    assert turns("张三 00:00:03\n我先说。") == []  # one such line is not a transcript
    assert turns("上午 09:30\n开会。\n\n下午 14:00\n散会。") == []
    assert turns("时间 09:30\n开会。\n\n地点 10:30\n散会。") == []


def test_time_stamps_beside_labels():
    tencent = "张三(00:00:05)：大家好。\n李四（00:01）：你好。\n\n第二段。"
    assert who(tencent) == [("张三", "张三(00:00:05)：大家好。"), ("李四", "李四（00:01）：你好。\n\n第二段。")]
    prefixed = "[00:01:23] 访谈者：您好。\n\n【00:01:30】 LHY：好的。\n\n00:02:00 问：还有吗？"
    assert [t.speaker for t in turns(prefixed)] == ["访谈者", "LHY", "问"]
    assert turns("10:30 会议开始。\n\n11:00 会议结束。") == []  # a time alone opens no turn


def test_sentences_of_a_transcript_carry_their_speaker():
    text = "发言人1 00:00\n您好。请讲。\n发言人2 00:05\n好的。"
    sentences = [(s.speaker, text[s.start:s.end]) for s in segment_text(text) if s.unit == "sentence"]
    assert sentences == [("发言人1", "发言人1 00:00"), ("发言人1", "您好。"), ("发言人1", "请讲。"),
                         ("发言人2", "发言人2 00:05"), ("发言人2", "好的。")]
