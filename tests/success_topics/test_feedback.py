"""Product feedback: counting (an account counts once, MRR sums), votes, history, shipping mails, CSV."""

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.models import OutboundMail
from app.models.success import FeedbackItem, FeedbackVote
from app.success import feedback as service

from .helpers import make_topic


@pytest.fixture
def item(db, orgs, staff, make_ticket, make_user):
    """An item linked to a topic (Acme ×2, Globex ×1), one more Acme ticket, Initech by hand."""
    people = [make_user("customer", email=f"p{i}@acme.example", password=None) for i in range(4)]
    t1 = make_ticket(requester=people[0], subject="Export empty", organization=orgs["acme"])
    t2 = make_ticket(requester=people[1], subject="Export blank", organization=orgs["acme"], status="solved")
    t3 = make_ticket(requester=people[2], subject="CSV has no rows", organization=orgs["globex"])
    direct = make_ticket(requester=people[3], subject="Export again", organization=orgs["acme"])
    topic = make_topic(tickets=[t1, t2, t3])
    item = service.create_item(staff["csm"], "Fix the CSV export", "It is empty.", type="bug",
                               topic_ids=[topic.id, topic.id], ticket_ids=[direct.id, t1.id],
                               organization_ids=[orgs["initech"].id])
    db.session.commit()
    return {"item": item, "topic": topic, "tickets": [t1, t2, t3, direct], "people": people}


def test_each_ticket_and_account_counts_once_and_mrr_sums(db, item, orgs, staff):
    service.add_vote(item["item"], staff["csm"], orgs["acme"].id)
    service.add_vote(item["item"], staff["admin"], orgs["acme"].id)
    db.session.commit()
    f = service.item_figures([item["item"].id])[item["item"].id]
    assert (f["ticket_count"], f["organization_count"], f["votes"]) == (4, 3, 2)
    assert f["mrr_affected"] == Decimal("2300.00")  # 1200 + 800 + 300, Acme once


def test_one_vote_per_person_account_and_item(db, item, orgs, staff):
    service.add_vote(item["item"], staff["csm"], orgs["acme"].id)
    db.session.commit()
    with pytest.raises(DomainError, match="already voted"):
        service.add_vote(item["item"], staff["csm"], orgs["acme"].id)
    db.session.rollback()
    service.add_vote(item["item"], staff["csm"], orgs["globex"].id)
    db.session.commit()
    assert db.session.scalar(select(func.count(FeedbackVote.id))) == 2


def test_bad_input_is_refused_and_nothing_is_written(db, staff, orgs):
    for kwargs, message in [
        ({"title": "  "}, "title is required"),
        ({"title": "x" * 201}, "too long"),
        ({"title": "Ok", "type": "wish"}, "Unknown type"),
        ({"title": "Ok", "ticket_ids": [424242]}, "not found"),
    ]:
        with pytest.raises(DomainError, match=message):
            service.create_item(staff["csm"], **kwargs)
        db.session.rollback()
    assert db.session.scalar(select(func.count(FeedbackItem.id))) == 0


def test_status_history_and_shipping_notifies_open_requesters_once(db, item, staff, run_jobs):
    entry = item["item"]
    service.change_status(entry, staff["csm"], "in_progress", note="Sprint 12")
    with pytest.raises(DomainError, match="already in progress"):
        service.change_status(entry, staff["csm"], "in_progress")
    with pytest.raises(DomainError):
        service.request_notification(entry, staff["csm"])  # not shipped yet
    service.change_status(entry, staff["csm"], "shipped")
    db.session.commit()
    assert [(h.old_status, h.new_status) for h in entry.history] == [
        (None, "new"), ("new", "in_progress"), ("in_progress", "shipped")]
    assert entry.shipped_at is not None

    service.request_notification(entry, staff["csm"])
    db.session.commit()
    run_jobs()
    service.request_notification(entry, staff["csm"])  # pressed twice
    db.session.commit()
    run_jobs()
    mails = db.session.scalars(select(OutboundMail).where(OutboundMail.kind == "feedback_shipped")).all()
    people = item["people"]
    # The requester of the solved ticket is not told; everyone else exactly once.
    assert sorted(m.to_addr for m in mails) == sorted([people[0].email, people[2].email, people[3].email])
    assert all("Fix the CSV export" in m.body_text for m in mails)


def test_pages_create_from_a_topic_vote_and_export_csv(db, item, orgs, staff, client_for):
    csm = client_for(staff["csm"])
    page = csm.get(f"/success/feedback/new?topic_id={item['topic'].id}")
    assert page.status_code == 200 and "Export is empty" in page.get_data(as_text=True)
    response = csm.post("/success/feedback/new", data={
        "title": "=SUM(A1) export", "description": "From the topic", "type": "docs_gap", "importance": "high",
        "topic_id": item["topic"].id})
    assert response.status_code == 302
    new = db.session.scalar(select(FeedbackItem).where(FeedbackItem.type == "docs_gap"))
    assert [t.id for t in new.topics] == [item["topic"].id]

    assert csm.post(f"/success/feedback/{new.id}/vote", data={"organization_id": orgs["globex"].id}).status_code == 302
    again = csm.post(f"/success/feedback/{new.id}/vote", data={"organization_id": orgs["globex"].id},
                     follow_redirects=True)
    assert "already voted" in again.get_data(as_text=True)

    listing = csm.get("/success/feedback?sort=mrr").get_data(as_text=True)
    assert listing.index("Fix the CSV export") < listing.index("=SUM(A1) export")

    export = csm.get("/success/feedback.csv?sort=votes")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [r["title"] for r in rows] == ["'=SUM(A1) export", "Fix the CSV export"]  # formulas stay text
    first = rows[1]
    assert (first["ticket_count"], first["organization_count"], first["mrr_affected"]) == ("4", "3", "2300.00")
    only_new = csm.get("/success/feedback.csv?status=shipped").get_data(as_text=True).splitlines()
    assert len(only_new) == 1  # the header


def test_agents_read_customers_are_refused(db, item, staff, make_user, client_for, api_token):
    agent = client_for(staff["agent"])
    assert agent.get("/success/feedback").status_code == 200
    assert agent.get(f"/success/feedback/{item['item'].id}").status_code == 200
    assert agent.post(f"/success/feedback/{item['item'].id}/status", data={"status": "planned"}).status_code == 403
    customer = make_user("customer", email="c@acme.example")
    for path in ("/success/feedback", "/success/feedback.csv", f"/success/feedback/{item['item'].id}"):
        assert client_for(customer).get(path).status_code == 403
    assert client_for(customer).get("/api/v1/feedback", headers=api_token(customer)).status_code == 403


def test_api_lists_feedback_with_the_contract_fields(db, item, orgs, staff, client):
    from app.auth.services import issue_api_token

    _, token = issue_api_token(staff["agent"])
    db.session.commit()
    response = client.get("/api/v1/feedback", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["items", "total", "page", "per_page"] and body["total"] == 1
    [entry] = body["items"]
    assert entry == {"id": item["item"].id, "title": "Fix the CSV export", "type": "bug", "status": "new",
                     "topic_ids": [item["topic"].id], "ticket_count": 4, "organization_count": 3,
                     "mrr_affected": 2300.0, "votes": 0}
    bad = client.get("/api/v1/feedback?per_page=101", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_error"
