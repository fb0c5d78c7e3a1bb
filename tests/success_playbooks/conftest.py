"""Builders for the playbook tests: accounts with contacts, playbooks with steps, a clock."""

import shutil
import socket
import threading
from datetime import timedelta

import pytest

from app.models.base import utcnow


@pytest.fixture
def t0():
    return utcnow().replace(microsecond=0)


@pytest.fixture
def at(t0):
    return lambda **kw: t0 + timedelta(**kw)


@pytest.fixture
def csm(make_user):
    return make_user("csm", email="csm@example.com", name="Cara Smith")


@pytest.fixture
def make_account(db, make_org, make_user, csm):
    def make(name="Acme", contacts=("ana",), owner=csm, **kw):
        org = make_org(name, owner_id=owner.id if owner else None, **kw)
        slug = name.lower().replace(" ", "")
        for first in contacts:
            make_user("customer", email=f"{first}@{slug}.example", name=f"{first.title()} Doe", organization_id=org.id)
        return org

    return make


@pytest.fixture
def make_playbook(db, csm):
    from app.success.playbooks import editing

    def make(name="Outreach", steps=({"kind": "task", "title": "Call them"},), status="active", actor=None, **settings):
        playbook = editing.save_playbook(actor or csm, name=name, **settings)
        for step in steps:
            editing.save_step(actor or csm, playbook, **step)
        if status != "draft":
            editing.set_playbook_status(actor or csm, playbook, status)
        db.session.commit()
        return playbook

    return make


@pytest.fixture
def enrol(db, csm):
    from app.success.playbooks.services import enrol_accounts

    def do(playbook, orgs, now, **kw):
        created, skipped = enrol_accounts(kw.pop("actor", csm), playbook, [o.id for o in orgs], now=now, **kw)
        db.session.commit()
        return created, skipped

    return do


# --- a real SMTP server and a browser (copies of the fixtures in tests/desk_customer and tests/browser)

class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        from email import message_from_bytes
        from email.policy import default

        return [message_from_bytes(e.content, policy=default) for e in self.envelopes]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    yield inbox
    controller.stop()


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
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, csrf_enabled):
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(5000)
    page = context.new_page()
    yield page
    context.close()
