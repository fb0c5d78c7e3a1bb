"""Re-mining keeps topic identity and every CSM decision (rename, merge, split, dismiss)."""

import json

from sqlalchemy import select

from app.models import Ticket
from app.models.success import Topic
from app.success import topics as service
from app.success.topic_mining import mine_topics


def _remine(db):
    mine_topics()
    db.session.commit()
    db.session.expire_all()


def _members(db, topic_id):
    return set(db.session.scalars(select(Ticket.id).where(Ticket.topic_id == topic_id)))


def _live(db):
    """Topic ids of the mine, largest first (the algorithm decides how many)."""
    return db.session.scalars(select(Topic.id).where(Topic.status == "active", Topic.size > 0)
                              .order_by(Topic.size.desc(), Topic.id)).all()


def test_remining_keeps_topic_ids_and_members(db, desk, mined):
    before = {topic_id: _members(db, topic_id) for topic_id in _live(db)}
    assert before
    _remine(db)
    assert {topic_id: _members(db, topic_id) for topic_id in _live(db)} == before
    for name in ("one_offs",):
        assert all(t.topic_id is None for t in desk[name]), "a one-off ticket was forced into a topic"


def test_rename_survives(db, desk, mined, staff):
    topic_id = _live(db)[0]
    service.rename_topic(db.session.get(Topic, topic_id), staff["csm"], "Export regression (v2.3)")
    db.session.commit()
    _remine(db)
    topic = db.session.get(Topic, topic_id)
    assert topic.label == "Export regression (v2.3)" and topic.terms


def test_merge_survives(db, desk, mined, staff, runner):
    live = _live(db)
    assert len(live) >= 2, "the desk should give at least two topics"
    target_id, source_id = live[0], live[1]
    moved = _members(db, source_id) | _members(db, target_id)
    service.merge_topics(db.session.get(Topic, source_id), db.session.get(Topic, target_id), staff["csm"])
    db.session.commit()
    _remine(db)
    assert moved <= _members(db, target_id)
    assert db.session.get(Topic, source_id).status == "merged"
    listed = json.loads(runner.invoke(args=["success", "mine", "--json"]).stdout)["topics"]
    assert source_id not in [t["id"] for t in listed]
    assert moved <= {i for t in listed if t["id"] == target_id for i in t["ticket_ids"]}


def test_split_survives(db, desk, mined, staff):
    export = db.session.get(Topic, _live(db)[0])
    members = sorted(_members(db, export.id))
    picked = members[:2]
    new = service.split_topic(export, staff["csm"], picked, "Export: Russian customers")
    db.session.commit()
    new_id = new.id
    _remine(db)
    assert _members(db, new_id) == set(picked)
    assert _members(db, export.id) == set(members[2:])
    assert db.session.get(Topic, new_id).label == "Export: Russian customers"


def test_dismiss_survives_and_keeps_its_tickets_out_of_live_topics(db, desk, mined, staff, runner, make_ticket,
                                                                  arrival, run_jobs):
    card = db.session.get(Topic, mined["card"])
    card_tickets = _members(db, card.id)
    service.dismiss_topic(card, staff["csm"])
    db.session.commit()
    _remine(db)
    assert db.session.get(Topic, mined["card"]).status == "dismissed"
    listed = json.loads(runner.invoke(args=["success", "mine", "--json"]).stdout)["topics"]
    listed_tickets = {i for t in listed for i in t["ticket_ids"]}
    assert mined["card"] not in [t["id"] for t in listed]
    assert not listed_tickets & card_tickets
    # A new ticket about the dismissed problem does not revive it.
    fresh = make_ticket(subject="Card declined again", body="My credit card payment was declined at checkout.",
                        language="en")
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Ticket, fresh.id).topic_id in (None, mined["card"])
    assert service.ticket_topic(db.session.get(Ticket, fresh.id)) is None
