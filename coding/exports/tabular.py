"""CSV and XLSX exports: every table as data (one CSV file / one worksheet per table).

Tables, in order (CSV file name = sheet name + ``.csv``):

``metadata`` (codebook, version, filters, date), ``frequencies`` (per code: segments, share in per cent,
documents, characters), ``frequencies_by_kind``, ``_by_speaker_role``, ``_by_case``, ``_by_coder`` (long form
from :func:`coding.analysis.code_frequencies`, shares in per cent), ``matrix`` (code × document),
``cooccurrence`` / ``cooccurrence_paragraph`` (code × code in the same sentence / paragraph: count, Jaccard),
``segments`` (every coded segment with document, speaker, code, coder, status), ``quotes``, ``coding_levels``,
``memos`` (every memo with what it is on, the segment's text, code, coder and times), ``summaries`` (documents ×
codes: each coder's summary, :func:`coding.summaries.summary_table`), ``codebook``, ``relations`` (between codes:
source, label, target, direction, note).

XLSX: every text cell is stored as text, never as a formula or an error value (a segment that begins with
``=``, ``+``, ``-`` or ``@`` is shown as written and Excel does not evaluate it, also after editing the cell);
characters a worksheet cannot hold (C0 controls, U+FFFE, U+FFFF) become spaces; a text longer than Excel's
32,767 characters per cell (counted in UTF-16 units, as Excel counts) is cut with a visible marker — the
CSV export and ``start``/``end`` give the whole text. CSV keeps every text exactly as stored.

CSV: when ``out`` is an existing folder, one UTF-8 CSV per table is written into it (with a BOM so that
Excel reads the Chinese text); otherwise ``out`` is a zip archive holding the same files.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from coding.exports.tables import Tables, metadata_frame
from coding.normalise import XML_INVALID

SHEETS = ["metadata", "frequencies", "frequencies_by_kind", "frequencies_by_speaker_role", "frequencies_by_case",
          "frequencies_by_coder", "matrix", "cooccurrence", "cooccurrence_paragraph", "segments", "quotes",
          "coding_levels", "documents", "memos", "links", "summaries", "codebook", "relations"]
NUMBER_FORMATS = {"jaccard": "0.000"}  # and "0.0" for every *_pct column (shares in per cent)
EXCEL_MAX = 32767  # characters per cell, counted by Excel in UTF-16 code units
_FORMULA_START = ("=", "+", "-", "@")  # what Excel reads as the start of a formula when a cell is entered


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _fit(text: str) -> str:
    """``text`` cut to what one Excel cell holds, ending in a marker that says so (never inside a character)."""
    if len(text) <= EXCEL_MAX // 2 or _utf16_len(text) <= EXCEL_MAX:
        return text
    marker = f"……［截断 truncated: {len(text)} characters in all; full text in the CSV export］"
    room = EXCEL_MAX - _utf16_len(marker)
    cut, used = 0, 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > room:
            break
        cut += 1
    return text[:cut] + marker


def _cell_text(value: str) -> str:
    return _fit(XML_INVALID.sub(" ", value))


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
        elif out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):  # pandas 3: "str"
            out[column] = out[column].map(lambda v: _cell_text(v) if isinstance(v, str) else v)
    out.columns = [_cell_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def _as_text(sheet) -> None:
    """Text cells stay text: openpyxl turns a string starting with ``=`` into a formula and ``#N/A`` into an
    error value; both are stored as strings here, and strings Excel would read as a formula when the cell is
    edited get the quote prefix (shown as written, kept as text)."""
    for row in sheet.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str):
                continue
            if cell.data_type in ("f", "e"):
                cell.data_type = "s"
            if cell.value.startswith(_FORMULA_START):
                cell.quotePrefix = True


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
            _as_text(sheet)
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
