"""AppTest: the 统计分析 Analysis page — frequencies, code × document matrix, co-occurrence, KWIC, word frequencies."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from coding.analysis import code_document_matrix, code_frequencies, cooccurrence
from coding.autocode import code_project
from coding.decisions import accept, add_code, pending_suggestions, reject
from coding.project import Project

from .apptest import open_app
from .conftest import CODEBOOK, CORPUS

PAGE = "views/frequencies.py"
FILES = ["interviews/i01_lhy_vice_district_head.txt", "policy/p02_city_deployment.txt",
         "minutes/m01_task_force_first_meeting.txt"]


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """Three documents of three kinds; ann accepted six suggestions (two per document), rejected one, added one."""
    path = tmp_path_factory.mktemp("frequencies") / "f.sqlite"
    p = Project.init(path, codebook=CODEBOOK)
    p.import_paths([CORPUS / f for f in FILES], manifest=CORPUS / "corpus.yaml")
    code_project(p)
    sugs = pending_suggestions(p, coder=None)
    picks = [s for doc in {s.document_id for s in sugs} for s in [x for x in sugs if x.document_id == doc][:2]]
    accept(p, [s.id for s in picks], coder="ann")
    others = [s for s in sugs if s not in picks]
    reject(p, [others[0].id], coder="ann")
    minutes = next(d for d in p.documents() if d.kind == "minutes")
    add_code(p, minutes.id, 0, 4, "M3", coder="ann")
    kinds = {d.id: d.kind for d in p.documents()}
    p.close()
    return {"path": path, "suggestions": sugs, "picks": picks, "kinds": kinds, "rejected": others[0].id}


def open_page(monkeypatch, path) -> AppTest:
    return open_app(monkeypatch, path, PAGE)


def table(at: AppTest):
    (found,) = [d.value for d in at.dataframe if "total" in d.value.columns]
    return found


def test_accepted_codes_by_kind(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    assert at.get("vega_lite_chart")
    wide = table(at)
    assert wide["total"].sum() == 7  # six accepted suggestions and one code added by hand
    assert list(wide.columns) == ["code", "name", "访谈 interview", "政策文件 policy", "会议纪要 minutes", "total"]
    assert wide["会议纪要 minutes"].sum() == 3
    expected = {}
    for s in coded["picks"]:
        expected[s.code] = expected.get(s.code, 0) + 1
    expected["M3"] = expected.get("M3", 0) + 1
    assert dict(zip(wide["code"], wide["total"])) == expected
    assert any("共 7 处编码" in c.value for c in at.caption)


def test_include_pending_suggestions(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.toggle(key="freq_pending").set_value(True).run()
    assert not at.exception
    n = len(coded["suggestions"])
    # everything but the one rejected suggestion, plus the hand-added code unless an M3 suggestion
    # already sits on its sentence (a segment carries a code once)
    minutes = next(d for d, k in coded["kinds"].items() if k == "minutes")
    same = [s for s in coded["suggestions"] if s.document_id == minutes and s.code == "M3" and s.start <= 0 < s.end
            and s.id != coded["rejected"]]
    assert table(at)["total"].sum() == n - 1 + (0 if same else 1)


def test_group_rollup_and_by_document(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.toggle(key="freq_pending").set_value(True)
    at.selectbox(key="freq_group").set_value("M")
    at.run()
    codes = table(at)["code"]
    assert codes.str.startswith("M").all() and codes.str.contains(r"\.").any()
    at.toggle(key="freq_rollup").set_value(True).run()
    assert not table(at)["code"].str.contains(r"\.").any()
    at.selectbox(key="freq_by").set_value("document").run()
    p = Project.open(coded["path"])
    titles = {d.title for d in p.documents()}
    p.close()
    assert set(table(at).columns) - {"code", "name", "total"} <= titles


def test_per_coder_and_empty_state(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.selectbox(key="freq_coder").set_value("ann").run()
    assert table(at)["total"].sum() == 7
    p = Project.open(coded["path"])
    with p.transaction() as s:  # a second coder, with no decisions yet
        p.coder_id(s, "bob")
    p.close()
    at = open_page(monkeypatch, coded["path"])
    at.selectbox(key="freq_coder").set_value("bob").run()
    assert not at.exception
    assert not at.get("vega_lite_chart")
    assert any("还没有符合条件的已接受编码" in i.value for i in at.info)
    assert [link.label for link in at.get("page_link")] == ["审核队列 Review queue"]


def test_speaker_role_and_measures(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.selectbox(key="freq_by").set_value("speaker_role").run()
    assert not at.exception
    p = Project.open(coded["path"])
    roles = set(code_frequencies(p, by="speaker_role")["speaker_role"])
    p.close()
    assert set(table(at).columns) - {"code", "name", "total"} == roles
    at.selectbox(key="freq_measure").set_value("characters").run()
    assert not at.exception and table(at)["total"].sum() > 7
    assert [b.label for b in at.get("download_button")][:2] == ["下载 PNG", "下载 SVG"]


def test_matrix_view(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.radio(key="analysis_view").set_value("matrix").run()
    assert not at.exception and at.get("vega_lite_chart")
    (shown,) = [d.value for d in at.dataframe if "合计 total" in d.value.columns]
    p = Project.open(coded["path"])
    matrix = code_document_matrix(p)
    p.close()
    assert shown["合计 total"].sum() == matrix.values.sum() == 7
    assert list(shown.index) == [c for c in matrix.index if matrix.loc[c].sum() > 0]


def test_cooccurrence_view(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.toggle(key="freq_pending").set_value(True)
    at.radio(key="analysis_view").set_value("cooc").run()
    at.radio(key="cooc_level").set_value("paragraph").run()
    at.radio(key="cooc_value").set_value("jaccard").run()
    assert not at.exception and at.get("vega_lite_chart")
    (pairs,) = [d.value for d in at.dataframe if "jaccard" in d.value.columns]
    p = Project.open(coded["path"])
    expected = cooccurrence(p, level="paragraph", status=("accepted", "pending"))
    p.close()
    assert len(pairs) == len(expected) > 0
    assert pairs["count"].tolist() == expected["count"].tolist()
    # each pair links to its units on the Coding query page
    assert pairs["open"].tolist() == [f"coding_query?codes={a},{b}&level=paragraph"
                                      for a, b in zip(expected["code_a"], expected["code_b"])]


def test_kwic_view(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.radio(key="analysis_view").set_value("kwic").run()
    at.text_input(key="kwic_word").input("信访").run()
    assert not at.exception
    (hits,) = [d.value for d in at.dataframe if "keyword" in d.value.columns]
    assert len(hits) > 0 and set(hits["keyword"]) == {"信访"}
    at.radio(key="kwic_mode").set_value("code").run()
    at.selectbox(key="kwic_code").set_value("M3").run()
    (hits,) = [d.value for d in at.dataframe if "keyword" in d.value.columns]
    assert set(hits["code"]) == {"M3"}


def test_word_frequencies_view(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.radio(key="analysis_view").set_value("words").run()
    assert not at.exception
    (words,) = [d.value for d in at.dataframe if "word" in d.value.columns]
    assert len(words) == 30 and not ({"的", "了", "我们", "，", "。"} & set(words["word"]))
    assert words["count"].is_monotonic_decreasing
    top = words["word"].iloc[0]
    at.text_input(key="words_extra").input(top).run()
    (words,) = [d.value for d in at.dataframe if "word" in d.value.columns]
    assert top not in set(words["word"])


def test_cached_results_follow_changes(monkeypatch, coded, tmp_path):
    path = tmp_path / "copy.sqlite"
    shutil.copyfile(coded["path"], path)
    at = open_page(monkeypatch, path)
    assert table(at)["total"].sum() == 7
    at.run()  # the same choices again: served from the cache
    assert table(at)["total"].sum() == 7
    p = Project.open(path)
    policy = next(d for d in p.documents() if d.kind == "policy")
    add_code(p, policy.id, 0, 2, "R1", coder="ann")
    p.close()
    at = open_page(monkeypatch, path)
    wide = table(at)
    assert wide["total"].sum() == 8 and wide.set_index("code").loc["R1", "政策文件 policy"] >= 1


def test_code_line_view(monkeypatch, coded):
    from coding.analysis_codeline import code_line

    at = open_page(monkeypatch, coded["path"])
    at.radio(key="analysis_view").set_value("line").run()
    assert not at.exception and not at.error
    doc = at.selectbox(key="line_doc").value
    p = Project.open(coded["path"])
    try:
        expected, n = code_line(p, doc, rollup=True)
        sentences, _ = code_line(p, doc, level="sentence", rollup=False)
    finally:
        p.close()
    assert not expected.empty and at.get("vega_lite_chart")
    (shown,) = [d.value for d in at.dataframe if "position" in d.value.columns]
    assert list(zip(shown["code"], shown["position"])) == list(zip(expected["code"], expected["position"]))
    at.radio(key="line_level").set_value("sentence").run()
    at.toggle(key="line_rollup").set_value(False).run()
    (shown,) = [d.value for d in at.dataframe if "position" in d.value.columns]
    assert list(zip(shown["code"], shown["position"])) == list(zip(sentences["code"], sentences["position"]))


def test_keywords_view(monkeypatch, coded):
    from coding.analysis_keywords import keywords

    at = open_page(monkeypatch, coded["path"])
    at.radio(key="analysis_view").set_value("keywords").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="kw_by").value == "speaker_role"
    assert "包联人" in at.selectbox(key="kw_group").options
    at.selectbox(key="kw_group").set_value("包联人").run()
    at.number_input(key="kw_min").set_value(2).run()
    p = Project.open(coded["path"])
    try:
        expected = keywords(p, by="speaker_role", group="包联人", min_count=2)
    finally:
        p.close()
    (shown,) = [d.value for d in at.dataframe if "g2" in d.value.columns]
    assert len(shown) == len(expected) > 0 and shown["word"].tolist() == expected["word"].tolist()
    others = at.selectbox(key="kw_against").options
    assert "包联人" not in others and others
    other = others[0]
    at.selectbox(key="kw_against").set_value(other).run()
    assert not at.exception and not at.error
    p = Project.open(coded["path"])
    try:
        expected = keywords(p, by="speaker_role", group="包联人", against=other, min_count=2)
    finally:
        p.close()
    (shown,) = [d.value for d in at.dataframe if "g2" in d.value.columns]
    assert shown["word"].tolist() == expected["word"].tolist() and shown["count_rest"].tolist() == \
        expected["count_rest"].tolist()


def test_links_map_view(monkeypatch, coded, tmp_path):
    import shutil

    from coding.segment_links import Passage, add_link

    path = tmp_path / "links.sqlite"
    shutil.copyfile(coded["path"], path)
    at = open_page(monkeypatch, path)
    at.radio(key="analysis_view").set_value("links").run()
    assert not at.exception and any("还没有段落之间的链接" in i.value for i in at.info)
    p = Project.open(path)
    try:
        first, second = [d.id for d in p.documents()][:2]
        add_link(p, Passage(first, 0, 4), Passage(second, 0, 4), label="<b>矛盾</b>", coder="ann")
    finally:
        p.close()
    at = open_page(monkeypatch, path)
    at.radio(key="analysis_view").set_value("links").run()
    assert not at.exception and not at.error
    (table,) = [d.value for d in at.dataframe if "关系 label" in d.value.columns]
    assert table["关系 label"].tolist() == ["<b>矛盾</b>"]  # shown in a table cell, as text
    assert any("1 条链接 links" in c.value for c in at.caption)
