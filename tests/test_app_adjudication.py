"""AppTest: the 裁决 Adjudication page lists disagreements side by side and a decision click writes the final layer."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from coding.assignments import assign
from coding.decisions import add_code
from coding.project import Project
from coding.store import CodeApplication, Coder

from .apptest import open_app
from .conftest import CODEBOOK, ROOT

PAGE = "views/adjudication.py"
TEXT = "第一句话<b>粗</b>。第二句话很长。第三句。\n"


@pytest.fixture
def location(tmp_path):
    """Coders A and B on one document: they disagree on F2 (S2) and on M2 (S3), agree on F1 (S1)."""
    path = tmp_path / "adj.sqlite"  # a path of its own: views/_shared caches the project by path
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    p = Project.init(path, codebook=CODEBOOK)
    assert not p.import_paths([tmp_path / "t.txt"]).refused
    doc = p.documents()[0].id
    assign(p, [doc], ["A", "B"], by="lead")
    add_code(p, doc, 0, 4, "F1", coder="A")
    add_code(p, doc, 1, 5, "F1", coder="B")
    s2 = TEXT.index("第二句")
    s3 = TEXT.index("第三句")
    add_code(p, doc, s2, s2 + 4, "F2", coder="A")
    add_code(p, doc, s3, s3 + 3, "M2", coder="B")
    p.close()
    return path


def open_page(monkeypatch, path, coder: str | None = "lead") -> AppTest:
    return open_app(monkeypatch, path, PAGE, coder=coder, timeout=120, no_errors=True)


def html(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


def finals(path) -> list[tuple]:
    p = Project.open(path)
    try:
        with p.read() as s:
            return list(s.execute(select(CodeApplication.start, CodeApplication.end, CodeApplication.status,
                                         CodeApplication.based_on, Coder.name)
                                  .join(Coder, Coder.id == CodeApplication.coder_id)
                                  .where(CodeApplication.layer == "final")).all())
    finally:
        p.close()


def test_disagreements_render_side_by_side_escaped(monkeypatch, location):
    at = open_page(monkeypatch, location)
    body = html(at)
    assert at.metric[0].value == "2" and at.metric[2].value == "1 / 3"
    assert "第二句话很长。" in body and "第三句。" in body
    assert "<mark" in body and "<b>A</b>" in body and "<b>B</b>" in body
    assert "✘ 无编码 no code" in body and "✔ 有编码 has the code" in body
    labels = [b.label for b in at.button]
    for label in ("采用 A Take A", "采用 B Take B", "合并 Merge", "都不 Neither"):
        assert labels.count(label) == 2, label
    assert "开启盲编码 Turn blind mode on" in labels


def test_document_text_is_escaped(monkeypatch, tmp_path):
    path = tmp_path / "esc.sqlite"
    (tmp_path / "x.txt").write_text("有<script>alert(1)</script>的句子。另一句。\n", encoding="utf-8")
    p = Project.init(path, codebook=CODEBOOK)
    p.import_paths([tmp_path / "x.txt"])
    doc = p.documents()[0].id
    add_code(p, doc, 0, 5, "F1", coder="A")
    add_code(p, doc, 0, 3, "F2", coder="B")
    p.close()
    body = html(open_page(monkeypatch, path))
    assert "&lt;script&gt;" in body and "<script>" not in body


def test_a_decision_click_writes_the_final_layer(monkeypatch, location):
    at = open_page(monkeypatch, location)
    take_a = [b for b in at.button if b.label == "采用 A Take A"]
    take_a[0].click()  # the first disagreement: F2 on S2, which A has
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    s2 = TEXT.index("第二句")
    rows = finals(location)
    assert [(a, b, status, who) for a, b, status, _, who in rows] == [(s2, s2 + 4, "accepted", "lead")]
    assert len(rows[0][3]) == 1  # based on A's coding
    assert any("已裁决 decided F2" in s.value for s in at.success)
    assert "裁决 Final" in html(at) and at.metric[1].value == "1"

    merge = [b for b in at.button if b.label == "都不 Neither"]
    merge[1].click()  # the second: M2 on S3
    at.run()
    assert sorted(r[2] for r in finals(location)) == ["accepted", "rejected"]

    at.button(key="adj_adopt").click()  # F1 on S1, where A and B agree
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert (0, 5, "accepted") in [(a, b, status) for a, b, status, _, _ in finals(location)]
    table = at.dataframe[1].value  # 最终编码 Final coding
    assert list(table["选择 Choice"]) == ["merge", "A", "none"]
    assert list(table["文本 Text"])[0] == "第一句话<"  # shown as plain text by st.dataframe


def test_blind_toggle_assign_and_open(monkeypatch, location):
    at = open_page(monkeypatch, location)
    at.button(key="adj_blind").click()
    at.run()
    assert "当前 now: **开 on**" in [m.value for m in at.markdown]
    at.multiselect(key="adj_docs").set_value([1])
    at.multiselect(key="adj_coders").set_value(["C"])
    at.run()
    at.button(key="adj_assign").click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert "C" in list(at.dataframe[0].value["编码员 Coder"])
    at.button(key="adj_open").click()
    at.run()
    assert "当前 now: **全部开放 open for all**" in [m.value for m in at.markdown]


def test_non_admins_get_no_page(monkeypatch, location):
    p = Project.open(location)
    with p.transaction() as s:
        s.add(Coder(name="boss", role="admin"))
        s.scalar(select(Coder).where(Coder.name == "A")).role = "coder"
    p.close()
    at = open_app(monkeypatch, location, PAGE, coder="A", user="A", timeout=120)  # logged in as A
    assert not [b for b in at.button if b.label == "采用 A Take A"]  # hidden from navigation, or refused
    assert "第二句话很长" not in html(at)
    # the page itself refuses too, when reached directly
    page = AppTest.from_file(str(ROOT / PAGE), default_timeout=120)
    page.session_state["coder"] = "A"
    page.session_state["auth_user"] = "A"
    page.run()
    assert not page.exception, page.exception
    assert any("只有管理员" in w.value for w in page.warning)
    assert not page.button
