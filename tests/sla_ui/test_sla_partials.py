"""support/_sla.html: the queue badge and the ticket page's SLA panel."""

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from app.models.sla import SlaEvent, SlaPolicy, TicketSlaClock

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def render(app, db):
    def do(call, **context):
        with app.test_request_context():
            template = app.jinja_env.from_string('{% import "support/_sla.html" as sla %}' + call)
            return " ".join(template.render(**context).split())

    return do


def badge(render, due_at, now=NOW):
    return render("{{ sla.sla_badge(ticket, now) }}", ticket=SimpleNamespace(due_at=due_at), now=now)


@pytest.mark.parametrize("left, css, text", [
    (timedelta(hours=2, minutes=10, seconds=30), "sla-on-track", "2 h 10 m left"),
    (timedelta(hours=3), "sla-on-track", "3 h left"),
    (timedelta(days=3, hours=4, minutes=5), "sla-on-track", "3 d 4 h left"),
    (timedelta(minutes=59), "sla-soon", "59 m left"),
    (timedelta(seconds=20), "sla-soon", "under a minute left"),
    (-timedelta(minutes=35, seconds=10), "sla-overdue", "Overdue by 35 m"),
    (-timedelta(hours=26), "sla-overdue", "Overdue by 26 h"),
])
def test_badge_shows_time_left_or_overdue(render, left, css, text):
    html = badge(render, NOW + left)
    assert f'class="sla-badge {css}"' in html
    assert text in html
    assert f'datetime="{(NOW + left).isoformat()}"' in html


def test_due_soon_follows_the_widest_warning_window(render, db):
    assert "sla-on-track" in badge(render, NOW + timedelta(minutes=90))
    db.session.add(SlaPolicy(name="Careful", warn_minutes=120))
    db.session.commit()
    assert "sla-soon" in badge(render, NOW + timedelta(minutes=90))


def test_badge_for_a_ticket_without_running_clocks(render):
    html = badge(render, None)
    assert "sla-none" in html and "No running SLA target" in html
    assert "sla-none" in render("{{ sla.sla_badge(none, now) }}", now=NOW)


def test_badge_shows_the_due_time_in_the_viewers_zone(render, make_user, client, login, db):
    viewer = make_user("agent", timezone="Asia/Tokyo")
    login(viewer)
    with client:
        client.get("/agent/reports/sla")  # a request signed in as the viewer
        from flask import render_template_string

        html = render_template_string('{% import "support/_sla.html" as sla %}{{ sla.sla_badge(t, now) }}',
                                      t=SimpleNamespace(due_at=NOW + timedelta(hours=5)), now=NOW)
    assert "5 h left" in html
    # 15:00 UTC is midnight in Tokyo.
    assert re.search(r'title="Due 3/3/26,? 12:00\s?AM"', html.replace("\u202f", " ")), html


def test_panel_without_clocks(render):
    for clocks, events in (([], []), (None, None)):
        html = render("{{ sla.sla_panel(clocks, events) }}", clocks=clocks, events=events)
        assert "No SLA policy applies to this ticket." in html and "SLA history" not in html


def test_panel_shows_each_metrics_state_and_the_history(render):
    def clock(metric, state, cycle=1, **kw):
        return TicketSlaClock(metric=metric, state=state, cycle=cycle, target_minutes=kw.pop("minutes", 60),
                              business_hours=kw.pop("business_hours", True), started_at=NOW, **kw)

    clocks = [
        clock("first_reply", "achieved", due_at=NOW + timedelta(hours=1), achieved_at=NOW + timedelta(minutes=20)),
        clock("next_reply", "achieved", due_at=NOW + timedelta(hours=2), achieved_at=NOW + timedelta(hours=3),
              breached_at=NOW + timedelta(hours=2)),
        clock("next_reply", "paused", cycle=2),
        clock("resolution", "active", minutes=1440, business_hours=False, due_at=NOW + timedelta(days=1)),
        clock("periodic_update", "cancelled"),
    ]
    events = [
        SlaEvent(metric=None, kind="policy_applied", at=NOW, data={"policy_id": 1, "name": "Enterprise"}),
        SlaEvent(metric="first_reply", kind="activated", at=NOW, data={}),
        SlaEvent(metric="next_reply", kind="breached", at=NOW + timedelta(hours=2), data={}),
        SlaEvent(metric="resolution", kind="paused", at=NOW + timedelta(hours=4), data=None),
    ]
    html = render("{{ sla.sla_panel(clocks, events) }}", clocks=clocks, events=events)
    rows = re.findall(r'<tr class="sla-clock-(\w+)">(.*?)</tr>', html)
    assert [metric for metric, _ in rows] == ["first_reply", "next_reply", "next_reply", "resolution"]
    states = [re.search(r'sla-state-(\w+)', cells).group(1) for _, cells in rows]
    assert states == ["achieved", "breached", "paused", "active"]
    assert "#2" in rows[2][1]  # the second next-reply cycle
    assert "1 h" in rows[0][1] and "business hours" in rows[0][1]
    assert "24 h" in rows[3][1] and "calendar time" in rows[3][1]
    assert f'datetime="{(NOW + timedelta(minutes=20)).isoformat()}"' in rows[0][1]
    assert "SLA history (4 events)" in html
    assert "Policy applied" in html and "(Enterprise)" in html and "Breached" in html and "Paused" in html
