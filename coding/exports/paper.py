"""The tables for papers, format-neutral: caption, header, rows of strings, notes, column layout.

The DOCX, LaTeX and Markdown writers render the same :class:`PaperTable` objects, so the three
formats always show the same numbers and text.
"""

from __future__ import annotations

from dataclasses import dataclass

import re
import unicodedata

import pandas as pd

from coding.exports.tables import Tables, metadata_line


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class PaperTable:
    key: str  # stable id, also the LaTeX label tab:<key>
    caption: str  # without the "表 n" number
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: str  # the 注： line (without the prefix)
    widths: tuple[float, ...]  # relative column widths (sum 1)
    numeric: tuple[bool, ...]  # right-aligned number columns
    appendix: bool = False


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    text = _CONTROL.sub(" ", str(value))  # characters XML (DOCX) cannot hold
    return " ".join(text.split())  # newlines and runs of spaces become one space


def clean(value) -> str:
    """``value`` as one line of text without characters XML cannot hold."""
    return _cell(value)


def _table(key, caption, columns, frame: pd.DataFrame, fields, notes, widths, numeric, appendix=False):
    rows = tuple(tuple(_cell(r[f]) for f in fields) for r in frame.to_dict("records"))
    total = sum(widths)
    return PaperTable(key, caption, tuple(columns), rows, notes, tuple(w / total for w in widths),
                      tuple(numeric), appendix)


def frequency_table(t: Tables) -> PaperTable:
    f = t.frequencies
    total = int(f["segments"].sum()) if not f.empty else 0
    notes = (f"片段数为带有该编码的句子（片段）数，同一片段被多位编码员编码只计一次；占比 = 该编码片段数 / 表中全部片段数"
             f"（共 {total} 处）；字数为编码覆盖的字符数（Unicode 码位，重叠只计一次）。{metadata_line(t.meta)}")
    return _table("frequencies", "编码频次统计", ["编码", "名称", "片段数", "占比（%）", "文档数", "字数"], f,
                  ["code", "name", "segments", "share", "documents", "characters"], notes,
                  [0.09, 0.39, 0.13, 0.13, 0.12, 0.14], [False, False, True, True, True, True])


MAX_QUOTE = 300  # characters of a quote in the paper tables; longer ones end in "……" (data exports keep all)


_PAIRS = (("“", "”"), ("‘", "’"), ("「", "」"), ("『", "』"))


def _balance(text: str) -> str:
    """Without an opening quotation mark that the quote never closes (or a closing one it never opened): a
    sentence cut out of a longer quotation."""
    for left, right in _PAIRS:
        if text.startswith(left) and text.count(left) > text.count(right):
            text = text[1:]
        if text.endswith(right) and text.count(right) > text.count(left):
            text = text[:-1]
    return text


def _joined(text: str, i: int) -> bool:
    """Whether a cut before ``text[i]`` would split one visible character (a combining mark, a variation
    selector or skin tone, an emoji joined with ZWJ, or the second half of a flag)."""
    here, before = text[i], text[i - 1]
    if unicodedata.category(here).startswith("M") or here in "\u200d\ufe0e\ufe0f" or before == "\u200d":
        return True
    if 0x1F3FB <= ord(here) <= 0x1F3FF:
        return True
    flag = 0
    while i - flag > 0 and 0x1F1E6 <= ord(text[i - flag - 1]) <= 0x1F1FF:
        flag += 1
    return 0x1F1E6 <= ord(here) <= 0x1F1FF and flag % 2 == 1


def _shorten(text: str) -> str:
    text = _balance(text.strip())
    if len(text) <= MAX_QUOTE:
        return text
    cut = MAX_QUOTE
    while cut > 1 and _joined(text, cut):
        cut -= 1
    return text[:cut] + "……"


def quotes_table(t: Tables) -> PaperTable:
    notes = (f"每个编码列出至多 {t.meta['quotes_per_code']} 条已接受的典型引语：按包含该编码指示词（indicators）的个数、"
             f"接受该片段的编码员人数、片段长度（短者优先）排序；超过 {MAX_QUOTE} 字的引语截断。{metadata_line(t.meta)}")
    frame = t.quotes.assign(quote=t.quotes["quote"].map(lambda q: _shorten(str(q))))
    return _table("quotes", "典型引语", ["编码", "名称", "序号", "引语", "来源文档", "说话人"], frame,
                  ["code", "name", "rank", "quote", "document", "speaker"], notes,
                  [0.07, 0.13, 0.06, 0.44, 0.17, 0.13], [False, False, True, False, False, False])


def levels_table(t: Tables) -> PaperTable:
    frame = t.levels.assign(
        selective_label=t.levels["selective"] + " " + t.levels["selective_name"],
        axial_label=t.levels["axial"] + " " + t.levels["axial_name"],
        open_label=t.levels["open"] + " " + t.levels["open_name"],
        example=t.levels["example"].map(lambda q: _shorten(str(q))),
    ) if not t.levels.empty else t.levels.assign(selective_label=[], axial_label=[], open_label=[])
    notes = ("选择性编码为编码本的一级类别（核心范畴），主轴编码为其下的主范畴，开放式编码为最细一级的编码；"
             f"片段数为该开放式编码的编码片段数，示例为其最典型的已接受片段。{metadata_line(t.meta)}")
    return _table("levels", "三级编码表（开放式编码 → 主轴编码 → 选择性编码）",
                  ["选择性编码", "主轴编码", "开放式编码", "片段数", "原始资料示例"], frame,
                  ["selective_label", "axial_label", "open_label", "segments", "example"], notes,
                  [0.15, 0.19, 0.18, 0.1, 0.38], [False, False, False, True, False])


def summaries_table(t: Tables) -> PaperTable:
    """Documents x codes: each coder's summary of what the document says about the code."""
    codes = [c for c in t.summaries.columns if c not in ("document_id", "document")]
    names = dict(zip(t.codebook["code"], t.codebook["name"])) if not t.codebook.empty else {}
    notes = f"每格为编码员对该文档中该编码内容的摘要（编码员: 摘要）；空格表示尚无摘要。{metadata_line(t.meta)}"
    return _table("summaries", "文档摘要表（文档 × 编码）", ["文档", *(f"{c} {names.get(c, '')}".strip() for c in codes)],
                  t.summaries, ["document", *codes], notes, [1.2] + [1.0] * len(codes), [False] * (1 + len(codes)))


def codebook_table(t: Tables) -> PaperTable:
    frame = t.codebook.assign(label=t.codebook["code"] + " " + t.codebook["name"]) if not t.codebook.empty \
        else t.codebook.assign(label=[])
    notes = f"编码本 {t.meta['codebook']}，版本 {t.meta['codebook_version']}；排除情形括号内为应改用的编码。"
    return _table("codebook", "附录：编码本", ["编码", "定义", "使用情形", "排除情形", "例句"], frame,
                  ["label", "definition", "use_when", "not_when", "examples"], notes,
                  [0.12, 0.24, 0.22, 0.2, 0.22], [False] * 5, appendix=True)


DIRECTIONS = {"one-way": "单向", "both": "双向", "none": "关联（无方向）"}  # words: every font has them


def relations_paper_table(t: Tables) -> PaperTable:
    """Appendix: the relations between codes (the codebook's theoretical links)."""
    frame = t.relations.assign(source_label=t.relations["source"] + " " + t.relations["source_name"],
                               target_label=t.relations["target"] + " " + t.relations["target_name"],
                               arrow=t.relations["direction"].map(DIRECTIONS))
    notes = f"编码本 {t.meta['codebook']}，版本 {t.meta['codebook_version']} 中记录的编码关系。"
    return _table("relations", "附录：编码关系", ["编码", "关系", "方向", "编码", "备注"], frame,
                  ["source_label", "label", "arrow", "target_label", "note"], notes,
                  [0.25, 0.18, 0.1, 0.25, 0.22], [False] * 5, appendix=True)


def paper_tables(t: Tables) -> list[PaperTable]:
    """Frequency table, quotes table, three-level coding table, the summary table when there are summaries,
    codebook appendix, and the relations between codes when there are any (in that order)."""
    summaries = [summaries_table(t)] if not t.summaries.empty else []
    relations = [relations_paper_table(t)] if not t.relations.empty else []
    return [frequency_table(t), quotes_table(t), levels_table(t), *summaries, codebook_table(t), *relations]


META_LABELS = {
    "project": "项目 project", "codebook": "编码本 codebook", "codebook_version": "编码本版本 codebook version",
    "status": "编码状态 status", "coder": "编码员 coder", "codes": "编码 codes",
    "quotes_per_code": "每个编码的引语数 quotes per code", "exported_at": "导出时间 exported",
    "offsets": "位置 offsets", "software": "软件 software", "query": "检索或查询 search or query",
}
