"""Test fixtures: one app and schema per test process, rows wiped between tests.

The suite runs on SQLite by default. With TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL it
runs against those services; each xdist worker gets its own database.
"""

import os
import re
import shutil
import socket
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db as _db
from app.models import Group, Organization, User
from app.models.base import utcnow

PASSWORD = "correct-horse-battery"


def _worker_suffix():
    # Unique per process, so parallel runs on one server never share a database.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _postgres_url(base):
    """A database per xdist worker, created when missing."""
    name = re.sub(r"[^a-z0-9_]", "_", f"tandem_test_{_worker_suffix()}")
    head, _, _dbname = base.rpartition("/")
    admin = create_engine(f"{head}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if exists:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{head}/{name}"


def _drop_postgres(url):
    head, _, name = url.rpartition("/")
    admin = create_engine(f"{head}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        if base.startswith("postgres://"):
            base = "postgresql://" + base[len("postgres://"):]
        if base.startswith("postgresql://"):
            base = "postgresql+psycopg://" + base[len("postgresql://"):]
        url = _postgres_url(base)
        yield url
        _drop_postgres(url)
        return
    path = tmp_path_factory.mktemp("db") / "tandem-test.db"
    yield f"sqlite:///{path}"


def _compile_translations():
    """Compile each catalog whose .mo is missing or older than its .po (`make` does it too), so a
    bare `pytest` sees the same pages. Written aside, then renamed: xdist workers race here."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).resolve().parent.parent.glob("app/translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        tmp = mo.with_suffix(f".mo.{os.getpid()}")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, mo)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    _compile_translations()
    upload_dir = tmp_path_factory.mktemp("uploads")
    app = create_app(
        {
            "TANDEM_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": None,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "SCHEDULER_IN_PROCESS": False,
            "MAIL_SERVER": None,
            "UPLOAD_DIR": str(upload_dir),
            "BASE_URL": "http://tandem.test",
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


def _wipe(app):
    with app.app_context():
        engine = _db.engine
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                extra = [r[0] for r in conn.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
                names = ", ".join(f'"{t}"' for t in sorted(set(tables) | set(extra)))
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                conn.commit()
            else:
                conn.execute(text("PRAGMA foreign_keys=OFF"))
                for name in tables:
                    conn.execute(text(f'DELETE FROM "{name}"'))
                for hook in app.config.get("TEST_WIPE_SQLITE", []):
                    conn.execute(text(hook))
                if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).scalar():
                    conn.execute(text("DELETE FROM sqlite_sequence"))
                conn.commit()
                # Outside the transaction: inside one SQLite ignores the pragma and the pooled
                # connection would keep foreign keys (and ON DELETE CASCADE) off for later tests.
                conn.execute(text("PRAGMA foreign_keys=ON"))
                conn.commit()


@pytest.fixture(autouse=True)
def _clean_database(request, app):
    yield
    if "app" in request.fixturenames or "db" in request.fixturenames:
        _wipe(app)


@pytest.fixture(autouse=True)
def _limits_as_configured(app):
    """The limiter is one object shared by every app: an app a test built with limits on (as in
    production) leaves it on for the next test; each test starts with the session app's setting."""
    from app.extensions import limiter

    limiter.enabled = app.config["RATELIMIT_ENABLED"]


@pytest.fixture(autouse=True)
def _user_loaded_per_request(app):
    """Requests made inside a test's app context share its `g`, where Flask-Login caches the
    user and Flask-Babel the language; forget both so every request picks its own, as in production."""
    from flask import g, request_started

    def forget(sender, **extra):
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db
        _db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner(mix_stderr=False) if _runner_takes_mix_stderr(app) else app.test_cli_runner()


def _runner_takes_mix_stderr(app):
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


@pytest.fixture
def csrf_enabled(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


# --- builders ---------------------------------------------------------------------------------

@pytest.fixture
def make_org(db):
    def make(name="Acme", **kw):
        org = Organization(name=name, **kw)
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def make(role="customer", email=None, password=PASSWORD, **kw):
        counter["n"] += 1
        user = User(email=email or f"{role}{counter['n']}@example.com", role=role,
                    name=kw.pop("name", f"{role.title()} {counter['n']}"), **kw)
        if password:
            user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_group(db):
    def make(name="Billing", members=()):
        group = Group(name=name, members=list(members))
        db.session.add(group)
        db.session.commit()
        return group

    return make


@pytest.fixture
def make_ticket(db):
    def make(requester=None, subject="Export is empty", body="The CSV export has no rows.", **kw):
        from app.support.services import create_ticket

        ticket = create_ticket(
            None, body=body, subject=subject,
            requester_email=requester.email if requester is not None else None,
            notify=kw.pop("notify", False), now=kw.pop("now", None),
            priority=kw.pop("priority", None),
        )
        for key, value in kw.items():
            setattr(ticket, key, value)
        db.session.commit()
        return ticket

    return make


@pytest.fixture
def login(client):
    def do(user, password=PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


@pytest.fixture
def api_token(db):
    def issue(user):
        from app.auth.services import issue_api_token

        _, token = issue_api_token(user)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return issue


def dt(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def run_jobs(app):
    """Run the in-process jobs recorded so far (they otherwise run when the context ends)."""
    from app.jobs import run_inline_jobs

    return run_inline_jobs


@pytest.fixture
def now():
    return utcnow()


# --- a real SMTP server, and Debian's chromium driven by Playwright against a live server ---------

def free_port_number():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every envelope it accepted."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        from email import message_from_bytes
        from email.policy import default

        return [message_from_bytes(e.content, policy=default) for e in self.envelopes]


@pytest.fixture
def start_smtp():
    """Start a real SMTP server on 127.0.0.1 (at `port` or a free one); stopped after the test."""
    from aiosmtpd.controller import Controller

    controllers = []

    def start(port=None):
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port_number())
        controller.start()
        controllers.append(controller)
        inbox.port = controller.port
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(app, monkeypatch, start_smtp):
    """A real local SMTP server the app sends to (MAIL_SERVER set)."""
    inbox = start_smtp()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", inbox.port)
    return inbox


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
BROWSER_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import expect, sync_playwright

    # Waits end as soon as the page is ready; the limit only matters on a loaded machine (2 cores
    # running another suite beside this one went past the default 5 s).
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, csrf_enabled):
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
