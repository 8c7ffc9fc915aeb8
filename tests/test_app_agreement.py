"""AppTest: the 信度 Reliability page with two coders, with none, and with a coder chosen away."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from coding.decisions import add_code
from coding.project import Project

from .apptest import open_app
from .conftest import CODEBOOK

PAGE = "views/agreement.py"


def make_project(folder, coders: dict[str, list[tuple[int, int, str]]]):
    path = folder / "r.sqlite"
    (folder / "a.txt").write_text("一二三。四五六。七八九。\n十一二。\n", encoding="utf-8")
    p = Project.init(path, codebook=CODEBOOK)
    assert not p.import_paths([folder / "a.txt"]).refused
    for name, spans in coders.items():
        for start, end, code in spans:
            add_code(p, 1, start, end, code, coder=name)
    p.close()
    return path


@pytest.fixture(scope="module")
def two_coders(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("agree2"), {
        "ann": [(0, 2, "M1"), (5, 10, "M2")],
        "bob": [(1, 3, "M1"), (13, 15, "M2")],
    })


def open_page(monkeypatch, path) -> AppTest:
    return open_app(monkeypatch, path, PAGE)


def test_two_coders_segment_level(monkeypatch, two_coders):
    at = open_page(monkeypatch, two_coders)
    assert at.title[0].value == "信度 Reliability"
    assert any("N = 4" in t.value and "ann, bob" in t.value and "句子" in t.value for t in at.text)
    per_code, overall = at.dataframe[0].value, at.dataframe[1].value
    rows = per_code.set_index("code")
    assert rows.loc["M1", "kappa"] == 1.0 and rows.loc["M1", "percent"] == 1.0
    assert rows.loc["M2", "kappa"] == pytest.approx(-0.5)
    assert rows.loc["M3", "percent"] == 1.0 and "no variation" in rows.loc["M3", "reason"]
    assert len(overall) == 2 and overall["n_units"].tolist()[0] == 4 * len(per_code)
    assert any("Krippendorff" in e.label or "指标说明" in e.label for e in at.expander)
    assert at.get("download_button")


def test_char_level_and_code_filter(monkeypatch, two_coders):
    at = open_page(monkeypatch, two_coders)
    at.radio(key="agr_unit").set_value("char")
    at.multiselect(key="agr_codes").set_value(["M1", "M2"])
    at.run()
    assert not at.exception, at.exception
    assert any("N = 17" in t.value and "字符" in t.value for t in at.text)
    per_code = at.dataframe[0].value
    assert per_code["code"].tolist() == ["M1", "M2"]
    assert per_code.set_index("code").loc["M1", "percent"] == pytest.approx(15 / 17)


def test_one_coder_chosen(monkeypatch, two_coders):
    at = open_page(monkeypatch, two_coders)
    at.multiselect(key="agr_coders").set_value(["ann"])
    at.run()
    assert not at.exception
    assert any("至少选择两位编码员" in w.value for w in at.warning)
    assert not at.dataframe


def test_no_coders_shows_a_clear_message(monkeypatch, tmp_path):
    at = open_page(monkeypatch, make_project(tmp_path, {}))
    assert any("at least two coders" in i.value and "nobody" in i.value for i in at.info)
    assert not at.dataframe


def test_one_coder_in_the_project(monkeypatch, tmp_path):
    at = open_page(monkeypatch, make_project(tmp_path, {"ann": [(0, 2, "M1")]}))
    assert any("at least two coders" in i.value and "ann" in i.value for i in at.info)


def test_blind_coding_hides_reliability_from_coders(monkeypatch, tmp_path):
    assignments = pytest.importorskip("coding.assignments")
    path = make_project(tmp_path, {"ann": [(0, 2, "M1")], "bob": [(1, 3, "M1")]})
    p = Project.open(path)
    assignments.assign(p, [1], ["ann", "bob"], by="boss")
    assignments.set_blind(p, True, by="boss")
    p.close()
    at = open_app(monkeypatch, path, PAGE, coder="ann")
    assert any("Blind coding" in i.value for i in at.info) and not at.dataframe
    at.session_state["coder"] = "boss"  # not a blinded coder (no documents assigned)
    at.run()
    assert not at.exception and at.dataframe
    p = Project.open(path)
    assignments.open_adjudication(p, by="boss")
    p.close()
    at.session_state["coder"] = "ann"
    at.run()
    assert not at.exception and at.dataframe
