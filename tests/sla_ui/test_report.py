"""The SLA report on a small hand-built set of clocks with known durations.

The default calendar is open 24/7 in UTC, so business hours equal elapsed hours and every number
below is exact.
"""

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from app.models import Ticket
from app.models.sla import SlaPolicy, TicketSlaClock
from app.support.sla import report as sla_report
from tests.sla_ui.conftest import ALL_DAY

MON_W10 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)  # ISO week 2026-W10
MON_W11 = datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc)


def clock(ticket, policy, metric, started, target_hours, achieved_after=None, breached=False, state=None):
    due = started + timedelta(hours=target_hours)
    achieved = started + timedelta(hours=achieved_after) if achieved_after is not None else None
    return TicketSlaClock(
        ticket_id=ticket.id, policy_id=policy.id, metric=metric, cycle=1,
        state=state or ("achieved" if achieved else "active"), target_minutes=int(target_hours * 60),
        business_hours=True, started_at=started, due_at=due, achieved_at=achieved,
        breached_at=due if breached or (achieved is not None and achieved > due) else None,
    )


@pytest.fixture
def data(db, make_calendar, make_group):
    make_calendar("Always open", hours=ALL_DAY, is_default=True)
    billing, tech = make_group("Billing"), make_group("Tech")
    standard = SlaPolicy(name="Standard", position=0)
    vip = SlaPolicy(name="VIP", position=1)
    db.session.add_all([standard, vip])

    def ticket(group, priority):
        row = Ticket(subject="Export is empty", status="open", priority=priority, group_id=group.id,
                     created_at=MON_W10, updated_at=MON_W10)
        db.session.add(row)
        db.session.flush()
        return row

    t1, t2, t5, t6 = ticket(billing, 3), ticket(billing, 3), ticket(billing, 2), ticket(billing, 2)
    t3, t4 = ticket(tech, 2), ticket(tech, 2)
    db.session.add_all([
        clock(t1, standard, "first_reply", MON_W10, 1, achieved_after=0.5),
        clock(t2, standard, "first_reply", MON_W10, 1, achieved_after=1.5),  # late: breached
        clock(t3, vip, "first_reply", MON_W10, 4, achieved_after=2),
        clock(t4, vip, "first_reply", MON_W10, 4, breached=True),  # breached, still unanswered
        clock(t5, standard, "first_reply", MON_W10, 4),  # still running: no outcome yet
        clock(t6, standard, "first_reply", MON_W10, 1, achieved_after=0.25, state="cancelled"),
        clock(t1, standard, "resolution", MON_W11, 24, achieved_after=10),
        clock(t3, vip, "resolution", MON_W11, 24, achieved_after=30),  # late: breached
        clock(t5, standard, "resolution", datetime(2026, 1, 5, 9, tzinfo=timezone.utc), 24, achieved_after=1),
    ])
    db.session.commit()
    return {"billing": billing, "tech": tech, "standard": standard, "vip": vip}


def build(**kw):
    period = {"start": MON_W10.date(), "end": MON_W11.date() + timedelta(days=6)}
    return sla_report.build_report(sla_report.ReportFilters(**{**period, **kw}))


def numbers(stats):
    return (stats.achieved, stats.breached, stats.attainment, stats.median, stats.p90)


def test_totals_and_breakdowns(db, data):
    report = build()
    assert len(report.outcomes) == 6 and not report.truncated
    # Achieved in time: t1 first reply, t3 first reply, t1 resolution. Breached: t2 (late), t4, t3 resolution.
    achieved, breached, attainment, median, p90 = numbers(report.total())
    assert (achieved, breached, attainment) == (3, 3, 50.0)
    assert median == pytest.approx(2.0)  # times 0.5, 1.5, 2, 10, 30 hours
    assert p90 == pytest.approx(22.0)  # rank 3.6 between 10 and 30

    by_metric = {k[0]: numbers(v) for k, v in report.by("metric").items()}
    assert list(by_metric) == ["first_reply", "resolution"]
    assert by_metric["first_reply"][:3] == (2, 2, 50.0)
    assert by_metric["first_reply"][3:] == (pytest.approx(1.5), pytest.approx(1.9))
    assert by_metric["resolution"] == (1, 1, 50.0, pytest.approx(20.0), pytest.approx(28.0))

    assert {k[0]: numbers(v)[:3] for k, v in report.by("policy").items()} == {
        "Standard": (2, 1, pytest.approx(200 / 3)), "VIP": (1, 2, pytest.approx(100 / 3))}
    assert {k[0]: numbers(v)[:2] for k, v in report.by("group").items()} == {"Billing": (2, 1), "Tech": (1, 2)}
    assert list(report.by("priority")) == [("high",), ("normal",)]  # most urgent first
    assert {k[0]: numbers(v)[:2] for k, v in report.by("priority").items()} == {"high": (2, 1), "normal": (1, 2)}
    assert {k[0]: numbers(v)[:2] for k, v in report.by("week").items()} == {"2026-W10": (2, 2), "2026-W11": (1, 1)}


def test_histograms_of_first_reply_and_resolution_times(db, data):
    report = build()
    # Bins: <0.5, 0.5–1, 1–2, 2–4, 4–8, 8–24, 24–48, 48–120, ≥120 business hours.
    assert report.histogram("first_reply") == [0, 1, 1, 1, 0, 0, 0, 0, 0]
    assert report.histogram("resolution") == [0, 0, 0, 0, 0, 1, 1, 0, 0]


def test_filters(db, data):
    assert numbers(build(metric="first_reply").total())[:2] == (2, 2)
    assert numbers(build(group_id=data["tech"].id).total())[:2] == (1, 2)
    assert numbers(build(policy_id=data["vip"].id, metric="resolution").total())[:2] == (0, 1)
    assert numbers(build(priority=3).total())[:2] == (2, 1)
    assert build(group_id=sla_report.NO_GROUP).outcomes == []
    # The old resolution clock counts only when its start is in the period.
    january = sla_report.build_report(sla_report.ReportFilters(start=datetime(2026, 1, 1).date(),
                                                               end=datetime(2026, 1, 31).date()))
    assert numbers(january.total()) == (1, 0, 100.0, pytest.approx(1.0), pytest.approx(1.0))


def test_the_periods_days_and_weeks_are_the_viewers(db, data):
    # 10:00 UTC on Monday 2 March is 19:00 that day in Tokyo, but 23:00 on Sunday 1 March in Pago Pago.
    assert build(start=MON_W10.date(), end=MON_W10.date(), timezone="Asia/Tokyo").total().total == 4
    sunday = MON_W10.date() - timedelta(days=1)
    assert build(start=MON_W10.date(), end=MON_W10.date(), timezone="Pacific/Pago_Pago").total().total == 0
    samoa = build(start=sunday, end=sunday, timezone="Pacific/Pago_Pago")
    assert samoa.total().total == 4
    assert list(samoa.by("week")) == [("2026-W09",)]


def test_business_hours_come_from_the_groups_calendar(db, data, make_calendar):
    office = make_calendar("Office", hours={str(d): [["09:00", "17:00"]] for d in range(5)})
    data["tech"].calendar_id = office.id
    ticket = Ticket(subject="Weekend", status="open", priority=2, group_id=data["tech"].id)
    db.session.add(ticket)
    db.session.flush()
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=timezone.utc)
    # Friday 16:00 → Monday 10:00: one office hour on Friday and one on Monday.
    db.session.add(clock(ticket, data["vip"], "first_reply", friday, 66, achieved_after=66))
    db.session.commit()
    report = build(group_id=data["tech"].id, metric="first_reply")
    hours = sorted(o.hours for o in report.outcomes if o.hours is not None)
    assert hours == [pytest.approx(2.0), pytest.approx(2.0)]  # t3's 2 h (Monday 10–12) and this one


@pytest.fixture
def agent(make_user, login):
    user = make_user("agent")
    login(user)
    return user


def test_report_page(client, db, data, agent):
    response = client.get("/agent/reports/sla?start=2026-03-02&end=2026-03-15")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'id="sla-attainment">\s*50\.0 %', page)
    assert re.search(r'id="sla-achieved">3<', page) and re.search(r'id="sla-breached">3<', page)
    assert "1 h 54 m" in page  # first reply p90: 1.9 h
    assert "22 h" in page and "2026-W11" in page and "VIP" in page
    charts = [json.loads(raw.replace("&#34;", '"').replace("&amp;", "&"))
              for raw in re.findall(r"data-histogram='([^']+)'", page)]
    assert [c["counts"] for c in charts] == [[0, 1, 1, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1, 1, 0, 0]]
    # The CSP allows no inline script: every script is a file, Chart.js among them.
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all('src="' in s for s in scripts)
    assert any("vendor/chart.umd.min.js" in s for s in scripts)
    assert "<script>" not in page and " on" + "click=" not in page


def test_report_filters_on_the_page(client, db, data, agent):
    page = client.get(f"/agent/reports/sla?start=2026-03-02&end=2026-03-15&group={data['tech'].id}"
                      "&metric=first_reply").get_data(as_text=True)
    assert re.search(r'id="sla-achieved">1<', page) and re.search(r'id="sla-breached">1<', page)
    empty = client.get("/agent/reports/sla?start=2025-03-02&end=2025-03-15").get_data(as_text=True)
    assert "No achieved or breached targets" in empty


@pytest.mark.parametrize("query, message", [
    ("start=2026-03-15&end=2026-03-01", "before it starts"),
    ("start=2024-01-01&end=2026-03-01", "at most 366 days"),
    ("start=yesterday", "YYYY-MM-DD"),
    ("group=billing", "Unknown group"),
    ("priority=9", "Unknown priority"),
    ("metric=lunch", "Unknown metric"),
    ("policy=-1", "Unknown policy"),
])
def test_bad_report_filters_are_a_bad_request(client, db, agent, query, message):
    response = client.get(f"/agent/reports/sla?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert client.get(f"/agent/reports/sla.csv?{query}").status_code == 400


def test_csv_export(client, db, data, agent):
    response = client.get("/agent/reports/sla.csv?start=2026-03-02&end=2026-03-15")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="sla-report-2026-03-02-2026-03-15.csv"' == response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        ["policy", "metric", "priority", "group", "week", "achieved", "breached", "attainment_percent",
         "median_business_hours", "p90_business_hours"],
        ["Standard", "first_reply", "high", "Billing", "2026-W10", "1", "1", "50.0", "1.00", "1.40"],
        ["Standard", "resolution", "high", "Billing", "2026-W11", "1", "0", "100.0", "10.00", "10.00"],
        ["VIP", "first_reply", "normal", "Tech", "2026-W10", "1", "1", "50.0", "2.00", "2.00"],
        ["VIP", "resolution", "normal", "Tech", "2026-W11", "0", "1", "0.0", "30.00", "30.00"],
    ]


def test_csv_cells_never_start_a_formula(client, db, data, agent):
    data["vip"].name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    text = client.get("/agent/reports/sla.csv?start=2026-03-02&end=2026-03-15").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


@pytest.mark.parametrize("role, status", [("agent", 200), ("csm", 200), ("admin", 200), ("customer", 403)])
def test_who_may_read_the_report(client, db, make_user, login, role, status):
    login(make_user(role))
    assert client.get("/agent/reports/sla").status_code == status
    assert client.get("/agent/reports/sla.csv").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for path in ("/agent/reports/sla", "/agent/reports/sla.csv"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_staff_navigation_links_to_the_report(client, db, make_user, login):
    login(make_user("csm"))
    assert 'href="/agent/reports/sla"' in client.get("/agent/reports/sla").get_data(as_text=True)
