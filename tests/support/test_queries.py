"""Ticket lists: the default queue's order, filters, keyset and offset pages."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.errors import DomainError
from app.models import Ticket
from app.support import services
from app.support.queries import BadCursor, cursor_of, default_queue, queue_query


def ids(db, stmt):
    return [t.id for t in db.session.execute(stmt).scalars()]


@pytest.fixture
def agent(make_user):
    return make_user("agent")


def test_default_view_is_unassigned_and_mine_new_or_open_nearest_due_first_nulls_last(
        db, make_user, make_ticket, agent, now):
    other = make_user("agent")
    h = timedelta(hours=1)
    later_urgent = make_ticket(status="open", due_at=now + 3 * h, priority="urgent")
    no_due_urgent = make_ticket(status="new", due_at=None, priority="urgent")
    soonest_mine = make_ticket(status="open", due_at=now + h, assignee_id=agent.id)
    tie_low = make_ticket(status="new", due_at=now + 2 * h, priority="low")
    tie_high = make_ticket(status="new", due_at=now + 2 * h, priority="high")
    no_due_low = make_ticket(status="open", due_at=None, priority="low")
    overdue = make_ticket(status="new", due_at=now - h)
    make_ticket(status="open", due_at=now - 2 * h, assignee_id=other.id)  # someone else's
    make_ticket(status="pending", due_at=now - 2 * h)  # not new/open
    make_ticket(status="solved")

    assert ids(db, default_queue(agent).first_page()) == [
        overdue.id, soonest_mine.id, tie_high.id, tie_low.id, later_urgent.id, no_due_urgent.id, no_due_low.id,
    ]


def test_same_due_and_priority_falls_back_to_oldest_id(db, make_ticket, agent, now):
    made = [make_ticket(status="open", due_at=now, priority="normal").id for _ in range(3)]
    assert ids(db, default_queue(agent).first_page()) == made


@pytest.fixture
def spread(db, make_org, make_group, make_user, make_ticket, agent, now):
    acme, globex = make_org("Acme"), make_org("Globex")
    billing, cards = make_group("Billing"), make_group("Cards")
    customer = make_user("customer")
    made = {
        "a": make_ticket(customer, status="open", priority="high", group_id=billing.id, organization_id=acme.id,
                         assignee_id=agent.id, due_at=now - timedelta(hours=1), created_at=now - timedelta(days=3)),
        "b": make_ticket(status="pending", priority="low", group_id=cards.id, organization_id=globex.id,
                         due_at=now + timedelta(minutes=30), created_at=now - timedelta(days=2)),
        "c": make_ticket(status="open", priority="urgent", group_id=billing.id, organization_id=globex.id,
                         due_at=now + timedelta(hours=5), created_at=now - timedelta(days=1)),
        "d": make_ticket(customer, status="closed", priority="normal", organization_id=acme.id, created_at=now),
    }
    services.set_tags(made["c"], agent, ["Refund", "vip"], now=now)
    db.session.commit()
    return dict(made, acme=acme, billing=billing, customer=customer)


@pytest.mark.parametrize("filters,expected", [
    ({"statuses": "open"}, ["a", "c"]),
    ({"statuses": ["pending", "closed"]}, ["b", "d"]),
    ({"priorities": "high"}, ["a"]),
    ({"priorities": [4, "low"]}, ["b", "c"]),
    ({"assignee": "me"}, ["a"]),
    ({"assignee": "none"}, ["b", "c", "d"]),
    ({"tag": "refund"}, ["c"]),
    ({"breach_state": "breached"}, ["a"]),
    ({"breach_state": "due_soon"}, ["b"]),
    ({"breach_state": "on_track"}, ["c"]),
    ({"breach_state": "no_sla"}, ["d"]),
    ({"statuses": "open", "priorities": "urgent"}, ["c"]),
])
def test_filters(db, spread, agent, now, filters, expected):
    got = ids(db, queue_query(agent, now=now, **filters).first_page(per_page=100))
    assert sorted(got) == sorted(spread[k].id for k in expected)


def test_group_organization_requester_and_created_filters(db, spread, agent, now):
    def got(**kw):
        return sorted(ids(db, queue_query(agent, **kw).first_page(per_page=100)))

    assert got(group_id=spread["billing"].id) == sorted([spread["a"].id, spread["c"].id])
    assert got(organization_id=spread["acme"].id) == sorted([spread["a"].id, spread["d"].id])
    assert got(requester_id=spread["customer"].id) == sorted([spread["a"].id, spread["d"].id])
    assert got(created_from=now - timedelta(days=2, hours=1), created_to=now - timedelta(hours=1)) == sorted(
        [spread["b"].id, spread["c"].id])


def test_count_matches_the_filter(db, spread, agent):
    assert db.session.scalar(queue_query(agent, statuses="open").count()) == 2
    assert db.session.scalar(queue_query(agent).count()) == 4


def test_newest_order(db, spread, agent):
    got = ids(db, queue_query(agent, order="newest").first_page())
    assert got == [spread[k].id for k in ("d", "c", "b", "a")]


def test_customers_only_see_their_own_tickets(db, spread):
    got = ids(db, queue_query(spread["customer"]).first_page())
    assert sorted(got) == sorted([spread["a"].id, spread["d"].id])


def test_search_filter_hides_internal_notes_from_customers(db, spread, agent):
    services.add_message(spread["a"], agent, "Internal: suspected fraud", public=False, notify=False)
    db.session.commit()
    assert ids(db, queue_query(agent, q="fraud").first_page()) == [spread["a"].id]
    assert ids(db, queue_query(spread["customer"], q="fraud").first_page()) == []


@pytest.mark.parametrize("bad", [
    {"statuses": "archived"}, {"priorities": "critical"}, {"priorities": 9}, {"assignee": "someone"},
    {"breach_state": "late"}, {"order": "random"},
])
def test_unknown_filter_values_are_domain_errors(db, agent, bad):
    with pytest.raises(DomainError):
        queue_query(agent, **bad)


@pytest.fixture
def many(db, make_ticket, now):
    import random

    rng = random.Random(3)
    statuses = ("new", "open", "pending", "on_hold", "solved")
    for i in range(120):
        due = None if rng.random() < 0.3 else now + timedelta(minutes=rng.choice((-30, 0, 15, 60, 120)))
        make_ticket(status=rng.choice(statuses), priority=rng.choice(("low", "normal", "high", "urgent")), due_at=due,
                    created_at=now - timedelta(minutes=rng.choice((0, 5, 10, 20))))
    return db.session.scalars(select(Ticket).order_by(Ticket.id)).all()


def sla_key(t):
    return (t.due_at is None, t.due_at or 0, -t.priority, t.id)


@pytest.mark.parametrize("order,key", [
    ("sla", sla_key),
    ("newest", lambda t: (-t.created_at.timestamp(), -t.id)),
])
def test_keyset_walks_every_row_once_in_order(db, many, agent, order, key):
    queue = queue_query(agent, order=order)
    expected = [t.id for t in sorted(many, key=key)]
    seen, page = [], db.session.execute(queue.first_page(per_page=7)).scalars().all()
    while page:
        seen.extend(t.id for t in page)
        page = db.session.execute(queue.page_after(cursor_of(page[-1], order), per_page=7)).scalars().all()
    assert seen == expected


@pytest.mark.parametrize("order", ["sla", "newest"])
def test_offset_pages_agree_with_keyset(db, many, agent, order):
    queue = queue_query(agent, statuses=("new", "open", "pending"), order=order)
    by_offset = []
    for number in range(1, 30):
        page = ids(db, queue.page(number, per_page=9))
        if not page:
            break
        by_offset.extend(page)
    walked, cursor = [], None
    while True:
        stmt = queue.first_page(per_page=9) if cursor is None else queue.page_after(cursor, per_page=9)
        page = db.session.execute(stmt).scalars().all()
        if not page:
            break
        walked.extend(t.id for t in page)
        cursor = cursor_of(page[-1], order)
    assert by_offset == walked and len(walked) == len(set(walked))
    assert len(walked) == db.session.scalar(queue.count())


@pytest.mark.parametrize("cursor", ["", "garbage", "s.x.1.2", "n.20260101T000000000000", "s.-.a.1"])
def test_bad_cursor_is_a_clear_error(db, agent, cursor):
    with pytest.raises(BadCursor):
        queue_query(agent).page_after(cursor)


def test_bad_page_number(db, agent):
    with pytest.raises(DomainError):
        queue_query(agent).page(0)


@pytest.mark.parametrize("few_hits", [1000, 0])
def test_search_gives_the_same_tickets_whether_hits_are_few_or_many(db, make_user, make_ticket, agent,
                                                                     monkeypatch, few_hits):
    # With few_hits=0 every word counts as common: rows are checked one by one in page order.
    from app.support import queries

    monkeypatch.setattr(queries, "FEW_HITS", few_hits)
    customer = make_user("customer")
    refund = make_ticket(customer, subject="Refund please", body="我想申请退款")
    make_ticket(customer, subject="Card declined", body="At the shop")
    services.add_message(refund, agent, "Internal: refund approved by finance", public=False, notify=False)
    db.session.commit()

    def search(viewer, q):
        return ids(db, queue_query(viewer, q=q, order="newest").first_page())

    assert search(agent, "refund") == [refund.id]
    assert search(agent, "退款") == [refund.id]
    assert search(agent, "退") == [refund.id]
    assert search(agent, "finance") == [refund.id]
    assert search(customer, "finance") == []
    assert search(agent, "refund declined") == []
    assert search(agent, '"*" NEAR(') == []
