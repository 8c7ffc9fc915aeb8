"""The canonical YAML of a codebook kept on disk between runs, keyed by its content: emitting it with ruamel takes
0.3-0.9 s, which every CLI command that compiles the codebook (annotate, evaluate, code) paid at start-up to
fingerprint the rules. The key is the SHA-256 of the model's JSON, the ruamel version and the source of the
module that writes the YAML, so a changed codebook or a changed writer never reads an old dump.

Folder: $BAOLIAN_CACHE_DIR, else $XDG_CACHE_HOME/baolian, else ~/.cache/baolian (codebook-dumps/ below it);
a folder that cannot be written only means no cache. The newest KEEP dumps are kept.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

KEEP = 64


def folder() -> Path:
    base = os.environ.get("BAOLIAN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "baolian")
    return Path(base) / "codebook-dumps"


@lru_cache(maxsize=1)
def _writer_version() -> str:
    import ruamel.yaml

    from coding.codebook import io as writer

    source = Path(writer.__file__).read_bytes()
    return f"{ruamel.yaml.__version__}:{hashlib.sha256(source).hexdigest()}"


def cached(content_key: str, make: Callable[[], str]) -> str:
    """``make()``, or the text it made before for the same ``content_key`` and writer."""
    name = hashlib.sha256(f"{_writer_version()}\n{content_key}".encode("utf-8")).hexdigest() + ".yaml"
    where = folder()
    try:
        return (where / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    text = make()
    try:
        where.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=where, prefix=".dump-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, where / name)
        _prune(where)
    except OSError:
        pass  # no cache: the next run makes the dump again
    return text


def _prune(where: Path) -> None:
    dumps = sorted(where.glob("*.yaml"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in dumps[KEEP:]:
        old.unlink(missing_ok=True)
