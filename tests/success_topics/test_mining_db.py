"""Full mining over stored vectors: groups found, one-offs left out, the CLI contract."""

import json

from sqlalchemy import func, select

from app.models import Ticket
from app.models.success import TicketVector, Topic


def test_new_tickets_get_vectors_on_arrival(db, arrival, desk):
    stored = db.session.scalars(select(TicketVector.ticket_id)).all()
    assert sorted(stored) == sorted(t.id for group in desk.values() for t in group)


def test_mine_places_recurring_problems_and_leaves_one_offs_out(db, desk, mined):
    # How finely problems are told apart is the algorithm's business (tests/success_mining);
    # here: the database side stores what it found, across languages, and forces nothing in.
    for name in ("export", "password", "card"):
        assert mined[name] is not None, f"{name} tickets were left out of every topic"
        together = [t for t in desk[name] if t.topic_id == mined[name]]
        assert len(together) * 2 > len(desk[name]), name
    assert all(t.topic_id is None for t in desk["one_offs"])
    export = db.session.get(Topic, mined["export"])
    assert export.size == db.session.scalar(select(func.count(Ticket.id)).where(Ticket.topic_id == export.id))
    assert export.label and export.terms and export.trend in ("new", "rising", "steady", "falling")
    assert sum(w["count"] for w in export.weekly_counts) == export.size  # all created within 12 weeks
    languages = {t.language for group in desk.values() for t in group if t.topic_id is not None}
    assert {"en", "ru", "ja"} <= languages


def test_cli_prints_the_contract(db, desk, runner):
    result = runner.invoke(args=["success", "mine", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["topics"]
    seen = []
    for topic in data["topics"]:
        assert list(topic) == ["id", "label", "terms", "size", "trend", "ticket_ids"]
        assert topic["size"] == len(topic["ticket_ids"]) > 0
        assert topic["label"] and topic["trend"] in ("new", "rising", "steady", "falling")
        seen.extend(topic["ticket_ids"])
    assert len(seen) == len(set(seen)), "a ticket is in two topics"
    db.session.expire_all()
    placed = dict(db.session.execute(select(Ticket.id, Ticket.topic_id).where(Ticket.topic_id.is_not(None))).all())
    assert set(seen) == set(placed)


def test_mining_with_zero_or_one_ticket(db, runner, make_ticket):
    result = runner.invoke(args=["success", "mine", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"topics": []}
    make_ticket(subject="", body="x" * 60000)
    result = runner.invoke(args=["success", "mine", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"topics": []}
    assert db.session.scalar(select(Topic.id).where(Topic.size > 0)) is None


def test_odd_texts_do_not_break_mining(db, runner, make_ticket):
    make_ticket(subject="", body="🙂")
    make_ticket(subject="Export CSV пустой 空です", body="CSV экспорт empty ファイルが空 。。。")
    make_ticket(subject="   ", body="\u200b \t\n.")
    result = runner.invoke(args=["success", "mine", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["topics"] == []


def test_the_schedule_mines_once_a_day_by_default(db, app, now):
    from datetime import timedelta

    from app.models.success import MiningState
    from app.success.jobs import mine_if_due

    mine_if_due(now=now)
    db.session.commit()
    first = db.session.get(MiningState, 1)
    assert first.run == 1
    mine_if_due(now=now + timedelta(hours=3))
    db.session.commit()
    assert db.session.get(MiningState, 1).run == 1
    app.config["TOPIC_MINE_EVERY"] = 3600
    try:
        mine_if_due(now=now + timedelta(hours=3))
        db.session.commit()
    finally:
        app.config["TOPIC_MINE_EVERY"] = 86400
    assert db.session.get(MiningState, 1).run == 2
