"""统计分析 Analysis: code frequencies, code × document matrix, co-occurrence, keyword in context, word frequencies.

Every number comes from `coding.analysis*`; results are cached on the project's data version, so
a rerun with the same choices costs one small query. Document text is shown only in st.dataframe.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding.analysis import (
    BY_OPTIONS,
    KIND_LABELS,
    code_document_matrix,
    code_frequencies,
    codes_frame,
    cooccurrence,
    cooccurrence_matrix,
    frequency_table,
)
from coding.analysis_codeline import LEVELS as LINE_LEVELS, code_line
from coding.analysis_keywords import keywords
from coding.analysis_data import data_version, visible_coder
from coding.analysis_words import WORD_BY, kwic, word_frequencies
from coding.charts import chart_bytes, code_document_heatmap, code_line_chart, cooccurrence_heatmap, frequency_chart
from coding.document_variables import VAR_PREFIX, condition_values, variable_names
from coding.errors import BaolianError
from coding.segment_links import link_graph, links
from views._shared import coder as acting_user, document_scope, md
from views._shared import project

ALL = "*"
VIEWS = {"freq": "频次 Frequencies", "matrix": "编码×文档 Code × document", "cooc": "共现 Co-occurrence",
         "kwic": "关键词语境 KWIC", "words": "词频 Word frequencies", "keywords": "特征词 Keywords",
         "line": "编码分布 Code line", "links": "链接图 Links map"}
MEASURES = {"segments": "片段 segments", "documents": "文档 documents", "characters": "字数 characters"}
FUNCS = {"freq": code_frequencies, "matrix": code_document_matrix, "cooc": cooccurrence,
         "cooc_matrix": cooccurrence_matrix, "kwic": kwic, "words": word_frequencies, "line": code_line,
         "keywords": keywords}

p = project()


@st.cache_data(show_spinner=False, max_entries=128)
def compute(name: str, url: str, version: tuple, _p, **options):
    """FUNCS[name](project, **options), cached per project and data version."""
    return FUNCS[name](_p, **options)


def run(name: str, **options):
    """FUNCS[name] as the acting user: in blind mode before adjudication a coder counts only their own codings."""
    return compute(name, p.url, data_version(p), p, as_user=acting_user(), **options)


def downloads(chart, stem: str, key: str) -> None:
    """PNG and SVG buttons; the image is rendered only when a button is clicked."""
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("下载 PNG", lambda: chart_bytes(chart, "png"), file_name=f"{stem}.png", mime="image/png",
                       key=f"{key}_png", on_click="ignore", icon="🖼️")
    c2.download_button("下载 SVG", lambda: chart_bytes(chart, "svg"), file_name=f"{stem}.svg",
                       mime="image/svg+xml", key=f"{key}_svg", on_click="ignore", icon="📐")


def csv_button(frame, stem: str, key: str, index: bool = False) -> None:
    st.download_button("下载表格 Download CSV", frame.to_csv(index=index).encode("utf-8-sig"),
                       file_name=f"{stem}.csv", mime="text/csv", key=key)


def show_chart(chart, stem: str, key: str) -> None:
    """The chart with its PNG and SVG download buttons."""
    st.altair_chart(chart, width="stretch")
    downloads(chart, stem, key)


def empty_state() -> None:
    st.info("还没有符合条件的已接受编码。先在审核队列或文档编码页接受一些建议，或打开“包括待定建议”。"
            " No accepted codes yet: accept some suggestions first, or include pending suggestions.")
    st.page_link("views/review_queue.py", label="审核队列 Review queue", icon="✅")


st.title("统计分析 Analysis")
st.caption("默认只统计已接受的编码（含手动添加）；同一片段被多位编码员接受只计一次。"
           " Accepted codes (and codes added by hand) by default; a segment counts once however many coders"
           " accepted it.")

codes = codes_frame(p)
coders = p.coders()
c1, c2, c3 = st.columns([2, 2, 2])
who = c1.selectbox("编码员 coder", [ALL, *coders], format_func=lambda c: "全部编码员 all coders" if c == ALL else c,
                   key="freq_coder")
with c2:
    pending = st.toggle("包括待定建议 include pending suggestions", key="freq_pending",
                        help="把尚未决定的机器建议也算进来 — count undecided machine suggestions too")
with c3:
    final = st.toggle("裁决后的编码 adjudicated coding", key="freq_final",
                      help="统计裁决层（final）而非各编码员的编码 — count the adjudicated layer instead")
selection = {"status": ("accepted", "pending") if pending else ("accepted",),
             "coder": None if who == ALL else who, "layer": "final" if final else "coding"}
chosen_documents = document_scope(p, "analysis_where")
scope = {"documents": chosen_documents} if chosen_documents is not None else {}
selection.update(scope)
if visible_coder(p, selection["coder"], acting_user()) != selection["coder"]:
    st.info("盲编模式：只统计您自己的编码，直到裁决开放。 Blind mode: only your own codings count until "
            "adjudication opens.")

view = st.radio("视图 view", list(VIEWS), format_func=VIEWS.get, horizontal=True, key="analysis_view",
                label_visibility="collapsed")
st.divider()

try:
    if view == "freq":
        roots = codes[codes["parent"].isna()]
        groups = {ALL: "全部类别 all groups", **dict(zip(roots["code"], roots["code"] + " " + roots["name"]))}
        f1, f2, f3, f4 = st.columns([2, 3, 2, 2])
        group = f1.selectbox("类别 group", list(groups), format_func=groups.get, key="freq_group")
        by_options = {**BY_OPTIONS, **{VAR_PREFIX + n: f"变量 variable: {n}" for n in variable_names(p)}}
        by = f2.selectbox("按 by", list(by_options), format_func=by_options.get, key="freq_by")
        measure = f3.selectbox("计量 measure", list(MEASURES), format_func=MEASURES.get, key="freq_measure")
        rollup = f4.toggle("子编码并入上级 roll up sub-codes", key="freq_rollup", help="M1.1–M1.3 计入 M1")
        freq = run("freq", by=by, rollup=rollup, **selection)
        order = condition_values(p, by.removeprefix(VAR_PREFIX)) if by.startswith(VAR_PREFIX) else None
        if group != ALL:
            freq = freq[freq["group"] == group]
        if freq.empty:
            empty_state()
        else:
            st.caption(f"共 {int(freq['count'].sum())} 处编码 coded segments"
                       + ("（含待定建议 including pending）" if pending else ""))
            show_chart(frequency_chart(freq, by=by, measure=measure, title=f"编码频次 Code frequencies ({measure})",
                                       order=order),
                       "baolian_frequencies", "freq_chart")
            shown = freq.assign(kind=freq["kind"].map(KIND_LABELS).fillna(freq["kind"])) if by == "kind" else freq
            table = frequency_table(shown.assign(count=shown[measure]), by=by,
                                    order=list(KIND_LABELS.values()) if by == "kind" else order)
            st.dataframe(table, hide_index=True, width="stretch",
                         column_config={"code": "编码 code", "name": "名称 name", "total": "合计 total"})
            csv_button(table, "baolian_frequencies", "freq_csv")
            with st.expander("明细与占比 Details and shares"):
                detail = shown.drop(columns=["group", "group_name", "label", "position"])
                st.dataframe(detail, hide_index=True, width="stretch", column_config={
                    "share": st.column_config.NumberColumn("片段占比 share", format="percent"),
                    "document_share": st.column_config.NumberColumn("文档占比 doc share", format="percent"),
                    "character_share": st.column_config.NumberColumn("字数占比 char share", format="percent")})
                csv_button(detail, "baolian_frequencies_detail", "freq_detail_csv")

    elif view == "matrix":
        measure = st.radio("单元格 cells", ["segments", "characters"], format_func=MEASURES.get, horizontal=True,
                           key="matrix_measure")
        matrix = run("matrix", measure=measure, **selection)
        matrix = matrix[matrix.sum(axis=1) > 0]
        if matrix.empty:
            empty_state()
        else:
            show_chart(code_document_heatmap(matrix, measure=measure), "baolian_code_document", "matrix_chart")
            table = matrix.assign(**{"合计 total": matrix.sum(axis=1)})
            st.dataframe(table, width="stretch")
            csv_button(table, "baolian_code_document", "matrix_csv", index=True)

    elif view == "cooc":
        k1, k2 = st.columns(2)
        level = k1.radio("范围 level", ["sentence", "paragraph"], horizontal=True, key="cooc_level",
                         format_func={"sentence": "同一句 same sentence", "paragraph": "同一段 same paragraph"}.get)
        value = k2.radio("数值 value", ["count", "jaccard"], horizontal=True, key="cooc_value",
                         format_func={"count": "次数 counts", "jaccard": "Jaccard 系数"}.get)
        square = run("cooc_matrix", level=level, value=value, **selection)
        pairs = run("cooc", level=level, **selection)
        if square.empty:
            empty_state()
        else:
            show_chart(cooccurrence_heatmap(square, value=value), "baolian_cooccurrence", "cooc_chart")
            st.caption("对角线：含该编码的句/段数（Jaccard 为 1）。Diagonal: units carrying the code.")
            links = [f"coding_query?codes={a},{b}&level={level}" for a, b in zip(pairs["code_a"], pairs["code_b"])]
            st.dataframe(pairs.assign(open=links), hide_index=True, width="stretch", column_config={
                "code_a": "编码 A", "code_b": "编码 B", "count": "共现 count",
                "jaccard": st.column_config.NumberColumn("Jaccard", format="%.3f"),
                "open": st.column_config.LinkColumn(
                    "内容 Units", display_text="查看 view ↗", width="small",
                    help="在编码查询页列出这些句/段（新标签页）— the units on the Coding query page")})
            csv_button(pairs, "baolian_cooccurrence", "cooc_csv")

    elif view == "kwic":
        k1, k2, k3 = st.columns([1, 2, 1])
        mode = k1.radio("检索 search", ["word", "code"], horizontal=True, key="kwic_mode",
                        format_func={"word": "词 word", "code": "编码 code"}.get)
        codable = codes[codes["codable"].astype(bool)]
        if mode == "word":
            term = k2.text_input("词语 word", key="kwic_word", placeholder="如 包联领导",
                                 help="按结巴分词的整词检索，不匹配词内子串；@概念 为编码本概念词表中任一词（如 @领导） — "
                                      "whole jieba words, not substrings; @name: any term of a codebook lexicon")
        else:
            term = k2.selectbox("编码 code", codable["code"].tolist(), key="kwic_code",
                                format_func=dict(zip(codable["code"], codable["label"])).get)
        width = k3.number_input("语境字数 context", 5, 80, 20, key="kwic_width")
        if term:
            hits = run("kwic", width=int(width),
                       **({"word": term, **scope} if mode == "word" else {"code": term, **selection}))
            st.caption(f"共 {len(hits)} 处 hits")
            if hits.empty:
                st.info("没有找到。No hits.")
            else:
                st.dataframe(hits.drop(columns=["document_id"]), hide_index=True, width="stretch", column_config={
                    "left": st.column_config.TextColumn("左语境 left", width="medium"),
                    "keyword": "关键词 keyword", "right": st.column_config.TextColumn("右语境 right", width="medium"),
                    "document": "文档 document", "speaker": "说话人 speaker", "speaker_role": "角色 role"})
                csv_button(hits, "baolian_kwic", "kwic_csv")

    elif view == "words":
        w1, w2, w3, w4 = st.columns([2, 1, 1, 3])
        word_by = {**WORD_BY, **{VAR_PREFIX + n: f"变量 variable: {n}" for n in variable_names(p)}}
        wby = w1.selectbox("按 by", list(word_by), format_func=word_by.get, key="words_by")
        top = w2.number_input("前 N top", 5, 500, 30, key="words_top")
        min_length = w3.number_input("最短 min length", 1, 4, 2, key="words_min")
        extra = w4.text_input("附加停用词 extra stop words", key="words_extra", placeholder="空格分隔 space separated")
        options = {"by": wby, "top": int(top), "min_length": int(min_length),
                   "extra_stopwords": tuple(extra.split())}
        options.update(selection if wby == "code" else scope)
        words = run("words", **options)
        if words.empty:
            st.info("没有可统计的词。No words to count.")
        else:
            st.caption("已去除停用词（stopwords-iso 中文表）、标点与数字。Stop words (stopwords-iso zh), "
                       "punctuation and numbers left out.")
            st.dataframe(words, hide_index=True, width="stretch", column_config={
                "word": "词 word", "count": "次数 count", "documents": "文档数 documents",
                "share": st.column_config.NumberColumn("占比 share", format="percent")})
            csv_button(words, "baolian_words", "words_csv")
    elif view == "keywords":
        st.caption("某一组（如 信访人 的话、M5 的句子、政策文件）比其余各组明显多用的词：G²（对数似然）越大越显著，"
                   "log ratio 为效应量（1 = 两倍）。 — Words one group uses markedly more than the rest: G² "
                   "(log-likelihood) for significance, log ratio for size (1 = twice as often).")
        k1, k2, k5, k3, k4 = st.columns([2, 2, 2, 1, 1])
        key_by = {k: v for k, v in {**WORD_BY, **{VAR_PREFIX + n: f"变量 variable: {n}" for n in variable_names(p)}}
                  .items() if k != "none"}
        kby = k1.selectbox("按 by", list(key_by), format_func=key_by.get, key="kw_by",
                           index=list(key_by).index("speaker_role"))
        group_options = {"by": kby, "top": 1, **(selection if kby == "code" else scope)}
        groups = sorted(map(str, run("words", **group_options)[kby].unique()))
        group = k2.selectbox("组 group", groups, key="kw_group", index=None, placeholder="选择一组 pick a group")
        against = k5.selectbox("对照 against", [g for g in groups if g != group], key="kw_against", index=None,
                               placeholder="其余各组 all the others")
        top = k3.number_input("前 N top", 5, 500, 30, key="kw_top")
        least = k4.number_input("最少次数 min count", 1, 100, 3, key="kw_min")
        if group is None:
            st.info("选择要比较的一组 — pick the group to compare with the rest.")
        else:
            found = run("keywords", by=kby, group=group, against=against, top=int(top), min_count=int(least),
                        **(selection if kby == "code" else scope))
            if found.empty:
                st.info("没有特征词（试着降低最少次数）。No keywords (try a lower min count).")
            else:
                st.dataframe(found, hide_index=True, width="stretch", column_config={
                    "word": "词 word", "count": "组内次数 count",
                    "count_rest": f"{against}次数 count" if against else "其余 rest",
                    "per_10k": st.column_config.NumberColumn("每万词 per 10k", format="%.1f"),
                    "per_10k_rest": st.column_config.NumberColumn(
                        f"{against}每万词 per 10k" if against else "其余每万词 rest per 10k", format="%.1f"),
                    "log_ratio": st.column_config.NumberColumn("log ratio", format="%.2f"),
                    "g2": st.column_config.NumberColumn("G²", format="%.2f"),
                    "p": st.column_config.NumberColumn("p", format="%.2g"),
                    "p_adj": st.column_config.NumberColumn(
                        "校正 p_adj", format="%.2g", help="Benjamini–Hochberg 多重检验校正 (false discovery rate)"),
                    "documents": "文档数 documents"})
                csv_button(found, f"baolian_keywords_{kby}_{group}" + (f"_vs_{against}" if against else ""), "kw_csv")

    elif view == "line":
        docs = {d.id: d.title for d in p.documents() if chosen_documents is None or d.id in set(chosen_documents)}
        l1, l2, l3 = st.columns([4, 2, 2])
        doc = l1.selectbox("文档 Document", list(docs), format_func=lambda i: f"#{i} {docs[i]}", key="line_doc")
        level = l2.radio("单位 unit", list(LINE_LEVELS), format_func=LINE_LEVELS.get, horizontal=True,
                         key="line_level")
        rollup = l3.toggle("子编码并入上级 roll up sub-codes", key="line_rollup", value=True)
        if doc is None:
            st.info("没有文档。No documents.")
        else:
            line, n_units = run("line", document_id=doc, level=level, rollup=rollup,
                                **{k: v for k, v in selection.items() if k != "documents"})
            if line.empty:
                empty_state()
            else:
                st.caption(f"{docs[doc]}：{n_units} {LINE_LEVELS[level]}，{line['position'].nunique()} 个带编码 coded")
                show_chart(code_line_chart(line, n_units, level=level, title=f"编码分布 Code line #{doc}"),
                           f"baolian_code_line_{doc}", "line_chart")
                st.dataframe(line.drop(columns=["color", "label"]), hide_index=True, width="stretch",
                             column_config={"code": "编码 code", "position": "位置 position",
                                            "speaker": "说话人 speaker", "text": "内容 text"})
                csv_button(line.drop(columns=["color"]), f"baolian_code_line_{doc}", "line_csv")
    elif view == "links":
        found = [x for x in links(p, as_user=acting_user()) if chosen_documents is None
                 or {x.source.document_id, x.target.document_id} & set(chosen_documents)]
        if not found:
            st.info("还没有段落之间的链接（在文档编码页添加）。 No links between passages yet (add them on the Document "
                    "coding page).")
        else:
            st.caption(f"{len(found)} 条链接 links；箭头上是关系与条数 — arrows carry the label and the number of links.")
            st.graphviz_chart(link_graph(found), width="stretch")
            table = pd.DataFrame([{"#": x.id, "关系 label": x.label, "从 from": f"#{x.source.document_id} "
                                   f"{x.source.title}", "原文 passage": x.source.text, "到 to": f"#{x.target.document_id} "
                                   f"{x.target.title}", "另一段 other passage": x.target.text, "编码员 coder": x.coder}
                                  for x in found])
            st.dataframe(table, hide_index=True, width="stretch")
            csv_button(table, "baolian_links", "links_csv")
except BaolianError as exc:
    st.error(f"无法计算 Cannot compute: {md(exc)}")
