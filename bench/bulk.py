"""Fast bulk loading for the benchmarks: indexes off while rows go in, back on afterwards."""

import sys
from contextlib import contextmanager
from datetime import datetime, timezone


def _admin_engine(url):
    from sqlalchemy import create_engine

    head, _, name = url.rpartition("/")
    return create_engine(f"{head}/postgres", isolation_level="AUTOCOMMIT"), name


def fresh_postgres(url):
    """Drop and create the database `url` names (a SQLAlchemy PostgreSQL URL)."""
    from sqlalchemy import text

    admin, name = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def drop_postgres(url):
    from sqlalchemy import text

    admin, name = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def postgres_value(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


@contextmanager
def sqlite_bulk(conn, tables):
    """A raw cursor with the tables' indexes and triggers dropped; they are rebuilt on exit."""
    cur = conn.connection.driver_connection.cursor()
    cur.execute("PRAGMA cache_size=-1000000")
    saved = cur.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(tables))})", tables,
    ).fetchall()
    for kind, name, _sql in saved:
        cur.execute(f'DROP {kind.upper()} "{name}"')
    yield cur
    for _kind, _name, sql in saved:
        cur.execute(sql)
    cur.execute("PRAGMA cache_size=-2000")  # back to SQLite's default, as the application runs it
    cur.close()


def sqlite_insert(cur, table, columns, rows):
    cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [tuple(sqlite_value(v) for v in row) for row in rows])


@contextmanager
def postgres_bulk(conn, tables, sequences):
    """A raw cursor with the tables' secondary indexes and foreign keys dropped; on exit they are
    recreated and the id sequences of `sequences` moved past the loaded rows."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
            (list(tables),),
        )
        indexes = cur.fetchall()
        cur.execute(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)", (list(tables),),
        )
        foreign_keys = cur.fetchall()
        for name, table, _definition in foreign_keys:
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        yield cur
        for _name, definition in indexes:
            cur.execute(definition)
        for name, table, definition in foreign_keys:
            cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for table in sequences:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def postgres_copy(cur, table, columns, rows):
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(postgres_value(v) for v in row))


def progress(done):
    if done % 200_000 == 0:
        print(f"    … {done:,} tickets", file=sys.stderr, flush=True)
