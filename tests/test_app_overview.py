"""AppTest: the overview shows the demo project's documents, suggestions and coders, and what to do next."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from coding.autocode import code_project
from coding.decisions import accept, add_code, pending_suggestions, reject
from coding.project import Project

from .apptest import open_app
from .conftest import CODEBOOK, CORPUS

PAGE = "views/overview.py"


@pytest.fixture(scope="module")
def demo_path(coded_demo, tmp_path_factory):
    """A copy of the demo project as `baolian demo` builds it, for this module."""
    path = tmp_path_factory.mktemp("overview-demo") / "demo.sqlite"
    shutil.copyfile(coded_demo, path)
    return path


def open_page(monkeypatch, path, coder: str | None = None) -> AppTest:
    return open_app(monkeypatch, path, PAGE, coder=coder, no_errors=True)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label.split(" ")[0]: m.value for m in at.metric}


def table_with(at: AppTest, column: str):
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def test_demo_opens_with_suggestions_and_next_steps(monkeypatch, demo_path):
    at = open_page(monkeypatch, demo_path)
    p = Project.open(demo_path)
    n_pending = len(pending_suggestions(p, coder=None))
    info = p.info()
    p.close()
    assert metrics(at) == {"文档": "15", "句子": str(info["segments_by_unit"]["sentence"]), "待定建议": str(n_pending),
                           "已接受编码": "0", "编码本版本": "1.0.0"}
    links = {link.label: link for link in at.get("page_link")}
    assert "审核队列 Review queue" in links and "文档编码 Document coding" in links
    guide = "\n".join(m.value for m in at.markdown)
    assert "下一步" in guide and f"**{n_pending}**" in guide
    assert any("侧栏" in c.value for c in at.caption)  # no coder chosen yet: say where to choose one
    kinds = table_with(at, "kind_label").set_index("kind_label")
    assert kinds.loc["访谈 interview", "documents"] == 8
    codes = table_with(at, "suggestions")
    assert codes["pending"].sum() == n_pending and codes["accepted"].sum() == 0
    assert "mine" not in codes.columns


def test_decisions_show_up_per_code_and_per_coder(monkeypatch, tmp_path):
    path = tmp_path / "small.sqlite"
    p = Project.init(path, codebook=CODEBOOK)
    p.import_paths([CORPUS / "minutes"], manifest=CORPUS / "corpus.yaml")
    code_project(p)
    sugs = pending_suggestions(p, coder=None)
    accept(p, [sugs[0].id, sugs[1].id], coder="ann")
    reject(p, [sugs[2].id], coder="ann")
    add_code(p, sugs[0].document_id, 0, 4, "R1", coder="bob")
    p.close()

    at = open_page(monkeypatch, path, coder="ann")
    assert metrics(at)["待定建议"] == str(len(sugs) - 3)  # pending for ann
    assert metrics(at)["已接受编码"] == "3"  # two accepted, one added by hand
    guide = "\n".join(m.value for m in at.markdown)
    assert f"**{len(sugs) - 3}** 条等你决定" in guide
    progress = table_with(at, "progress").set_index("coder")
    assert progress.loc["ann", ["accepted", "rejected", "decided"]].tolist() == [2, 1, 3]
    assert progress.loc["bob", ["added", "pending"]].tolist() == [1, len(sugs)]
    codes = table_with(at, "suggestions").set_index("code")
    assert codes["accepted"].sum() == 2 and codes["rejected"].sum() == 1
    assert codes.loc["R1", "added"] == 1
    assert codes["mine"].sum() == len(sugs) - 3
    assert codes.loc[sugs[0].code, "accepted"] >= 1


def test_empty_project_points_to_import(monkeypatch, tmp_path):
    path = tmp_path / "empty.sqlite"
    Project.init(path, codebook=CODEBOOK).close()
    at = open_page(monkeypatch, path)
    assert [link.label for link in at.get("page_link")][0] == "导入文档 Import documents"
    assert metrics(at)["文档"] == "0"
    assert any("暂无文档" in i.value for i in at.info)


def test_codebook_title_is_escaped(monkeypatch, tmp_path):
    from coding.codebook import load_codebook

    path = tmp_path / "title.sqlite"
    p = Project.init(path)
    codebook = load_codebook(CODEBOOK).model_copy(update={"title": "<img src=x onerror=alert(1)>编码本"})
    p.set_codebook(codebook)
    p.close()
    at = open_page(monkeypatch, path)
    shown = [m.value for m in at.markdown if "编码本" in m.value and "img" in m.value]
    assert shown and all("<img" not in s and "&lt;img" in s for s in shown)
