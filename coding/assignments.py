"""Blind double coding: documents assigned to coders, blind mode, and when adjudication opens.

An admin assigns documents to two or more coders (:func:`assign`). With blind mode on
(:func:`set_blind`, project setting ``blind_coding``), a coder sees only their own decisions and
the machine's suggestions, never another coder's, until the admin opens adjudication
(:func:`open_adjudication`, project setting ``adjudication_open``: ``true`` for the whole
project, or a list of document ids). Admins always see everything.

The rule itself is :func:`blinded`; every read that shows coders' work applies it to the ``as_user``
who asks (:mod:`coding.decisions` codings, memos and history, :mod:`coding.review`, :mod:`coding.audit`,
:mod:`coding.analysis_data` and the analyses and exports built on it, :mod:`coding.agreement_data`,
:mod:`coding.adjudication` for admins only), so a page or script cannot show one coder another's decisions.
Nor can a blinded coder change another coder's coding by its id (:mod:`coding.decisions`).

Every change is one transaction with its event row, and only an admin may make it
(:func:`coding.roles.authorize` with ``Permission.MANAGE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from coding.errors import BaolianError
from coding.roles import Permission, Role, authorize, coder_row_id, has_accounts, role_of
from coding.store import Assignment, Coder, Document, Setting, record_event

BLIND = "blind_coding"
ADJUDICATION = "adjudication_open"


@dataclass(frozen=True)
class AssignmentRow:
    document_id: int
    document: str  # title
    coder: str
    assigned_by: str | None
    assigned_at: datetime | None


# -- the rule -------------------------------------------------------------------------------------

def _setting(session: Session, key: str, default=None):
    row = session.get(Setting, key)
    return default if row is None or row.value is None else row.value


def adjudication_open_for(session: Session, document_id: int | None) -> bool:
    """True when adjudication is open for the whole project, or for ``document_id``."""
    state = _setting(session, ADJUDICATION, False)
    if state is True:
        return True
    if isinstance(state, list) and document_id is not None:
        return int(document_id) in {int(x) for x in state}
    return False


def blinded(session: Session, user: str | None, document_id: int | None = None) -> bool:
    """Whether ``user`` may see only their own decisions (on ``document_id``; any document when None).

    True in blind mode, before adjudication is opened (for the document), for a user who is not
    an admin. In a project with accounts that is every non-admin account (and unknown names); in
    a project without accounts, where everyone may do everything, it is everyone who has been
    assigned a document, so blind double coding also works in a single team's notebook.
    """
    if not user or not user.strip() or not _setting(session, BLIND, False):
        return False
    if adjudication_open_for(session, document_id):
        return False
    if has_accounts(session):
        return role_of(session, user) is not Role.ADMIN
    return session.scalar(select(Assignment.id).join(Coder, Coder.id == Assignment.coder_id)
                          .where(Coder.name == user.strip()).limit(1)) is not None


def shown_coder(session: Session, coder: str | None, as_user: str | None, document_id: int | None = None) -> str | None:
    """Whose decisions ``as_user`` may see when asking for ``coder``'s (everyone's when None): only their own
    while :func:`blinded`. Every read that shows coders' decisions passes its ``as_user`` through this."""
    if as_user and blinded(session, as_user, document_id):
        return as_user.strip()
    return coder


def is_blind(project) -> bool:
    with project.read() as s:
        return bool(_setting(s, BLIND, False))


def adjudication_state(project) -> bool | list[int]:
    """True (open for the whole project), False (closed) or the document ids it is open for."""
    with project.read() as s:
        state = _setting(s, ADJUDICATION, False)
    if isinstance(state, list):
        return sorted({int(x) for x in state})
    return bool(state)


def user_blinded(project, user: str | None, document_id: int | None = None) -> bool:
    """:func:`blinded`, for shells that have a project rather than a session."""
    with project.read() as s:
        return blinded(s, user, document_id)


# -- changes --------------------------------------------------------------------------------------

def _put_setting(session: Session, key: str, value, by_id: int | None) -> bool:
    row = session.get(Setting, key)
    before = None if row is None else row.value
    if before == value:
        return False
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    record_event(session, "setting.set", "setting", None, before={key: before}, after={key: value},
                 coder_id=by_id)
    return True


def set_blind(project, on: bool, *, by: str) -> bool:
    """Turn blind mode on or off (admin). Returns False when it already was so."""
    with project.transaction() as s:
        by_id = authorize(s, by, Permission.MANAGE)
        return _put_setting(s, BLIND, bool(on), by_id)


def open_adjudication(project, *, by: str, document_ids: Iterable[int] | None = None) -> bool | list[int]:
    """Open adjudication for the whole project (``document_ids`` None) or for some documents (admin).

    From then on every coder sees every coder's decisions on those documents. Returns the new state.
    """
    with project.transaction() as s:
        by_id = authorize(s, by, Permission.MANAGE)
        if document_ids is None:
            state: bool | list[int] = True
        else:
            ids = _live_documents(s, document_ids)
            current = _setting(s, ADJUDICATION, False)
            if current is True:
                return True
            known = {int(x) for x in current} if isinstance(current, list) else set()
            state = sorted(known | set(ids))
        _put_setting(s, ADJUDICATION, state, by_id)
        return state


def close_adjudication(project, *, by: str) -> None:
    """Close adjudication again everywhere (admin): blind mode hides other coders' decisions again."""
    with project.transaction() as s:
        by_id = authorize(s, by, Permission.MANAGE)
        _put_setting(s, ADJUDICATION, False, by_id)


def _live_documents(session: Session, document_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(d) for d in document_ids})
    if not ids:
        raise BaolianError("no document given", field="documents", hint="give one or more document ids")
    found = set(session.scalars(select(Document.id).where(Document.id.in_(ids), Document.deleted_at.is_(None))))
    missing = [d for d in ids if d not in found]
    if missing:
        raise BaolianError(f"no document #{', #'.join(map(str, missing))} in this project", field="documents",
                           hint="give document ids from `baolian documents`")
    return ids


def _coder_ids(session: Session, coders: Iterable[str]) -> dict[str, int]:
    names = list(dict.fromkeys(c.strip() for c in coders if c and c.strip()))
    if not names:
        raise BaolianError("no coder given", field="coders", hint="give one or more coder names")
    if not has_accounts(session):
        return {name: coder_row_id(session, name) for name in names}
    out = {}
    for name in names:
        row = session.scalar(select(Coder).where(Coder.name == name))
        if row is None or row.role is None or not row.active:
            raise BaolianError(f"{name!r} is not an active account of this project", field="coders",
                               hint="add the account first (baolian user add)")
        if not Role(row.role).can_code():
            raise BaolianError(f"{name!r} is a {row.role} and cannot code", field="coders",
                               hint="give the account the coder role first")
        out[name] = row.id
    return out


def assign(project, document_ids: Iterable[int], coders: Iterable[str], *, by: str) -> int:
    """Give every document to every coder (admin). Returns how many new assignments were made."""
    with project.transaction() as s:
        by_id = authorize(s, by, Permission.MANAGE)
        docs = _live_documents(s, document_ids)
        ids = _coder_ids(s, coders)
        existing = set(s.execute(select(Assignment.document_id, Assignment.coder_id)
                                 .where(Assignment.document_id.in_(docs))).all())
        added = []
        for doc in docs:
            for name, cid in ids.items():
                if (doc, cid) not in existing:
                    s.add(Assignment(document_id=doc, coder_id=cid, assigned_by=by_id))
                    added.append([doc, name])
        if added:
            s.flush()
            record_event(s, "assignment.add", "assignment", None, after={"assigned": added}, coder_id=by_id)
        return len(added)


def unassign(project, document_ids: Iterable[int], coders: Iterable[str], *, by: str) -> int:
    """Take documents away from coders (admin); their codings stay. Returns how many were removed."""
    with project.transaction() as s:
        by_id = authorize(s, by, Permission.MANAGE)
        docs = sorted({int(d) for d in document_ids})
        names = [c.strip() for c in coders if c and c.strip()]
        rows = s.execute(select(Assignment, Coder.name).join(Coder, Coder.id == Assignment.coder_id)
                         .where(Assignment.document_id.in_(docs), Coder.name.in_(names))).all()
        removed = [[a.document_id, name] for a, name in rows]
        for a, _ in rows:
            s.delete(a)
        if removed:
            record_event(s, "assignment.remove", "assignment", None, before={"assigned": removed}, coder_id=by_id)
        return len(removed)


# -- reads ----------------------------------------------------------------------------------------

def assignments(project) -> list[AssignmentRow]:
    """Every assignment, by document then coder."""
    by = aliased(Coder)
    with project.read() as s:
        rows = s.execute(
            select(Assignment, Document.title, Coder.name, by.name)
            .join(Document, Document.id == Assignment.document_id)
            .join(Coder, Coder.id == Assignment.coder_id)
            .outerjoin(by, by.id == Assignment.assigned_by)
            .where(Document.deleted_at.is_(None))
            .order_by(Assignment.document_id, Coder.name))
        return [AssignmentRow(a.document_id, title, name, by_name, a.assigned_at) for a, title, name, by_name in rows]


def coders_of(project, document_id: int) -> list[str]:
    """The coders a document is assigned to, by name."""
    with project.read() as s:
        return _assigned_names(s, document_id)


def _assigned_names(session: Session, document_id: int) -> list[str]:
    return list(session.scalars(select(Coder.name).join(Assignment, Assignment.coder_id == Coder.id)
                                .where(Assignment.document_id == document_id).order_by(Coder.name)))


def documents_for(project, coder: str):
    """The (live) documents assigned to ``coder``, as :class:`coding.project.DocumentSummary`."""
    with project.read() as s:
        ids = set(s.scalars(select(Assignment.document_id).join(Coder, Coder.id == Assignment.coder_id)
                            .where(Coder.name == (coder or "").strip())))
    return [d for d in project.documents() if d.id in ids]


def visible_documents(project, user: str | None):
    """The documents ``user`` works on: their assigned ones while blinded, else every document."""
    if user and user_blinded(project, user):
        mine = documents_for(project, user)
        if mine:
            return mine
    return project.documents()


def can_manage(project, user: str | None) -> bool:
    """Whether ``user`` may assign, switch blind mode and adjudicate (admins; anyone in a project without accounts)."""
    with project.read() as s:
        role = role_of(s, user)
    return role is not None and role.can_manage()
