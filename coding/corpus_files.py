"""Which files an import covers: folders walked in name order, hidden, Office lock, data and junk files skipped;
and path checks that answer instead of raising when a path cannot be looked at (no read permission), so that
reading the file later gives the reason. Pure: no database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

JUNK = frozenset({"Thumbs.db", "desktop.ini"})
# Data files that live beside documents (manifests, gold codings, exports): never documents themselves.
DATA_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".tsv", ".csv")


def _answer(test: Callable[[Path], bool], path: Path, otherwise: bool) -> bool:
    try:
        return test(path)
    except OSError:
        return otherwise


def is_dir(path: Path) -> bool:
    """``path.is_dir()``, False when it cannot be looked at."""
    return _answer(Path.is_dir, path, False)


def is_file(path: Path) -> bool:
    """``path.is_file()``, False when it cannot be looked at."""
    return _answer(Path.is_file, path, False)


def exists(path: Path) -> bool:
    """``path.exists()``, True when it cannot be looked at (it may well be there)."""
    return _answer(Path.exists, path, True)


def walk(folder: Path, refuse: Callable[[Path, str], None]) -> Iterator[Path]:
    """Files under ``folder``, sorted by name at each level; hidden, Office lock, data and junk files skipped.

    A folder that cannot be listed (no read permission) is passed to ``refuse`` with the reason and skipped.
    """
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        refuse(folder, f"cannot open the folder: {exc.strerror or exc} (check that you may read it, e.g. chmod u+rx, "
                       "or leave it out)")
        return
    for entry in entries:
        if entry.name.startswith((".", "~$")) or entry.name in JUNK:
            continue
        if is_dir(entry):
            if not entry.is_symlink():
                yield from walk(entry, refuse)
        elif entry.suffix.lower() not in DATA_SUFFIXES:
            yield entry
