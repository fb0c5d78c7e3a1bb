"""The public request form: validation, uploads, honeypot, CSRF, pre-filling, blocked senders."""

import io
import re

import pytest
from sqlalchemy import select

from app.models import Attachment, BlockedSender, Message, OutboundMail, Ticket, User
from app.support.attachments import file_path

FORM = {"name": "Ana Lima", "email": "ana@acme.example", "subject": "Export is empty",
        "body": "The CSV export has no rows since Monday."}


def post(client, data, **files):
    return client.post("/tickets/new", data={**data, **files}, content_type="multipart/form-data")


def nothing_stored(count, new_uploads):
    return (count(Ticket), count(User), count(Message), count(Attachment), count(OutboundMail)) == (0, 0, 0, 0, 0) \
        and not new_uploads()


def test_a_request_with_attachments_is_stored_with_its_files(client, db, png, run_jobs):
    response = post(client, FORM, attachments=[png("screen.png"), (io.BytesIO(b"a,b\n1,2\n"), "rows.csv")])
    assert response.status_code == 200
    ticket = db.session.scalars(select(Ticket)).one()
    assert f"Your request number is #{ticket.number}." in response.get_data(as_text=True)
    [message] = ticket.messages
    files = sorted((a.filename, a.content_type, file_path(a).read_bytes()[:4]) for a in message.attachments)
    assert files == [("rows.csv", "text/csv", b"a,b\n"), ("screen.png", "image/png", b"\x89PNG")]
    assert ticket.requester.email == "ana@acme.example" and ticket.requester.password_hash is None
    run_jobs()
    mail = db.session.scalars(select(OutboundMail)).one()
    assert mail.kind == "ticket_received" and f"http://tandem.test/portal/tickets/{ticket.id}" in mail.body_text


@pytest.mark.parametrize("data, status, message", [
    ({**FORM, "email": ""}, 400, "Enter your e-mail address"),
    ({**FORM, "email": "ana@"}, 422, "not valid"),
    ({**FORM, "email": "two words@acme.example"}, 422, "not valid"),
    ({**FORM, "body": "   "}, 400, "Describe your question"),
    ({k: v for k, v in FORM.items() if k != "body"}, 400, "Describe your question"),
    ({**FORM, "subject": "x" * 251}, 400, "cannot be longer than 250"),
])
def test_bad_input_is_explained_and_nothing_is_stored(client, count, new_uploads, png, data, status, message):
    response = post(client, data, attachments=[png()])
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert nothing_stored(count, new_uploads)


@pytest.mark.parametrize("upload, message", [
    ((io.BytesIO(b"MZ\x90\x00\x03"), "setup.exe"), "is not a file type we accept"),
    ((io.BytesIO(b"<script>alert(1)</script>"), "page.html"), "is not a file type we accept"),
    ((io.BytesIO(b"MZ\x90\x00\x03"), "holiday.jpg"), "does not look like a .jpg file"),
])
def test_disallowed_uploads_are_refused_and_nothing_is_stored(client, count, new_uploads, upload, message):
    response = post(client, FORM, attachments=[upload])
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert nothing_stored(count, new_uploads)


def test_an_oversized_file_is_refused_and_nothing_is_stored(app, client, count, new_uploads, png, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1000)
    response = post(client, FORM, attachments=[png(), (io.BytesIO(b"x" * 1001), "log.txt")])
    assert response.status_code == 422
    assert "“log.txt” is too large (at most 1000 bytes a file)." in response.get_data(as_text=True)
    assert nothing_stored(count, new_uploads)


def test_a_request_larger_than_the_total_cap_is_refused_before_reading_it(app, client, count, new_uploads, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    response = post(client, FORM, attachments=[(io.BytesIO(b"x" * 60_000), "big.txt")])
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)
    assert nothing_stored(count, new_uploads)


def test_missing_csrf_token_is_refused_and_nothing_is_stored(client, count, new_uploads, png, csrf_enabled, csrf_token):
    assert post(client, FORM, attachments=[png()]).status_code == 400
    assert post(client, {**FORM, "csrf_token": "forged"}, attachments=[png()]).status_code == 400
    assert nothing_stored(count, new_uploads)
    token = csrf_token(client.get("/tickets/new"))
    assert post(client, {**FORM, "csrf_token": token}, attachments=[png()]).status_code == 200
    assert (count(Ticket), count(Attachment)) == (1, 1)


def test_the_honeypot_catches_bots(client, count, new_uploads, png):
    response = post(client, {**FORM, "website": "http://cheap.example"}, attachments=[png()])
    assert response.status_code == 400
    assert nothing_stored(count, new_uploads)


def test_the_form_offers_the_upload_limits(client):
    page = client.get("/tickets/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and "multiple" in page
    assert "10 MB each" in page and ".pdf" in page


def test_a_signed_in_customer_gets_the_form_prefilled_and_cannot_write_as_someone_else(
        client, db, make_user, login):
    ana = make_user("customer", email="ana@acme.example", name="Ana Lima")
    login(ana)
    page = client.get("/tickets/new").get_data(as_text=True)
    assert "We will answer ana@acme.example." in page
    assert re.search(r'name="email" value="ana@acme.example"', page)
    response = post(client, {**FORM, "email": "boss@acme.example", "name": "The Boss"})
    assert response.status_code == 200
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.requester_id == ana.id
    assert db.session.scalar(select(User).where(User.email == "boss@acme.example")) is None
    assert f'href="/portal/tickets/{ticket.id}"' in response.get_data(as_text=True)


def test_a_blocked_sender_is_refused_quietly(client, db, count, new_uploads, png):
    db.session.add(BlockedSender(email="spammer@junk.example", reason="spam"))
    db.session.commit()
    response = post(client, {**FORM, "email": "Spammer@junk.example"}, attachments=[png()])
    assert response.status_code == 200
    assert "we received your request" in response.get_data(as_text=True)
    assert "request number" not in response.get_data(as_text=True)
    assert (count(Ticket), count(Message), count(Attachment), count(OutboundMail)) == (0, 0, 0, 0)
    assert not new_uploads()
