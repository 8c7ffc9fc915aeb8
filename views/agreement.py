"""信度 Reliability: intercoder agreement per code and overall (percent, Cohen's κ, Krippendorff's α, Fleiss' κ)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding.agreement_data import UNIT_LABELS, UNITS, agreement_report, codable_codes, decided_coders, report_csv
from views._shared import coder, document_scope, md, project, run_action

p = project()
st.title("信度 Reliability")
st.caption("编码员之间的一致性：每个编码一个二元变量（有 / 无），按句子或按字符比较。"
           " Intercoder agreement: each code is one present/absent variable, compared per sentence or per character.")

try:
    from coding.assignments import user_blinded
except ImportError:  # blind coding not available
    user_blinded = None
if user_blinded is not None and user_blinded(p, coder()):
    st.info("盲编进行中：在管理员开启裁决之前，信度只对管理员显示。"
            " Blind coding is on: reliability is shown to admins only until adjudication opens.")
    st.stop()

known = decided_coders(p)
if len(known) < 2:
    have = f"目前只有 so far only: {md(known[0])}" if known else "目前还没有人做过编码决定 nobody has made decisions yet"
    st.info("信度需要至少两位编码员对同一文档做过编码决定。"
            f" Reliability needs at least two coders who coded the same documents. ({have})")
    st.page_link("views/document_coding.py", label="文档编码 Document coding", icon="🖍️")
    st.stop()

codes = dict(codable_codes(p))
c1, c2, c3 = st.columns([3, 2, 3])
chosen = c1.multiselect("编码员 coders", known, default=known, key="agr_coders",
                        help="默认：所有做过编码决定的人 — default: everyone who made decisions")
unit = c2.radio("分析单位 unit", UNITS, format_func=UNIT_LABELS.get, key="agr_unit", horizontal=True)
picked = c3.multiselect("编码 codes", list(codes), format_func=lambda k: f"{k} {codes[k]}", key="agr_codes",
                        placeholder="全部编码 all codes")
scope = document_scope(p, "agr_where")

if len(chosen) < 2:
    st.warning("请至少选择两位编码员 — choose at least two coders.")
    st.stop()

report = run_action(agreement_report, p, coders=chosen, unit=unit, codes=picked or None, as_user=coder(),
                    documents=scope)
if report is None:
    st.stop()

st.text(report.summary())
m1, m2, m3, m4 = st.columns(4)
m1.metric("分析单位 unit", "句子 sentence" if unit == "segment" else "字符 character")
m2.metric("单位数 N units", f"{report.n_units:,}")
m3.metric("编码员 coders", report.n_coders)
m4.metric("文档 documents", len(report.documents))

COLUMNS = {"code": "编码 code", "name": "名称 name", "n_units": "单位数 units", "present": "出现 present",
           "percent": "一致率 agreement", "kappa": "Cohen's κ", "alpha": "Krippendorff's α", "fleiss": "Fleiss' κ",
           "reason": "说明 note"}
CONFIG = {
    "percent": st.column_config.NumberColumn(COLUMNS["percent"], format="percent"),
    **{k: st.column_config.NumberColumn(COLUMNS[k], format="%.3f") for k in ("kappa", "alpha", "fleiss")},
    **{k: st.column_config.TextColumn(v) for k, v in COLUMNS.items() if k in ("code", "name", "reason")},
    **{k: st.column_config.NumberColumn(v, format="%d") for k, v in COLUMNS.items() if k in ("n_units", "present")},
}


def frame(rows) -> pd.DataFrame:
    table = pd.DataFrame([{k: getattr(r, k) for k in COLUMNS} for r in rows], columns=list(COLUMNS))
    table["reason"] = table["reason"].fillna("")  # a blank note, not the word None
    return table


st.subheader("各编码 Per code")
if report.n_units == 0:
    st.warning("所选编码员没有共同编码过的文档，无法计算。"
               " These coders have no document in common (each must have decided something on it).")
st.dataframe(frame(report.rows), hide_index=True, width="stretch", column_config=CONFIG)
st.subheader("总体 Overall")
st.dataframe(frame([report.pooled, report.mean]), hide_index=True, width="stretch", column_config=CONFIG)
for note in report.notes:
    st.caption(f"· {note}")

st.download_button("下载表格 CSV Download the table (CSV)", data=report_csv(report),
                   file_name=f"baolian_reliability_{unit}.csv", mime="text/csv", key="agr_csv")

with st.expander("指标说明 What the measures mean", expanded=False):
    st.markdown("""
**分析单位 Unit.** *句子*：编码员的某个编码与句子至少重叠一个字符，即视为该句"有"此编码。*字符*：文档的每个字符（码位）是一个单位。
只比较至少两位所选编码员都做过编码决定（接受、拒绝或添加）的文档；某位编码员没做过的文档，其数值为缺失。裁决层与机器建议不计。
*Sentence*: a code is present in a sentence when one of the coder's codings overlaps it by at least one character.
*Character*: every code point is a unit. Only documents on which at least two of the chosen coders decided
something count; where a coder did not work on a document, their values are missing. The adjudicated layer and
machine suggestions are not coders.

**一致率 Percent agreement.** 两位编码员给出相同值的单位比例（多位编码员：一致的编码员对 / 全部编码员对）。不校正偶然一致。
The share of units on which coders agree (several coders: agreeing pairs / all pairs). Not corrected for chance.

**Cohen's κ.** 两位编码员。κ = (p_o − p_e) / (1 − p_e)，偶然一致 p_e = Σ_k p_A(k)·p_B(k) 是各类别的**和**。
Two coders only. Chance agreement p_e is the **sum** over categories of the product of the coders' shares
(some tools multiply the terms, which is wrong).

**Krippendorff's α（名义 nominal）.** 两位或多位编码员，允许缺失；只有一个值的单位无法配对而被略去。α = 1 − D_o / D_e。
Two or more coders, missing values allowed; units with fewer than two values are dropped. α = 1 − observed / expected disagreement.

**Fleiss' κ.** 多位评分者；只使用全部所选编码员都编码过的单位。
Several raters; only units coded by all chosen coders are used.

**总体 Overall.** *合并*：把所有 编码×单位 的二元判断合成一个信度矩阵计算；*平均*：各编码数值的平均（只计有定义的编码）。
*Pooled*: all code × unit decisions as one binary reliability matrix. *Mean*: the mean of the per-code values where defined.

**无定义 Undefined (—).** 没有人用过某编码（或所有单位都有）时没有变异，一致率为 100%，κ 与 α 无定义。
When nobody used a code (or every unit has it) there is no variation: agreement is 100% and κ, α are undefined.
常用参考 Rule of thumb: α ≥ 0.800 可靠 reliable; 0.667–0.800 只宜作初步结论 tentative conclusions only (Krippendorff 2004).
""")
