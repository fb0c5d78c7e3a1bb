"""CSAT: one-click signed links, changing one's mind, comments, and the staff report."""

import time
from datetime import date

import pytest
from sqlalchemy import select

from app.models import CsatResponse, TicketEvent
from app.support.csat import csat_report, csat_url, rate
from app.support.services import add_message, assign_ticket, change_status, set_group
from tests.conftest import dt


@pytest.fixture
def solved(db, make_user, make_group, make_ticket):
    """A ticket solved by Ivan for the Billing group, and its two links (as paths)."""
    agent = make_user("agent", email="ivan@tandem.example", name="Ivan Agent")
    group = make_group("Billing", members=[agent])
    ana = make_user("customer", email="ana@acme.example", name="Ana Lima", password=None)
    ticket = make_ticket(ana)
    assign_ticket(ticket, agent, agent)
    set_group(ticket, agent, group)
    change_status(ticket, agent, "solved")
    db.session.commit()
    links = {r: csat_url(ticket, r).removeprefix("http://tandem.test") for r in ("good", "bad")}
    return {"ticket": ticket, "agent": agent, "group": group, "links": links}


def responses(db):
    db.session.expire_all()
    return db.session.execute(select(CsatResponse.rating, CsatResponse.comment, CsatResponse.agent_id,
                                     CsatResponse.group_id, CsatResponse.solve_count)).all()


def test_one_click_records_the_rating_without_signing_in(client, db, solved):
    response = client.get(solved["links"]["good"])
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "You rated our support: good." in page and 'name="comment"' in page
    assert responses(db) == [("good", None, solved["agent"].id, solved["group"].id, 0)]
    assert solved["ticket"].csat_rating == "good"


def test_clicking_again_or_the_other_link_changes_the_rating_never_duplicates(client, db, solved):
    client.get(solved["links"]["good"])
    client.get(solved["links"]["good"])
    assert "You rated our support: bad." in client.get(solved["links"]["bad"]).get_data(as_text=True)
    assert responses(db) == [("bad", None, solved["agent"].id, solved["group"].id, 0)]
    assert solved["ticket"].csat_rating == "bad"
    changes = db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "csat").order_by(TicketEvent.id)).all()
    assert [(e.old_value, e.new_value) for e in changes] == [(None, "good"), ("good", "bad")]


def test_the_optional_comment_is_saved_and_mirrored_on_the_ticket(client, db, solved, csrf_enabled, csrf_token):
    page = client.get(solved["links"]["bad"])
    assert client.post(solved["links"]["bad"], data={"rating": "bad", "comment": "Too slow"}).status_code == 400
    assert responses(db)[0][1] is None  # no CSRF token, nothing changed
    response = client.post(solved["links"]["bad"], data={
        "csrf_token": csrf_token(page), "rating": "good", "comment": "  Actually it works now, thanks!  "})
    assert response.status_code == 200 and "We saved your rating" in response.get_data(as_text=True)
    assert responses(db) == [("good", "Actually it works now, thanks!", solved["agent"].id, solved["group"].id, 0)]
    assert (solved["ticket"].csat_rating, solved["ticket"].csat_comment) == ("good", "Actually it works now, thanks!")


def test_a_bad_comment_form_is_explained(client, db, solved):
    client.get(solved["links"]["good"])
    response = client.post(solved["links"]["good"], data={"rating": "meh", "comment": "x" * 2001})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Not a valid choice" in page and "Field cannot be longer than 2000 characters" in page
    assert responses(db)[0][:2] == ("good", None)


def test_an_expired_link_is_refused_kindly(app, client, db, solved, monkeypatch):
    with monkeypatch.context() as m:
        month_ago = time.time() - 31 * 24 * 3600
        m.setattr(time, "time", lambda: month_ago)
        path = csat_url(solved["ticket"], "good").removeprefix("http://tandem.test")
    response = client.get(path)
    assert response.status_code == 410
    assert "This rating link has expired" in response.get_data(as_text=True)
    assert responses(db) == []


@pytest.mark.parametrize("tamper", [
    lambda p: p[:-5] + ("A" if p[-5] != "A" else "B") + p[-4:],  # signature (a fully used character)
    lambda p: p.replace("/csat/", "/csat/x"),                       # payload
    lambda p: "/csat/not-a-token",
])
def test_a_tampered_link_records_nothing(client, db, solved, tamper):
    response = client.get(tamper(solved["links"]["good"]))
    assert response.status_code == 404
    assert "This rating link is not valid" in response.get_data(as_text=True)
    assert responses(db) == []


def test_each_solve_gets_its_own_answer_and_the_ticket_shows_the_latest(client, db, solved):
    ticket = solved["ticket"]
    first_good = solved["links"]["good"]
    client.get(solved["links"]["bad"])
    add_message(ticket, ticket.requester, "Still broken")  # a reply reopens it
    change_status(ticket, solved["agent"], "solved")
    db.session.commit()
    second_good = csat_url(ticket, "good").removeprefix("http://tandem.test")
    client.get(second_good)
    assert sorted(r.solve_count for r in db.session.scalars(select(CsatResponse))) == [0, 1]
    client.get(first_good)  # changing the old answer does not hide the newer one
    assert sorted(responses(db), key=lambda r: r[4]) == [
        ("good", None, solved["agent"].id, solved["group"].id, 0),
        ("good", None, solved["agent"].id, solved["group"].id, 1)]
    client.get(csat_url(ticket, "bad").removeprefix("http://tandem.test"))
    db.session.expire_all()
    assert ticket.csat_rating == "bad"


# --- the report ------------------------------------------------------------------------------

@pytest.fixture
def ratings(db, make_user, make_group, make_ticket):
    """Answers over two ISO weeks (2026-W10: Mar 2-8, W11: Mar 9-15) for two agents and groups."""
    ivan = make_user("agent", name="Ivan Agent")
    mei = make_user("agent", name="Mei Agent")
    billing, tech = make_group("Billing"), make_group("Tech")
    rows = [  # agent, group, rating, day
        (ivan, billing, "good", dt(2026, 3, 2, 9)), (ivan, billing, "good", dt(2026, 3, 8, 23)),
        (ivan, tech, "bad", dt(2026, 3, 9, 0)), (mei, tech, "good", dt(2026, 3, 10, 12)),
        (mei, tech, "bad", dt(2026, 3, 12, 12)), (None, None, "good", dt(2026, 3, 13, 12)),
        (mei, tech, "good", dt(2026, 4, 20, 12)),  # outside the period below
    ]
    for agent, group, rating, when in rows:
        ticket = make_ticket()
        ticket.assignee, ticket.group = agent, group
        rate(ticket, 0, rating, now=when)
    db.session.commit()
    return {"ivan": ivan, "mei": mei}


def test_report_counts_per_agent_group_and_week(app, ratings):
    with app.test_request_context():
        report = csat_report(date(2026, 3, 1), date(2026, 3, 31))
    summary = lambda rows: [(r["label"], r["good"], r["bad"], r["percent"]) for r in rows]
    assert summary([report["total"]]) == [("All", 4, 2, 66.7)]
    assert summary(report["agents"]) == [("Ivan Agent", 2, 1, 66.7), ("Mei Agent", 1, 1, 50.0), ("Unassigned", 1, 0, 100.0)]
    assert summary(report["groups"]) == [("Tech", 1, 2, 33.3), ("Billing", 2, 0, 100.0), ("No group", 1, 0, 100.0)]
    assert summary(report["weeks"]) == [("2026-W10", 2, 0, 100.0), ("2026-W11", 2, 2, 50.0)]


def test_report_page_filters_by_period(client, ratings, make_user, login):
    login(make_user("csm"))
    page = client.get("/agent/reports/csat?start=2026-03-09&end=2026-03-15").get_data(as_text=True)
    assert "2026-W11" in page and "2026-W10" not in page
    assert "2 good, 2 bad, 4 answers" in page and "50.0 %" in page
    everything = client.get("/agent/reports/csat?start=2026-01-01&end=2026-12-31").get_data(as_text=True)
    assert "5 good, 2 bad, 7 answers" in everything
    bad = client.get("/agent/reports/csat?start=2026-03-09&end=2026-03-01")
    assert bad.status_code == 400 and "The end of the period comes before its start." in bad.get_data(as_text=True)
    assert client.get("/agent/reports/csat?start=yesterday").status_code == 400


@pytest.mark.parametrize("role, status", [("customer", 403), ("agent", 200), ("csm", 200), ("admin", 200)])
def test_report_is_for_staff_only(client, make_user, login, role, status):
    login(make_user(role))
    assert client.get("/agent/reports/csat").status_code == status


def test_report_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/agent/reports/csat")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
