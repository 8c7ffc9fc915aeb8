"""CLI commands `memo add`, `memo edit`, `memo delete` and `memo list`: memos on the project, a document, one
of its segments or a code, over the same functions the app's memo box uses. Registered by :func:`register`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from coding.cli_login import acting_user
from coding.cli_shared import JsonOpt, ProjectOpt, _open, _print_json, check_unit, out
from coding.errors import BaolianError

memo_app = typer.Typer(no_args_is_help=True, help="Write and list memos (备忘).")

DocumentOpt = Annotated[Optional[str], typer.Option("--document", "-d", help="Document id, title or file name.",
                                                    show_default=False)]


def _segment_id(p, document: str, unit: str, index: int) -> int:
    check_unit(unit)
    for segment in p.segments(document, unit):
        if segment.index == index:
            return segment.id
    raise BaolianError(f"the document has no {unit} #{index}", field="--index",
                       hint=f"see the numbers with `baolian segments {document} --unit {unit}`")


@memo_app.command("add")
def add(
    text: Annotated[str, typer.Argument(help="The memo.", show_default=False)],
    project: ProjectOpt = None,
    document: DocumentOpt = None,
    unit: Annotated[str, typer.Option("--unit", help="With --index: paragraph | sentence | turn.")] = "sentence",
    index: Annotated[Optional[int], typer.Option("--index", "-i", help="The segment's number (# in `baolian "
                                                 "segments`): the memo is on it.", show_default=False)] = None,
    code: Annotated[Optional[str], typer.Option("--code", help="A code the memo is about.", show_default=False)] = None,
) -> None:
    """Write a memo on the project, a document (--document), a segment of it (--index) or a code (--code)."""
    from coding.decisions import add_memo

    p = _open(project)
    if index is not None and document is None:
        raise BaolianError("--index needs --document", field="--index", hint="name the document the segment is in")
    doc_id = p.find_document(document).id if document is not None else None
    segment_id = _segment_id(p, document, unit, index) if index is not None else None
    memo_id = add_memo(p, text, coder=acting_user(p), document_id=doc_id, segment_id=segment_id, code=code)
    out.print(f"📝 备忘 memo #{memo_id} saved", markup=False)


MemoArg = Annotated[int, typer.Argument(help="Memo id (# in `baolian memo list`).", show_default=False)]


@memo_app.command("edit")
def edit(memo: MemoArg, text: Annotated[str, typer.Argument(help="The new text.", show_default=False)],
         project: ProjectOpt = None) -> None:
    """Replace the text of your memo (an admin: any memo). `baolian undo` takes it back."""
    from coding.decisions import edit_memo

    p = _open(project)
    edit_memo(p, memo, text, coder=acting_user(p))
    out.print(f"📝 备忘 memo #{memo} edited", markup=False)


@memo_app.command("delete")
def delete(memo: MemoArg, project: ProjectOpt = None) -> None:
    """Delete your memo (an admin: any memo). `baolian undo` puts it back."""
    from coding.decisions import delete_memo

    p = _open(project)
    delete_memo(p, memo, coder=acting_user(p))
    out.print(f"🗑 备忘 memo #{memo} deleted (undo: baolian undo)", markup=False)


@memo_app.command("list")
def list_(project: ProjectOpt = None, document: DocumentOpt = None, as_json: JsonOpt = False) -> None:
    """Memos, oldest first (in blind mode a coder sees only their own), with what each is on."""
    from rich.table import Table

    from coding.decisions import memo_target, memos

    p = _open(project)
    doc_id = p.find_document(document).id if document is not None else None
    found = memos(p, document_id=doc_id, as_user=acting_user(p))
    if as_json:
        _print_json([{**m, "created_at": m["created_at"].isoformat(), "updated_at": m["updated_at"].isoformat()}
                         for m in found])
        return
    table = Table("#", "document", "on", "start", "end", "code", "coder", "text")
    for m in found:
        table.add_row(*(str(v) if v is not None else "" for v in (
            m["id"], m["document_id"], memo_target(m), m["start"], m["end"], m["code"], m["coder"], m["text"])))
    out.print(table)
    out.print(f"{len(found)} memos", markup=False)


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
    app.add_typer(memo_app, name="memo")
