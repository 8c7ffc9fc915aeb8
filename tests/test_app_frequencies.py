"""AppTest: the frequencies page counts accepted codes per code and document kind, pending on request."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from coding.autocode import code_project
from coding.decisions import accept, add_code, pending_suggestions, reject
from coding.project import Project

from .conftest import CODEBOOK, CORPUS, ROOT

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
    return {"path": path, "suggestions": sugs, "picks": picks, "kinds": kinds}


def open_page(monkeypatch, path) -> AppTest:
    monkeypatch.setenv("BAOLIAN_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


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
    # everything but the one rejected suggestion, plus the hand-added code
    assert table(at)["total"].sum() == n - 1 + 1


def test_group_rollup_and_by_document(monkeypatch, coded):
    at = open_page(monkeypatch, coded["path"])
    at.toggle(key="freq_pending").set_value(True)
    at.selectbox(key="freq_group").set_value("M")
    at.run()
    codes = table(at)["code"]
    assert codes.str.startswith("M").all() and codes.str.contains(r"\.").any()
    at.toggle(key="freq_rollup").set_value(True).run()
    assert not table(at)["code"].str.contains(r"\.").any()
    at.radio(key="freq_by").set_value("document").run()
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
