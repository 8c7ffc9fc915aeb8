"""Saved coding queries (已存查询): a team names a :class:`coding.coding_query.CodingQuery` to run it again as the
coding grows, as NVivo saves queries. Stored in the project (setting ``coding_queries``: name -> the query's
fields and who saved it); saving and deleting are events of the history. Any coder may save; a name already
used is replaced only by its author or an admin."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select

from coding.coding_query import CodingQuery
from coding.errors import BaolianError
from coding.roles import Forbidden, Permission, authorize, role_of
from coding.store import Coder, Setting, record_event

KEY = "coding_queries"
MAX_NAME = 80


def saved_queries(project) -> dict[str, CodingQuery]:
    """The saved queries by name (sorted)."""
    stored = project.setting(KEY, {}) or {}
    return {name: _query(entry) for name, entry in sorted(stored.items()) if isinstance(entry, dict)}


def _query(entry: dict) -> CodingQuery:
    fields = {k: entry[k] for k in ("match", "exclude", "level", "near", "roles") if k in entry}
    return CodingQuery.of(entry.get("codes", ()), **fields)


def save_query(project, name: str, query: CodingQuery, *, coder: str) -> str:
    """Save ``query`` under ``name`` (a name of ``coder``'s own, or any for an admin, is replaced); the name."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or any(ord(ch) < 32 for ch in name):
        raise BaolianError(f"bad query name {name!r}", field="name",
                           hint=f"give a name of 1 to {MAX_NAME} characters, e.g. 上门与一事一策")
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        row = s.get(Setting, KEY)
        stored = dict(row.value or {}) if row is not None else {}
        old = stored.get(name)
        _may_change(s, old, name, coder, coder_id)
        stored[name] = {**asdict(query), "by": coder_id}
        if row is None:
            s.add(Setting(key=KEY, value=stored))
        else:
            row.value = stored
        record_event(s, "query.save", "setting", None, before={name: old}, after={name: stored[name]},
                     coder_id=coder_id)
    return name


def delete_query(project, name: str, *, coder: str) -> str:
    """Delete the saved query ``name`` (its author or an admin); the name."""
    with project.transaction() as s:
        coder_id = authorize(s, coder, Permission.CODE)
        row = s.get(Setting, KEY)
        stored = dict(row.value or {}) if row is not None else {}
        if name not in stored:
            raise BaolianError(f"no saved query {name!r}", field="name",
                               hint=f"saved: {', '.join(sorted(stored)) or 'none'}")
        _may_change(s, stored[name], name, coder, coder_id)
        old = stored.pop(name)
        row.value = stored
        record_event(s, "query.delete", "setting", None, before={name: old}, after=None, coder_id=coder_id)
    return name


def _may_change(s, old: dict | None, name: str, coder: str, coder_id: int | None) -> None:
    if old is None or old.get("by") in (None, coder_id) or role_of(s, coder).can_manage():
        return
    author = s.scalar(select(Coder.name).where(Coder.id == old.get("by"))) or "?"
    raise Forbidden(f"the query {name!r} is {author}'s", field="name",
                    hint="save yours under another name; only its author or an admin may change it")
