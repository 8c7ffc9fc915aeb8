"""CSV and XLSX exports: every table as data (one CSV file / one worksheet per table).

Tables, in order (CSV file name = sheet name + ``.csv``):

``metadata`` (codebook, version, filters, date), ``frequencies`` (per code: segments, share in per cent,
documents, characters), ``frequencies_by_kind``, ``_by_speaker_role``, ``_by_case``, ``_by_coder`` (long form
from :func:`coding.analysis.code_frequencies`, shares in per cent), ``matrix`` (code × document),
``cooccurrence`` / ``cooccurrence_paragraph`` (code × code in the same sentence / paragraph: count, Jaccard),
``segments`` (every coded segment with document, speaker, code, coder, status), ``quotes``, ``coding_levels``,
``codebook``.

CSV: when ``out`` is an existing folder, one UTF-8 CSV per table is written into it (with a BOM so that
Excel reads the Chinese text); otherwise ``out`` is a zip archive holding the same files.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from coding.exports.tables import Tables, metadata_frame

SHEETS = ["metadata", "frequencies", "frequencies_by_kind", "frequencies_by_speaker_role", "frequencies_by_case",
          "frequencies_by_coder", "matrix", "cooccurrence", "cooccurrence_paragraph", "segments", "quotes",
          "coding_levels", "codebook"]
NUMBER_FORMATS = {"jaccard": "0.000"}  # and "0.0" for every *_pct column (shares in per cent)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def frames(t: Tables) -> dict[str, pd.DataFrame]:
    """Sheet name → DataFrame, in :data:`SHEETS` order."""
    found = {
        "metadata": metadata_frame(t.meta),
        "frequencies": t.frequencies.rename(columns={"share": "share_pct"}),
        **t.data,
        "segments": t.segments,
        "quotes": t.quotes,
        "coding_levels": t.levels,
        "codebook": t.codebook,
    }
    return {name: found[name] for name in SHEETS if name in found}


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Strings without the control characters XLSX cannot store."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):  # Excel has no time zones: write UTC as text
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M:%S UTC")
        elif out[column].dtype == object:
            out[column] = out[column].map(lambda v: _ILLEGAL.sub(" ", v) if isinstance(v, str) else v)
    return out


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8-sig")


def write_csv(t: Tables, out: Path) -> Path:
    """A folder of CSV files when ``out`` is an existing folder, else a zip archive at ``out``."""
    tables = frames(t)
    if out.is_dir():
        for name, frame in tables.items():
            (out / f"{name}.csv").write_bytes(_csv_bytes(frame))
        return out
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            archive.writestr(f"{name}.csv", _csv_bytes(frame))
    out.write_bytes(buffer.getvalue())
    return out


def write_xlsx(t: Tables, out: Path) -> Path:
    """One worksheet per table (openpyxl), header row frozen, columns sized to their content."""
    from openpyxl.utils import get_column_letter

    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in frames(t).items():
            _clean(frame).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "A2"
            for i, column in enumerate(frame.columns, start=1):
                longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
                letter = get_column_letter(i)
                sheet.column_dimensions[letter].width = min(60, max(8, longest * 1.6 + 2))
                number_format = NUMBER_FORMATS.get(str(column)) or ("0.0" if str(column).endswith("_pct") else None)
                if number_format:
                    for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                        cell.number_format = number_format
        writer.book.properties.title = "Baolian export"
        writer.book.properties.description = "; ".join(f"{k}={v}" for k, v in t.meta.items())
    return out
