"""CLI commands: admin (migrate, backup, restore, history, undo, deleted documents). Registered by :func:`register`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

UserOpt = Annotated[
    Optional[str],
    typer.Option("--user", "-u", help="Who acts (an admin); the same as the global --user / $BAOLIAN_USER "
                 "(with accounts the password comes from $BAOLIAN_PASSWORD, else is asked).", show_default=False),
]


def _cli():
    from coding import cli

    return cli


def _acting(p, user: str | None) -> str | None:
    """The acting user (global --user, else this command's --user), password-checked when the project has accounts."""
    cli = _cli()
    acting_user = getattr(cli, "acting_user", None)
    return acting_user(p, user) if acting_user is not None else user


def migrate(
    source: Annotated[str, typer.Option("--from", help="Project to copy: a .sqlite path or a URL.", show_default=False)],
    destination: Annotated[str, typer.Option("--to", help="Empty project to copy into (created when new).",
                                             show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Copy a whole project SQLite <-> PostgreSQL without loss (ids, events, models), verified per table."""
    from rich.table import Table

    from coding.migrate import migrate as run

    cli = _cli()
    report = run(source, destination)
    if as_json:
        cli._print_json(report.as_dict())
        return
    table = Table("表 table", "行 rows", "校验和 checksum (sha256)")
    for t in report.tables:
        table.add_row(t.table, str(t.rows), t.checksum[:16])
    cli.out.print(table)
    cli.out.print(f"✓ 已迁移 migrated {report.total_rows} rows: {report.source} → {report.destination} "
                  f"(schema {report.revision}); row counts and checksums match", markup=False)


def _print_rows(report, verb: str, as_json: bool) -> None:
    cli = _cli()
    if as_json:
        cli._print_json(report.as_dict())
        return
    counts = ", ".join(f"{name} {n}" for name, n in report.rows.items() if n)
    cli.out.print(f"✓ {verb}: {report.project} ⇄ {report.file} ({report.kind}, {report.bytes:,} bytes)", markup=False)
    cli.out.print(f"  rows: {counts or 'none'}", markup=False)


def backup(
    out_file: Annotated[Path, typer.Option("--out", help="Backup file to write.", show_default=False)],
    project: Annotated[Optional[str], typer.Option("--project", "-p", help="Project (.sqlite path or URL).",
                                                   show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Back the project up to one file (SQLite online backup, or pg_dump for PostgreSQL); safe while in use."""
    from coding.backup import backup as run

    _print_rows(run(project, out_file), "备份 backed up", as_json)


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `baolian backup`.", show_default=False)],
    project: Annotated[Optional[str], typer.Option("--project", "-p", help="Project to restore into.",
                                                   show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a project that already holds data.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Restore a backup into a project (refuses a project holding data unless --force)."""
    from coding.backup import restore as run

    _print_rows(run(file, project, force=force), "恢复 restored", as_json)


def history(
    project: Annotated[Optional[str], typer.Option("--project", "-p", help="Project (.sqlite path or URL).",
                                                   show_default=False)] = None,
    segment: Annotated[Optional[int], typer.Option("--segment", help="Events about codings on this segment.",
                                                   show_default=False)] = None,
    code: Annotated[Optional[str], typer.Option("--code", help="Events about this code (key, e.g. M2).",
                                                show_default=False)] = None,
    document: Annotated[Optional[int], typer.Option("--document", help="Events about this document (id).",
                                                    show_default=False)] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Events by this user.", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many events.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (with before/after).")] = False,
) -> None:
    """The audit trail: who did what and when, newest first, with before/after."""
    from rich.table import Table

    from coding.audit import history as run

    cli = _cli()
    p = cli._open(project)
    entries = run(p, segment=segment, code=code, document=document, user=user, limit=limit,
                  as_user=cli.ACTING["user"])  # blind double coding: a coder sees only their own coding work
    if as_json:
        cli._print_json([e.as_dict() for e in entries])
        return
    table = Table("#", "时间 when (UTC)", "用户 user", "操作 action", "摘要 summary")
    for e in entries:
        table.add_row(str(e.id), e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else "", e.user or "—",
                      e.action, e.summary)
    cli.out.print(table)
    cli.out.print(f"{len(entries)} events", markup=False)


def undo(
    project: Annotated[Optional[str], typer.Option("--project", "-p", help="Project (.sqlite path or URL).",
                                                   show_default=False)] = None,
    user: Annotated[Optional[str], typer.Option("--user", "-u", help="Whose change (default: the global --user).",
                                                show_default=False)] = None,
) -> None:
    """Undo your own most recent change (coding, decision, resize, removal, memo); again to go further back."""
    from coding.audit import action_label
    from coding.decisions import undo_last

    cli = _cli()
    p = cli._open(project)
    done = undo_last(p, coder=_acting(p, user))
    cli.out.print(f"↶ 已撤销 undone: {action_label(done)}" if done else
                  "没有可撤销的更改 — nothing of yours to undo", markup=False)


document_app = typer.Typer(no_args_is_help=True, help="Delete (to the trash), restore and list deleted documents.")


DocumentArg = Annotated[int, typer.Argument(help="Document id.", show_default=False)]
ProjectArg = Annotated[Optional[str], typer.Option("--project", "-p", show_default=False)]


def _trash(action: str, document: int, project: str | None, user: str | None) -> None:
    """Delete (to the trash) or restore one document as the acting admin, and say what happened."""
    from coding.trash import delete_document, restore_document

    cli = _cli()
    p = cli._open(project)
    if action == "delete":
        title = p.find_document(document).title
        delete_document(p, document, by=_acting(p, user))
        message = f"🗑 已删除 deleted #{document} {title} (restore: baolian document restore {document})"
    else:
        restore_document(p, document, by=_acting(p, user))
        message = f"✓ 已恢复 restored #{document} {p.find_document(document).title}"
    cli.out.print(message, markup=False)


@document_app.command("delete")
def document_delete(document: DocumentArg, project: ProjectArg = None, user: UserOpt = None) -> None:
    """Move a document to the trash (admins); its codings stay and come back with it."""
    _trash("delete", document, project, user)


@document_app.command("restore")
def document_restore(document: DocumentArg, project: ProjectArg = None, user: UserOpt = None) -> None:
    """Bring a deleted document back with its codings (admins)."""
    _trash("restore", document, project, user)


@document_app.command("deleted")
def document_deleted(
    project: Annotated[Optional[str], typer.Option("--project", "-p", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List deleted documents."""
    from rich.table import Table

    from coding.trash import deleted_documents

    cli = _cli()
    docs = deleted_documents(cli._open(project))
    if as_json:
        cli._print_json([{"id": d.id, "title": d.title, "filename": d.filename, "deleted_at": d.deleted_at.isoformat(),
                          "deleted_by": d.deleted_by, "codings": d.codings} for d in docs])
        return
    table = Table("#", "标题 title", "文件 file", "删除时间 deleted at", "删除者 by", "编码 codings")
    for d in docs:
        table.add_row(str(d.id), d.title, d.filename, d.deleted_at.strftime("%Y-%m-%d %H:%M"),
                      d.deleted_by or "—", str(d.codings))
    cli.out.print(table)
    cli.out.print(f"{len(docs)} deleted documents", markup=False)


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
    app.command("migrate")(migrate)
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("history")(history)
    app.command("undo")(undo)
    app.add_typer(document_app, name="document")
