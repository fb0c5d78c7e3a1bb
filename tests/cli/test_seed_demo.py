"""`flask seed-demo`: a realistic, mail-free demo that is safe to run twice."""

from datetime import timedelta

from sqlalchemy import func, select

from app.models import Group, JobRecord, Message, Organization, OutboundMail, Ticket, TicketEvent, User
from app.models.base import utcnow

LOGINS = ("admin@example.com", "agent@example.com", "csm@example.com", "customer@example.com")


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_builds_the_demo_once_and_its_logins_work(runner, db, app, run_jobs):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for email in LOGINS:
        assert email in result.stdout
    assert "demo1234" in result.stdout
    run_jobs()

    counts = {model: _count(db, model) for model in (Organization, User, Group, Ticket, Message, TicketEvent)}
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "already there" in again.stdout
    assert {model: _count(db, model) for model in counts} == counts

    for email in LOGINS:
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": "demo1234"})
        assert response.status_code == 302, email
        assert "/login" not in response.headers["Location"]

    customer = db.session.scalar(select(User).where(User.email == "customer@example.com"))
    assert customer.organization.name == "Demo Customer Inc."
    roles = {role for (role,) in db.session.execute(select(User.role).distinct())}
    assert roles == {"customer", "agent", "csm", "admin"}


def test_seed_demo_content_is_realistic_and_sends_no_mail(runner, db, run_jobs):
    now = utcnow()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    run_jobs()
    tickets = db.session.scalars(select(Ticket)).all()
    assert 300 <= len(tickets) <= 400
    assert {t.status for t in tickets} == {"new", "open", "pending", "on_hold", "solved", "closed"}
    assert {t.priority_name for t in tickets} == {"low", "normal", "high", "urgent"}
    assert {t.language for t in tickets} == {"en", "ru", "bg", "zh-Hant", "zh-Hans", "ja"}
    assert min(t.created_at for t in tickets) > now - timedelta(days=95)
    assert any(t.assignee_id for t in tickets) and any(t.assignee_id is None for t in tickets)
    assert any(t.group_id for t in tickets) and any(t.tags for t in tickets)
    assert any(t.reopen_count for t in tickets)
    assert {m.public for m in db.session.scalars(select(Message))} == {True, False}
    # Every change happened in the past, in order, and each ticket's story starts at its creation.
    for ticket in tickets:
        times = [e.created_at for e in ticket.events]
        assert times == sorted(times) and times[0] == ticket.created_at and times[-1] <= now + timedelta(seconds=5)
        if ticket.status == "closed":
            assert ticket.closed_at >= ticket.solved_at + timedelta(days=4)
    assert _count(db, OutboundMail) == 0
    assert db.session.scalar(select(func.count()).select_from(JobRecord).where(JobRecord.status != "done")) == 0

    orgs = db.session.scalars(select(Organization)).all()
    assert len(orgs) >= 8
    assert {o.plan for o in orgs} == {"starter", "growth", "enterprise"}
    assert all(o.owner is not None and o.domains and o.segment_tags for o in orgs)
    assert sum(o.mrr for o in orgs) > 0 and any(o.renewal_date for o in orgs)
    groups = db.session.scalars(select(Group)).all()
    assert {g.name for g in groups} == {"Billing", "Technical", "Accounts"}
    assert all(g.members for g in groups)


def test_seed_demo_refuses_when_demo_addresses_are_taken(runner, db, make_user):
    make_user("agent", email="agent@example.com")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "agent@example.com" in result.stderr
    assert (_count(db, Ticket), _count(db, Organization), _count(db, User)) == (0, 0, 1)
