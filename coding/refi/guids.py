"""Stable REFI-QDA GUIDs: uuid5 of project-stable keys, always written in upper case.

The same content gives the same GUID in every export (and in every project): a code by its key,
a user by name, a document by the SHA-256 of its text, a coding by document, span, code, coder and layer.
"""

from __future__ import annotations

import re
import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://baolian.invalid/refi-qda")
GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")

# The adjudicated ('final') layer is exported as the selections of this pseudo-user, so that other programs
# show it as one more coder and a re-import puts it back on the 'final' layer.
FINAL_USER_NAME = "最终编码 final (adjudicated)"


def guid(kind: str, *parts: object) -> str:
    """Upper-case GUID for ``kind`` (code, user, source, ...) and its identifying parts."""
    key = "\x1f".join([kind, *(str(p) for p in parts)])
    return str(uuid.uuid5(NAMESPACE, key)).upper()


FINAL_USER_GUID = guid("user-final-layer")


def normal(value: str | None) -> str | None:
    """A GUID as compared here: braces dropped, upper case (tools differ in both)."""
    if value is None:
        return None
    match = GUID_RE.match(value.strip())
    return match.group(1).upper() if match else value.strip().upper()


def code_guid(key: str) -> str:
    return guid("code", key)


def user_guid(name: str) -> str:
    return guid("user", name)


def source_guid(sha256: str) -> str:
    return guid("source", sha256)
