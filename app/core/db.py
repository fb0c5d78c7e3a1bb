"""Database helpers shared by the modules that need them."""

from sqlalchemy import text

from app.extensions import db


def write_lock_on_sqlite():
    """SQLite: take the write lock before reading, so an overlapping job waits for this one
    instead of failing on a stale snapshot, and nothing commits between what this transaction
    reads and what it writes. PostgreSQL needs nothing here: callers lock the rows they read
    (`FOR UPDATE`) or rely on a unique constraint."""
    if db.engine.dialect.name != "sqlite":
        return
    raw = db.session.connection().connection.dbapi_connection
    if not raw.in_transaction:
        db.session.execute(text("BEGIN IMMEDIATE"))
