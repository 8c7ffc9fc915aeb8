"""End to end, for teams: accounts and roles, adjudication, exports, chart downloads and reliability in headless
Chromium (Playwright) against a real `streamlit run` server, checked against the database and the downloaded files.

One server runs for the module on a small project with accounts (an admin, two coders who coded the same
document, a third coder and a viewer). The tests run in file order: the reliability and adjudication tests
need exactly the two coders ann and bob; the accounts test adds a third coder's decision at the end.

    .venv/bin/pytest -q -m browser tests/test_e2e_team.py
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from coding import adjudication, decisions
from coding.accounts import add_user, role_of
from coding.agreement_data import agreement_report, decided_coders
from coding.analysis import cooccurrence_matrix
from coding.assignments import assign
from coding.autocode import code_project
from coding.exports import export_bytes
from coding.exports.tabular import SHEETS
from coding.project import Project
from coding.roles import Role
from coding.store import CodeApplication, Coder

from .conftest import CODEBOOK, CORPUS
from .e2e_fixtures import chromium  # noqa: F401 - the module's browser (a fixture)
from .e2e_server import AppServer, wait_idle, wait_until
from .test_e2e_browser import PAGES, TIMEOUT, VIEWPORT, expect, no_exception, open_page, shot

pytestmark = pytest.mark.browser

FILES = ["interviews/i01_lhy_vice_district_head.txt", "policy/p02_city_deployment.txt",
         "minutes/m01_task_force_first_meeting.txt"]
USERS = {"lead": ("admin", "lead-pass-1"), "ann": ("coder", "ann-pass-22"), "bob": ("coder", "bob-pass-333"),
         "cy": ("coder", "cy-pass-4444"), "vic": ("viewer", "vic-pass-55555")}
PAGE = {link.split(" ", 1)[1]: (link, path, heading) for link, path, heading in PAGES}  # "Export" -> (...)


@dataclass
class TeamApp:
    url: str
    project: Project
    folder: Path
    doc: int  # the document ann and bob both coded


def _code_the_document(p: Project, doc: int) -> None:
    """ann accepts the first four suggestions; bob accepts the first two, rejects the next two and adds M3."""
    sugs = decisions.pending_suggestions(p, coder=None, document_id=doc)
    assert len(sugs) >= 4, sugs
    decisions.accept(p, [s.id for s in sugs[:4]], coder="ann")
    decisions.accept(p, [s.id for s in sugs[:2]], coder="bob")
    decisions.reject(p, [s.id for s in sugs[2:4]], coder="bob")
    text = p.document_text(doc)
    decisions.add_code(p, doc, 0, min(len(text), 12), "M3", coder="bob")


@pytest.fixture(scope="module")
def team(chromium, tmp_path_factory):  # noqa: F811 - chromium is the imported fixture
    folder = tmp_path_factory.mktemp("e2e-team")
    codebook = folder / "codebook.yaml"
    shutil.copyfile(CODEBOOK, codebook)
    location = folder / "team.sqlite"
    project = Project.init(location, codebook=codebook)
    report = project.import_paths([CORPUS / f for f in FILES], manifest=CORPUS / "corpus.yaml")
    assert len(report.imported) == len(FILES) and not report.refused, report.refused
    code_project(project)
    for name, (role, password) in USERS.items():
        add_user(project, name, password, role, by=None if role == "admin" else "lead")
    doc = min(d.id for d in project.documents())
    assign(project, [doc], ["ann", "bob"], by="lead")
    _code_the_document(project, doc)
    assert adjudication.disagreements(project, as_user="lead").items
    server = AppServer({"BAOLIAN_PROJECT": str(location), "BAOLIAN_CODEBOOK": str(codebook)},
                       folder / "streamlit.log").start()
    try:
        context, pg = new_session(chromium, server.url)  # warm the fresh server up once
        context.close()
        yield TeamApp(server.url, project, folder, doc)
    finally:
        server.stop()
        project.close()


def new_session(chromium, url: str):  # noqa: F811
    """A fresh browser session on "/", showing the sidebar login form."""
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    pg = context.new_page()
    pg.js_errors = []
    pg.on("pageerror", lambda e: pg.js_errors.append(str(e)))
    pg.goto(url + "/", wait_until="domcontentloaded")
    sidebar(pg).get_by_role("button", name="登录 Log in").wait_for()
    wait_idle(pg)
    return context, pg


@pytest.fixture
def page(chromium, team, request):  # noqa: F811
    context, pg = new_session(chromium, team.url)
    yield pg
    try:
        shot(pg, f"team-{request.node.name}.final")
    finally:
        context.close()


# -- helpers -------------------------------------------------------------------------------------------

def sidebar(pg):
    return pg.get_by_test_id("stSidebar")


LOGIN_OUTCOME = """() => {
    const bar = document.querySelector('[data-testid="stSidebar"]');
    if (!bar) return false;
    const out = [...bar.querySelectorAll('button')].some(b => b.innerText.includes('退出登录 Log out'));
    return out || bar.innerText.includes('登录失败 Login failed');
}"""


def submit_login(pg, name: str, password: str) -> None:
    bar = sidebar(pg)
    bar.get_by_label("用户名 User name", exact=True).fill(name)
    bar.get_by_label("密码 Password", exact=True).fill(password)
    bar.get_by_role("button", name="登录 Log in").click()
    pg.wait_for_function(LOGIN_OUTCOME, timeout=TIMEOUT)
    wait_idle(pg)


def login(pg, name: str) -> None:
    """Log in as one of USERS and wait for the navigation."""
    submit_login(pg, name, USERS[name][1])
    expect(sidebar(pg).get_by_role("button", name="退出登录 Log out")).to_be_visible()
    pg.get_by_test_id("stSidebarNavLink").filter(has_text="项目概览 Overview").wait_for()
    wait_idle(pg)


def nav_links(pg) -> list[str]:
    """The page titles on the sidebar (each link's text is its icon, then its title)."""
    return [t.strip().splitlines()[-1].strip() for t in pg.get_by_test_id("stSidebarNavLink").all_inner_texts()]


def go(pg, team: TeamApp, name: str) -> None:
    open_page(pg, team, *PAGE[name])
    no_exception(pg, name)


def download(pg, button_name: str, folder: Path) -> Path:
    """Click a download button and save what the browser received."""
    button = pg.get_by_role("button", name=button_name)
    expect(button).to_be_enabled()
    with pg.expect_download(timeout=TIMEOUT) as info:
        button.click()
    d = info.value
    assert d.failure() is None, d.failure()
    path = folder / d.suggested_filename
    d.save_as(str(path))
    return path


def rows_of(p: Project, coder: str) -> list[tuple]:
    """Every code application of one coder, straight from the database."""
    with p.read() as s:
        return [tuple(r) for r in s.execute(
            select(CodeApplication.id, CodeApplication.document_id, CodeApplication.start, CodeApplication.end,
                   CodeApplication.code_id, CodeApplication.status, CodeApplication.layer, CodeApplication.version)
            .join(Coder, Coder.id == CodeApplication.coder_id).where(Coder.name == coder)
            .order_by(CodeApplication.id)).all()]


def finals(p: Project) -> list:
    with p.read() as s:
        return list(s.scalars(select(CodeApplication).where(CodeApplication.layer == "final")
                              .order_by(CodeApplication.id)))


def grid_rows(grid) -> list[list[str]]:
    """The rows of an st.dataframe as cell texts. The grid draws on a canvas; its accessible table holds
    the values unformatted."""
    rows = []
    for row in grid.locator("table tbody tr").all():
        rows.append([t.strip() for t in row.locator("td").all_inner_texts()])
    return [r for r in rows if r]


# -- tests (file order matters, see the module docstring) ---------------------------------------------

def test_reliability_page_shows_the_computed_kappa(page, team, tmp_path):
    assert decided_coders(team.project) == ["ann", "bob"]
    expected = agreement_report(team.project, coders=["ann", "bob"], unit="segment")
    kappa = expected.pooled.kappa
    assert kappa is not None and expected.n_units > 0
    login(page, "lead")
    go(page, team, "Reliability")
    page.get_by_text(re.compile(r"N = \d")).first.wait_for()
    wait_idle(page)
    assert f"N = {expected.n_units:,}" in page.get_by_test_id("stText").first.inner_text()
    overall = page.get_by_test_id("stDataFrame").nth(1)
    overall.scroll_into_view_if_needed()
    wait_idle(page)
    shot(page, "team-reliability", show=overall)
    rows = wait_until(lambda: grid_rows(overall), timeout=30, what="the overall table's rows")
    shown = {r[1]: r for r in rows}  # columns: code, name, units, present, percent, Cohen's κ, α, Fleiss' κ, note
    assert float(shown[expected.pooled.name][5]) == pytest.approx(kappa, abs=1e-9), rows
    assert int(shown[expected.pooled.name][2]) == expected.pooled.n_units
    # the page's CSV download carries the same number
    path = download(page, "下载表格 CSV Download the table (CSV)", tmp_path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    by_name = {r["name"]: r for r in rows}
    assert float(by_name[expected.pooled.name]["kappa"]) == pytest.approx(kappa, abs=1e-9)
    for row in expected.rows:
        got = by_name[row.name]["kappa"]
        assert (got == "" if row.kappa is None else float(got) == pytest.approx(row.kappa, abs=1e-9)), row
    assert page.js_errors == [], page.js_errors


def test_admin_adjudicates_a_disagreement(page, team):
    p = team.project
    report = adjudication.disagreements(p, as_user="lead")
    first = report.items[0]  # the page lists them in this order, without filters
    assert first.coders == ("ann", "bob") and not first.final and finals(p) == []
    before = {c: rows_of(p, c) for c in ("ann", "bob")}

    login(page, "lead")
    assert {"裁决 Adjudication", "成员 Members"} <= set(nav_links(page))
    go(page, team, "Adjudication")
    take = page.get_by_role("button", name="采用 ann Take ann", exact=True)
    expect(take.first).to_be_enabled()
    take.first.click()
    page.get_by_text(re.compile("已裁决 decided")).first.wait_for()
    wait_idle(page)
    no_exception(page, "after adjudicating")
    shot(page, "team-adjudicated")

    made = wait_until(lambda: finals(p), what="a final coding row")
    assert all(r.layer == "final" and r.segment_id == first.segment_id for r in made), made
    assert {r.code_id for r in made} == {made[0].code_id}
    assert {r.made_by for r in made} == {"adjudication:ann"}
    with p.read() as s:
        lead_id = s.scalar(select(Coder.id).where(Coder.name == "lead"))
    assert {r.coder_id for r in made} == {lead_id}
    ann_ids = sorted(span.application_id for span in first.spans.get("ann", []))
    all_ids = sorted(span.application_id for spans in first.spans.values() for span in spans)
    if "ann" in first.having:  # ann's span(s) became the final coding, based on ann's rows
        assert {r.status for r in made} == {"accepted"}
        assert all(sorted(r.based_on) == ann_ids for r in made), [r.based_on for r in made]
    else:  # ann has no code here: the final coding says "no code", based on the rows it overrules
        assert [r.status for r in made] == ["rejected"]
        assert all_ids and sorted(made[0].based_on) == all_ids, (made[0].based_on, all_ids)
    # the coders' own rows are untouched
    assert {c: rows_of(p, c) for c in ("ann", "bob")} == before
    decided = adjudication.disagreements(p, as_user="lead").items[0]
    assert (decided.segment_id, decided.code) == (first.segment_id, first.code)
    assert decided.final and decided.final[0].choice == "ann"


def test_export_downloads_open(page, team, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    login(page, "ann")
    go(page, team, "Export")
    xlsx = download(page, "⬇ Excel (XLSX)", tmp_path)
    assert xlsx.suffix == ".xlsx"
    book = load_workbook(xlsx, read_only=True)
    expected_data, _ = export_bytes(team.project, "xlsx", status=("accepted",), n_quotes=3)
    (tmp_path / "expected.xlsx").write_bytes(expected_data)
    expected_book = load_workbook(tmp_path / "expected.xlsx", read_only=True)
    assert book.sheetnames == expected_book.sheetnames
    assert {"metadata", "frequencies", "segments", "quotes", "codebook"} <= set(book.sheetnames) <= set(SHEETS)
    # one row per accepted coding of the coders (ann's and bob's), under a header
    accepted = [r for c in ("ann", "bob") for r in rows_of(team.project, c) if r[5] == "accepted" and r[6] == "coding"]
    segments = list(book["segments"].values)
    assert len(segments) - 1 == len(accepted), segments[:3]
    assert list(book["frequencies"].values)[1:] == list(expected_book["frequencies"].values)[1:]
    book.close()
    expected_book.close()

    docx = download(page, "⬇ Word (DOCX)", tmp_path)
    assert docx.suffix == ".docx"
    doc = Document(str(docx))
    expected_docx = tmp_path / "expected.docx"
    expected_docx.write_bytes(export_bytes(team.project, "docx", status=("accepted",), n_quotes=3)[0])
    expected_doc = Document(str(expected_docx))
    assert len(doc.tables) == len(expected_doc.tables) >= 1
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert header == [c.text for c in expected_doc.tables[0].rows[0].cells] and any(header)
    assert len(doc.tables[0].rows) > 1
    assert page.js_errors == [], page.js_errors


def test_cooccurrence_chart_downloads_as_svg(page, team, tmp_path):
    square = cooccurrence_matrix(team.project, level="sentence", value="count", status=("accepted",))
    assert not square.empty
    login(page, "ann")
    go(page, team, "Analysis")
    page.get_by_text("共现 Co-occurrence", exact=True).click()
    page.get_by_text(re.compile("Diagonal: units carrying the code")).wait_for()
    wait_idle(page)
    no_exception(page, "co-occurrence")
    svg = download(page, "下载 SVG", tmp_path)  # the name also holds the button's icon
    assert svg.name == "baolian_cooccurrence.svg"
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "</svg>" in text
    for code in square.index:  # every code of the matrix is on an axis of the picture
        assert f">{code}<" in text or f">{code} " in text, code


def test_accounts_roles_login_and_logout(page, team):
    p = team.project
    doc = team.doc
    bar = sidebar(page)
    assert nav_links(page) == []  # nothing but the login form before logging in
    assert bar.get_by_label("编码员 Coder", exact=True).count() == 0

    submit_login(page, "vic", "not-the-password")
    expect(bar.get_by_text(re.compile("登录失败 Login failed"))).to_be_visible()
    assert nav_links(page) == [] and bar.get_by_role("button", name="退出登录 Log out").count() == 0
    shot(page, "team-login-failed")

    # a viewer reads but cannot decide, and sees no admin page
    login(page, "vic")
    assert role_of(p, "vic") is Role.VIEWER
    links = set(nav_links(page))
    assert "文档编码 Document coding" in links and not links & {"成员 Members", "裁决 Adjudication"}
    go(page, team, "Document coding")
    page.get_by_text(re.compile("只读 Read only")).wait_for()
    accept = page.get_by_role("button", name="✔ 接受 Accept", exact=True)
    assert accept.count() > 0
    for i in range(accept.count()):
        expect(accept.nth(i)).to_be_disabled()
    assert bar.get_by_role("button", name=re.compile("撤销 Undo")).count() == 0
    shot(page, "team-viewer-coding")
    assert rows_of(p, "vic") == []
    bar.get_by_role("button", name="退出登录 Log out").click()
    bar.get_by_role("button", name="登录 Log in").wait_for()
    wait_idle(page)
    assert nav_links(page) == []

    # the next user of the same browser, a coder, accepts a suggestion. They land on the page the viewer
    # left: nothing the viewer chose there may carry over (it once made the sentence box show another
    # sentence than the one shown, and the first click went nowhere)
    login(page, "cy")
    assert "成员 Members" not in nav_links(page)
    go(page, team, "Document coding")
    pending = {a.id: a for a in decisions.document_applications(p, doc, coder="cy") if a.status == "suggested"}
    assert pending and rows_of(p, "cy") == []
    accept = page.get_by_role("button", name="✔ 接受 Accept", exact=True)
    expect(accept.first).to_be_enabled()
    accept.first.click()
    page.get_by_test_id("stToast").filter(has_text="已接受 accepted").wait_for()
    wait_idle(page)
    no_exception(page, "after accepting")
    shot(page, "team-coder-accepted")
    rows = wait_until(lambda: [a for a in decisions.document_applications(p, doc, coder="cy") if a.coder == "cy"],
                      what="a decision by cy")
    assert len(rows) == 1 and rows[0].status == "accepted" and rows[0].suggestion_id in pending, rows
    assert len(rows_of(p, "cy")) == 1

    # logging out brings the login form back and hides every page
    bar.get_by_role("button", name="退出登录 Log out").click()
    bar.get_by_role("button", name="登录 Log in").wait_for()
    wait_idle(page)
    assert nav_links(page) == []
    expect(page.get_by_text(re.compile("log in on the sidebar"))).to_be_visible()
    assert page.js_errors == [], page.js_errors
