"""REFI-QDA interchange (QDA-XML 1.0): ``.qdc`` codebooks and ``.qdpx`` projects, export and import.

Positions in ``PlainTextSelection`` are Unicode code points of the stored document text (``\\n`` line
endings, no BOM). See docs/refi-qda.md.
"""

from coding.refi.export import export_qdpx
from coding.refi.export_codebook import export_qdc
from coding.refi.importer import RefiImportReport, import_refi, import_refi_upload

__all__ = ["RefiImportReport", "export_qdc", "export_qdpx", "import_refi", "import_refi_upload"]
