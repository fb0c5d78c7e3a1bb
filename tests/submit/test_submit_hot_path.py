"""The public submission's fast path: the same records as before, caches that never serve stale
data to the same process, blocked senders refused at once, jobs of one commit sent together."""

import pytest
from flask import render_template
from sqlalchemy import func, select

from app.models import (BlockedSender, JobRecord, Message, Organization, OrganizationDomain, SlaEvent, SlaPolicy,
                        SlaTarget, Ticket, TicketEvent, TicketSearchDocument, TicketSlaClock, User)
from app.support.search import ticket_ids_matching
from app.support.services import create_ticket

FORM = {"name": "Ana Lima", "email": "ana@acme.example", "subject": "Export is empty",
        "body": "The CSV export has no rows since Monday."}


def submit(client, **changes):
    return client.post("/tickets/new", data={**FORM, **changes})


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def add_policy(db, name="Standard", minutes=60, position=0):
    policy = SlaPolicy(name=name, position=position, conditions={}, pause_statuses={}, escalation={},
                       targets=[SlaTarget(metric="first_reply", priority=p, minutes=minutes, business_hours=False)
                                for p in range(1, 5)])
    db.session.add(policy)
    db.session.commit()
    return policy


@pytest.fixture
def policy_cache(app, monkeypatch):
    """The production setting (the test configuration reads the policies every time)."""
    monkeypatch.setitem(app.config, "SLA_POLICY_CACHE_SECONDS", 60)


def test_a_submission_writes_every_record_once(client, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "TOPIC_ATTACH_ON_ARRIVAL", True)
    monkeypatch.setitem(app.config, "JOBS_DEFER_INLINE", True)  # keep the job rows pending to look at them
    response = submit(client, body="Le téléchargement échoue depuis lundi")
    assert response.status_code == 200
    ticket = db.session.scalars(select(Ticket)).one()
    assert f"Your request number is #{ticket.number}." in response.get_data(as_text=True)
    user = db.session.scalars(select(User)).one()
    assert (user.email, user.name, user.role, user.password_hash, user.active) == (
        "ana@acme.example", "Ana Lima", "customer", None, True)
    assert (ticket.subject, ticket.status, ticket.priority_name, ticket.channel, ticket.requester_id, ticket.version) \
        == ("Export is empty", "new", "normal", "web", user.id, 1)
    [message] = db.session.scalars(select(Message)).all()
    assert (message.ticket_id, message.author_id, message.public, message.via) == (ticket.id, user.id, True, "web")
    assert db.session.get(TicketSearchDocument, ticket.id) is not None
    found = db.session.scalars(select(Ticket.id).where(Ticket.id.in_(ticket_ids_matching("téléchargement", False))))
    assert found.all() == [ticket.id]
    [event] = db.session.scalars(select(TicketEvent)).all()
    assert (event.kind, event.actor_id, event.new_value, event.data) == (
        "created", user.id, "new", {"channel": "web", "priority": "normal"})
    jobs = db.session.execute(select(JobRecord.name, JobRecord.args, JobRecord.status).order_by(JobRecord.id)).all()
    assert jobs == [("support.ticket_created", [ticket.id, True], "pending"),
                    ("success.embed_ticket", [ticket.id], "pending")]


def test_the_returned_ticket_is_complete_without_more_queries(app, db):
    ticket = create_ticket(None, body="The export is empty", subject="", requester_email="Bo@Acme.example",
                           requester_name="  Bo  ")
    statements = []
    from sqlalchemy import event

    def seen(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert ticket.subject == "The export is empty"  # from the body
        assert ticket.requester.email == "bo@acme.example" and ticket.requester.name == "Bo"
        assert ticket.messages[0].body == "The export is empty" and ticket.messages[0].attachments == []
        assert ticket.tag_names == [] and ticket.organization is None and ticket.group is None
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == []
    ticket.status = "open"  # an ordinary persistent object: later changes are saved with its version
    db.session.commit()
    assert db.session.get(Ticket, ticket.id).version == 2


def test_a_failure_after_the_writes_leaves_nothing(app, db):
    create_ticket(None, body="The export is empty", requester_email="bo@acme.example")
    db.session.rollback()
    assert (count(db, Ticket), count(db, User), count(db, Message), count(db, TicketSearchDocument),
            count(db, TicketEvent), count(db, JobRecord)) == (0, 0, 0, 0, 0, 0)


def test_an_existing_customer_and_a_known_domain(client, db, make_user, make_org):
    acme = make_org("Acme")
    db.session.add(OrganizationDomain(organization_id=acme.id, domain="acme.example"))
    db.session.commit()
    known = make_user("customer", email="known@example.com", name="Known")
    assert submit(client, email="Known@Example.com", name="Someone else").status_code == 200
    assert submit(client, email="new@acme.example").status_code == 200
    first, second = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert first.requester_id == known.id and count(db, User) == 2
    assert db.session.get(User, known.id).name == "Known"
    new = db.session.scalars(select(User).where(User.email == "new@acme.example")).one()
    assert new.organization_id == acme.id and second.organization_id == acme.id
    assert db.session.get(Organization, acme.id).name == "Acme"


def test_a_newly_blocked_sender_is_refused_at_once(client, db):
    assert submit(client).status_code == 200
    db.session.add(BlockedSender(email="ana@acme.example", reason="spam"))
    db.session.commit()
    response = submit(client, email="ANA@acme.example")
    # Refused quietly, as before: a thank-you page without a number, and nothing written.
    assert response.status_code == 200 and "Your request number" not in response.get_data(as_text=True)
    assert (count(db, Ticket), count(db, Message), count(db, User), count(db, TicketEvent)) == (1, 1, 1, 1)


def test_sla_policies_are_applied_and_an_edit_is_seen_by_the_next_submission(client, db, policy_cache):
    assert submit(client).status_code == 200  # no policy: no clock
    policy = add_policy(db)
    assert submit(client, email="b@acme.example").status_code == 200
    for target in policy.targets:
        target.minutes = 30
    db.session.commit()
    assert submit(client, email="c@acme.example").status_code == 200
    policy.active = False
    db.session.commit()
    assert submit(client, email="d@acme.example").status_code == 200
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    clocks = {c.ticket_id: c for c in db.session.scalars(select(TicketSlaClock))}
    assert tickets[0].id not in clocks and tickets[3].id not in clocks
    assert clocks[tickets[1].id].target_minutes == 60 and clocks[tickets[2].id].target_minutes == 30
    assert (tickets[1].due_at - tickets[1].created_at).total_seconds() == 3600
    assert (tickets[2].due_at - tickets[2].created_at).total_seconds() == 1800
    applied = db.session.scalars(select(SlaEvent.ticket_id).where(SlaEvent.kind == "policy_applied")).all()
    assert sorted(applied) == [tickets[1].id, tickets[2].id]


def test_a_new_policy_and_a_deleted_one_are_seen_at_once(client, db, policy_cache):
    assert submit(client).status_code == 200  # caches "no policy"
    policy = add_policy(db, minutes=45)
    assert submit(client, email="b@acme.example").status_code == 200
    db.session.delete(policy)
    db.session.commit()
    assert submit(client, email="c@acme.example").status_code == 200
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert [t.due_at is not None for t in tickets] == [False, True, False]


def test_the_cached_policies_expire_for_changes_made_elsewhere(app, db, policy_cache, monkeypatch):
    """Another process's edit (here: written behind the ORM's back) is seen once the copy expires."""
    import app.support.sla.services as sla

    clock = [1000.0]
    monkeypatch.setattr(sla.time, "monotonic", lambda: clock[0])
    add_policy(db, minutes=60)
    with app.test_request_context():
        assert [p.name for p in sla.cached_active_policies()] == ["Standard"]
        db.session.execute(SlaPolicy.__table__.update().values(active=False))
        db.session.commit()
        assert [p.name for p in sla.cached_active_policies()] == ["Standard"]  # within the second
        clock[0] += 61
        assert sla.cached_active_policies() == ()


def test_the_cached_receipt_page_is_the_rendered_one(client, app, db):
    email = "o'neil&co@acme.example"
    response = submit(client, email=email)
    ticket = db.session.scalars(select(Ticket)).one()
    with app.test_request_context("/tickets/new", method="POST"):  # the receipt answers the POST
        expected = render_template("support/ticket_submitted.html",
                                   receipt={"number": ticket.number, "email": email, "id": ticket.id})
    assert response.get_data(as_text=True) == expected
    assert "o&#39;neil&amp;co@acme.example" in expected
    again = submit(client, email="second@acme.example").get_data(as_text=True)
    assert "second@acme.example" in again and f"#{ticket.number + 1}." in again
    assert "o&#39;neil" not in again


def test_a_signed_in_customer_still_gets_the_link_to_the_request(client, db, make_user, login):
    customer = make_user("customer", email="cust@example.com")
    login(customer)
    page = submit(client, email="cust@example.com").get_data(as_text=True)
    ticket = db.session.scalars(select(Ticket)).one()
    assert f'href="/portal/tickets/{ticket.id}"' in page and "cust@example.com" in page


def test_the_jobs_of_one_commit_go_to_redis_together_per_queue(app, monkeypatch):
    from app.extensions import db
    from app.jobs import enqueue

    sent = []
    batches = []

    class FakePipe(list):
        def execute(self):
            batches.append(len(sent))

    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr("app.jobs.rq.rq_enqueue",
                        lambda job_id, queue="default", more=(): sent.append((job_id, queue, list(more))))
    with app.app_context():
        a = enqueue("support.ticket_created", 1, False)
        b = enqueue("success.embed_ticket", 1)
        c = enqueue("jobs.requeue_dropped")
        db.session.commit()
        assert sorted(sent, key=str) == sorted([(a.id, a.queue, [b.id]), (c.id, "high", [])], key=str)
        db.session.execute(JobRecord.__table__.delete())
        db.session.commit()


def test_a_combined_rq_job_runs_every_row(app, monkeypatch):
    from app.extensions import db
    from app.jobs import core

    ran = []
    monkeypatch.setitem(core._REGISTRY, "test.h7", (lambda n: ran.append(n), "default"))
    monkeypatch.setitem(app.config, "JOBS_DEFER_INLINE", True)  # as if the commit had sent them to Redis
    with app.app_context():
        rows = [JobRecord(name="test.h7", args=[n], queue="default", status="pending", attempts=0) for n in (1, 2)]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
    with app.app_context():
        assert core.run_from_queue(*ids) == "done"
        statuses = db.session.scalars(select(JobRecord.status).order_by(JobRecord.id)).all()
        db.session.execute(JobRecord.__table__.delete())
        db.session.commit()
    assert ran == [1, 2] and statuses == ["done", "done"]



def test_two_first_requests_from_one_new_address_at_once_both_get_stored(client, db, monkeypatch):
    """The second one looked the address up before the first one's requester was committed."""
    from app.support import services

    assert submit(client).status_code == 200
    real = services.sender_facts
    calls = []

    def stale_lookup(connection, address):
        calls.append(address)
        blocked, _user_id, org_id = real(connection, address)
        return (blocked, None, org_id) if len(calls) == 1 else (blocked, _user_id, org_id)

    monkeypatch.setattr(services, "sender_facts", stale_lookup)
    response = submit(client, subject="Export still empty")
    assert response.status_code == 200
    assert len(calls) == 2
    user = db.session.scalars(select(User)).one()
    assert sorted(t.subject for t in db.session.scalars(select(Ticket))) == ["Export is empty", "Export still empty"]
    assert {t.requester_id for t in db.session.scalars(select(Ticket))} == {user.id}
    assert count(db, Message) == 2
