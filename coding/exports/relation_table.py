"""The ``relations`` table of the exports: the codebook's relations between codes (source, label, target,
direction, note; :mod:`coding.codebook_relations`), for the CSV/XLSX data and the paper appendix 附录：编码关系."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from coding.exports.tables import expand_codes

RELATION_COLUMNS = ["source", "source_name", "label", "target", "target_name", "direction", "note"]


def relations_table(codebook, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The codebook's relations between codes (with ``codes``: those touching one of them and its sub-codes)."""
    if codebook is None:
        return pd.DataFrame(columns=RELATION_COLUMNS)
    wanted = expand_codes(codebook, codes)
    names = {c.id: c.name for c in codebook.codes}
    rows = [{"source": r.source, "source_name": names[r.source], "label": r.label, "target": r.target,
             "target_name": names[r.target], "direction": r.direction, "note": r.note or ""}
            for r in codebook.relations if wanted is None or {r.source, r.target} & wanted]
    return pd.DataFrame(rows, columns=RELATION_COLUMNS)
