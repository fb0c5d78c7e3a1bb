"""The agent queue page: default view, filters, sorts, keyset pages and the spam filter."""

import re
from datetime import timedelta

import pytest

from app.models import Tag


@pytest.fixture
def spread(db, make_ticket, make_user, make_group, make_org, agent, customer, soon):
    """Tickets that each filter tells apart, by name."""
    other = make_user("agent", email="olga@tandem.example", name="Olga")
    billing = make_group("Billing")
    globex = make_org("Globex")
    bob = make_user("customer", email="bob@globex.example", organization=globex, password=None)
    t = {
        "late": make_ticket(customer, subject="Late one", status="open", priority="high", due_at=soon(-30)),
        "soon": make_ticket(customer, subject="Due soon", status="new", priority="normal", due_at=soon(20)),
        "later": make_ticket(customer, subject="Due later", status="new", priority="urgent", due_at=soon(600)),
        "mine": make_ticket(customer, subject="Mine", status="open", assignee=agent, priority="low"),
        "olgas": make_ticket(bob, subject="Olga's", status="open", assignee=other, group=billing,
                             organization=globex),
        "pending": make_ticket(bob, subject="Waiting", status="pending", organization=globex),
        "solved": make_ticket(customer, subject="Done", status="solved"),
    }
    refund = Tag(name="refund")
    t["pending"].tags.append(refund)
    t["olgas"].created_at = t["olgas"].created_at - timedelta(days=10)
    db.session.commit()
    t["other"], t["billing"], t["bob"] = other, billing, bob
    return t


def test_default_view_is_unassigned_and_mine_new_or_open_nearest_due_first(agent_client, spread, listed):
    response = agent_client.get("/agent/")
    assert response.status_code == 200
    assert listed(response) == [spread["late"].id, spread["soon"].id, spread["later"].id, spread["mine"].id]
    assert 'aria-current="page"' in response.get_data(as_text=True)
    assert "app;dur=" in response.headers["Server-Timing"]


@pytest.mark.parametrize("query, names", [
    ("status=pending", ["pending"]),
    ("status=new&status=open&priority=urgent", ["later"]),
    ("assignee=none&status=open&status=new", ["late", "soon", "later"]),
    ("assignee=me", ["mine"]),
    ("tag=Refund", ["pending"]),
    ("organization=globex", ["olgas", "pending"]),
    ("requester=BOB@globex.example", ["olgas", "pending"]),
    ("requester=nobody@example.com", []),
    ("breach=breached", ["late"]),
    ("breach=due_soon", ["soon"]),
    ("q=waiting", ["pending"]),
])
def test_filters(agent_client, spread, listed, query, names):
    response = agent_client.get(f"/agent/?{query}&sort=newest")
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(spread[n].id for n in names)


def test_named_assignee_and_group_filters(agent_client, spread, listed):
    other, billing = spread["other"], spread["billing"]
    assert listed(agent_client.get(f"/agent/?assignee={other.id}")) == [spread["olgas"].id]
    assert listed(agent_client.get(f"/agent/?group={billing.id}")) == [spread["olgas"].id]


def test_created_range_is_inclusive_days(agent_client, spread, listed, now):
    today = now.date().isoformat()
    recent = listed(agent_client.get(f"/agent/?created_from={today}&created_to={today}&sort=oldest"))
    assert spread["olgas"].id not in recent and spread["late"].id in recent
    old_day = (now - timedelta(days=10)).date().isoformat()
    assert listed(agent_client.get(f"/agent/?created_from={old_day}&created_to={old_day}")) == [spread["olgas"].id]


@pytest.mark.parametrize("sort, key", [
    ("newest", lambda t: (-t.created_at.timestamp(), -t.id)),
    ("oldest", lambda t: (t.created_at.timestamp(), t.id)),
    ("priority", lambda t: (-t.priority, t.id)),
    ("updated", lambda t: (-t.updated_at.timestamp(), -t.id)),
])
def test_sorts(agent_client, spread, listed, db, sort, key):
    from app.models import Ticket

    everything = db.session.scalars(db.select(Ticket)).all()
    assert listed(agent_client.get(f"/agent/?sort={sort}")) == [t.id for t in sorted(everything, key=key)]


@pytest.mark.parametrize("query", ["status=archived", "priority=critical", "breach=late", "sort=random",
                                   "created_from=yesterday", "assignee=someone", "after=garbage"])
def test_bad_filters_are_a_clear_400(agent_client, spread, query):
    response = agent_client.get(f"/agent/?{query}")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_keyset_pages_walk_forward_and_back(agent_client, db, make_ticket, customer, listed, soon):
    import random

    rng = random.Random(5)
    made = [make_ticket(customer, status=rng.choice(("new", "open")), priority=rng.choice(("low", "high")),
                        due_at=None if rng.random() < 0.3 else soon(rng.choice((-5, 10, 60))))
            for _ in range(60)]
    assert len(made) == 60
    pages, url = [], "/agent/?view=active"
    while url:
        response = agent_client.get(url)
        pages.append((url, listed(response)))
        found = re.search(r'href="([^"]+)" rel="next"', response.get_data(as_text=True))
        url = found.group(1).replace("&amp;", "&") if found else None
    assert [len(p) for _, p in pages] == [25, 25, 10]
    walked = [n for _, page in pages for n in page]
    assert sorted(walked) == sorted(t.id for t in made)
    # "Previous" from the last page gives exactly the middle page back.
    last = agent_client.get(pages[-1][0]).get_data(as_text=True)
    prev = re.search(r'href="([^"]+)" rel="prev"', last).group(1).replace("&amp;", "&")
    assert "before=" in prev
    assert listed(agent_client.get(prev)) == pages[1][1]


def test_pages_keep_explicit_filters_even_when_empty(agent_client, db, make_ticket, customer, listed):
    for _ in range(30):
        make_ticket(customer, status="closed")
    first = agent_client.get("/agent/?sort=newest")
    assert len(listed(first)) == 25
    nxt = re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert len(listed(agent_client.get(nxt))) == 5  # still "all tickets", not the default view


def test_spam_is_hidden_from_every_view(agent_client, spread, db, listed):
    spread["late"].is_spam = True
    db.session.commit()
    assert spread["late"].id not in listed(agent_client.get("/agent/?sort=newest"))
    assert spread["late"].id not in listed(agent_client.get("/agent/"))


def test_rows_show_sla_badge_and_collapse_markup(agent_client, spread):
    html = agent_client.get("/agent/").get_data(as_text=True)
    row = re.search(r'<tr data-ticket="%d">.*?</tr>' % spread["late"].id, html, re.S).group(0)
    assert "sla-overdue" in row
    assert 'data-label="Status"' in row and "agent.css" in html and "agent.js" in html


def test_sidebar_counts_are_capped_and_fetched_after_the_page(agent_client, spread, monkeypatch):
    from app.support import views

    html = agent_client.get("/agent/").get_data(as_text=True)
    assert '<span class="count" data-count="builtin:active">…</span>' in html  # nothing counted yet
    counts = agent_client.get("/agent/views/counts").get_json()
    assert counts["builtin:active"] == "6" and counts["builtin:mine"] == "4" and counts["builtin:solved"] == "1"
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    assert agent_client.get("/agent/views/counts").get_json()["builtin:active"] == "3+"


def test_counts_are_kept_for_a_while_and_shown_with_the_page(app, agent_client, spread, make_ticket, customer,
                                                             monkeypatch):
    monkeypatch.setitem(app.config, "QUEUE_COUNT_TTL", 60)
    monkeypatch.setattr("app.support.views._COUNTS", {})
    assert agent_client.get("/agent/views/counts").get_json()["builtin:pending"] == "1"
    make_ticket(customer, status="pending")
    html = agent_client.get("/agent/").get_data(as_text=True)
    assert '<span class="count" data-count="builtin:pending">1</span>' in html  # from the cache: no recount
