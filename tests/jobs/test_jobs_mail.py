"""Outbound e-mail: the outbox without MAIL_SERVER, a real SMTP server with it."""

from sqlalchemy import select

from app.extensions import db as _db
from app.jobs import enqueue, execute_job
from app.mail import deliver_mail, queue_mail, render_mail
from app.models import JobRecord, OutboundMail, User
from app.support.services import create_ticket


def _submit(app, email="ana@acme.example", subject="Export is empty", body="The CSV export has no rows."):
    """A ticket with its 'received' mail, committed; the jobs run when the context ends."""
    with app.app_context():
        ticket = create_ticket(None, body=body, subject=subject, requester_email=email, requester_name="Ana Lima")
        _db.session.commit()
        return ticket.id


def _mails(app):
    with app.app_context():
        mails = _db.session.scalars(select(OutboundMail).order_by(OutboundMail.id)).all()
        _db.session.expunge_all()
        return mails


def _jobs(app, name):
    with app.app_context():
        return _db.session.execute(
            select(JobRecord.status, JobRecord.attempts, JobRecord.last_error).where(JobRecord.name == name)
        ).all()


def test_without_mail_server_mail_goes_to_the_outbox_in_text_and_html(app):
    ticket_id = _submit(app, subject="Invoice <b>missing</b>")
    [mail] = _mails(app)
    assert (mail.to_addr, mail.kind, mail.ticket_id, mail.status) == (
        "ana@acme.example", "ticket_received", ticket_id, "outbox")
    assert mail.subject == f"We received your request [#{ticket_id}] Invoice <b>missing</b>"
    assert mail.body_text.startswith("Hello Ana,")
    assert f"/portal/tickets/{ticket_id}" in mail.body_text
    assert mail.body_html.startswith("<!doctype html>")
    assert f'href="http://tandem.test/portal/tickets/{ticket_id}"' in mail.body_html
    # The requester's words are escaped in the HTML version.
    assert "Invoice &lt;b&gt;missing&lt;/b&gt;" in mail.body_html and "<b>missing" not in mail.body_html
    assert _jobs(app, "mail.deliver") == [("done", 1, None)]


def test_every_mail_template_renders_both_versions(app, db, make_user, make_ticket):
    customer = make_user("customer", name="Ana Lima")
    agent = make_user("agent", name="Bo Agent")
    ticket = make_ticket(customer)
    from app.models import Message

    message = Message(ticket=ticket, author=agent, body="Try again <now>", public=True)
    db.session.add(message)
    db.session.commit()
    contexts = {
        "ticket_received": dict(ticket=ticket, url="http://x/1"),
        "agent_replied": dict(ticket=ticket, message=message, marker="[#1.1]", url="http://x/1"),
        "ticket_solved": dict(ticket=ticket, marker="[#1/0]", url="http://x/1"),
        "password_reset": dict(user=customer, url="http://x/set"),
    }
    with app.test_request_context():
        for template, context in contexts.items():
            subject, text, html = render_mail(template, "en", **context)
            assert subject and "\n" not in subject, template
            assert text.startswith("Hello Ana"), template
            assert html and "Hello Ana" in html and "http://x/" in html, template
    assert "Try again &lt;now&gt;" in render_mail("agent_replied", "en", **contexts["agent_replied"])[2]


def test_mail_in_any_supported_or_unknown_language_renders(app, db, make_user):
    user = make_user("customer", name="Mei")
    for locale in ("zh-Hant", "zh_hans", "ja", "ru", "bg", "pt-BR", "xx", None):
        subject, text, _html = render_mail("password_reset", locale, user=user, url="http://x/set")
        assert subject and "http://x/set" in text, locale


def test_a_subject_with_line_breaks_stays_one_header_line(app):
    _submit(app, subject="Line one\r\nBcc: victim@example.com")
    [mail] = _mails(app)
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_smtp_delivery_arrives_with_text_and_html_parts(app, smtp_server):
    ticket_id = _submit(app, email="ana@acme.example")
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["ana@acme.example"]
    [message] = smtp_server.messages()
    assert message["To"] == "ana@acme.example"
    assert message["Subject"] == f"We received your request [#{ticket_id}] Export is empty"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert text.startswith("Hello Ana,") and f"/portal/tickets/{ticket_id}" in text
    assert "<html" in html and f"/portal/tickets/{ticket_id}" in html
    [mail] = _mails(app)
    assert mail.status == "sent" and mail.sent_at is not None and mail.error is None


def test_delivering_twice_never_sends_twice(app, smtp_server):
    _submit(app)
    [mail] = _mails(app)
    assert len(smtp_server.envelopes) == 1
    with app.app_context():
        deliver_mail(mail.id)
        _db.session.commit()
        # A second job for the same message (say, a duplicate from a retry) does not send it again.
        enqueue("mail.deliver", mail.id)
        _db.session.commit()
    job_ids = [r for r in _jobs(app, "mail.deliver")]
    assert len(job_ids) == 2
    with app.app_context():
        first = _db.session.scalar(select(JobRecord.id).where(JobRecord.name == "mail.deliver").order_by(JobRecord.id))
        assert execute_job(first) is None
    assert len(smtp_server.envelopes) == 1


def test_an_smtp_failure_fails_the_job_and_a_retry_sends_it_once(app, monkeypatch, free_port, start_smtp, later):
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)  # nobody listens yet
    _submit(app)  # leaving the context does not raise
    [mail] = _mails(app)
    assert mail.status == "failed" and "ConnectionRefusedError" in mail.error
    [(status, attempts, error)] = _jobs(app, "mail.deliver")
    assert (status, attempts) == ("failed", 1) and "ConnectionRefusedError" in error

    inbox = start_smtp(port)
    from app.jobs.core import requeue_dropped_jobs

    with app.app_context():
        assert requeue_dropped_jobs(now=later) == 1
    assert len(inbox.envelopes) == 1
    assert _mails(app)[0].status == "sent"
    assert [s for s, _a, _e in _jobs(app, "mail.deliver")] == ["done"]


def test_an_smtp_failure_is_not_an_error_page_for_the_user(app, client, db, make_user, monkeypatch, free_port):
    user = make_user("customer", email="ana@acme.example")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 302
    [mail] = _mails(app)
    assert mail.kind == "password_reset" and mail.status == "failed"
    assert _jobs(app, "mail.deliver")[0][0] == "failed"


def test_queue_mail_belongs_to_the_callers_transaction(app):
    with app.app_context():
        user = User(email="bo@example.test", role="customer", name="Bo")
        _db.session.add(user)
        _db.session.flush()
        queue_mail(user.email, "password_reset", user=user, url="http://x/set")
        _db.session.rollback()
    assert _mails(app) == []
    assert _jobs(app, "mail.deliver") == []
