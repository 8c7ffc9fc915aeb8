"""End to end: the Streamlit workbench in headless Chromium (Playwright), checked against the database.

One Streamlit server runs for the module on a temporary demo project (codebook + corpus + rule suggestions).
Every test drives the app as a user would (sidebar coder name, sidebar page links, buttons, the uploader),
then asserts on the database through the `coding` APIs, and saves screenshots under test-artifacts/.

Needs Debian's /usr/bin/chromium (never `playwright install`). Without it the tests are skipped, unless
BAOLIAN_REQUIRE_BROWSER=1 (set by CI), which makes them fail. BAOLIAN_UPDATE_SCREENSHOTS=1 also refreshes
docs/screenshot-coding.png (the README's picture of the document coding page).

    .venv/bin/pytest -q -m browser tests/test_e2e_browser.py
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from coding import decisions
from coding.autocode import code_project
from coding.project import Project

from .conftest import CODEBOOK, CORPUS, ROOT
from .e2e_fixtures import chromium  # noqa: F401 - the module's browser (a fixture)
from .e2e_server import AppServer, wait_idle, wait_until

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
README_SHOT = ROOT / "docs" / "screenshot-coding.png"
TIMEOUT = 90_000  # ms, for one Streamlit rerun on a slow shared machine
VIEWPORT = {"width": 1440, "height": 1000}
README_VIEWPORT = {"width": 1440, "height": 1200}

# (sidebar link text, url path, heading shown by the page)
PAGES = [
    ("项目概览 Overview", "/", "项目概览 Overview"),
    ("导入 Import", "/import_documents", "导入 Import"),
    ("文档编码 Document coding", "/document_coding", "建议与编码 Suggestions and codings"),
    ("审核队列 Review queue", "/review_queue", "审核队列 Review queue"),
    ("检索编码 Search & code", "/search_code", "检索编码 Search & code"),
    ("编码查询 Coding query", "/coding_query", "编码查询 Coding query"),
    ("备忘 Memos", "/memos", "备忘 Memos"),
    ("摘要表 Summaries", "/summaries", "摘要表 Summaries"),
    ("编码本 Codebook", "/codebook_editor", "编码本 Codebook"),
    ("统计分析 Analysis", "/frequencies", "统计分析 Analysis"),
    ("导出 Export", "/exports", "导出 Export"),
    ("信度 Reliability", "/agreement", "信度 Reliability"),
    ("裁决 Adjudication", "/adjudication", "裁决 Adjudication"),
    ("历史 History", "/history", "历史 History"),
    ("成员 Members", "/members", "成员 Members"),
]
INJECTIONS = ("<script>window.__xss=1</script>", '<img src=x onerror="window.__xss=2">', "**bold**",
              "[link](javascript:alert(1))")


# -- fixtures ------------------------------------------------------------------------------------------

@dataclass
class App:
    url: str
    project: Project
    folder: Path
    server: AppServer
    first_input_kept: bool  # did the very first browser session keep its first widget input?


@pytest.fixture(scope="module")
def app(chromium, tmp_path_factory):
    """The demo project in a temporary folder, served by `streamlit run app.py` on a free port."""
    folder = tmp_path_factory.mktemp("e2e")
    codebook = folder / "codebook.yaml"
    shutil.copyfile(CODEBOOK, codebook)
    location = folder / "e2e.sqlite"
    project = Project.init(location, codebook=codebook)
    report = project.import_paths([CORPUS])
    assert report.imported and not report.refused, report.refused
    code_project(project)
    server = AppServer({"BAOLIAN_PROJECT": str(location), "BAOLIAN_CODEBOOK": str(codebook)},
                       folder / "streamlit.log").start()
    try:
        # The first session of a fresh server has lost its first widget input (see
        # test_first_session_keeps_the_coder_name); probe it once here, which also warms the server up.
        context, pg = new_session(chromium, server.url)
        try:
            kept = try_coder(pg, "e2e-first-visit")
            shot(pg, "first-session-coder")
        finally:
            context.close()
        yield App(server.url, project, folder, server, kept)
    finally:
        server.stop()
        project.close()


def new_session(chromium, url: str):
    """A fresh browser session on "/" (the first visit must not deep-link: st.navigation needs it)."""
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    pg = context.new_page()
    pg.dialogs = []  # every alert/confirm/prompt the page opened (none expected)
    pg.js_errors = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.js_errors.append(str(e)))
    pg.goto(url + "/", wait_until="domcontentloaded")
    pg.get_by_test_id("stSidebarNavLink").filter(has_text="项目概览 Overview").wait_for()
    pg.get_by_role("heading", name="项目概览 Overview").wait_for()
    wait_idle(pg)
    return context, pg


@pytest.fixture
def page(chromium, app, request):
    context, pg = new_session(chromium, app.url)
    yield pg
    try:
        shot(pg, f"{request.node.name}.final")  # the last state, to look at when a test failed
    finally:
        context.close()


# -- helpers -------------------------------------------------------------------------------------------

def shot(pg, name: str, *, show=None, readme: bool = False) -> Path:
    """Save test-artifacts/<name>.png (scrolled to `show` if given); `readme` may refresh the README picture."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus ring
    if show is not None:
        show.scroll_into_view_if_needed()
    if readme and os.environ.get("BAOLIAN_UPDATE_SCREENSHOTS") == "1":
        pg.set_viewport_size(README_VIEWPORT)
        wait_idle(pg)
        pg.screenshot(path=str(README_SHOT))
        pg.set_viewport_size(VIEWPORT)
    pg.screenshot(path=str(path))
    return path


def expect(locator):
    from playwright.sync_api import expect as _expect

    return _expect(locator)


def no_exception(pg, where: str) -> None:
    boxes = pg.get_by_test_id("stException")
    assert boxes.count() == 0, f"{where}: Streamlit exception box:\n" + "\n---\n".join(boxes.all_inner_texts())


UNDO_OR_EMPTY = """() => {
    const bar = document.querySelector('[data-testid="stSidebar"]');
    const box = bar && bar.querySelector('input[aria-label="编码员 Coder"]');
    const undo = bar && [...bar.querySelectorAll('button')].some(b => b.innerText.includes('撤销 Undo'));
    return undo || (box && box.value === '');
}"""


def try_coder(pg, name: str) -> bool:
    """Type the coder name on the sidebar; True once the app knows it (its Undo button appears)."""
    box = pg.get_by_test_id("stSidebar").get_by_label("编码员 Coder", exact=True)
    box.fill(name)
    box.press("Enter")
    # either the app took the name (Undo button) or the rerun threw the input away (empty box)
    pg.wait_for_function(UNDO_OR_EMPTY, timeout=TIMEOUT)
    wait_idle(pg)
    return pg.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("撤销 Undo")).count() > 0


def set_coder(pg, name: str) -> None:
    for _attempt in range(2):
        if try_coder(pg, name):
            return
    raise AssertionError(f"the sidebar did not keep the coder name {name!r}")


def choose(pg, label: str, typed: str, option: re.Pattern) -> None:
    """Pick an option of the select box `label` by typing `typed`, as a user would.

    The drop-down list is re-rendered while Streamlit settles, so a click can land on an option that has
    just been detached; such a click is retried with the list opened afresh, and the choice is then
    read back from the box itself.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    combo = pg.get_by_role("combobox", name=label)
    for attempt in range(3):
        wait_idle(pg)
        combo.click()
        combo.fill(typed)
        try:
            pg.get_by_role("option", name=option).first.click(timeout=15_000)
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            combo.press("Escape")
            continue
        wait_idle(pg)
        if option.search(combo.input_value()):  # the box shows the chosen label
            return
    raise AssertionError(f"the select box {label!r} did not take an option matching {option.pattern!r}")


def open_page(pg, app: App, link: str, path: str, heading: str) -> None:
    """Navigate with the sidebar link, as a user would, and wait for the page to settle."""
    pg.get_by_test_id("stSidebarNavLink").filter(has_text=link).click()
    pg.wait_for_url(app.url + path)
    pg.get_by_text(heading, exact=True).first.wait_for()
    wait_idle(pg)


def open_coding(pg, app: App) -> None:
    open_page(pg, app, *PAGES[2])


def upload_and_import(pg, app: App, files: list[Path]) -> None:
    open_page(pg, app, *PAGES[1])
    uploader = pg.get_by_test_id("stFileUploader").filter(has_text="文档 Documents")
    uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in files])
    # one chip per file, none still uploading or failed (the chip shortens long names: count them)
    expect(uploader.get_by_test_id("stFileChip")).to_have_count(len(files), timeout=TIMEOUT)
    expect(uploader.get_by_test_id("stFileChipIconSpinner")).to_have_count(0, timeout=TIMEOUT)
    assert uploader.get_by_test_id("stFileChipIconError").count() == 0, uploader.inner_text()
    wait_idle(pg)
    go = pg.get_by_role("button", name="开始导入 Import")
    expect(go).to_be_enabled(timeout=TIMEOUT)
    go.click()
    pg.get_by_text("导入结果 Results").wait_for()
    pg.get_by_text(re.compile("自动编码完成 auto-coded")).wait_for()
    wait_idle(pg)


def document_by_filename(project: Project, filename: str):
    return next((d for d in project.documents() if d.filename == filename), None)


def decisions_of(project: Project, document_id: int, coder: str):
    return [a for a in decisions.document_applications(project, document_id, coder=coder) if a.coder == coder]


# -- tests ---------------------------------------------------------------------------------------------

def test_first_session_keeps_the_coder_name(app):
    """A researcher starts the app, opens it and types their name: the name must stay (probed by `app`)."""
    assert app.first_input_kept, f"the first session lost its coder name; see {ARTIFACTS / 'first-session-coder.png'}"


def test_every_page_renders_without_exception(page, app):
    before = decisions.history(app.project, limit=5)
    no_exception(page, "overview, no coder")
    shot(page, "page-overview-no-coder")
    set_coder(page, "e2e-viewer")
    for link, path, heading in PAGES[1:] + PAGES[:1]:
        open_page(page, app, link, path, heading)
        no_exception(page, link)
        shot(page, "page-" + path.strip("/") if path != "/" else "page-overview")
    assert page.dialogs == []
    assert page.js_errors == [], page.js_errors
    # looking changes nothing in the project
    assert decisions.history(app.project, limit=5) == before


def test_import_through_the_uploader(page, app, tmp_path):
    set_coder(page, "e2e-importer")
    source = tmp_path / "e2e_upload_interview.txt"
    text = ("访谈者：区里是怎么组织的？\n\n"
            "受访者：区里成立了工作专班，包联领导牵头协调，一案一策。我们每周开一次调度会。\n")
    source.write_text(text, encoding="utf-8")
    assert document_by_filename(app.project, source.name) is None
    upload_and_import(page, app, [source])
    no_exception(page, "import")
    shot(page, "import-done", show=page.get_by_text("导入结果 Results"))

    doc = wait_until(lambda: document_by_filename(app.project, source.name), what="the uploaded document")
    assert app.project.document_text(doc.id).replace("\r\n", "\n").strip() == text.strip()
    assert app.project.segments(doc.id, unit="sentence")
    # the import page auto-codes what it imported
    suggested = {s.code for s in decisions.pending_suggestions(app.project, coder=None, document_id=doc.id)}
    assert "M5" in suggested and not {c for c in suggested if c[0] in "RT"}, suggested


def test_accept_a_suggestion_on_the_document_coding_page(page, app):
    coder = "e2e-acceptor"
    set_coder(page, coder)
    open_coding(page, app)
    doc_id = min(d.id for d in app.project.documents())  # the page opens the first document
    pending = {a.id: a for a in decisions.document_applications(app.project, doc_id, coder=coder)
               if a.status == "suggested"}
    assert pending and decisions_of(app.project, doc_id, coder) == []

    accept = page.get_by_role("button", name="✔ 接受 Accept", exact=True)
    expect(accept.first).to_be_enabled()
    accept.first.click()
    toast = page.get_by_test_id("stToast").filter(has_text="已接受 accepted")
    toast.wait_for()
    wait_idle(page)
    no_exception(page, "after accepting")

    rows = wait_until(lambda: decisions_of(app.project, doc_id, coder), what=f"a decision by {coder}")
    assert len(rows) == 1, rows
    (row,) = rows
    assert row.status == "accepted" and row.origin != "human"
    assert row.suggestion_id in pending and pending[row.suggestion_id].code == row.code
    assert row.code in toast.inner_text()
    assert row.suggestion_id not in {s.id for s in decisions.pending_suggestions(app.project, coder=coder,
                                                                                 document_id=doc_id)}
    # the page shows the decision from the database
    page.get_by_test_id("stToast").filter(has_text="已接受 accepted").wait_for(state="detached")
    expect(page.get_by_role("button", name="✘ 改为拒绝 Reject", exact=True).first).to_be_visible()
    shot(page, "coding-accepted", readme=True)


def test_add_a_code_to_a_sentence(page, app):
    coder = "e2e-adder"
    set_coder(page, coder)
    open_coding(page, app)
    doc_id = min(d.id for d in app.project.documents())
    assert decisions_of(app.project, doc_id, coder) == []

    choose(page, "编码 Code（输入编号或名称搜索 type an id or name）", "M2", re.compile(r"^M2 "))
    add = page.get_by_role("button", name="➕ 添加编码 Add code", exact=True)
    expect(add).to_be_enabled()
    selected = page.get_by_test_id("stText").filter(has_text="选中 Selected:").inner_text()
    add.click()
    page.get_by_test_id("stToast").filter(has_text="已添加 added M2").wait_for()
    wait_idle(page)
    no_exception(page, "after adding a code")
    shot(page, "coding-added")

    rows = wait_until(lambda: decisions_of(app.project, doc_id, coder), what=f"a coding by {coder}")
    assert len(rows) == 1, rows
    (row,) = rows
    assert (row.code, row.origin, row.status, row.suggestion_id) == ("M2", "human", "accepted", None)
    # the whole selected sentence (the slider's default span) was coded
    coded = app.project.document_text(doc_id)[row.start:row.end]
    assert selected.split("选中 Selected:", 1)[1].strip() == coded.strip()
    expect(page.get_by_role("button", name="🗑 移除 Remove", exact=True)).to_be_visible()


def code_picked_then_undo(pg, app: App, found, code: str, coder: str, name: str) -> None:
    """Click 为所选编码 for every passage ``found`` (document_id, start, end), check the codings stored as ``coder``'s
    ``code``, then undo them with the sidebar's button (one undo for the whole run)."""
    spans = {(int(d), int(a), int(b)) for d, a, b in zip(found["document_id"], found["start"], found["end"])}
    go = pg.get_by_role("button", name=re.compile(rf"为所选编码 Code picked \({len(spans)}\) → {code}"))
    expect(go).to_be_enabled(timeout=TIMEOUT)
    go.click()
    pg.get_by_text(re.compile(f"已编码 coded {len(spans)} 处")).wait_for()
    no_exception(pg, f"after coding {name}")
    shot(pg, f"{name}-coded")

    def mine():
        return {(a.document_id, a.start, a.end) for d in {x[0] for x in spans}
                for a in decisions_of(app.project, d, coder) if a.code == code}

    assert wait_until(mine, what=f"codings by {coder}") == spans
    pg.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("撤销 Undo")).click()
    pg.get_by_test_id("stToast").filter(has_text=f"×{len(spans)}").wait_for()
    assert wait_until(lambda: not mine() or None, what="the run undone") is True


def test_search_and_code_the_passages_found(page, app):
    from coding.search_coding import find_passages

    coder = "e2e-searcher"
    set_coder(page, coder)
    open_page(page, app, "检索编码 Search & code", "/search_code", "检索编码 Search & code")
    box = page.get_by_label("检索词 Words", exact=True)
    box.fill("上门 面对面")
    box.press("Enter")
    wait_idle(page)
    choose(page, "编码 Code", "M4", re.compile(r"^M4 "))
    found = find_passages(app.project, "上门 面对面")
    code_picked_then_undo(page, app, found, "M4", coder, "search")

    # a passage's link (the table's 原文 Open column) opens its sentence on the Document coding page
    last = found.sort_values("start").iloc[-1]
    page.goto(f"{app.url}/document_coding?doc={last['document_id']}&at={last['start']}")
    page.get_by_text("建议与编码 Suggestions and codings", exact=True).first.wait_for()
    wait_idle(page)
    selected = page.get_by_test_id("stText").filter(has_text="选中 Selected:").inner_text()
    assert last["text"].strip() in selected.replace("\n", "")


def pick_codes(pg, label: str, keys: list[str]) -> None:
    """Add options to the multiselect `label` by typing each key and clicking its option, as a user would."""
    box = pg.get_by_role("combobox", name=label)
    for key in keys:
        wait_idle(pg)
        box.click()
        box.fill(key)
        pg.get_by_role("option", name=re.compile(rf"^{re.escape(key)} ")).first.click(timeout=15_000)
        box.press("Escape")
        wait_idle(pg)
        expect(pg.get_by_test_id("stMultiSelect").filter(has_text=label).get_by_text(
            re.compile(rf"^{re.escape(key)} "))).to_be_visible(timeout=TIMEOUT)


def test_coding_query_codes_the_units_found(page, app):
    from coding.coding_query import CodingQuery, run_query

    coder = "e2e-querier"
    set_coder(page, coder)
    open_page(page, app, "编码查询 Coding query", "/coding_query", "编码查询 Coding query")
    page.get_by_text("包括待定建议 include pending", exact=True).click()  # the demo's codes are suggestions
    wait_idle(page)
    pick_codes(page, "编码 Codes", ["M2", "M5"])
    found = run_query(app.project, CodingQuery.of(["M2", "M5"]), status=("accepted", "pending"))
    assert len(found) > 3
    page.get_by_text(re.compile(rf"M2 AND M5 \(sentence\)：{len(found)} 处 units")).wait_for(timeout=TIMEOUT)
    with page.expect_download(timeout=TIMEOUT) as download:  # the quotes as a Word table, made when clicked
        page.get_by_role("button", name=re.compile("下载 Word 引语表")).click()
    from docx import Document as Word

    (table,) = Word(download.value.path()).tables
    assert len(table.rows) == len(found) + 1 and table.rows[0].cells[1].text == "引语"
    choose(page, "编码结果为 Code the results as", "M3", re.compile(r"^M3 "))
    code_picked_then_undo(page, app, found, "M3", coder, "coding-query")


def test_write_a_summary_in_the_grid(page, app):
    from coding.summaries import summaries

    coder = "e2e-summariser"
    set_coder(page, coder)
    open_page(page, app, "摘要表 Summaries", "/summaries", "摘要表 Summaries")
    page.get_by_text("包括待定建议 include pending", exact=True).click()
    wait_idle(page)
    choose(page, "编码 Code", "M5", re.compile(r"^M5 "))
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + 35 + 20)  # the first row's first cell (below the header)
    for _ in range(3):  # to the 我的摘要 My summary column
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    editor = page.locator("textarea.gdg-input")  # the grid's cell editor, once it is open
    expect(editor).to_be_visible(timeout=TIMEOUT)
    editor.fill("面对面谈出真实诉求，一户一策")
    editor.press("Enter")
    wait_idle(page)
    save = page.get_by_role("button", name=re.compile(r"保存摘要 Save summaries \(1\)"))
    expect(save).to_be_enabled(timeout=TIMEOUT)
    shot(page, "summaries-written")
    save.click()
    page.get_by_text(re.compile("新增 1 added")).wait_for()
    no_exception(page, "after saving a summary")

    def mine():
        found = summaries(app.project)
        return found[found["coder"] == coder]["text"].tolist() or None

    assert wait_until(mine, what=f"a summary by {coder}") == ["面对面谈出真实诉求，一户一策"]
    page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("撤销 Undo")).click()
    assert wait_until(lambda: mine() is None or None, what="the summary undone") is True


def test_hostile_document_is_shown_as_literal_text(page, app, tmp_path):
    coder = "e2e-injector"
    set_coder(page, coder)
    source = tmp_path / "e2e_injection_<b>name.txt"
    source.write_text("访谈者：" + INJECTIONS[0] + "区里成立了工作专班。\n\n"
                      "受访者：" + INJECTIONS[1] + "包联领导牵头协调。\n\n"
                      + INJECTIONS[2] + " " + INJECTIONS[3] + "\n", encoding="utf-8")
    upload_and_import(page, app, [source])
    doc = wait_until(lambda: document_by_filename(app.project, source.name), what="the hostile document")
    stored = app.project.document_text(doc.id)
    assert all(s in stored for s in INJECTIONS)  # stored verbatim

    open_coding(page, app)
    choose(page, "文档 Document", f"#{doc.id} ", re.compile(rf"^#{doc.id} "))
    page.get_by_text(source.name).first.wait_for()  # the document's file name line
    wait_idle(page)
    no_exception(page, "hostile document")
    shot(page, "coding-injection")

    visible = page.get_by_test_id("stMain").inner_text()
    for s in INJECTIONS + ("<b>name",):
        assert s in visible, f"{s!r} is not shown as literal text"
    # ... in the document view itself (highlighted HTML), not only in plain-text widgets
    reading = " ".join(page.locator(".bl-doc").all_inner_texts())
    for s in INJECTIONS:
        assert s in reading, f"{s!r} is not shown as literal text in the document view"
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.dialogs == []
    main = page.get_by_test_id("stMain")
    assert main.locator('img[src="x"]').count() == 0
    assert main.locator('a[href^="javascript:"]').count() == 0
    assert main.locator("strong", has_text="bold").count() == 0
    assert main.locator("b", has_text="name").count() == 0
    # opening and reading it decided nothing
    assert decisions_of(app.project, doc.id, coder) == []


def test_link_a_sentence_to_another_document_then_undo(page, app):
    """A coder links the sentence they read to a sentence of another document: the link is stored with both
    spans, the sentence's number carries 🔗, and the sidebar's undo takes the link back."""
    from coding.segment_links import links

    coder = "e2e-linker"
    set_coder(page, coder)
    open_coding(page, app)
    first, second = sorted(d.id for d in app.project.documents())[:2]
    page.get_by_text("把这句话链接到另一段 Link this sentence to another passage").click()
    wait_idle(page)
    choose(page, "链接到文档 Link to document", f"#{second} ", re.compile(rf"^#{second} "))
    choose(page, "链接到句子 Link to sentence", "S2", re.compile(r"^S2 · "))
    add = page.get_by_role("button", name="🔗 添加链接 Add link", exact=True)
    expect(add).to_be_enabled()
    add.click()
    page.get_by_test_id("stToast").filter(has_text="链接已保存 link saved").wait_for()
    wait_idle(page)
    no_exception(page, "after linking two passages")
    (link,) = wait_until(lambda: [x for x in links(app.project) if x.coder == coder], what=f"a link by {coder}")
    target = app.project.segments(second, "sentence")[1]
    assert (link.source.document_id, link.target.document_id) == (first, second)
    assert (link.target.start, link.target.end) == (target.start, target.end)
    expect(page.locator(".bl-doc").filter(has_text="🔗").first).to_be_visible()
    shot(page, "coding-linked")
    page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("撤销 Undo")).click()
    wait_until(lambda: not [x for x in links(app.project) if x.coder == coder], what="the link undone")
