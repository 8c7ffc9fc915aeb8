"""The REFI-QDA XML schemas (shipped in ``coding/data/refi-qda``) and validation with lxml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from coding.errors import BaolianError

DATA = Path(__file__).resolve().parent.parent / "data" / "refi-qda"
PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMA_FILES = {PROJECT_NS: "Project-mrt2019.xsd", CODEBOOK_NS: "Codebook.xsd"}


class RefiError(BaolianError):
    """A REFI-QDA file that cannot be read or imported."""


@lru_cache(maxsize=None)
def schema(namespace: str) -> etree.XMLSchema:
    """The compiled XSD for the project or codebook namespace."""
    return etree.XMLSchema(etree.parse(str(DATA / SCHEMA_FILES[namespace])))


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse XML bytes safely (no entities, no network); a syntax error names the line."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        line = err.position[0] if err.position else None
        raise RefiError(f"not well-formed XML: {err.msg}", file=where, line=line,
                        hint="the file is damaged or not a REFI-QDA file; export it again") from None


def validate(root: etree._Element, where: str) -> str:
    """Check ``root`` against its schema; return the namespace. Errors name the line and the schema's message."""
    namespace = etree.QName(root).namespace
    if namespace not in SCHEMA_FILES:
        raise RefiError(f"root element {etree.QName(root).localname!r} in namespace {namespace!r} is not "
                        "a REFI-QDA project or codebook", file=where, line=root.sourceline,
                        hint=f"expected namespace {PROJECT_NS} (project.qde) or {CODEBOOK_NS} (.qdc)")
    xsd = schema(namespace)
    if not xsd.validate(root):
        first = xsd.error_log[0]
        raise RefiError(f"does not validate against {SCHEMA_FILES[namespace]}: {first.message}",
                        file=where, line=first.line,
                        hint="fix the element named here, or export the file again from its program")
    return namespace


def validate_bytes(data: bytes, where: str = "<xml>") -> str:
    """Parse and validate; return the namespace (used by the tests on exported files)."""
    return validate(parse_xml(data, where), where)
