"""CLI command `search`: the passages where any of a few words occurs (whole jieba words), listed, or coded with
`--code KEY --apply` as the acting user in one batch that `baolian undo` takes back. Registered by
:func:`register`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from coding.cli_login import acting_user
from coding.cli_shared import JsonOpt, ProjectOpt, _open, _print_json, code_found, out
from coding.errors import BaolianError


def search(
    words: Annotated[list[str], typer.Argument(help="Words or phrases; a passage with any of them is found.",
                                               show_default=False)],
    unit: Annotated[str, typer.Option("--unit", help="What is found and coded: sentence | paragraph | hit (the "
                                      "words themselves).")] = "sentence",
    code: Annotated[Optional[str], typer.Option("--code", help="Mark passages already coded with this code by "
                                                "you (--user); with --apply, code the others.",
                                                show_default=False)] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Code the passages found with --code, as --user.")] = False,
    every: Annotated[bool, typer.Option("--all", help="Passages with every word (in the same sentence or "
                                        "paragraph), not any.")] = False,
    inside: Annotated[bool, typer.Option("--inside", help="Also inside longer words (包联 in 包联领导): a plain "
                                         "string search.")] = False,
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find passages by whole jieba words (包联 does not match inside 包联领导, unless --inside); with --code KEY
    --apply, code them."""
    from rich.table import Table

    from coding.assignments import visible_documents
    from coding.search_coding import find_passages

    if apply and not code:
        raise BaolianError("--apply needs --code", field="--apply", hint="name the code to apply, e.g. --code M4")
    p = _open(project)
    user = acting_user(p)
    if apply and not user:
        raise BaolianError("coding needs a coder name", field="--user", hint="run as baolian --user NAME search …")
    query = " ".join(words)
    docs = [d.id for d in visible_documents(p, user)] if user else None
    found = find_passages(p, query, unit=unit, match="all" if every else "any", code=code, coder=user, documents=docs,
                          inside_words=inside)
    if apply:
        code_found(p, found, code, user, query=query, noun="passages")
        return
    if as_json:
        _print_json(found.to_dict(orient="records"))
        return
    table = Table("document", "start", "end", "hits", "terms", "text", *(["coded"] if code and user else []))
    for r in found.itertuples():
        table.add_row(*(str(v) for v in (r.document, r.start, r.end, r.hits, r.terms, r.text)),
                      *(["✓" if r.coded else ""] if code and user else []))
    out.print(table)
    out.print(f"{len(found)} passages, {int(found['hits'].sum()) if len(found) else 0} hits", markup=False)


def register(app: typer.Typer) -> None:
    """Add `search` to the `baolian` app."""
    app.command("search")(search)
