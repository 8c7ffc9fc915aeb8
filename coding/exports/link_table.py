"""The ``links`` table of the CSV and XLSX exports: every link between two passages (ATLAS.ti's hyperlinks, MAXQDA's
links) with both passages' document, span and text, its label and coder, as analysts list them beside the coded
segments."""

from __future__ import annotations

import pandas as pd

LINK_COLUMNS = ["link", "label", "source_document_id", "source_document", "source_start", "source_end",
                "source_text", "target_document_id", "target_document", "target_start", "target_end", "target_text",
                "coder", "created_at"]


def link_table(project, filters, *, as_user: str | None = None) -> pd.DataFrame:
    """Links of live documents, oldest first: only ``filters.coder``'s when set, only ``as_user``'s own while
    blinded, with an end in the chosen documents when ``filters.documents`` is set; the whole passage texts
    (code points ``start``–``end``)."""
    from coding.segment_links import links

    texts: dict[int, str] = {}

    def text(document_id: int, start: int, end: int) -> str:
        if document_id not in texts:
            texts[document_id] = project.document_text(document_id)
        return texts[document_id][start:end]

    rows = []
    for x in links(project, as_user=as_user):
        if filters.coder is not None and x.coder != filters.coder:
            continue
        if filters.documents is not None and not {x.source.document_id, x.target.document_id} & set(filters.documents):
            continue
        rows.append([x.id, x.label, x.source.document_id, x.source.title, x.source.start, x.source.end,
                     text(x.source.document_id, x.source.start, x.source.end), x.target.document_id, x.target.title,
                     x.target.start, x.target.end, text(x.target.document_id, x.target.start, x.target.end),
                     x.coder, x.created_at])
    return pd.DataFrame(rows, columns=LINK_COLUMNS)
