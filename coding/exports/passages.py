"""Passages found by a search or a coding query, as a table for a paper (Word): each passage with its document
and speaker, in document order, as authors quote them; the search or query and the codebook in the notes."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from coding.exports.paper import PaperTable, _shorten, _table
from coding.exports.tables import project_label


def passages_table(found: pd.DataFrame, *, caption: str, asked: str) -> PaperTable:
    """``found`` (document, speaker, text, and codes for a coding query) as a numbered table of quotes."""
    frame = found.reset_index(drop=True).assign(
        rank=range(1, len(found) + 1), quote=[_shorten(str(t)) for t in found["text"]],
        speaker=found["speaker"] if "speaker" in found.columns else "",
        codes=found["codes"] if "codes" in found.columns else "")
    with_codes = "codes" in found.columns
    columns = ["序号", "引语", "来源文档", "说话人"] + (["编码"] if with_codes else [])
    fields = ["rank", "quote", "document", "speaker"] + (["codes"] if with_codes else [])
    widths = [0.06, 0.56, 0.2, 0.1] + ([0.08] if with_codes else [])
    notes = f"{asked}；共 {len(found)} 处，按文档顺序；超过 300 字的引语截断。"
    return _table("passages", caption, columns, frame, fields, notes, widths, [True] + [False] * (len(columns) - 1))


def passages_docx(project, found: pd.DataFrame, *, caption: str, asked: str) -> bytes:
    """The Word document of :func:`passages_table`, with the export's metadata, as bytes (for a download)."""
    from coding.exports.docx import write

    if "speaker" not in found.columns and not found.empty:  # a search's passages: the speaker of their sentence
        from coding.analysis_data import attach_speakers, segments_frame

        found = attach_speakers(found, segments_frame(project))
    codebook = project.codebook()
    meta = {"project": project_label(project), "codebook": codebook.title if codebook else "—",
            "codebook_version": codebook.version if codebook else "—", "query": asked,
            "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "software": "Baolian 包联"}
    with tempfile.TemporaryDirectory() as folder:
        path = write([passages_table(found, caption=caption, asked=asked)], meta, Path(folder) / "passages.docx")
        return path.read_bytes()
