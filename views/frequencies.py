"""统计 Frequencies: accepted codes per mechanism and feature, by document kind (a first view)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from coding.analysis import KIND_LABELS, code_frequencies, codes_frame, frequency_table
from views._shared import project

BY_LABELS = {"kind": "文档类型 kind", "document": "文档 document"}
ALL = "*"

p = project()
st.title("统计分析 Analysis")
st.caption("已接受的编码（含手动添加）按机制 / 特征与文档类型计数；同一段文字被多位编码员接受只计一次。"
           " Accepted codes (and codes added by hand) per code and document kind; a span counts once.")

codes = codes_frame(p)
roots = codes[codes["parent"].isna()]
groups = {ALL: "全部类别 all groups", **dict(zip(roots["code"], roots["code"] + " " + roots["name"]))}
coders = p.coders()

c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
group = c1.selectbox("类别 group", list(groups), format_func=groups.get, key="freq_group")
by = c2.radio("按 by", list(BY_LABELS), format_func=BY_LABELS.get, horizontal=True, key="freq_by")
who = c3.selectbox("编码员 coder", [ALL, *coders], format_func=lambda c: "全部编码员 all coders" if c == ALL else c,
                   key="freq_coder")
with c4:
    pending = st.toggle("包括待定建议 include pending suggestions", key="freq_pending",
                        help="把尚未决定的机器建议也算进来 — count undecided machine suggestions too")
    rollup = st.toggle("子编码并入上级 roll up sub-codes", key="freq_rollup", help="M1.1–M1.3 计入 M1")

status = ("accepted", "pending") if pending else ("accepted",)
freq = code_frequencies(p, by=by, status=status, coder=None if who == ALL else who, rollup=rollup)
if group != ALL:
    freq = freq[freq["group"] == group]
if by == "kind":
    freq = freq.assign(kind=freq["kind"].map(KIND_LABELS).fillna(freq["kind"]))

if freq.empty:
    st.info("还没有符合条件的已接受编码。先在审核队列或文档编码页接受一些建议，或打开“包括待定建议”。"
            " No accepted codes yet: accept some suggestions first, or include pending suggestions.")
    st.page_link("views/review_queue.py", label="审核队列 Review queue", icon="✅")
    st.stop()

total = int(freq["count"].sum())
st.caption(f"共 {total} 处编码 coded spans" + ("（含待定建议 including pending）" if pending else ""))
order = freq.sort_values("position")["label"].drop_duplicates().tolist()
chart = (
    alt.Chart(freq)
    .mark_bar()
    .encode(
        y=alt.Y("label:N", sort=order, title="编码 code", axis=alt.Axis(labelLimit=260)),
        x=alt.X("sum(count):Q", title="次数 count", axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color(f"{by}:N", title=BY_LABELS[by], legend=alt.Legend(orient="bottom", columns=2),
                        sort=list(KIND_LABELS.values()) if by == "kind" else "ascending"),
        tooltip=[alt.Tooltip("label:N", title="编码 code"), alt.Tooltip(f"{by}:N", title=BY_LABELS[by]),
                 alt.Tooltip("count:Q", title="次数 count")],
    )
    .properties(height=alt.Step(26))
)
st.altair_chart(chart, width="stretch")

table = frequency_table(freq, by=by, order=list(KIND_LABELS.values()) if by == "kind" else None)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"code": "编码 code", "name": "名称 name", "total": "合计 total"})
st.download_button("下载表格 Download CSV", table.to_csv(index=False).encode("utf-8-sig"),
                   file_name="baolian_frequencies.csv", mime="text/csv", key="freq_csv")
