"""Topic pages and API: who sees what, the CSM decisions over HTTP, the agent's view of a ticket's topic."""

from sqlalchemy import select

from app.models import Ticket
from app.models.success import Topic, TopicPin

from .helpers import make_topic


def _topic_with_tickets(make_ticket, orgs, n=4, label="CSV export is empty"):
    tickets = [make_ticket(subject=f"Export empty {i}", organization=list(orgs.values())[i % 3]) for i in range(n)]
    return make_topic(label, tickets=tickets), tickets


def test_customers_never_see_topics(db, make_ticket, make_user, orgs, client_for, api_token):
    topic, _tickets = _topic_with_tickets(make_ticket, orgs)
    customer = make_user("customer", email="c@acme.example", organization=orgs["acme"])
    client = client_for(customer)
    for path in ("/success/topics", f"/success/topics/{topic.id}", "/success/feedback/new"):
        assert client.get(path).status_code == 403
    assert client.post(f"/success/topics/{topic.id}/rename", data={"label": "Mine"}).status_code == 403
    headers = api_token(customer)
    for path in ("/api/v1/topics", f"/api/v1/topics/{topic.id}"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert db.session.get(Topic, topic.id).label == "CSV export is empty"


def test_agents_read_but_do_not_decide(db, make_ticket, orgs, staff, client_for):
    topic, _tickets = _topic_with_tickets(make_ticket, orgs)
    agent = client_for(staff["agent"])
    page = agent.get(f"/success/topics/{topic.id}").get_data(as_text=True)
    assert "CSV export is empty" in page and "Acme" in page and "Rename" not in page
    assert agent.post(f"/success/topics/{topic.id}/dismiss").status_code == 403
    assert db.session.get(Topic, topic.id).status == "active"


def test_list_page_sorts_by_mrr_and_filters(db, make_ticket, orgs, staff, client_for):
    big, _ = _topic_with_tickets(make_ticket, {"a": orgs["acme"], "b": orgs["acme"], "c": orgs["acme"]},
                                 label="Only Acme")
    small, _ = _topic_with_tickets(make_ticket, {"a": orgs["initech"], "b": orgs["initech"], "c": orgs["initech"]},
                                   n=6, label="Only Initech")
    csm = client_for(staff["csm"])
    by_mrr = csm.get("/success/topics?sort=mrr").get_data(as_text=True)
    assert by_mrr.index("Only Acme") < by_mrr.index("Only Initech")
    by_size = csm.get("/success/topics?sort=size").get_data(as_text=True)
    assert by_size.index("Only Initech") < by_size.index("Only Acme")
    filtered = csm.get("/success/topics?q=initech").get_data(as_text=True)
    assert "Only Initech" in filtered and "Only Acme" not in filtered
    assert csm.get("/success/topics?sort=bogus&trend=nope").status_code == 200  # bad filters fall back


def test_csm_rename_split_merge_dismiss_over_http(db, make_ticket, orgs, staff, client_for):
    topic, tickets = _topic_with_tickets(make_ticket, orgs)
    other, _ = _topic_with_tickets(make_ticket, orgs, n=2, label="Other")
    csm = client_for(staff["csm"])

    assert csm.post(f"/success/topics/{topic.id}/rename", data={"label": "  "}).status_code == 302
    assert db.session.get(Topic, topic.id).label == "CSV export is empty"  # refused, nothing written
    csm.post(f"/success/topics/{topic.id}/rename", data={"label": "Export regression"})
    db.session.expire_all()
    assert (db.session.get(Topic, topic.id).label, db.session.get(Topic, topic.id).renamed) == ("Export regression", True)

    response = csm.post(f"/success/topics/{topic.id}/split", data={"ticket_ids": [tickets[0].id, tickets[1].id],
                                                                    "label": "Export of credit notes"})
    db.session.expire_all()
    new = db.session.scalar(select(Topic).where(Topic.label == "Export of credit notes"))
    assert response.headers["Location"].endswith(f"/success/topics/{new.id}")
    assert {t.id for t in db.session.scalars(select(Ticket).where(Ticket.topic_id == new.id))} == {
        tickets[0].id, tickets[1].id}
    assert (db.session.get(Topic, topic.id).size, new.size) == (2, 2)
    # Splitting off every ticket, or someone else's, is refused.
    csm.post(f"/success/topics/{new.id}/split", data={"ticket_ids": [tickets[0].id, tickets[1].id]})
    csm.post(f"/success/topics/{new.id}/split", data={"ticket_ids": [tickets[3].id]})
    db.session.expire_all()
    assert db.session.get(Topic, new.id).size == 2

    csm.post(f"/success/topics/{other.id}/merge", data={"target_id": topic.id})
    db.session.expire_all()
    merged = db.session.get(Topic, other.id)
    assert (merged.status, merged.merged_into_id, merged.size) == ("merged", topic.id, 0)
    assert db.session.get(Topic, topic.id).size == 4
    assert db.session.scalar(select(TopicPin.kind).where(TopicPin.origin_topic_id == other.id)) == "merge"

    csm.post(f"/success/topics/{topic.id}/dismiss")
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).status == "dismissed"
    listing = csm.get("/success/topics").get_data(as_text=True)
    assert "Export regression" not in listing and "Export of credit notes" in listing
    csm.post(f"/success/topics/{topic.id}/restore")
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).status == "active"


def test_api_topics_contract(db, make_ticket, orgs, staff, client, api_token):
    topic, tickets = _topic_with_tickets(make_ticket, orgs)
    make_topic("Gone", tickets=[make_ticket(subject="x")], status="dismissed")
    headers = api_token(staff["agent"])
    body = client.get("/api/v1/topics", headers=headers).get_json()
    assert list(body) == ["items", "total", "page", "per_page"] and body["total"] == 1
    [item] = body["items"]
    assert list(item) == ["id", "label", "terms", "size", "trend", "ticket_ids", "organizations"]
    assert item["ticket_ids"] == sorted(t.id for t in tickets) and item["size"] == 4
    assert [o["name"] for o in item["organizations"]] == ["Acme", "Globex", "Initech"]  # by MRR
    assert client.get(f"/api/v1/topics/{topic.id}", headers=headers).get_json() == item
    missing = client.get("/api/v1/topics/999999", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/topics?trend=sideways", headers=headers).status_code == 422


def test_agent_sees_the_topic_on_the_ticket_and_filters_the_queue(db, make_ticket, orgs, staff, client_for):
    topic, tickets = _topic_with_tickets(make_ticket, orgs)
    loner = make_ticket(subject="Something else entirely")
    agent = client_for(staff["agent"])
    page = agent.get(f"/agent/tickets/{tickets[0].id}").get_data(as_text=True)
    assert "CSV export is empty" in page and f"/success/topics/{topic.id}" in page
    assert "Recurring topic" not in agent.get(f"/agent/tickets/{loner.id}").get_data(as_text=True)
    queue = agent.get(f"/agent/?view=all&topic={topic.id}").get_data(as_text=True)
    assert "Export empty 0" in queue and "Something else entirely" not in queue
    assert agent.get("/agent/?topic=abc").status_code in (200, 400, 422)


def test_kb_articles_are_suggested_and_linked(db, make_ticket, orgs, staff, client_for):
    from app.models.kb import KbArticle

    article = KbArticle(title="CSV export is empty: how to fix it", body="Re-run the export after the update.",
                        locale="en", status="published", visibility="public", tags=[])
    db.session.add(article)
    db.session.commit()
    from app.kb import engine

    engine.index_article(article.id)  # what publishing does through the KB's job
    db.session.commit()
    topic, _tickets = _topic_with_tickets(make_ticket, orgs)
    csm = client_for(staff["csm"])
    page = csm.get(f"/success/topics/{topic.id}").get_data(as_text=True)
    assert "CSV export is empty: how to fix it" in page
    csm.post(f"/success/topics/{topic.id}/kb", data={"article_id": 999999})
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).kb_article_id is None
    csm.post(f"/success/topics/{topic.id}/kb", data={"article_id": article.id})
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).kb_article_id == article.id
    assert f"/kb/articles/{article.id}" in csm.get(f"/success/topics/{topic.id}").get_data(as_text=True)
