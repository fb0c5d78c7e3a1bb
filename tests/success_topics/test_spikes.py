"""Spike detection: an alert (and one mail per CSM) exactly once per spike; exposure for health."""

from datetime import timedelta

from sqlalchemy import func, select

from app.models import OutboundMail
from app.models.success import TopicAlert
from app.success.topics import detect_spikes, spike_alerts, topic_exposure

from .helpers import make_topic


def _tickets(make_ticket, when_list, **kw):
    return [make_ticket(subject=f"Export broken {i}", created_at=when, **kw) for i, when in enumerate(when_list)]


def _alerts(db):
    return db.session.scalar(select(func.count(TopicAlert.id)))


def _spike_mails(db):
    return db.session.scalars(select(OutboundMail.to_addr).where(OutboundMail.kind == "topic_spike")).all()


def test_a_spike_fires_once_and_mails_each_csm_once(db, make_ticket, make_user, now):
    make_user("csm", email="chris@tandem.example")
    make_user("csm", email="nadia@tandem.example")
    make_user("agent", email="ivan@tandem.example")
    topic = make_topic(tickets=_tickets(make_ticket, [now - timedelta(hours=h) for h in range(1, 7)]))

    raised = detect_spikes(now=now)
    db.session.commit()
    assert [(a.topic_id, a.count, a.baseline) for a in raised] == [(topic.id, 6, 0.0)]
    assert sorted(_spike_mails(db)) == ["chris@tandem.example", "nadia@tandem.example"]

    # The next run, the next day and the next week (the spike still in the window) add nothing.
    for later in (now, now + timedelta(days=1), now + timedelta(days=6)):
        assert detect_spikes(now=later) == []
        db.session.commit()
    assert _alerts(db) == 1 and len(_spike_mails(db)) == 2
    assert [a.topic_id for a in spike_alerts()] == [topic.id]


def test_no_alert_under_the_minimum_or_the_ratio(db, app, make_ticket, now):
    few = make_topic("Few", tickets=_tickets(make_ticket, [now - timedelta(hours=h) for h in range(1, 5)]))
    # Four a week for four weeks, then six: under 1.5 × 4.
    steady = [now - timedelta(days=7 + 7 * w + d) for w in range(4) for d in (1, 2, 3, 4)]
    steady += [now - timedelta(hours=h) for h in range(1, 6)]
    make_topic("Steady", tickets=_tickets(make_ticket, steady))
    assert detect_spikes(now=now) == []
    app.config["TOPIC_SPIKE_MIN"] = 4
    try:
        assert [a.topic_id for a in detect_spikes(now=now)] == [few.id]
    finally:
        app.config["TOPIC_SPIKE_MIN"] = 5


def test_dismissed_topics_never_alert(db, make_ticket, now):
    make_topic(status="dismissed", tickets=_tickets(make_ticket, [now - timedelta(hours=h) for h in range(1, 9)]))
    assert detect_spikes(now=now) == []


def test_the_alerts_partial_on_the_success_home(db, app, make_ticket, make_user, now, client_for):
    topic = make_topic("CSV export is empty", tickets=_tickets(make_ticket, [now - timedelta(hours=h) for h in range(1, 7)]))
    detect_spikes(now=now)
    db.session.commit()
    from flask import render_template

    with app.test_request_context("/success/"):
        html = render_template("success/_alerts.html", alerts=spike_alerts())
    assert "CSV export is empty" in html and f"/success/topics/{topic.id}" in html
    assert "6 tickets in the last 7 days" in html


def test_topic_exposure_counts_rising_topics_an_account_raised_lately(db, make_org, make_ticket, now):
    acme, globex = make_org("Acme"), make_org("Globex")
    rising = make_topic("New problem", tickets=_tickets(make_ticket, [now - timedelta(days=2)] * 3, organization=acme))
    old = [now - timedelta(days=60 + d) for d in range(6)]
    make_topic("Old problem", tickets=_tickets(make_ticket, old, organization=acme)
               + _tickets(make_ticket, [now - timedelta(days=3)], organization=globex))
    assert rising.trend == "new"
    assert topic_exposure([acme.id, globex.id, 999], now=now) == {acme.id: 1, globex.id: 0, 999: 0}
