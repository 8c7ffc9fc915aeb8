"""CLI command `query`: the sentences or paragraphs with a combination of codes (all or any of them, none of
others, in the same unit or near), listed, or coded with `--code KEY --apply` as the acting user in one batch that
`baolian undo` takes back. Registered by :func:`register`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from coding.cli_analysis import CoderOpt, FinalOpt, PendingOpt, _meta, _open_selection
from coding.cli_shared import JsonOpt, ProjectOpt, WhereOpt, _print_json, code_found, out
from coding.errors import BaolianError


def query(
    codes: Annotated[Optional[list[str]], typer.Argument(
        help="Codes the unit must carry (all of them; --any: one of them). A code stands for its sub-codes too.",
        show_default=False)] = None,
    any_code: Annotated[bool, typer.Option("--any", help="Units with any of the codes, not all.")] = False,
    exclude: Annotated[Optional[list[str]], typer.Option("--not", help="Leave out units with this code (in the "
                                                         "same window); repeatable.", show_default=False)] = None,
    level: Annotated[str, typer.Option("--level", help="sentence | paragraph")] = "sentence",
    roles: Annotated[Optional[list[str]], typer.Option("--role", help="Only units said by this speaker role "
                                                       "(e.g. 包联人); repeatable.", show_default=False)] = None,
    near: Annotated[int, typer.Option("--near", help="Also look this many sentences / paragraphs either side "
                                      "(0: the same unit).")] = 0,
    code: Annotated[Optional[str], typer.Option("--code", help="Mark units already coded with this code by you "
                                                "(--user); with --apply, code the others.", show_default=False)] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Code the units found with --code, as --user.")] = False,
    save: Annotated[Optional[str], typer.Option("--save", help="Also save the query under this name (as --user).",
                                                show_default=False)] = None,
    saved: Annotated[Optional[str], typer.Option("--saved", help="Run the query saved under this name.",
                                                 show_default=False)] = None,
    list_saved: Annotated[bool, typer.Option("--list", help="List the saved queries.")] = False,
    coder: CoderOpt = None, pending: PendingOpt = False, final: FinalOpt = False, where: WhereOpt = None,
    project: ProjectOpt = None, as_json: JsonOpt = False,
) -> None:
    """Coding query: units with M2 AND M5 (or --any), --not F3, in the same sentence or --near N; --save NAME to
    keep it, --saved NAME to run it again, --list to see the saved ones."""
    from rich.table import Table

    from coding.assignments import visible_documents
    from coding.cli_login import acting_user
    from coding.coding_query import CodingQuery, run_query

    from coding.saved_queries import save_query, saved_queries

    if apply and not code:
        raise BaolianError("--apply needs --code", field="--apply", hint="name the code to apply, e.g. --code M4")
    p, sel = _open_selection(project, coder, pending, False, final, where)
    user = acting_user(p)
    stored = saved_queries(p)
    if list_saved:
        if as_json:
            _print_json({name: q.describe() for name, q in stored.items()})
        for name, q in ([] if as_json else stored.items()):
            out.print(f"{name}: {q.describe()}")
        return
    if saved is not None:
        if codes:
            raise BaolianError("give codes or --saved, not both", field="--saved", hint="drop the codes to run it")
        if saved not in stored:
            raise BaolianError(f"no saved query {saved!r}", field="--saved",
                               hint=f"saved: {', '.join(stored) or 'none (save one with --save NAME)'}")
        asked = stored[saved]
    else:
        asked = CodingQuery.of(codes or (), match="any" if any_code else "all", exclude=exclude or (), level=level,
                               near=near, roles=roles or ())
    if save is not None:
        if not user:
            raise BaolianError("saving a query needs a coder name", field="--user",
                               hint="run as baolian --user NAME query … --save NAME")
        out.print(f"💾 已保存查询 saved: {save_query(p, save, asked, coder=user)}")
    if apply and not user:
        raise BaolianError("coding needs a coder name", field="--user", hint="run as baolian --user NAME query …")
    if apply:  # a blinded coder codes only in their assigned documents
        visible = {d.id for d in visible_documents(p, user)}
        sel["documents"] = [d for d in sel.get("documents", visible) if d in visible]
    found = run_query(p, asked, **sel, code=code, code_coder=user)
    if apply:
        code_found(p, found, code, user, query=f"coding query: {asked.describe()}", noun="units")
        return
    if as_json:
        _print_json({"query": asked.describe(), **_meta(sel), "rows": found.to_dict(orient="records")})
        return
    marks = bool(code and user)
    table = Table("document", "start", "end", "speaker", "role", "codes", "near", "text", *(["coded"] if marks else []),
                  title=f"编码查询 Coding query: {asked.describe()}")
    for r in found.itertuples():
        table.add_row(*(str(v) for v in (r.document, r.start, r.end, r.speaker, r.speaker_role, r.codes, r.near, r.text)),
                      *(["✓" if r.coded else ""] if marks else []))
    out.print(table)
    out.print(f"{len(found)} units", markup=False)


def register(app: typer.Typer) -> None:
    """Add `query` to the `baolian` app."""
    app.command("query")(query)
