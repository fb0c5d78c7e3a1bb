"""Helpers for the customer side: files to upload, CSRF tokens, a real SMTP server."""

import io
import re
import socket

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def png():
    """(stream, filename) for a small valid PNG, as the test client uploads files."""
    return lambda name="screenshot.png": (io.BytesIO(PNG), name)


@pytest.fixture
def csrf_token():
    def token_in(response):
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
        assert match, "no CSRF token in the page"
        return match.group(1)

    return token_in


@pytest.fixture
def count(db):
    """count(Model) → rows in its table."""
    return lambda model: db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def new_uploads(app):
    """new_uploads() → files written under UPLOAD_DIR (shared by the session's tests) since the test began."""
    from pathlib import Path

    folder = Path(app.config["UPLOAD_DIR"])
    before = {p for p in folder.rglob("*") if p.is_file()}
    return lambda: {p for p in folder.rglob("*") if p.is_file()} - before


class Inbox:
    """An aiosmtpd handler keeping every message it accepted."""

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
    """A real SMTP server on 127.0.0.1 that the app sends to (MAIL_SERVER set)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    yield inbox
    controller.stop()
