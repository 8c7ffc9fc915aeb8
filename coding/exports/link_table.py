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

    chosen = set(filters.documents) if filters.documents is not None else None
    rows = []
    for x in links(project, as_user=as_user, excerpt=None):  # whole passages, from the rows links() reads
        if filters.coder is not None and x.coder != filters.coder:
            continue
        if chosen is not None and not {x.source.document_id, x.target.document_id} & chosen:
            continue
        rows.append([x.id, x.label, x.source.document_id, x.source.title, x.source.start, x.source.end,
                     x.source.text, x.target.document_id, x.target.title, x.target.start, x.target.end,
                     x.target.text, x.coder, x.created_at])
    return pd.DataFrame(rows, columns=LINK_COLUMNS)
