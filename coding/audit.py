"""The audit trail: who changed what, when, from what to what — per segment, code, document or user.

Reads the append-only event log (:class:`coding.store.Event`) that every change writes in its own
transaction. Events about codings carry the coding's row (document, segment, span, code) in
``before``/``after``, so a segment's history is every event whose coding lay on that segment or
overlapped its span; a code's history every event whose coding used that code, plus codebook
events naming it. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import or_, select

from coding.assignments import blinded
from coding.errors import BaolianError
from coding.store import Code, CodebookVersion, Coder, Document, Event, Segment

ACTIONS = {
    "coding.accept": "接受建议 accepted a suggestion",
    "coding.reject": "拒绝建议 rejected a suggestion",
    "coding.add": "添加编码 added a coding",
    "coding.remove": "删除编码 removed a coding",
    "coding.resize": "调整范围 resized a coding",
    "memo.add": "写备忘 wrote a memo",
    "memo.edit": "改备忘 edited a memo",
    "memo.delete": "删备忘 deleted a memo",
    "undo": "撤销 undid",
    "document.import": "导入文档 imported a document",
    "document.delete": "删除文档 deleted a document",
    "document.restore": "恢复文档 restored a document",
    "document.variables": "文档变量 changed document variables",
    "variable.types": "变量类型 set variable types",
    "link.add": "链接 linked two passages",
    "link.remove": "删除链接 removed a link",
    "autocode.document": "自动编码 auto-coded a document",
    "codebook.load": "载入编码本 loaded the codebook",
    "codebook.merge": "合并编码 merged codes",
    "coder.add": "新编码员 new coder",
    "setting.set": "更改设置 changed a setting",
    "query.save": "保存查询 saved a coding query",
    "query.delete": "删除查询 deleted a coding query",
    "model.train": "训练模型 trained a model",
    "user.add": "添加账户 added an account",
    "user.remove": "停用账户 removed an account",
    "user.role": "更改角色 changed a role",
    "user.passwd": "更改密码 changed a password",
    "user.rehash": "更新密码哈希 re-hashed a password",
    "assignment.add": "分配文档 assigned a document",
    "assignment.remove": "取消分配 unassigned a document",
    "adjudication.decide": "裁定 adjudicated",
    "refi.import": "REFI 导入 imported a REFI-QDA project",
    "login.fail": "登录失败 failed login",
    "login.lock": "登录锁定 login locked",
    "login.ok": "登录成功（清除失败记录）logged in (failures cleared)",
}


def action_label(action: str) -> str:
    """The label of an action, also of what undo_last returns for a batch ("coding.add ×12")."""
    name, times, count = action.partition(" ×")
    return f"{ACTIONS.get(name, name)}{times}{count}"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user: str | None
    action: str
    entity: str
    entity_id: int | None
    before: Any
    after: Any
    summary: str
    changes: dict | None = None  # codebook.load: the codes added, removed (retired) and changed, field by field

    def as_dict(self) -> dict:
        data = asdict(self)
        data["at"] = self.at.isoformat() if self.at else None
        return data


def _rows(event: Event, undone: dict[int, Event] | None = None) -> list[dict]:
    """The coding/memo rows an event describes: its before and after (for an undo: the undone event's too)."""
    found = [d for d in (event.before, event.after) if isinstance(d, dict)]
    if event.action == "undo" and isinstance(event.after, dict) and undone:
        target = undone.get(event.after.get("undoes"))
        if target is not None:
            found += [d for d in (target.before, target.after) if isinstance(d, dict)]
    for d in list(found):  # adjudication events list the final rows they replaced and wrote
        if isinstance(d.get("rows"), list):
            found += [r for r in d["rows"] if isinstance(r, dict)]
    return found


def _about_segment(event: Event, segment: Segment, undone: dict) -> bool:
    if event.entity == "segment" and event.entity_id == segment.id:
        return True
    for d in _rows(event, undone):
        if d.get("segment_id") == segment.id:
            return True
        if d.get("document_id") == segment.document_id and isinstance(d.get("start"), int) \
                and isinstance(d.get("end"), int) and d["start"] < segment.end and d["end"] > segment.start:
            return True
    return False


def _about_code(event: Event, code: Code, undone: dict) -> bool:
    if event.entity == "code" and event.entity_id == code.id:
        return True
    for d in _rows(event, undone):
        if d.get("code_id") == code.id or d.get("code") == code.key:
            return True
    return False


def _about_document(event: Event, document_id: int, undone: dict) -> bool:
    if event.entity == "document" and event.entity_id == document_id:
        return True
    return any(document_id in (d.get("document_id"), d.get("source_document_id"), d.get("target_document_id"))
               for d in _rows(event, undone))


def _codes_of(session, fingerprint: str | None) -> dict[str, dict] | None:
    if not fingerprint:
        return {}
    text = session.scalar(select(CodebookVersion.content).where(CodebookVersion.fingerprint == fingerprint)
                          .order_by(CodebookVersion.id.desc()).limit(1))
    try:
        data = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    return {str(c["id"]): c for c in data.get("codes") or [] if isinstance(c, dict) and "id" in c}


def codebook_changes(session, event: Event) -> dict | None:
    """What a codebook.load event changed, code by code, from the stored codebook versions before and after:
    ``{"added": [keys], "removed": [keys], "changed": {key: {field: [before, after]}}}`` (None if unknown)."""
    if event.action != "codebook.load":
        return None
    old = _codes_of(session, (event.before or {}).get("fingerprint") if isinstance(event.before, dict) else None)
    new = _codes_of(session, (event.after or {}).get("fingerprint") if isinstance(event.after, dict) else None)
    if old is None or new is None:
        return None
    changed = {}
    for key in new.keys() & old.keys():
        fields = {f: [old[key].get(f), new[key].get(f)] for f in sorted(old[key].keys() | new[key].keys())
                  if old[key].get(f) != new[key].get(f)}
        if fields:
            changed[key] = fields
    return {"added": [k for k in new if k not in old], "removed": [k for k in old if k not in new],
            "changed": {k: changed[k] for k in new if k in changed}}


def _undone(session, events: list[Event]) -> dict[int, Event]:
    """The events that the undo events among ``events`` undid, by id."""
    ids = {e.after.get("undoes") for e in events if e.action == "undo" and isinstance(e.after, dict)}
    ids.discard(None)
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(ids)))}


def _summary(event: Event, user: str | None, codes: dict[int, str], titles: dict[int, str],
             undone: dict[int, Event]) -> str:
    who = user or "系统 system"
    what = ACTIONS.get(event.action, event.action)
    rows = [d for d in _rows(event, undone) if "undoes" not in d]
    order = (event.before, event.after) if event.action == "memo.delete" else (event.after, event.before)
    data = rows[-1] if event.action == "undo" and rows else next((d for d in order if isinstance(d, dict)), {})
    parts = [f"{who} {what}"]
    code = codes.get(data.get("code_id")) or data.get("code")
    if isinstance(code, str):
        parts.append(code)
    nested = data.get("rows") if isinstance(data.get("rows"), list) and data["rows"] else None
    doc = data.get("document_id") if event.entity != "document" else event.entity_id
    if doc is None and nested and isinstance(nested[0], dict):
        doc = nested[0].get("document_id")
    if isinstance(doc, int):
        parts.append(f"《{titles.get(doc, f'#{doc}')}》")
    if event.action == "coding.resize" and isinstance(event.before, dict) and isinstance(event.after, dict):
        parts.append(f"{event.before.get('start')}–{event.before.get('end')} → "
                     f"{event.after.get('start')}–{event.after.get('end')}")
    elif isinstance(data.get("start"), int) and isinstance(data.get("end"), int):
        parts.append(f"{data['start']}–{data['end']}")
    if event.action == "coding.add" and isinstance(data.get("query"), str):  # a search's or coding query's run
        parts.append(f"「{data['query'][:60]}」")
    if event.action == "adjudication.decide" and data.get("choice"):
        parts.append(f"→ {data['choice']}")
    if event.action.startswith("memo.") and isinstance(data.get("text"), str):
        text = data["text"]
        parts.append(f"“{text[:40]}{'…' if len(text) > 40 else ''}”")
    if event.action == "undo" and isinstance(event.after, dict):
        target = undone.get(event.after.get("undoes"))
        parts.append(f"({target.action if target else 'event'} #{event.after.get('undoes')})")
    if event.action == "document.variables" and isinstance(event.before, dict) and isinstance(event.after, dict):
        parts.append(_variable_changes(event.before.get("extra") or {}, event.after.get("extra") or {}))
    if event.action == "variable.types" and isinstance(event.before, dict) and isinstance(event.after, dict):
        before, after = event.before.get("variable_types") or {}, event.after.get("variable_types") or {}
        parts.append("; ".join(f"{n}: {before.get(n, 'text')} → {after.get(n, 'text')}"
                               for n in dict.fromkeys([*before, *after]) if before.get(n) != after.get(n)))
    if event.action.startswith("link.") and isinstance(data.get("source_document_id"), int):
        ends = [(data.get(f"{end}_document_id"), data.get(f"{end}_start"), data.get(f"{end}_end"))
                for end in ("source", "target")]
        parts.append(" → ".join(f"《{titles.get(d, f'#{d}')}》{a}–{b}" for d, a, b in ends)
                     + (f" 「{data['label']}」" if data.get("label") else ""))
    if event.action.startswith("query.") and isinstance(event.before, dict):
        parts.append("、".join(map(str, event.before)))
    if event.action == "setting.set" and isinstance(event.after, dict):
        parts.append(", ".join(map(str, event.after)))
    if event.action.startswith("document.") and isinstance(data.get("filename"), str) and not isinstance(doc, int):
        parts.append(data["filename"])
    return " ".join(parts)


def _variable_changes(before: dict, after: dict) -> str:
    """"街道: X → Y; 年份: + 2020; 职级: 副处 → −" for a document.variables event."""
    changes = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            changes.append(f"{name}: + {new}")
        elif old != new:
            changes.append(f"{name}: {old} → {'−' if new is None else new}")
    return "; ".join(changes)


_CODING_WORK = ("coding.", "memo.", "undo", "adjudication.")


def _blind_test(session, as_user: str | None):
    """None when ``as_user`` may see every event; else a test that hides other coders' coding work (codings,
    memos, their undos, adjudication) on documents where ``as_user`` is blinded (blind double coding)."""
    if not as_user or not blinded(session, as_user):
        return None
    me = session.scalar(select(Coder.id).where(Coder.name == as_user.strip()))
    blind: dict[int, bool] = {}

    def visible(event: Event, undone: dict) -> bool:
        if event.coder_id is None or event.coder_id == me or not event.action.startswith(_CODING_WORK):
            return True
        docs = {d.get("document_id") for d in _rows(event, undone) if isinstance(d.get("document_id"), int)}
        for d in docs:
            if d not in blind:
                blind[d] = blinded(session, as_user, d)
        return bool(docs) and not any(blind[d] for d in docs)
    return visible


def history(project, *, segment: int | None = None, code: str | None = None, document: int | None = None,
            user: str | None = None, action: str | None = None, limit: int | None = 500,
            as_user: str | None = None) -> list[AuditEntry]:
    """Events matching every filter given, newest first (at most ``limit``).

    ``as_user``: who is asking. In blind mode before adjudication a coder does not see other coders'
    codings, memos, undos or adjudication events (see :func:`coding.assignments.blinded`).
    """
    with project.read() as s:
        query = select(Event, Coder.name).outerjoin(Coder, Coder.id == Event.coder_id).order_by(Event.id.desc())
        tests = []
        blind = _blind_test(s, as_user)
        if blind is not None:
            tests.append(blind)
        if user:
            uid = s.scalar(select(Coder.id).where(Coder.name == user.strip()))
            if uid is None:
                raise BaolianError(f"no user {user!r} in this project", field="--user",
                                   hint="see the names in `baolian history` or `baolian user list`")
            query = query.where(Event.coder_id == uid)
        if action:
            query = query.where(Event.action == action)
        if segment is not None:
            seg = s.get(Segment, int(segment))
            if seg is None:
                raise BaolianError(f"no segment #{segment} in this project", field="--segment",
                                   hint="segment ids are listed by `baolian segments DOC`")
            query = query.where(Event.entity.in_(("code_application", "memo", "segment")))
            tests.append(lambda e, u, seg=seg: _about_segment(e, seg, u))
        if code:
            row = s.scalar(select(Code).where(Code.key == code.strip()))
            if row is None:
                raise BaolianError(f"unknown code {code!r}", field="--code", hint="use a key of the codebook, e.g. M2")
            query = query.where(Event.entity.in_(("code_application", "memo", "code", "segment")))
            tests.append(lambda e, u, row=row: _about_code(e, row, u))
        if document is not None:
            if s.get(Document, int(document)) is None:
                raise BaolianError(f"no document #{document} in this project", field="--document",
                                   hint="give a document id from `baolian documents`")
            query = query.where(or_(Event.entity.in_(("code_application", "memo", "segment", "segment_link")),
                                    (Event.entity == "document") & (Event.entity_id == int(document))))
            tests.append(lambda e, u, d=int(document): _about_document(e, d, u))
        if not tests and limit:
            query = query.limit(limit)
        codes = dict(s.execute(select(Code.id, Code.key)).all())
        titles = dict(s.execute(select(Document.id, Document.title)).all())
        found = s.execute(query).all()
        undone = _undone(s, [e for e, _ in found])
        out: list[AuditEntry] = []
        for event, name in found:
            if not all(t(event, undone) for t in tests):
                continue
            changes = codebook_changes(s, event)
            summary = _summary(event, name, codes, titles, undone)
            if changes and (changes["added"] or changes["removed"] or changes["changed"]):
                summary += " · " + "; ".join(f"{label} {', '.join(keys)}" for label, keys in (
                    ("新增 added", changes["added"]), ("删除 removed", changes["removed"]),
                    ("修改 changed", list(changes["changed"]))) if keys)
            out.append(AuditEntry(event.id, event.at, name, event.action, event.entity, event.entity_id,
                                  event.before, event.after, summary, changes))
            if limit and len(out) >= limit:
                break
        return out
