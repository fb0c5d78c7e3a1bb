"""Pooled PostgreSQL connections: checked after sitting idle, replaced when the server dropped them.

Skipped unless TEST_DATABASE_URL points at PostgreSQL (SQLite has no server connection to lose).
"""

import os
import time

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                       reason="set TEST_DATABASE_URL (PostgreSQL) to test pooled server connections"),
]


@pytest.fixture
def pg_app(database_url):
    def make(idle_seconds):
        return create_app({"TANDEM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                           "DB_PING_AFTER_IDLE_SECONDS": idle_seconds, "SCHEDULER_IN_PROCESS": False})
    made = []
    yield lambda idle_seconds: made.append(make(idle_seconds)) or made[-1]
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _backend_pid(app):
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()  # back to the pool
    return pid


def _terminate(database_url, pid):
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    engine.dispose()


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_the_request_uses_it(pg_app, database_url):
    app = pg_app(0.05)
    first = _backend_pid(app)
    _terminate(database_url, first)
    time.sleep(0.2)
    second = _backend_pid(app)  # no error: the dead connection was found and replaced
    assert second != first


def _count_pings(app, monkeypatch):
    """The list every ping of `app`'s pool is appended to."""
    with app.app_context():
        dialect = db.engine.dialect
    pings = []
    original = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(conn) or original(conn))
    return pings


def test_a_connection_in_steady_use_is_not_pinged_each_time(pg_app, monkeypatch):
    app = pg_app(60)
    pings = _count_pings(app, monkeypatch)
    pids = {_backend_pid(app) for _ in range(5)}
    assert len(pids) == 1 and pings == []


def test_an_idle_connection_is_pinged_once_then_used(pg_app, monkeypatch):
    app = pg_app(0.05)
    pings = _count_pings(app, monkeypatch)
    first = _backend_pid(app)
    time.sleep(0.1)
    assert _backend_pid(app) == first and len(pings) == 1


def test_one_connection_found_dropped_retires_the_others_of_the_pool(pg_app, database_url):
    """A restart drops every connection: one found dead while idle retires those handed back
    moments ago as well, which would otherwise be used unchecked and fail the request."""
    app = pg_app(1.0)
    with app.app_context():
        engine = db.engine
        first, second = engine.connect(), engine.connect()
        pids = [c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (first, second)]
        first.close()  # idle long enough to be checked
        time.sleep(1.1)
        second.close()  # handed back just now: not checked
        for pid in pids:
            _terminate(database_url, pid)
        time.sleep(0.1)
        with engine.connect() as conn:  # the pool hands out the first, finds it dead, retires both
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() not in pids
        with engine.connect() as a, engine.connect() as b:
            assert {c.execute(text("SELECT 1")).scalar_one() for c in (a, b)} == {1}
