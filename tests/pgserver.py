"""A throwaway PostgreSQL server for the test suite (`pytest --db=postgresql`).

Uses BAOLIAN_TEST_PG_URL when set (a server URL whose user may CREATE DATABASE);
otherwise starts a private cluster with the machine's initdb/pg_ctl on a free
port in a temporary folder, and stops it at the end. As root, the server runs as
the `postgres` system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


class Unavailable(RuntimeError):
    """No PostgreSQL server can be had on this machine."""


def _bindir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise Unavailable("no initdb found (install PostgreSQL, e.g. `apt-get install postgresql`)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self) -> None:
        self.url = os.environ.get("BAOLIAN_TEST_PG_URL")
        self._folder: Path | None = None
        self._as: list[str] = []

    def start(self) -> str:
        if self.url:
            return self.url
        bindir = _bindir()
        self._folder = Path(tempfile.mkdtemp(prefix="baolian-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self._folder, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        data, port = self._folder / "data", _free_port()
        self._run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--no-locale"])
        self._run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(self._folder / "log"), "-w", "start",
                   "-o", f"-h 127.0.0.1 -p {port} -k {self._folder} -c fsync=off -c full_page_writes=off"])
        self._pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        return self.url

    def _run(self, argv: list[str]) -> None:
        proc = subprocess.run([*self._as, *argv], capture_output=True, text=True)
        if proc.returncode != 0:
            raise Unavailable(f"{Path(argv[0]).name} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    def stop(self) -> None:
        if self._folder is None:
            return
        subprocess.run([*self._as, *self._pg_ctl], capture_output=True)
        shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None

    def new_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        from sqlalchemy import create_engine, text

        name = f"t_{uuid.uuid4().hex[:16]}"
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
        engine.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"
