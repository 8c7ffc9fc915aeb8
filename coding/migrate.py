"""Moving a whole project between databases (SQLite <-> PostgreSQL) without loss.

Every table of :mod:`coding.store.models` is copied in foreign-key order with its ids, in one
transaction on the destination, which must be an empty project (it is created and migrated to the
current schema first, so its Alembic version is stamped). PostgreSQL sequences are moved past the
copied ids. Before the transaction commits, each table is compared by row count and a content
checksum computed the same way on both sides; any difference rolls the whole copy back.

Datetimes are stored as UTC: SQLite keeps them without a zone (SQLAlchemy writes the wall time), so
naive values read from SQLite are taken as UTC and aware values are converted to UTC before writing.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import JSON, Integer, MetaData, Table, Text, cast, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from coding.errors import BaolianError, StoreError
from coding.store.db import current_revision, head_revision, open_engine, project_url, writer
from coding.store.models import Base

CHUNK = 2000


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    checksum: str


@dataclass
class MigrationReport:
    source: str
    destination: str
    revision: str
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def as_dict(self) -> dict:
        return {"source": self.source, "destination": self.destination, "revision": self.revision,
                "total_rows": self.total_rows,
                "tables": [{"table": t.table, "rows": t.rows, "checksum": t.checksum} for t in self.tables]}


def tables() -> list[Table]:
    """The project's tables, parents before children."""
    return list(Base.metadata.sorted_tables)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _canonical(value):
    """A database-independent form of one value, for checksums."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    return value  # JSON: dicts and lists, dumped with sorted keys below


def _order(table: Table):
    return [c for c in table.primary_key.columns]


def _is_json(column) -> bool:
    return isinstance(column.type, JSON)


def _raw_select(table: Table):
    """All columns, JSON ones as their stored text: SQL NULL and JSON ``null`` stay apart."""
    return select(*[cast(c, Text).label(c.name) if _is_json(c) else c for c in table.columns]) \
        .order_by(*_order(table))


def _json_value(stored: str | None):
    if stored is None:
        return None  # SQL NULL
    value = json.loads(stored)
    return JSON.NULL if value is None else value


_WRITE_TABLES: dict[str, Table] = {}


def _write_table(table: Table) -> Table:
    """``table`` with JSON columns that write None as SQL NULL (JSON null is passed as ``JSON.NULL``)."""
    if table.name not in _WRITE_TABLES:
        copy = table.to_metadata(MetaData())
        for column in copy.columns:
            if _is_json(column):
                column.type = JSON(none_as_null=True)
        _WRITE_TABLES[table.name] = copy
    return _WRITE_TABLES[table.name]


def table_checksum(conn, table: Table) -> tuple[int, str]:
    """(row count, sha256 of every row in primary-key order) of ``table`` on ``conn``."""
    digest, n = hashlib.sha256(), 0
    columns = list(table.columns)
    for row in conn.execute(_raw_select(table)).yield_per(CHUNK):
        values = [({"json": json.loads(row._mapping[c.name])} if row._mapping[c.name] is not None else None)
                  if _is_json(c) else _canonical(row._mapping[c.name]) for c in columns]
        digest.update(json.dumps(values, sort_keys=True, ensure_ascii=False, default=str).encode())
        digest.update(b"\n")
        n += 1
    return n, digest.hexdigest()


def project_checksums(location) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table of the project at ``location``."""
    engine = open_engine(location)
    try:
        with engine.connect() as conn:
            return {t.name: table_checksum(conn, t) for t in tables()}
    finally:
        engine.dispose()


def _prepare(row: dict, json_columns: set[str]) -> dict:
    return {k: _json_value(v) if k in json_columns else _utc(v) if isinstance(v, datetime) else v
            for k, v in row.items()}


def _nonempty(conn) -> list[str]:
    return [t.name for t in tables() if conn.execute(select(func.count()).select_from(t)).scalar()]


def _self_references(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _copy_table(src, dst, table: Table) -> None:
    own = _self_references(table)
    later: list[tuple] = []  # rows pointing at a row of the same table not copied yet: fixed afterwards
    seen: set = set()
    pk = _order(table)[0].name if len(table.primary_key.columns) == 1 else None
    batch: list[dict] = []
    json_columns = {c.name for c in table.columns if _is_json(c)}
    target = _write_table(table)
    for row in src.execute(_raw_select(table)).yield_per(CHUNK):
        data = _prepare(dict(row._mapping), json_columns)
        for col in own:
            if data[col] is not None and data[col] not in seen:
                later.append((data[pk], col, data[col]))
                data[col] = None
        if pk is not None and own:
            seen.add(data[pk])
        batch.append(data)
        if len(batch) >= CHUNK:
            dst.execute(target.insert(), batch)
            batch = []
    if batch:
        dst.execute(target.insert(), batch)
    for ident, col, value in later:
        dst.execute(table.update().where(table.c[pk] == ident).values({col: value}))


def reset_sequences(conn) -> None:
    """PostgreSQL: make each id sequence continue after the largest id (no-op on SQLite)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        cols = list(table.primary_key.columns)
        if len(cols) != 1 or not isinstance(cols[0].type, Integer):
            continue
        name, col = table.name, cols[0].name
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": name, "c": col}).scalar()
        if seq is None:
            continue
        conn.execute(text(f'SELECT setval(:seq, COALESCE((SELECT MAX("{col}") FROM "{name}"), 1), '
                          f'(SELECT MAX("{col}") FROM "{name}") IS NOT NULL)'), {"seq": seq})


def _snapshot(conn):
    """A consistent view of the source while it is read (PostgreSQL: one repeatable-read snapshot)."""
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def migrate(source, destination) -> MigrationReport:
    """Copy the project at ``source`` into the empty project at ``destination`` (created when new)."""
    src_url, dst_url = project_url(source), project_url(destination)
    if src_url == dst_url:
        raise BaolianError("source and destination are the same project", field="--to",
                           hint="give a new .sqlite path or an empty PostgreSQL database")
    src_engine = open_engine(src_url)
    try:
        dst_engine = open_engine(dst_url, create=True)
    except BaolianError:
        src_engine.dispose()
        raise
    try:
        revision = head_revision()
        for engine, where in ((src_engine, src_url), (dst_engine, dst_url)):
            if current_revision(engine) != revision:
                raise StoreError("the project's schema is not at the current version", file=where,
                                 hint="open it once with this version of Baolian (`baolian info`)")
        report = MigrationReport(_safe(src_url), _safe(dst_url), revision)
        with _snapshot(src_engine.connect()) as src, src.begin():
            try:
                with writer(dst_engine).begin() as dst:
                    busy = _nonempty(dst)
                    if busy:
                        raise StoreError(
                            f"the destination is not empty (rows in {', '.join(busy)})", file=_safe(dst_url),
                            field="--to", hint="migrate into a new .sqlite file or an empty PostgreSQL database")
                    for table in tables():
                        _copy_table(src, dst, table)
                    reset_sequences(dst)
                    for table in tables():
                        got, want = table_checksum(dst, table), table_checksum(src, table)
                        if got != want:
                            raise StoreError(
                                f"table {table.name}: copy differs from the source "
                                f"({got[0]} rows, checksum {got[1][:12]}; source {want[0]} rows, {want[1][:12]})",
                                hint="nothing was written; report this as a bug")
                        report.tables.append(TableCopy(table.name, *got))
            except SQLAlchemyError as exc:
                raise StoreError(f"the copy failed and was rolled back: {getattr(exc, 'orig', exc)}",
                                 file=_safe(dst_url), hint="nothing was written to the destination") from exc
        return report
    finally:
        src_engine.dispose()
        dst_engine.dispose()


def _safe(url: str) -> str:
    """A URL with any password hidden, for reports."""
    from sqlalchemy.engine import make_url

    if "://" not in url:
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a report must not fail on an odd URL
        return url
