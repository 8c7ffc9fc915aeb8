"""CLI commands `link add`, `link remove` and `link list`: links between two passages (ATLAS.ti's hyperlinks,
MAXQDA's links), over :mod:`coding.segment_links`. A passage is ``DOC:START-END`` (code points, as `baolian
segments DOC` shows them) or ``DOC:sentence:N`` / ``DOC:paragraph:N`` (the segment numbered N there).
Registered by :func:`register`."""

from __future__ import annotations

import re
from typing import Annotated, Optional

import typer

from coding.cli_login import acting_user
from coding.cli_shared import JsonOpt, ProjectOpt, _open, _print_json, check_unit, out
from coding.errors import BaolianError

link_app = typer.Typer(no_args_is_help=True, help="Links between passages (链接): add, remove, list.")
PassageArg = Annotated[str, typer.Argument(help="DOC:START-END or DOC:sentence:N (DOC: id, title or file name).",
                                           show_default=False)]
_SPAN = re.compile(r"^(?P<doc>.+):(?P<start>\d+)-(?P<end>\d+)$")
_UNIT = re.compile(r"^(?P<doc>.+):(?P<unit>paragraph|sentence|turn):(?P<index>\d+)$")


def passage(p, spec: str, field: str):
    """The :class:`coding.segment_links.Passage` a command-line ``spec`` names."""
    from coding.segment_links import Passage

    if m := _SPAN.match(spec.strip()):
        return Passage(p.find_document(m["doc"]).id, int(m["start"]), int(m["end"]))
    if m := _UNIT.match(spec.strip()):
        check_unit(m["unit"])
        doc = p.find_document(m["doc"])
        found = next((s for s in p.segments(doc.id, m["unit"]) if s.index == int(m["index"])), None)
        if found is None:
            raise BaolianError(f"{doc.title!r} has no {m['unit']} #{m['index']}", field=field,
                               hint=f"see the numbers with `baolian segments {doc.id} --unit {m['unit']}`")
        return Passage(doc.id, found.start, found.end)
    raise BaolianError(f"cannot read the passage {spec!r}", field=field,
                       hint="write DOC:START-END (e.g. 3:120-168) or DOC:sentence:N (e.g. 3:sentence:12)")


@link_app.command("add")
def add(source: PassageArg, target: PassageArg, project: ProjectOpt = None,
        label: Annotated[str, typer.Option("--label", help="e.g. 解释 explains, 矛盾 contradicts.")] = "") -> None:
    """Link one passage to another. `baolian undo` takes it back."""
    from coding.segment_links import add_link

    p = _open(project)
    link_id = add_link(p, passage(p, source, "source"), passage(p, target, "target"), label=label,
                       coder=acting_user(p))
    out.print(f"🔗 链接 link #{link_id} saved", markup=False)


@link_app.command("remove")
def remove(link: Annotated[int, typer.Argument(help="Link id (# in `baolian link list`).", show_default=False)],
           project: ProjectOpt = None) -> None:
    """Remove your link (an admin: any link). `baolian undo` puts it back."""
    from coding.segment_links import remove_link

    p = _open(project)
    remove_link(p, link, coder=acting_user(p))
    out.print(f"🗑 链接 link #{link} removed (undo: baolian undo)", markup=False)


@link_app.command("list")
def list_(project: ProjectOpt = None, as_json: JsonOpt = False,
          document: Annotated[Optional[str], typer.Option("--document", "-d", help="Only links with an end here.",
                                                          show_default=False)] = None) -> None:
    """Links, oldest first (in blind mode a coder sees only their own), with both passages."""
    from dataclasses import asdict

    from rich.table import Table

    from coding.segment_links import links

    p = _open(project)
    found = links(p, document_id=p.find_document(document).id if document else None, as_user=acting_user(p))
    if as_json:
        _print_json([{**asdict(x), "created_at": x.created_at.isoformat()} for x in found])
        return
    table = Table("#", "from", "to", "label", "coder")
    for x in found:
        table.add_row(str(x.id), f"{x.source.title} {x.source.start}–{x.source.end}\n{x.source.text}",
                      f"{x.target.title} {x.target.start}–{x.target.end}\n{x.target.text}", x.label, x.coder or "")
    out.print(table)
    out.print(f"{len(found)} links", markup=False)


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
    app.add_typer(link_app, name="link")
