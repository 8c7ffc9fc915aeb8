"""The ``documents`` table of the CSV and XLSX exports: one row per document with what is known about it (kind,
date, source, file, size, cases, participants) and its document variables, keyed by the document_id the other
tables use, so that analysts can join them in Excel, R or Stata."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

DOCUMENT_COLUMNS = ["document_id", "document", "kind", "date", "source", "filename", "characters", "sentences",
                    "cases", "participants"]


def document_table(project, documents: Collection[int] | None = None) -> pd.DataFrame:
    """Live documents (only ``documents`` when given) in id order; cases joined with "、", participants as
    "name（role）"; then one column per document variable (empty where a document has none; numbers and dates of
    typed variables as numbers and dates)."""
    from coding.variable_types import cell_value, variable_types

    docs = project.documents()
    types = variable_types(project)
    names = list(dict.fromkeys(name for d in docs for name in d.variables))  # in the order they first appear
    columns = {name: f"{name} (variable)" if name in DOCUMENT_COLUMNS else name for name in names}
    rows = [{"document_id": d.id, "document": d.title, "kind": d.kind, "date": d.date, "source": d.source,
             "filename": d.filename, "characters": d.n_chars, "sentences": d.n_sentences,
             "cases": "、".join(map(str, d.cases or [])),
             "participants": "、".join(f"{p.get('name', '')}（{p['role']}）" if p.get("role") else str(p.get("name", ""))
                                      for p in d.participants or []),
             **{columns[name]: cell_value(types.get(name, "text"), d.variables.get(name)) for name in names}}
            for d in docs if documents is None or d.id in set(documents)]
    return pd.DataFrame(rows, columns=[*DOCUMENT_COLUMNS, *columns.values()])
