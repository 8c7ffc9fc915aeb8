"""Saved coding queries: kept in the project by name, replaced only by their author (or an admin), deleted, each
change in the history; bad names refused (real database: SQLite, or PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import pytest

from coding.accounts import add_user
from coding.audit import history
from coding.coding_query import CodingQuery
from coding.errors import BaolianError
from coding.roles import Forbidden
from coding.saved_queries import delete_query, save_query, saved_queries


def test_save_load_replace_and_delete(project):
    query = CodingQuery.of(["M2", "M5"], near=1, exclude=["F3"], roles=["包联人"], level="paragraph")
    assert save_query(project, " 上门与一事一策 ", query, coder="ann") == "上门与一事一策"
    assert saved_queries(project) == {"上门与一事一策": query}  # every field comes back
    other = CodingQuery.of(["M4"], match="any")
    save_query(project, "上门与一事一策", other, coder="ann")
    save_query(project, "资源", CodingQuery.of(["M4"]), coder="ann")
    assert list(saved_queries(project)) == ["上门与一事一策", "资源"] and saved_queries(project)["上门与一事一策"] == other
    entries = history(project, limit=5)
    assert entries[0].action == "query.save" and "资源" in entries[0].summary
    delete_query(project, "资源", coder="ann")
    assert list(saved_queries(project)) == ["上门与一事一策"]
    assert history(project, limit=1)[0].action == "query.delete"
    with pytest.raises(BaolianError, match="no saved query '资源'") as err:
        delete_query(project, "资源", coder="ann")
    assert "上门与一事一策" in err.value.hint


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "坏\n名字"])
def test_bad_names_are_refused(project, name):
    with pytest.raises(BaolianError, match="bad query name") as err:
        save_query(project, name, CodingQuery.of(["M2"]), coder="ann")
    assert err.value.field == "name"
    assert saved_queries(project) == {}


def test_only_the_author_or_an_admin_changes_a_saved_query(project):
    add_user(project, "admin", "pw-admin-123456", "admin", by=None)
    add_user(project, "ann", "pw-ann-123456", "coder", by="admin")
    add_user(project, "bob", "pw-bob-123456", "coder", by="admin")
    save_query(project, "ann 的查询", CodingQuery.of(["M2"]), coder="ann")
    with pytest.raises(Forbidden, match="is ann's"):
        save_query(project, "ann 的查询", CodingQuery.of(["M5"]), coder="bob")
    with pytest.raises(Forbidden, match="is ann's"):
        delete_query(project, "ann 的查询", coder="bob")
    save_query(project, "ann 的查询", CodingQuery.of(["M5"]), coder="admin")
    assert saved_queries(project)["ann 的查询"].codes == ("M5",)
    delete_query(project, "ann 的查询", coder="admin")
    assert saved_queries(project) == {}
