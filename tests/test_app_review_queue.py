"""AppTest: the review queue lists pending suggestions page by page and its decisions reach the database."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from coding.autocode import code_project
from coding.decisions import pending_suggestions
from coding.project import Project
from coding.store import CodeApplication, Coder

from .apptest import open_app

PAGE = "views/review_queue.py"
PICK = "选择 Pick"
TEXT = "句子与证据 Sentence 【evidence】"
CODE = "编码 Code"
SCORE = "得分 Score"


@pytest.fixture
def demo(coded_demo, tmp_path):
    path = tmp_path / "review.sqlite"  # a path of its own: views/_shared caches the project by path
    shutil.copyfile(coded_demo, path)
    return path


def open_page(monkeypatch, path, coder: str | None = "ann") -> AppTest:
    return open_app(monkeypatch, path, PAGE, coder=coder, timeout=120, no_errors=True)


def table(at: AppTest):
    return at.dataframe[0].value


def card(at: AppTest) -> str:
    """The one-by-one card (an st.html element: no Markdown, sanitised HTML)."""
    return next(h.value for h in at.html if "rq-card" in h.value)


def tick(at: AppTest, positions: list[int]) -> None:
    """Tick rows of the table as a browser user would (AppTest cannot click in the data editor)."""
    at.session_state[f"rq_editor_{at.session_state['rq_gen']}"] = {
        "edited_rows": {i: {PICK: True} for i in positions}, "added_rows": [], "deleted_rows": []}
    at.run()


def decisions(path, coder: str = "ann") -> dict[int, str]:
    """suggestion id -> status of the coder's decisions, read straight from the database."""
    p = Project.open(path)
    try:
        with p.read() as s:
            return dict(s.execute(select(CodeApplication.suggestion_id, CodeApplication.status)
                                  .join(Coder, Coder.id == CodeApplication.coder_id).where(Coder.name == coder)).all())
    finally:
        p.close()


def pending_count(path, coder: str | None = "ann") -> int:
    p = Project.open(path)
    try:
        return len(pending_suggestions(p, coder=coder))
    finally:
        p.close()


def test_the_demo_queue_renders_one_page_with_evidence(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    total = pending_count(demo)
    assert f"**{total}** 条待审 pending" in at.markdown[0].value
    rows = table(at)
    assert len(rows) == 100 and total > 100  # one page, not the whole queue
    assert list(rows[SCORE]) == sorted(rows[SCORE], reverse=True)
    assert all("【" in text and "】" in text for text in rows[TEXT])
    assert not rows[PICK].any()
    first = rows.index[0]
    assert f"#{first} ·" in card(at)  # the one-by-one card shows the first row
    assert at.button(key="rq_accept").disabled and at.button(key="rq_reject").disabled  # nothing ticked


def test_bulk_accept_changes_the_database(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    before = pending_count(demo)
    ids = list(table(at).index)
    tick(at, [0, 2])
    assert at.button(key="rq_accept").label.endswith("(2)")
    at.button(key="rq_accept").click().run()
    assert not at.exception and not at.error
    assert "已接受 Accepted 2" in at.success[0].value
    assert decisions(demo) == {ids[0]: "accepted", ids[2]: "accepted"}
    assert pending_count(demo) == before - 2
    shown = list(table(at).index)
    assert ids[0] not in shown and ids[2] not in shown and ids[1] in shown
    assert not table(at)[PICK].any()  # a fresh table: the ticks did not move onto other rows


def test_bulk_reject_every_row_of_the_page(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    ids = list(table(at).index)
    at.checkbox(key="rq_all").check().run()
    assert table(at)[PICK].all()
    at.button(key="rq_reject").click().run()
    assert decisions(demo) == {i: "rejected" for i in ids}
    assert not set(ids) & set(table(at).index)
    assert not at.checkbox(key="rq_all").value and not table(at)[PICK].any()  # the next page is not pre-ticked


def test_an_empty_selection_renders(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    at.slider(key="rq_score").set_value((0.0, 0.05)).run()
    assert not at.exception and not at.error
    assert len(table(at)) == 0 and "**0** 条待审" in at.markdown[0].value
    assert any("没有待审" in i.value for i in at.info)


def test_one_by_one_accept_then_reject(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    ids = list(table(at).index)
    at.button(key="rq_one_accept").click().run()
    at.button(key="rq_one_reject").click().run()
    assert decisions(demo) == {ids[0]: "accepted", ids[1]: "rejected"}
    tick(at, [3])  # a ticked row becomes the one to decide
    focus = list(table(at).index)[3]
    assert f"#{focus} ·" in card(at)
    at.button(key="rq_one_accept").click().run()
    assert decisions(demo)[focus] == "accepted"


def test_filters_by_code_document_origin_and_score(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    at.multiselect(key="rq_codes").set_value(["M2"]).run()
    rows = table(at)
    assert len(rows) and all(code.startswith("M2 ") for code in rows[CODE])
    p = Project.open(demo)
    n_m2 = len(pending_suggestions(p, coder="ann", codes=["M2"]))
    doc = p.documents()[0]
    p.close()
    assert f"**{n_m2}** 条待审" in at.markdown[0].value
    at.multiselect(key="rq_codes").set_value([]).run()
    at.slider(key="rq_score").set_value((0.8, 0.9)).run()
    assert all(0.8 <= s <= 0.9 for s in table(at)[SCORE]) and len(table(at))
    at.slider(key="rq_score").set_value((0.0, 1.0))
    at.multiselect(key="rq_docs").set_value([doc.id]).run()
    assert set(table(at)["文档 Document"]) == {doc.title}
    at.selectbox(key="rq_origin").set_value("rule").run()
    assert set(table(at)["来源 Origin"]) == {"规则 rule"}
    assert not at.exception


def test_ticks_do_not_follow_to_another_page(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    first_page = list(table(at).index)
    tick(at, [0, 1])
    at.number_input(key="rq_page").set_value(2).run()
    second_page = list(table(at).index)
    assert not set(first_page) & set(second_page)
    assert not table(at)[PICK].any() and at.button(key="rq_accept").disabled
    at.selectbox(key="rq_size").set_value(50).run()
    assert len(table(at)) == 50 and at.number_input(key="rq_page").value == 1


def test_without_a_coder_the_queue_is_read_only(monkeypatch, demo):
    at = open_page(monkeypatch, demo, coder=None)
    assert any("编码员" in i.value for i in at.info)
    assert f"**{pending_count(demo, None)}** 条待审" in at.markdown[0].value
    tick(at, [0])
    assert at.button(key="rq_accept").disabled and at.button(key="rq_one_accept").disabled


def test_untrusted_text_is_escaped_in_the_card(monkeypatch, demo, tmp_path):
    source = tmp_path / "<img src=x onerror=alert(3)>**名**.txt"
    source.write_text("<script>alert(1)</script>过去这几件事，**我们局里**是有心无力<img src=x onerror=alert(2)>，"
                      "[a](javascript:alert(1))协调一个部门要跑好几趟。\n", encoding="utf-8")
    p = Project.open(demo)
    (doc_id, *_), = p.import_paths([source]).imported
    code_project(p)
    p.close()
    at = open_page(monkeypatch, demo)
    at.multiselect(key="rq_docs").set_value([doc_id]).run()
    shown = card(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "&lt;img src=x onerror=alert(2)&gt;" in shown
    assert "&lt;img src=x onerror=alert(3)&gt;**名**" in shown  # the document title, literally
    assert "**我们局里**" in shown and "[a](javascript:alert(1))" in shown  # st.html: Markdown stays literal
    assert "<script" not in shown and "<img" not in shown and "<a " not in shown and "<strong" not in shown
    assert not any("alert" in m.value for m in at.markdown)  # nothing untrusted goes through st.markdown
    assert "<script>alert(1)</script>" in table(at)[TEXT].iloc[0]  # the table shows it as plain text


@pytest.mark.slow
def test_retrain_shows_the_new_scores(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    at.checkbox(key="rq_all").check().run()
    at.button(key="rq_accept").click().run()
    at.button(key="rq_retrain").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["训练样本 Examples"] != "0" and "宏平均 Macro F1" in metrics
    scores = at.dataframe[-1].value
    assert {"精确率 Precision", "召回率 Recall", "F1", "样本 Support"} <= set(scores.columns)
    from coding.learning import model_history

    p = Project.open(demo)
    history = model_history(p)
    p.close()
    assert len(history) == 1 and history[0]["version"] == metrics["模型版本 Model version"]


def test_the_queue_of_the_documents_chosen(monkeypatch, demo):
    at = open_page(monkeypatch, demo)
    at.selectbox(key="rq_where").set_value("kind").run()
    at.multiselect(key="rq_where_kind").set_value(["policy"]).run()
    assert not at.exception and not at.error
    p = Project.open(demo)
    try:
        policies = {d.title for d in p.documents() if d.kind == "policy"}
        wanted = [s for s in pending_suggestions(p, coder="ann") if s.document_id in {d.id for d in p.documents()
                                                                                       if d.kind == "policy"}]
    finally:
        p.close()
    assert f"**{len(wanted)}** 条待审 pending" in at.markdown[0].value
    assert set(table(at)["文档 Document"]) <= policies
