"""CLI commands: assignments, blind double coding and adjudication. Registered on the main app by :func:`register`.

    baolian --user ADMIN assign --documents 1,2 --coders A,B [--remove]
    baolian --user ADMIN blind on|off
    baolian adjudicate list [--code M2] [--document 3] [--coders A,B] [--json]
    baolian --user ADMIN adjudicate open [--documents 1,2] | close
    baolian --user ADMIN adjudicate decide --document 3 --code M2 --choice A|merge|none [--segment ID]
    baolian --user ADMIN adjudicate adopt [--document 3]     (agreements into the final coding)

The acting admin is the global ``--user`` (or $BAOLIAN_USER; with accounts, $BAOLIAN_PASSWORD), or ``--user``
given after the command.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from coding.errors import BaolianError

UserOpt = Annotated[Optional[str], typer.Option("--user", "-u", help="Who acts (default: the global --user).",
                                                show_default=False)]
ProjectOpt = Annotated[Optional[str], typer.Option("--project", "-p", help="Project (.sqlite path or URL).",
                                                  show_default=False)]
ComparedOpt = Annotated[Optional[str], typer.Option("--coders", "-c", help="Coders compared.", show_default=False)]
adjudicate_app = typer.Typer(no_args_is_help=True, help="Adjudication: list disagreements, open it, decide.")


def _ints(text: str | None, field: str) -> list[int]:
    items = [x.strip() for x in (text or "").split(",") if x.strip()]
    try:
        return [int(x) for x in items]
    except ValueError:
        raise BaolianError(f"{text!r} is not a list of document ids", field=field,
                           hint="give ids separated by commas, e.g. 1,2,5") from None


def _names(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _acting(p, user: str | None) -> str | None:
    from coding.cli import acting_user

    return acting_user(p, user)


def assign_cmd(
    documents: Annotated[str, typer.Option("--documents", "-d", help="Document ids, comma-separated.",
                                           show_default=False)],
    coders: Annotated[str, typer.Option("--coders", "-c", help="Coder names, comma-separated.", show_default=False)],
    remove: Annotated[bool, typer.Option("--remove", help="Take the documents away instead.")] = False,
    project: ProjectOpt = None,
    user: UserOpt = None,
) -> None:
    """Assign documents to coders for blind double coding (admin)."""
    from coding import assignments
    from coding.cli import _open, out

    p = _open(project)
    ids, names = _ints(documents, "--documents"), _names(coders)
    if not ids or not names:
        raise BaolianError("give --documents and --coders", field="--documents/--coders",
                           hint="e.g. baolian assign --documents 1,2 --coders A,B")
    by = _acting(p, user)
    if remove:
        n = assignments.unassign(p, ids, names, by=by)
        out.print(f"{n} assignment(s) removed", markup=False)
    else:
        n = assignments.assign(p, ids, names, by=by)
        out.print(f"{n} new assignment(s): documents {', '.join(map(str, ids))} → {', '.join(names)}", markup=False)


def blind_cmd(
    state: Annotated[str, typer.Argument(help="on | off", show_default=False)],
    project: ProjectOpt = None,
    user: UserOpt = None,
) -> None:
    """Turn blind mode on or off: coders see only their own decisions until adjudication opens (admin)."""
    from coding import assignments
    from coding.cli import _open, out

    if state.lower() not in ("on", "off"):
        raise BaolianError(f"unknown state {state!r}", field="STATE", hint="say on or off")
    p = _open(project)
    changed = assignments.set_blind(p, state.lower() == "on", by=_acting(p, user))
    out.print(f"盲编码 blind mode {state.lower()}" + ("" if changed else " (unchanged)"), markup=False)


@adjudicate_app.command("list")
def list_cmd(
    code: Annotated[Optional[str], typer.Option("--code", help="Only this code.", show_default=False)] = None,
    document: Annotated[Optional[int], typer.Option("--document", "-d", help="Only this document id.",
                                                    show_default=False)] = None,
    coders: Annotated[Optional[str], typer.Option("--coders", "-c", help="Compare these coders (default: the "
                                                  "document's assigned coders).", show_default=False)] = None,
    project: ProjectOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    user: UserOpt = None,
) -> None:
    """List the sentences where coders disagree on a code, with each coder's spans."""
    from rich.table import Table

    from coding.adjudication import disagreements
    from coding.cli import _open, _print_json, out

    p = _open(project)
    report = disagreements(p, coders=_names(coders) or None, document_id=document, code=code,
                           as_user=_acting(p, user))
    if as_json:
        _print_json({
            "units": report.units, "agreements": report.agreements, "disagreements": len(report.items),
            "decided": report.decided, "coders": {str(k): list(v) for k, v in report.coders.items()},
            "items": [{
                "document_id": d.document_id, "document": d.document, "segment_id": d.segment_id,
                "sentence": d.sentence, "start": d.start, "end": d.end, "text": d.text, "code": d.code,
                "coders": list(d.coders), "having": list(d.having),
                "spans": {c: [{"id": s.application_id, "start": s.start, "end": s.end, "text": s.text}
                              for s in spans] for c, spans in d.spans.items()},
                "final": [{"id": f.id, "start": f.start, "end": f.end, "status": f.status, "choice": f.choice,
                           "by": f.by, "based_on": f.based_on} for f in d.final],
            } for d in report.items]})
        return
    table = Table("文档 doc", "句 sent", "编码 code", "有 has", "无 lacks", "句子 sentence", "裁决 final")
    for d in report.items:
        final = ", ".join(f"{f.choice}:{f.start}–{f.end}" if f.status == "accepted" else f"{f.choice}:∅"
                          for f in d.final) or "—"
        text = d.text if len(d.text) <= 40 else d.text[:39] + "…"
        table.add_row(str(d.document_id), f"S{d.sentence} (#{d.segment_id})", d.code, ", ".join(d.having),
                      ", ".join(d.missing), text, final)
    out.print(table)
    out.print(f"{len(report.items)} disagreement(s), {report.decided} decided; {report.agreements} agreement(s) "
              f"of {report.units} sentence × code unit(s)", markup=False)


@adjudicate_app.command("open")
def open_cmd(
    documents: Annotated[Optional[str], typer.Option("--documents", "-d", help="Only these document ids "
                                                     "(default: the whole project).", show_default=False)] = None,
    project: ProjectOpt = None,
    user: UserOpt = None,
) -> None:
    """Open adjudication: every coder now sees every coder's decisions (admin)."""
    from coding.assignments import open_adjudication
    from coding.cli import _open, out

    p = _open(project)
    ids = _ints(documents, "--documents") if documents else None
    state = open_adjudication(p, by=_acting(p, user), document_ids=ids)
    out.print("裁决已开放 adjudication open: " + ("whole project" if state is True
                                                else "documents " + ", ".join(map(str, state))), markup=False)


@adjudicate_app.command("close")
def close_cmd(
    project: ProjectOpt = None,
    user: UserOpt = None,
) -> None:
    """Close adjudication again (admin): in blind mode coders see only their own decisions again."""
    from coding.assignments import close_adjudication
    from coding.cli import _open, out

    p = _open(project)
    close_adjudication(p, by=_acting(p, user))
    out.print("裁决已关闭 adjudication closed", markup=False)


@adjudicate_app.command("decide")
def decide_cmd(
    document: Annotated[int, typer.Option("--document", "-d", help="Document id.", show_default=False)],
    code: Annotated[str, typer.Option("--code", help="Code key.", show_default=False)],
    choice: Annotated[str, typer.Option("--choice", help="A coder's name, merge, or none.", show_default=False)],
    segment: Annotated[Optional[int], typer.Option("--segment", help="Sentence id (default: every sentence "
                                                   "where the coders disagree).", show_default=False)] = None,
    coders: ComparedOpt = None,
    project: ProjectOpt = None,
    user: UserOpt = None,
) -> None:
    """Record the final coding of a code on a sentence (or every disagreeing sentence of a document) (admin)."""
    from coding.adjudication import decide
    from coding.cli import _open, out

    p = _open(project)
    ids = decide(p, document_id=document, code=code, choice=choice, by=_acting(p, user), segment_id=segment,
                 coders=_names(coders) or None)
    out.print(f"{len(ids)} final row(s) written", markup=False)


@adjudicate_app.command("adopt")
def adopt_cmd(
    document: Annotated[Optional[int], typer.Option("--document", "-d", help="Only this document id.",
                                                    show_default=False)] = None,
    coders: ComparedOpt = None,
    project: ProjectOpt = None,
    user: UserOpt = None,
) -> None:
    """Write the final coding wherever all coders agree (union of their spans); decided sentences stay (admin)."""
    from coding.adjudication import adopt_agreements
    from coding.cli import _open, out

    p = _open(project)
    n = adopt_agreements(p, by=_acting(p, user), document_id=document, coders=_names(coders) or None)
    out.print(f"{n} agreement(s) adopted into the final coding", markup=False)


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
    app.command("assign")(assign_cmd)
    app.command("blind")(blind_cmd)
    app.add_typer(adjudicate_app, name="adjudicate")
