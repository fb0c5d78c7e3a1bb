"""Scenario tests: how replies, notes and status changes move each metric's clock."""

from datetime import timedelta

import pytest

from app.models import SlaEvent, TicketSlaClock
from app.support.services import add_message, change_status, create_ticket, set_priority
from app.support.sla.services import sla_json


@pytest.fixture
def desk(db, make_user, make_calendar, make_policy):
    calendar = make_calendar()
    policy = make_policy()
    agent = make_user("agent")
    customer = make_user("customer", email="ana@acme.example")
    return {"calendar": calendar, "policy": policy, "agent": agent, "customer": customer}


def open_ticket(db, desk, now, **kw):
    ticket = create_ticket(desk["customer"], body="The export is empty.", subject="Export", now=now, notify=False, **kw)
    db.session.commit()
    return ticket


def sla(ticket, now):
    return {row["metric"]: row for row in sla_json(ticket, now)}


def clocks(db, ticket, metric):
    return db.session.query(TicketSlaClock).filter_by(ticket_id=ticket.id, metric=metric).order_by(
        TicketSlaClock.cycle).all()


def test_new_ticket_gets_first_reply_and_resolution_in_business_hours(db, desk, at):
    ticket = open_ticket(db, desk, at(hours=7, minutes=30))  # Monday 16:30 Berlin
    targets = sla(ticket, at(hours=7, minutes=30))
    assert set(targets) == {"first_reply", "resolution"}
    # 60 business minutes from Monday 16:30: half an hour today, half an hour on Tuesday from 09:00.
    assert targets["first_reply"]["due_at"] == at(days=1, minutes=30)
    assert ticket.due_at == at(days=1, minutes=30)
    assert targets["first_reply"]["breached"] is False and targets["first_reply"]["paused"] is False


def test_an_internal_note_does_not_satisfy_first_reply(db, desk, at):
    ticket = open_ticket(db, desk, at())
    add_message(ticket, desk["agent"], "Checking the logs.", public=False, now=at(minutes=10))
    db.session.commit()
    assert sla(ticket, at(minutes=10))["first_reply"]["achieved_at"] is None
    add_message(ticket, desk["agent"], "Fixed, try again.", public=True, now=at(minutes=20))
    db.session.commit()
    first = sla(ticket, at(minutes=20))["first_reply"]
    assert first["achieved_at"] == at(minutes=20) and first["breached"] is False
    # Ticket.due_at moves on to the next running clock (resolution).
    assert ticket.due_at == sla(ticket, at(minutes=20))["resolution"]["due_at"]


def test_a_late_first_reply_is_reported_breached_and_achieved(db, desk, at):
    ticket = open_ticket(db, desk, at())
    add_message(ticket, desk["agent"], "Sorry for the wait.", now=at(hours=2))
    db.session.commit()
    first = sla(ticket, at(hours=2))["first_reply"]
    assert first["achieved_at"] == at(hours=2) and first["breached"] is True


def test_customer_reply_while_pending_resumes_and_starts_next_reply(db, desk, at):
    ticket = open_ticket(db, desk, at())
    add_message(ticket, desk["agent"], "Which browser?", now=at(minutes=30))
    change_status(ticket, desk["agent"], "pending", now=at(minutes=30))
    db.session.commit()
    state = sla(ticket, at(hours=1))
    assert state["resolution"]["paused"] is True and state["resolution"]["due_at"] is None
    assert "next_reply" not in state
    assert ticket.due_at is None  # nothing runs while we wait on the customer

    add_message(ticket, desk["customer"], "Firefox.", now=at(hours=3))
    db.session.commit()
    assert ticket.status == "open"
    state = sla(ticket, at(hours=3))
    assert state["resolution"]["paused"] is False
    # Resolution used 30 of 480 minutes before the pause: 450 left from 12:00 Berlin → Tuesday 11:30.
    assert state["resolution"]["due_at"] == at(days=1, hours=2, minutes=30)
    assert state["next_reply"]["due_at"] == at(hours=5)
    add_message(ticket, desk["agent"], "Fixed in Firefox too.", now=at(hours=4))
    db.session.commit()
    assert sla(ticket, at(hours=4))["next_reply"]["achieved_at"] == at(hours=4)


def test_each_unanswered_customer_message_starts_one_cycle_from_the_oldest(db, desk, at):
    ticket = open_ticket(db, desk, at())
    add_message(ticket, desk["agent"], "Hello", now=at(minutes=5))
    add_message(ticket, desk["customer"], "Still broken", now=at(minutes=10))
    add_message(ticket, desk["customer"], "Any news?", now=at(minutes=50))
    db.session.commit()
    cycles = clocks(db, ticket, "next_reply")
    assert [c.cycle for c in cycles] == [1]
    assert cycles[0].started_at == at(minutes=10)
    add_message(ticket, desk["agent"], "Looking", now=at(hours=1))
    add_message(ticket, desk["customer"], "Thanks", now=at(hours=2))
    db.session.commit()
    cycles = clocks(db, ticket, "next_reply")
    assert [(c.cycle, c.state) for c in cycles] == [(1, "achieved"), (2, "active")]
    assert sla(ticket, at(hours=2))["next_reply"]["due_at"] == at(hours=4)


def test_customer_messages_before_the_first_reply_start_no_next_reply(db, desk, at):
    ticket = open_ticket(db, desk, at())
    add_message(ticket, desk["customer"], "Hello?", now=at(minutes=10))
    db.session.commit()
    assert clocks(db, ticket, "next_reply") == []


def test_reopen_resumes_resolution_without_counting_the_solved_time(db, desk, at):
    ticket = open_ticket(db, desk, at())
    add_message(ticket, desk["agent"], "Done", now=at(hours=1))
    change_status(ticket, desk["agent"], "solved", now=at(hours=2))
    db.session.commit()
    resolution = sla(ticket, at(hours=2))["resolution"]
    assert resolution["achieved_at"] == at(hours=2) and ticket.due_at is None
    add_message(ticket, desk["customer"], "It broke again", now=at(days=1))  # Tuesday 09:00 Berlin
    db.session.commit()
    assert ticket.status == "open"
    (clock,) = clocks(db, ticket, "resolution")
    assert clock.state == "active" and clock.achieved_at is None and clock.used_seconds == 2 * 3600
    # 6 business hours left from Tuesday 09:00 → Tuesday 15:00 Berlin.
    assert sla(ticket, at(days=1))["resolution"]["due_at"] == at(days=1, hours=6)


def test_on_hold_pauses_resolution_but_not_first_reply(db, desk, at):
    ticket = open_ticket(db, desk, at())
    change_status(ticket, desk["agent"], "on_hold", now=at(minutes=10))
    db.session.commit()
    state = sla(ticket, at(minutes=10))
    assert state["resolution"]["paused"] is True
    assert state["first_reply"]["paused"] is False and state["first_reply"]["due_at"] == at(hours=1)
    assert ticket.due_at == at(hours=1)


def test_pause_statuses_are_configurable_per_policy(db, make_user, make_calendar, make_policy, at):
    make_calendar()
    make_policy(pause_statuses={"first_reply": ["on_hold"], "resolution": []})
    customer = make_user("customer")
    ticket = create_ticket(customer, body="Help", now=at(), notify=False)
    change_status(ticket, None, "on_hold", now=at(minutes=10))
    db.session.commit()
    state = sla(ticket, at(minutes=10))
    assert state["first_reply"]["paused"] is True and state["resolution"]["paused"] is False


def test_priority_raised_mid_flight_recomputes_from_the_original_start(db, desk, make_policy, at):
    desk["policy"].targets.clear()
    db.session.flush()
    from app.models import SlaTarget

    desk["policy"].targets.extend([
        SlaTarget(metric="first_reply", priority=2, minutes=240, business_hours=True),
        SlaTarget(metric="first_reply", priority=4, minutes=30, business_hours=True),
        SlaTarget(metric="resolution", priority=2, minutes=960, business_hours=True),
    ])
    db.session.commit()
    ticket = open_ticket(db, desk, at())
    assert sla(ticket, at())["first_reply"]["due_at"] == at(hours=4)
    set_priority(ticket, desk["agent"], "urgent", now=at(minutes=10))
    db.session.commit()
    state = sla(ticket, at(minutes=10))
    # From the creation time, not from the change: due 09:30 Berlin; urgent has no resolution target.
    assert state["first_reply"]["due_at"] == at(minutes=30)
    assert "resolution" not in state
    assert ticket.due_at == at(minutes=30)
    kinds = [e.kind for e in db.session.query(SlaEvent).filter_by(ticket_id=ticket.id).order_by(SlaEvent.id)]
    assert "recomputed" in kinds and "cancelled" in kinds


def test_a_policy_change_applies_the_first_matching_policy(db, desk, make_policy, make_org, at):
    enterprise = make_policy(name="Enterprise", position=-1, conditions={"plans": ["enterprise"]},
                             targets={"first_reply": 15})
    ticket = open_ticket(db, desk, at())
    assert sla(ticket, at())["first_reply"]["due_at"] == at(hours=1)  # Standard
    org = make_org("Big", plan="enterprise")
    desk["customer"].organization = org
    db.session.commit()
    vip = create_ticket(desk["customer"], body="Help", now=at(), notify=False)
    db.session.commit()
    assert sla(vip, at())["first_reply"]["due_at"] == at(minutes=15)
    assert set(sla(vip, at())) == {"first_reply"}
    events = db.session.query(SlaEvent).filter_by(ticket_id=vip.id, kind="policy_applied").all()
    assert [e.data["policy_id"] for e in events] == [enterprise.id]


def test_no_matching_policy_means_no_clocks(db, make_user, make_policy, at):
    make_policy(conditions={"channels": ["email"]})
    customer = make_user("customer")
    ticket = create_ticket(customer, body="Help", now=at(), notify=False)
    db.session.commit()
    assert sla_json(ticket, at()) == [] and ticket.due_at is None
    assert db.session.query(TicketSlaClock).count() == 0


def test_calendar_targets_count_nights_and_weekends(db, make_user, make_calendar, make_policy, at):
    make_calendar()
    make_policy(targets={"first_reply": 24 * 60}, business_hours=False)
    ticket = create_ticket(make_user("customer"), body="Help", now=at(days=4), notify=False)  # Friday
    db.session.commit()
    assert sla(ticket, at(days=4))["first_reply"]["due_at"] == at(days=5)


def test_closing_cancels_what_still_runs(db, desk, at):
    ticket = open_ticket(db, desk, at())
    change_status(ticket, desk["agent"], "solved", now=at(minutes=5))
    change_status(ticket, desk["agent"], "closed", now=at(minutes=6))
    db.session.commit()
    states = {c.metric: c.state for c in db.session.query(TicketSlaClock).filter_by(ticket_id=ticket.id)}
    assert states == {"first_reply": "cancelled", "resolution": "achieved"}
    assert ticket.due_at is None
    assert [row["metric"] for row in sla_json(ticket, at(minutes=6))] == ["resolution"]


def test_every_change_is_an_event(db, desk, at):
    ticket = open_ticket(db, desk, at())
    change_status(ticket, desk["agent"], "pending", now=at(minutes=5))
    change_status(ticket, desk["agent"], "open", now=at(minutes=15))
    add_message(ticket, desk["agent"], "Answer", now=at(minutes=20))
    db.session.commit()
    rows = db.session.query(SlaEvent).filter_by(ticket_id=ticket.id).order_by(SlaEvent.id)
    kinds = [(e.kind, e.metric) for e in rows]
    assert kinds[:3] == [("policy_applied", None), ("activated", "first_reply"), ("activated", "resolution")]
    assert ("paused", "first_reply") in kinds and ("resumed", "first_reply") in kinds
    assert ("achieved", "first_reply") in kinds
    # Ten paused minutes do not count: 20 minutes in, 10 of them used.
    (first,) = clocks(db, ticket, "first_reply")
    assert first.used_seconds == 10 * 60
    assert first.achieved_at == at(minutes=20)
    assert first.started_at + timedelta(minutes=20) == first.achieved_at
