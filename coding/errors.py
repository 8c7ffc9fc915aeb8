"""User-facing errors.

Every error a user can cause is a :class:`BaolianError`. It names where the
problem is (file, line, field) and what to do about it, so that shells (CLI,
app) can print one clear line instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class BaolianError(Exception):
    """An error caused by input the user can fix.

    ``str(err)`` gives ``file:line: field: message (hint)`` with the parts
    that are known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.hint = hint

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(self.field)
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class CodebookError(BaolianError):
    """The codebook file is malformed or inconsistent."""


class ImportProblem(BaolianError):
    """A document cannot be imported."""


class StoreError(BaolianError):
    """The project database cannot be opened or changed as asked."""
