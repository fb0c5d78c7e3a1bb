"""Admin pages: failed jobs with a retry button, the mail outbox."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import JobRecord, OutboundMail
from app.models.base import utcnow

PAGES = ["/admin/jobs", "/admin/outbox", "/admin/outbox/{mail}", "/admin/outbox/{mail}/html"]


@pytest.fixture
def mail(db):
    message = OutboundMail(to_addr="ana@acme.example", subject="We received <your> request", kind="ticket_received",
                           body_text="Hello Ana,\n\n<script>alert(1)</script>", status="outbox",
                           body_html="<p>Hello <b>Ana</b></p><script>alert(1)</script>")
    db.session.add(message)
    db.session.commit()
    return message.id


@pytest.fixture
def failed_job(db):
    record = JobRecord(name="test.flaky", args=[42], status="failed", attempts=3,
                       last_error="Traceback (most recent call last):\n  ...\nRuntimeError: flaky failure",
                       finished_at=utcnow())
    db.session.add(record)
    db.session.commit()
    return record.id


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_login(client, mail, path):
    response = client.get(path.format(mail=mail))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["customer", "agent", "csm"])
@pytest.mark.parametrize("path", PAGES)
def test_only_admins_see_the_job_pages(client, make_user, login, mail, role, path):
    login(make_user(role))
    assert client.get(path.format(mail=mail)).status_code == 403


@pytest.mark.parametrize("role", ["customer", "agent", "csm"])
def test_only_admins_can_retry(app, client, make_user, login, failed_job, calls, role):
    login(make_user(role))
    assert client.post(f"/admin/jobs/{failed_job}/retry").status_code == 403
    assert calls == []


def test_failed_jobs_are_listed_with_their_error_and_a_retry_form(client, make_user, login, failed_job):
    login(make_user("admin"))
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "test.flaky" in page and "RuntimeError: flaky failure" in page
    form = re.search(r'<form method="post" action="/admin/jobs/%d/retry">(.*?)</form>' % failed_job, page, re.S)
    assert form and 'name="csrf_token"' in form.group(1)


def test_the_retry_button_runs_the_job_again(app, db, client, make_user, login, failed_job, calls, flaky_state):
    login(make_user("admin"))
    flaky_state["fail"] = False  # whatever broke was fixed
    response = client.post(f"/admin/jobs/{failed_job}/retry")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/jobs?status=failed")
    assert calls == [42]
    record = db.session.get(JobRecord, failed_job)
    assert (record.status, record.attempts, record.last_error) == ("done", 4, None)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "was sent again" in page and f'id="job-{failed_job}"' not in page


def test_retrying_a_job_that_is_not_failed_does_nothing(db, client, make_user, login, failed_job, calls,
                                                       flaky_state):
    login(make_user("admin"))
    flaky_state["fail"] = False
    client.post(f"/admin/jobs/{failed_job}/retry")
    response = client.post(f"/admin/jobs/{failed_job}/retry", follow_redirects=True)
    assert response.status_code == 200 and "is not failed any more" in response.get_data(as_text=True)
    assert calls == [42]
    assert client.post("/admin/jobs/99999/retry").status_code == 404


def test_retry_without_csrf_token_is_refused(db, client, make_user, login, failed_job, calls, csrf_enabled):
    admin = make_user("admin")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": admin.email, "password": "correct-horse-battery",
                                       "csrf_token": token}).status_code == 302
    assert client.post(f"/admin/jobs/{failed_job}/retry").status_code == 400
    assert db.session.get(JobRecord, failed_job).status == "failed" and calls == []
    page = client.get("/admin/jobs").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/jobs/{failed_job}/retry", data={"csrf_token": token}).status_code == 303


def test_job_states_can_be_browsed(db, client, make_user, login, deferred):
    db.session.add(JobRecord(name="test.record", args=["waiting"], status="pending"))
    db.session.commit()
    login(make_user("admin"))
    page = client.get("/admin/jobs?status=pending").get_data(as_text=True)
    assert "test.record" in page and "waiting" in page
    assert client.get("/admin/jobs?status=bogus").status_code == 200


def test_outbox_lists_mail_newest_first_and_paginated(db, client, make_user, login):
    start = utcnow() - timedelta(hours=2)
    db.session.add_all([
        OutboundMail(to_addr=f"p{i}@example.test", subject=f"Mail number {i:02d}", body_text="x", status="outbox",
                     created_at=start + timedelta(minutes=i))
        for i in range(55)
    ])
    db.session.commit()
    login(make_user("admin"))
    first = client.get("/admin/outbox").get_data(as_text=True)
    numbers = [int(n) for n in re.findall(r"Mail number (\d+)", first)]
    assert numbers == list(range(54, 4, -1))
    second = client.get("/admin/outbox?page=2").get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Mail number (\d+)", second)] == [4, 3, 2, 1, 0]
    assert client.get("/admin/outbox?page=99").status_code == 200
    assert client.get("/admin/outbox?page=abc").status_code == 200


def test_a_single_mail_is_readable_and_escaped(client, make_user, login, mail):
    login(make_user("admin"))
    page = client.get(f"/admin/outbox/{mail}").get_data(as_text=True)
    assert "ana@acme.example" in page and "We received &lt;your&gt; request" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert f'href="/admin/outbox/{mail}/html"' in page
    html = client.get(f"/admin/outbox/{mail}/html")
    assert html.mimetype == "text/html" and "<b>Ana</b>" in html.get_data(as_text=True)
    csp = html.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert client.get("/admin/outbox/99999").status_code == 404


def test_the_outbox_shows_mail_the_app_queued(app, client, db, make_user, login):
    from app.support.services import create_ticket

    ticket = create_ticket(None, body="Printer is on fire", requester_email="ana@acme.example")
    db.session.commit()
    from app.jobs import run_inline_jobs

    run_inline_jobs()
    login(make_user("admin"))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert f"[#{ticket.id}]" in page and "ana@acme.example" in page
    mail_id = db.session.scalar(select(OutboundMail.id))
    assert f"/portal/tickets/{ticket.id}" in client.get(f"/admin/outbox/{mail_id}").get_data(as_text=True)
