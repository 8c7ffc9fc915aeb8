"""The ``memos`` table of the CSV and XLSX exports: every memo with where it is (document, segment and its
text, code) and who wrote it when, as NVivo and MAXQDA users export their memos to read them beside the data."""

from __future__ import annotations

import pandas as pd

MEMO_COLUMNS = ["memo", "document_id", "document", "on", "unit", "start", "end", "segment_text", "code", "coder",
                "created_at", "updated_at", "text"]


def memo_table(project, filters, *, as_user: str | None = None) -> pd.DataFrame:
    """Memos, oldest first: only ``filters.coder``'s when set (as in blind mode), only ``as_user``'s own while
    blinded, none on a code left out by ``filters.codes``, none of a document in the trash. ``on`` says what the memo is on: coding, code, the
    segment's unit (sentence, paragraph, turn), document or project; ``start``/``end`` are code points."""
    from coding.exports.tables import expand_codes
    from coding.memos import memo_target, memos

    documents = {d.id: d.title for d in project.documents()}
    keep = expand_codes(project.codebook(), filters.codes)
    texts: dict[int, str] = {}
    rows = []
    for m in memos(project, as_user=as_user):
        if filters.coder is not None and m["coder"] != filters.coder:
            continue
        if m["document_id"] is not None and m["document_id"] not in documents:
            continue
        if filters.documents is not None and m["document_id"] is not None and m["document_id"] not in filters.documents:
            continue  # an export of chosen documents: their memos, and those on codes and the project
        if keep is not None and m["code"] is not None and m["code"] not in keep:
            continue
        segment_text = None
        if m["start"] is not None:
            if m["document_id"] not in texts:
                texts[m["document_id"]] = project.document_text(m["document_id"])
            segment_text = texts[m["document_id"]][m["start"]:m["end"]]
        rows.append([m["id"], m["document_id"], documents.get(m["document_id"]), memo_target(m), m["unit"],
                     m["start"], m["end"], segment_text, m["code"], m["coder"], m["created_at"], m["updated_at"],
                     m["text"]])
    frame = pd.DataFrame(rows, columns=MEMO_COLUMNS)
    for column in ("document_id", "start", "end"):
        frame[column] = frame[column].astype("Int64")
    for column in ("created_at", "updated_at"):  # stored in UTC; SQLite gives them back without a zone
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
