"""Backing a project up to one file and restoring it.

SQLite projects are copied with SQLite's online backup API (``sqlite3.Connection.backup``), which
is safe while the app or other coders keep working: the copy is one consistent state. PostgreSQL
projects are dumped with ``pg_dump -Fc`` and restored with ``pg_restore`` in one transaction.

A restore never overwrites a project that holds data unless asked to (``force``).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from coding.errors import BaolianError, StoreError
from coding.migrate import project_checksums, tables
from coding.store.db import make_engine, open_engine, project_url, sqlite_path

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupReport:
    project: str
    file: str
    kind: str  # 'sqlite' | 'pg_dump'
    bytes: int
    rows: dict[str, int]

    def as_dict(self) -> dict:
        return {"project": self.project, "file": self.file, "kind": self.kind, "bytes": self.bytes,
                "rows": self.rows}


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL client program (pg_dump, pg_restore), found as tests/pgserver.py finds initdb."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise StoreError(f"{name} not found: PostgreSQL projects are backed up with PostgreSQL's own tools",
                     hint="install the PostgreSQL client programs (e.g. `apt-get install postgresql-client`)")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for ``url`` (without the password) and the environment carrying the password."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        message = (proc.stderr or proc.stdout).strip().splitlines()
        raise StoreError(f"{what} failed: {message[-1] if message else f'exit {proc.returncode}'}",
                         hint="check that the server runs and that the user may read/write the database")


def _rows(location) -> dict[str, int]:
    return {name: n for name, (n, _) in project_checksums(location).items()}


def backup(location, out: str | os.PathLike) -> BackupReport:
    """Write a backup of the project at ``location`` to the file ``out`` (replaced when it exists)."""
    url = project_url(location)
    out = Path(out).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(url)
    open_engine(url).dispose()  # a clear error when there is no project; schema brought up to date
    fd, tmp = tempfile.mkstemp(prefix=".baolian-backup-", dir=out.parent)
    os.close(fd)
    try:
        if path is not None:
            kind = "sqlite"
            _sqlite_copy(path, Path(tmp))
        elif url.startswith("postgresql"):
            kind = "pg_dump"
            uri, env = _libpq(url)
            _run([pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", tmp, "-d", uri], env, "pg_dump")
        else:
            raise StoreError(f"cannot back up a {url.split(':', 1)[0]} project", hint="SQLite and PostgreSQL only")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    rows = _rows(url)
    return BackupReport(url if path is None else str(path), str(out), kind, out.stat().st_size, rows)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Online backup of one SQLite file into another (the target becomes a self-contained file)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.commit()
    except sqlite3.Error as exc:
        raise StoreError(f"the SQLite backup failed: {exc}", file=source) from exc
    finally:
        dst.close()
        src.close()


def backup_kind(file: str | os.PathLike) -> str:
    """'sqlite' or 'pg_dump', read from the file's first bytes."""
    file = Path(file)
    if not file.is_file():
        raise BaolianError("no such backup file", file=file, hint="give the file `baolian backup --out` wrote")
    with file.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pg_dump"
    raise BaolianError("not a Baolian backup (neither a SQLite file nor a pg_dump archive)", file=file,
                       hint="give the file `baolian backup --out` wrote")


def nonempty_tables(url: str) -> list[str]:
    """Project tables holding rows at ``url`` (none when the project or its schema does not exist yet)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return []
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return [t.name for t in tables()
                    if t.name in present and conn.execute(select(func.count()).select_from(t)).scalar()]
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the project to restore into: {getattr(exc, 'orig', exc)}",
                         file=path or url, hint="check the path or URL (the database must exist)") from exc
    finally:
        engine.dispose()


def restore(file: str | os.PathLike, location, *, force: bool = False) -> BackupReport:
    """Restore the backup ``file`` into the project at ``location``; refuses a project with data unless ``force``."""
    kind = backup_kind(file)
    url = project_url(location)
    path = sqlite_path(url)
    if kind == "sqlite" and path is None:
        raise BaolianError("this is a SQLite backup; restore it into a .sqlite project", field="--project",
                           hint="restore to a .sqlite path, then `baolian migrate --from it --to URL`")
    if kind == "pg_dump" and not url.startswith("postgresql"):
        raise BaolianError("this is a PostgreSQL (pg_dump) backup; restore it into a PostgreSQL database",
                           field="--project",
                           hint="restore into an empty PostgreSQL database, then `baolian migrate` to SQLite")
    busy = nonempty_tables(url)
    if busy and not force:
        raise BaolianError(f"the project already holds data (rows in {', '.join(busy)})", field="--project",
                           hint="restore into a new project, or pass --force to replace its contents")
    if kind == "sqlite":
        path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_restore(Path(file), path)
    else:
        uri, env = _libpq(url)
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", "-d", uri, str(Path(file).resolve())], env, "pg_restore")
    open_engine(url).dispose()  # an older backup is brought up to the current schema
    size = Path(file).stat().st_size
    return BackupReport(url if path is None else str(path), str(Path(file).resolve()), kind, size, _rows(url))


def _sqlite_restore(backup_file: Path, target: Path) -> None:
    """Copy the backup into the target with the backup API: one atomic replacement of the target's pages."""
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
        dst.commit()
    except sqlite3.Error as exc:
        raise StoreError(f"the SQLite restore failed: {exc}", file=target,
                         hint="is another program writing to the project? close it and try again") from exc
    finally:
        dst.close()
        src.close()
