"""Fixtures for the health, NPS, segment and usage tests."""

import socket

import pytest


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
    """A real SMTP server on 127.0.0.1 that the app sends to."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    yield inbox
    controller.stop()


@pytest.fixture
def csm(make_user):
    return make_user("csm", email="csm@tandem.example")


@pytest.fixture
def as_csm(client, login, csm):
    login(csm)
    return client

