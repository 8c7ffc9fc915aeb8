"""Opening a project database and bringing its schema up to date.

A project is one SQLite file by default, or any SQLAlchemy URL
(``postgresql+psycopg://user@host/db``) for teams.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from coding.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_PROJECT = "baolian.sqlite"


def project_url(location: str | os.PathLike | None) -> str:
    """Turn a path or URL (or None: $BAOLIAN_PROJECT, else ./baolian.sqlite) into a SQLAlchemy URL."""
    location = location or os.environ.get("BAOLIAN_PROJECT") or DEFAULT_PROJECT
    text = str(location)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see _sqlite_begin), not the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    """Writes take SQLite's write lock at BEGIN (IMMEDIATE), so two writers queue up (busy_timeout)
    instead of one failing when it upgrades a stale read snapshot; reads stay DEFERRED."""
    immediate = conn.get_execution_options().get("sqlite_immediate")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The engine to use for transactions that write."""
    return engine.execution_options(sqlite_immediate=True) if engine.dialect.name == "sqlite" else engine


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, SQLAlchemyError, ImportError) as exc:
        raise StoreError(
            f"cannot use project location {url!r}: {exc}",
            field="--project",
            hint="give a path to a .sqlite file or a URL such as postgresql+psycopg://user@host/db",
        ) from exc
    return engine


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every migration the database lacks (idempotent)."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///"):])


def open_engine(location: str | os.PathLike | None, *, create: bool = False) -> Engine:
    """Connect to a project, creating (if ``create``) and migrating it."""
    url = project_url(location)
    path = sqlite_path(url)
    if path is not None and not path.exists() and not create:
        raise StoreError(
            "no project here",
            file=path,
            hint="create one with `baolian init` or pass --project PATH",
        )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
    except OperationalError as exc:
        raise StoreError(
            f"cannot open the project database: {exc.orig}",
            file=path or url,
            hint="check the path or URL, that the server runs and that you may write there",
        ) from exc
    except SQLAlchemyError as exc:
        raise StoreError(
            f"the project database is not usable: {exc}",
            file=path or url,
            hint="is it a Baolian project? make a new one with `baolian init`",
        ) from exc
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
