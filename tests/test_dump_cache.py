"""The codebook's canonical YAML kept on disk between runs: read back for the same content and writer, made anew
for other content, and no cache (but the same YAML) where the folder cannot be written."""

from __future__ import annotations

import pytest

from coding.codebook import load_codebook
from coding.codebook import dump_cache
from coding.codebook import io as codebook_io

from .conftest import CODEBOOK


@pytest.fixture
def codebook(monkeypatch, tmp_path):
    monkeypatch.setenv("BAOLIAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(codebook_io, "_DUMPS", {})  # nothing remembered in this process
    return load_codebook(CODEBOOK)


def test_a_dump_is_read_back_from_disk(codebook, monkeypatch):
    first = codebook_io.dump_codebook(codebook)
    assert first == codebook_io._dump(codebook)
    assert len(list(dump_cache.folder().glob("*.yaml"))) == 1
    codebook_io._DUMPS.clear()

    def no_emitter(_codebook):
        raise AssertionError("the YAML was emitted again")

    monkeypatch.setattr(codebook_io, "_dump", no_emitter)
    assert codebook_io.dump_codebook(codebook) == first  # from the file
    changed = codebook.model_copy(update={"version": "9.9.9"})
    with pytest.raises(AssertionError, match="emitted again"):
        codebook_io.dump_codebook(changed)  # other content: another key


def test_without_a_writable_folder_the_dump_is_made_each_time(codebook, monkeypatch, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    monkeypatch.setenv("BAOLIAN_CACHE_DIR", str(blocked))
    assert codebook_io.dump_codebook(codebook) == codebook_io._dump(codebook)
    assert codebook.fingerprint() == load_codebook(CODEBOOK).fingerprint()


def test_old_dumps_are_pruned(codebook, monkeypatch):
    monkeypatch.setattr(dump_cache, "KEEP", 3)
    for n in range(5):
        dump_cache.cached(f"key {n}", lambda n=n: f"text {n}")
    kept = sorted(p.read_text(encoding="utf-8") for p in dump_cache.folder().glob("*.yaml"))
    assert len(kept) == 3 and "text 4" in kept
