"""Code line (编码分布): where in one document each code is, paragraph by paragraph (or sentence by sentence), as
MAXQDA's Codeline and NVivo's coding stripes show the course of an interview: the leader's visits (M2) early, the
tailored plan (M5) late. Read-only, pandas; drawn by :func:`coding.charts.code_line_chart`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from coding.analysis_data import codes_frame, document_texts, overlapped_units, segments_frame, selected_codings
from coding.errors import BaolianError

LEVELS = {"paragraph": "段 paragraph", "sentence": "句 sentence"}
COLUMNS = ["code", "label", "color", "position", "start", "end", "speaker", "text"]
SNIPPET = 60  # characters of the unit's text kept for the tooltip


def code_line(project, document_id: int, *, level: str = "paragraph", status: Iterable[str] = ("accepted",),
              coder: str | None = None, layer: str = "coding", as_user: str | None = None,
              rollup: bool = False) -> tuple[pd.DataFrame, int]:
    """(one row per code and unit of the document that carries it: code, label, color, position (1-based unit
    number), start, end, speaker, text (shortened); the number of units). Codes in codebook order; ``rollup``
    counts sub-codes under their level-1 code (M4.2 -> M4). The other keywords are the analyses' selection."""
    if level not in LEVELS:
        raise BaolianError(f"unknown level {level!r}", field="level", hint=f"use one of: {', '.join(LEVELS)}")
    segs = segments_frame(project, level, documents=[int(document_id)])
    if segs.empty:
        raise BaolianError(f"document #{document_id} has no {level}s", field="document",
                           hint="pick a document of the project (not in the trash)")
    rows = selected_codings(project, status=status, coder=coder, layer=layer, as_user=as_user,
                            documents=[int(document_id)])
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS), len(segs)
    codes = codes_frame(project)
    by_id = codes.set_index("code_id")
    key = by_id["level1"] if rollup else by_id["code"]
    pairs = {(key[code_id], int(pos)) for found, code_id in zip(overlapped_units(rows, segs), rows["code_id"])
             for pos in found}
    info = codes.set_index("code")
    text = document_texts(project, [int(document_id)])[int(document_id)]
    out = []
    for code, pos in pairs:
        start, end = int(segs.at[pos, "start"]), int(segs.at[pos, "end"])
        snippet = " ".join(text[start:end].split())
        out.append((code, info.at[code, "label"], info.at[code, "color"] or "#888888", pos + 1, start, end,
                    segs.at[pos, "speaker"], snippet if len(snippet) <= SNIPPET else snippet[:SNIPPET] + "…"))
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame["_rank"] = frame["code"].map(info["position"])
    frame = frame.sort_values(["_rank", "code", "position"]).drop(columns="_rank").reset_index(drop=True)
    return frame, len(segs)
