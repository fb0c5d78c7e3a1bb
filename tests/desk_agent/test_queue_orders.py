"""The queue's orders walked by keyset both ways (app.support.queries)."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Ticket
from app.support.queries import BadCursor, cursor_of, queue_query

KEYS = {
    "sla": lambda t: (t.due_at is None, t.due_at or 0, -t.priority, t.id),
    "priority": lambda t: (-t.priority, t.id),
    "newest": lambda t: (-t.created_at.timestamp(), -t.id),
    "oldest": lambda t: (t.created_at.timestamp(), t.id),
    "updated": lambda t: (-t.updated_at.timestamp(), -t.id),
}


@pytest.fixture
def many(db, make_ticket, now):
    rng = random.Random(11)
    for _ in range(90):
        due = None if rng.random() < 0.3 else now + timedelta(minutes=rng.choice((-30, 0, 15, 60)))
        make_ticket(status=rng.choice(("new", "open", "pending", "solved")), due_at=due,
                    priority=rng.choice(("low", "normal", "high", "urgent")),
                    created_at=now - timedelta(minutes=rng.choice((0, 5, 10))),
                    updated_at=now - timedelta(minutes=rng.choice((0, 1, 2))))
    return db.session.scalars(select(Ticket)).all()


@pytest.mark.parametrize("order", list(KEYS))
def test_forward_and_backward_pages_agree(db, many, order, make_user):
    agent = make_user("agent")
    queue = queue_query(agent, order=order)
    expected = [t.id for t in sorted(many, key=KEYS[order])]
    pages, page = [], db.session.scalars(queue.first_page(per_page=8)).all()
    while page:
        pages.append([t.id for t in page])
        page = db.session.scalars(queue.page_after(cursor_of(page[-1], order), per_page=8)).all()
    assert [i for p in pages for i in p] == expected
    # Walking back from the last page's first ticket gives every earlier page, in list order.
    by_id = {t.id: t for t in many}
    for index in range(len(pages) - 1, 0, -1):
        before = db.session.scalars(queue.page_before(cursor_of(by_id[pages[index][0]], order), per_page=8)).all()
        assert [t.id for t in before] == pages[index - 1]


@pytest.mark.parametrize("order, cursor", [("priority", "s.-.1.2"), ("oldest", "n.20260101T000000000000.1"),
                                           ("updated", "u.x.1")])
def test_a_cursor_of_another_order_is_refused(db, make_user, order, cursor):
    with pytest.raises(BadCursor):
        queue_query(make_user("agent"), order=order).page_before(cursor)
