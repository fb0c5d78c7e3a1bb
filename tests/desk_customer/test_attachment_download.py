"""GET /attachments/<id>: only for those who may see the ticket, always as a safe download."""

import pytest

from app.support.attachments import Upload, file_path, store_attachments
from app.support.services import add_message


def download(client, attachment_id):
    """(status, headers, body), with the file the response streams closed again."""
    with client.get(f"/attachments/{attachment_id}") as response:
        return response.status_code, response.headers, response.get_data()


@pytest.fixture
def files(db, make_org, make_user, make_ticket):
    acme = make_org("Acme")
    ana = make_user("customer", email="ana@acme.example", organization=acme)
    agent = make_user("agent")
    ticket = make_ticket(ana)
    [public] = store_attachments(ticket.messages[0], [Upload("отчёт 2024 \"final\".pdf", "application/pdf", b"%PDF-1.7 x")])
    note = add_message(ticket, agent, "Looked at their account", public=False)
    [internal] = store_attachments(note, [Upload("audit.csv", "text/csv", b"a,b\n")])
    db.session.commit()
    return {"ana": ana, "agent": agent, "acme": acme, "public": public.id, "internal": internal.id, "ticket": ticket}


def test_the_requester_downloads_a_public_attachment_safely(client, files, login):
    login(files["ana"])
    status, headers, body = download(client, files["public"])
    assert (status, body) == (200, b"%PDF-1.7 x")
    assert headers["Content-Type"] == "application/pdf"
    assert headers["X-Content-Type-Options"] == "nosniff"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # The original name, RFC 5987-encoded, with an ASCII fallback that cannot break the header.
    assert "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202024%20%22final%22.pdf" in disposition
    assert "\n" not in disposition and "private" in headers["Cache-Control"]


def test_text_files_keep_our_content_type_and_are_never_shown_inline(client, files, login):
    login(files["agent"])
    status, headers, body = download(client, files["internal"])
    assert (status, body) == (200, b"a,b\n")
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == "attachment; filename=audit.csv"


def test_customers_never_get_the_files_of_internal_notes(client, files, login):
    login(files["ana"])
    assert download(client, files["internal"])[0] == 404


@pytest.mark.parametrize("role", ["agent", "csm", "admin"])
def test_staff_get_every_attachment(client, files, make_user, login, role):
    login(files["agent"] if role == "agent" else make_user(role))
    assert download(client, files["public"])[0] == 200
    assert download(client, files["internal"])[0] == 200


def test_other_customers_get_404_and_colleagues_only_when_the_organization_shares(
        client, db, files, make_user, login):
    stranger = make_user("customer", email="eve@elsewhere.example")
    colleague = make_user("customer", email="bo@acme.example", organization=files["acme"])
    login(stranger)
    assert download(client, files["public"])[0] == 404
    login(colleague)
    assert download(client, files["public"])[0] == 404
    files["acme"].shared_tickets = True
    db.session.commit()
    assert download(client, files["public"])[0] == 200
    assert download(client, files["internal"])[0] == 404


def test_spam_tickets_files_are_hidden_from_customers(client, db, files, login):
    files["ticket"].is_spam = True
    db.session.commit()
    login(files["ana"])
    assert download(client, files["public"])[0] == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, files):
    response = client.get(f"/attachments/{files['public']}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_unknown_ids_and_missing_files_are_404(client, db, files, login):
    from app.models import Attachment

    login(files["agent"])
    assert download(client, 999999)[0] == 404
    file_path(db.session.get(Attachment, files["public"])).unlink()
    assert download(client, files["public"])[0] == 404
