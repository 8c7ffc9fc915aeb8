"""The document coding page (views/document_coding.py) under Streamlit's AppTest, on real projects."""

from __future__ import annotations

import math
import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from coding.autocode import code_project
from coding.decisions import add_memo, document_applications, memos
from coding.document_variables import set_variables
from coding.project import Project

from .apptest import open_app
from .conftest import CODEBOOK

PAGE = "views/document_coding.py"
INJECTIONS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
              "**加粗 bold** [link](javascript:alert(1))")


@pytest.fixture(scope="session")
def demo(coded_demo, tmp_path_factory):
    """A copy of the demo project (corpus + codebook + rule suggestions); tests use their own coder names."""
    location = str(tmp_path_factory.mktemp("dc-demo") / "demo.sqlite")
    shutil.copyfile(coded_demo, location)
    p = Project.open(location)
    yield location, p
    p.close()


@pytest.fixture(scope="session")
def injected(tmp_path_factory):
    """A project with one hostile .txt document, coded by the rules, with a hostile memo."""
    folder = tmp_path_factory.mktemp("dc-injection")
    source = folder / "<img src=x onerror=alert(1)>.txt"
    source.write_text(
        "访谈者：" + INJECTIONS[0] + "区里成立了工作专班，包联领导牵头协调。\n\n"
        "WXG：" + INJECTIONS[1] + "我反映的问题区里领导亲自包案了。\n\n"
        + INJECTIONS[2] + "\n\n" + INJECTIONS[3] + "\n", encoding="utf-8")
    location = str(folder / "injection.sqlite")
    p = Project.init(location, codebook=CODEBOOK)
    report = p.import_paths([source])
    assert report.imported, report.refused
    code_project(p)
    doc_id = report.imported[0][0]
    add_memo(p, "备忘 " + INJECTIONS[0] + INJECTIONS[3], coder="<i>x</i>", document_id=doc_id)
    set_variables(p, {doc_id: {"<b>街道</b>": INJECTIONS[1]}}, by="admin")  # shown in the document's header line
    yield location, p, doc_id
    p.close()


def page(monkeypatch, location: str, *, coder: str | None = None, **state) -> AppTest:
    return open_app(monkeypatch, location, PAGE, coder=coder, state=state)


def text_html(at: AppTest) -> str:
    """The body of the st.html element that shows the document text."""
    return next(h.value for h in at.html if h.value.startswith('<div class="bl-doc">'))


def keyed(at: AppTest, prefix: str) -> list:
    return [b for b in at.button if (b.key or "").startswith(prefix)]


def segment(p: Project, doc_id: int, seg_id: int):
    return next(s for s in p.segments(doc_id, unit="sentence") if s.id == seg_id)


def test_every_demo_document_renders(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="阅读者")
    assert at.subheader[0].value.startswith("🖍️ 文档编码")
    docs = p.documents()
    options = at.selectbox(key="dc_doc").options
    assert len(options) == len(docs) and all(o.endswith(d.title) for o, d in zip(options, docs))
    assert options[0].startswith("#1 [访谈] ")
    for d in docs:
        at.selectbox(key="dc_doc").set_value(d.id).run()
        assert not at.exception, (d.title, at.exception)
        assert not at.error
        html = text_html(at)
        assert html.count("<p>") == min(40, d.n_paragraphs)  # the first page of paragraphs
        assert "<mark" in html  # every demo document has suggestions
        assert at.get("pagination")[0].num_pages == math.ceil(d.n_paragraphs / 40)
    legend = next(h.value for h in at.html if 'class="bl-legend"' in h.value)
    assert "bl-chip" in legend


def test_hover_titles_name_code_rule_evidence_and_score(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="阅读者", dc_doc=1)
    titles = re.findall(r'title="([^"]*)"', text_html(at))
    assert any("分数 score" in t and "规则 rule" in t and "「" in t for t in titles)
    assert any(t.startswith("证据 evidence") for t in titles)


def test_accepting_a_suggestion_writes_the_decision(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="测试甲", dc_doc=1)
    button = keyed(at, "dc_acc_")[0]
    suggestion = int(button.key.removeprefix("dc_acc_"))
    button.click().run()
    assert not at.exception and not at.error
    decided = [a for a in document_applications(p, 1, coder="测试甲", include_pending=False)]
    assert [(a.suggestion_id, a.status, a.coder) for a in decided] == [(suggestion, "accepted", "测试甲")]
    # the page now shows the decision, which can be turned into a rejection
    decision = decided[0].id
    assert f"dc_acc_{suggestion}" not in [b.key for b in at.button]
    at.button(key=f"dc_rej_{decision}").click().run()
    assert [a.status for a in document_applications(p, 1, coder="测试甲", include_pending=False)] == ["rejected"]
    # withdrawing the decision makes the suggestion pending again
    at.button(key=f"dc_rm_{decision}").click().run()
    assert document_applications(p, 1, coder="测试甲", include_pending=False) == []
    assert f"dc_acc_{suggestion}" in [b.key for b in at.button]


def test_rejecting_and_accepting_all_on_a_sentence(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="测试丙", dc_doc=1)
    button = keyed(at, "dc_rej_")[0]
    button.click().run()
    assert [a.status for a in document_applications(p, 1, coder="测试丙", include_pending=False)] == ["rejected"]
    # find a sentence with several pending suggestions and accept them all at once
    options = at.selectbox(key="dc_seg").options
    multi = next(o for o in options if re.search(r" · ([2-9]|\d\d)待审", o))
    at.selectbox(key="dc_seg").set_value(sentence_id(p, 1, multi)).run()
    n = len(keyed(at, "dc_acc_"))
    assert n >= 2
    at.button(key="dc_accept_all").click().run()
    assert not at.exception and not at.error
    statuses = [a.status for a in document_applications(p, 1, coder="测试丙", include_pending=False)]
    assert statuses.count("accepted") == n


def sentence_id(p: Project, doc_id: int, label: str) -> int:
    """The sentence behind a picker label "S12 · …"."""
    index = int(label.split(" ")[0].removeprefix("S")) - 1
    return next(s.id for s in p.segments(doc_id, unit="sentence") if s.index == index)


def test_adding_resizing_and_removing_a_code(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="测试乙", dc_doc=2)
    seg_id = at.selectbox(key="dc_seg").value
    seg = segment(p, 2, seg_id)
    assert at.button(key="dc_add").disabled  # until a code is chosen
    at.selectbox(key="dc_new_code").set_value("M4.2")
    at.slider(key=f"dc_add_span_{seg_id}").set_value((1, 5)).run()
    assert not at.button(key="dc_add").disabled
    assert any(t.value == f"选中 Selected: {seg.text[1:5]}" for t in at.text)  # the chosen text, live
    at.button(key="dc_add").click().run()
    assert not at.exception and not at.error
    [added] = document_applications(p, 2, coder="测试乙", include_pending=False)
    assert (added.code, added.origin, added.status, added.start, added.end) == (
        "M4.2", "human", "accepted", seg.start + 1, seg.start + 5)
    assert added.segment_id == seg_id
    assert "M4.2 政策资源" in text_html(at)  # shown in the text at once

    # widen it to the whole sentence
    assert at.selectbox(key="dc_resize_target").value == added.id
    assert at.button(key="dc_resize_save").disabled  # nothing changed yet
    at.slider(key=f"dc_resize_{added.id}_{added.version}").set_value((seg.start, seg.end)).run()
    assert any(t.value == f"新范围 New: {seg.text}" for t in at.text)
    at.button(key="dc_resize_save").click().run()
    assert not at.exception and not at.error
    [resized] = document_applications(p, 2, coder="测试乙", include_pending=False)
    assert (resized.id, resized.start, resized.end, resized.version) == (added.id, seg.start, seg.end, 2)

    at.button(key=f"dc_rm_{added.id}").click().run()
    assert document_applications(p, 2, coder="测试乙", include_pending=False) == []


def test_memo_is_saved(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="测试丁", dc_doc=3)
    seg_id = at.selectbox(key="dc_seg").value
    at.text_area(key="dc_memo").input("这里是包联的关键证据 <b>注意</b>")
    next(b for b in at.button if "保存备忘" in b.label).click().run()
    assert not at.exception and not at.error
    saved = [m for m in memos(p, document_id=3) if m["coder"] == "测试丁"]
    assert [(m["text"], m["segment_id"]) for m in saved] == [("这里是包联的关键证据 <b>注意</b>", seg_id)]
    assert any("这里是包联的关键证据 <b>注意</b>" in t.value for t in at.text)  # shown as plain text


def test_own_memo_is_edited_then_deleted_and_others_memos_are_not_offered(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="测试戊", dc_doc=4)
    seg_id = at.selectbox(key="dc_seg").value
    other = add_memo(p, "别人的备忘", coder="测试己", document_id=4, segment_id=seg_id)
    at.text_area(key="dc_memo").input("初稿")
    next(b for b in at.button if "保存备忘" in b.label).click().run()
    [mine] = [m for m in memos(p, document_id=4) if m["coder"] == "测试戊"]
    assert f"dc_memo_edit_{mine['id']}" in [t.key for t in at.text_area]
    # without accounts everyone acts as an admin, who may change any memo (with accounts: test_decisions)
    assert f"dc_memo_edit_{other}" in [t.key for t in at.text_area]
    at.text_area(key=f"dc_memo_edit_{mine['id']}").input("改过 <i>的</i>")
    at.button(key=f"dc_memo_save_{mine['id']}").click().run()
    assert not at.exception and not at.error
    assert [m["text"] for m in memos(p, document_id=4) if m["id"] == mine["id"]] == ["改过 <i>的</i>"]
    assert any("改过 <i>的</i>" in t.value for t in at.text)
    at.button(key=f"dc_memo_delete_{mine['id']}").click().run()
    assert not at.exception and not at.error
    assert [m["id"] for m in memos(p, document_id=4)] == [other]


def test_without_a_coder_the_page_reads_but_does_not_decide(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, dc_doc=1)
    assert any("编码员" in w.value for w in at.warning)
    assert all(b.disabled for b in keyed(at, "dc_acc_") + keyed(at, "dc_rej_"))
    assert at.button(key="dc_add").disabled


def test_filters_and_paging(monkeypatch, demo):
    location, p = demo
    doc = next(d for d in p.documents() if d.id == 1)
    at = page(monkeypatch, location, coder="筛选者", dc_doc=1)
    at.selectbox(key="dc_per_page").set_value(20).run()
    pager = at.get("pagination")[0]
    assert pager.num_pages == math.ceil(doc.n_paragraphs / 20)
    first = text_html(at)
    pager.set_value(2).run()
    second = text_html(at)
    assert first != second and second.count("<p>") == 20
    assert at.selectbox(key="dc_seg").value in {s.id for s in p.segments(1, unit="sentence")}

    # speaker: only the interviewer's paragraphs
    at.multiselect(key="dc_speakers_1").set_value(["访谈者"]).run()
    paragraphs = re.findall(r"<p>(.*?)</p>", text_html(at))
    plain = [re.sub(r"<[^>]+>", "", re.sub(r"<sup>.*?</sup>", "", x)) for x in paragraphs]
    assert plain and all(x.startswith("访谈者：") for x in plain)

    # status: nothing is rejected by this coder, so only-coded paragraphs with 'rejected' are none
    at.multiselect(key="dc_speakers_1").set_value([])
    at.multiselect(key="dc_status").set_value(["rejected"])
    at.toggle(key="dc_only_coded").set_value(True).run()
    assert not at.exception
    assert not [h for h in at.html if h.value.startswith('<div class="bl-doc">')]
    assert any("没有符合" in i.value for i in at.info)

    # code: only one code's highlights
    at.multiselect(key="dc_status").set_value(["suggested", "accepted"])
    at.multiselect(key="dc_codes").set_value(["M2"]).run()
    html = text_html(at)
    codes = {m.split(" ")[0] for m in re.findall(r'title="([^"&]*)', html)}
    assert codes and all(c in ("M2", "证据") for c in codes)


def test_next_pending_moves_the_selection(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="导航者", dc_doc=1)
    before = at.selectbox(key="dc_seg").value
    at.button(key="dc_next").click().run()
    after = at.selectbox(key="dc_seg").value
    starts = {s.id: s.start for s in p.segments(1, unit="sentence")}
    assert starts[after] > starts[before]
    assert keyed(at, "dc_acc_")  # the sentence it moved to has a pending suggestion
    at.button(key="dc_prev").click().run()
    assert at.selectbox(key="dc_seg").value == before


def test_document_from_the_query_string(monkeypatch, demo):
    location, p = demo
    at = open_app(monkeypatch, location, PAGE, query={"doc": "4"})
    assert at.selectbox(key="dc_doc").value == 4


def test_injection_document_renders_as_text(monkeypatch, injected):
    location, p, doc_id = injected
    at = page(monkeypatch, location, coder="<i>x</i>", dc_doc=doc_id)
    assert not at.error
    bodies = [h.value for h in at.html] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    joined = "\n".join(bodies)
    for bad in ("<script", "<img", "<svg", "onerror=alert(1)>", "<i>x</i>"):
        assert bad not in joined, bad
    html = text_html(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "**加粗 bold** [link](javascript:alert(1))" in html  # markdown left as text, in st.html
    assert "<mark" in html  # the rule suggestions are highlighted around the hostile text
    assert not any("alert(1)" in m.value for m in [*at.markdown, *at.caption])  # never fed to markdown
    assert any(INJECTIONS[0] in t.value for t in at.text)  # the memo, as plain text
    header = next(h.value for h in at.html if "段 paragraphs" in h.value)
    assert "&lt;b&gt;街道&lt;/b&gt;: &lt;img src=x onerror" in header  # the document variable, escaped


def test_undo_button_takes_back_my_last_decision(monkeypatch, demo):
    location, p = demo
    at = page(monkeypatch, location, coder="测试丁", dc_doc=1)
    button = keyed(at, "dc_acc_")[0]
    button.click().run()
    assert len(document_applications(p, 1, coder="测试丁", include_pending=False)) == 1
    at.button(key="dc_undo").click().run()
    assert not at.exception and not at.error
    assert document_applications(p, 1, coder="测试丁", include_pending=False) == []
    assert button.key in [b.key for b in at.button]  # the suggestion is pending again
    at.button(key="dc_undo").click().run()
    assert not at.exception and not at.error
    viewer = page(monkeypatch, location, dc_doc=1)  # nobody named: no undo
    assert "dc_undo" not in [b.key for b in viewer.button]


def test_a_sentence_is_linked_to_another_document_and_the_link_removed(monkeypatch, demo):
    from coding.segment_links import links

    location, p = demo
    at = page(monkeypatch, location, coder="测试链", dc_doc=2)
    seg = segment(p, 2, at.selectbox(key="dc_seg").value)
    at.selectbox(key="dc_link_doc").set_value(6).run()
    target = p.segments(6, "sentence")[4]
    at.selectbox(key="dc_link_sentence_6").set_value(target.id).run()
    at.selectbox(key="dc_link_label").set_value("矛盾 contradicts").run()
    at.button(key="dc_link_add").click().run()
    assert not at.exception and not at.error
    (link,) = [x for x in links(p) if x.coder == "测试链"]
    assert (link.source.document_id, link.source.start, link.source.end) == (2, seg.start, seg.end)
    assert (link.target.document_id, link.target.start, link.target.end) == (6, target.start, target.end)
    assert link.label == "矛盾 contradicts"
    assert f">{seg.index + 1}🔗<" in text_html(at)  # the sentence's number carries the link mark
    (table,) = [d.value for d in at.dataframe if "关系 label" in d.value.columns]
    row = table[table["#"] == link.id].iloc[0]
    assert row["另一端 Other end"] == f"document_coding?doc=6&at={target.start}" and row["另一端 other passage"] == \
        target.text[:120]
    at.button(key="dc_link_add").click().run()  # the same link again: refused with the reason
    assert any("already linked" in e.value for e in at.error)
    at.selectbox(key="dc_link_remove_id").set_value(link.id).run()
    at.button(key="dc_link_remove").click().run()
    assert not at.exception and not [x for x in links(p) if x.coder == "测试链"]
