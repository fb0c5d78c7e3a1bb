"""The set-based recompute: current score, daily history, trend, profiles, dirty accounts."""

from datetime import timedelta

from sqlalchemy import func, select

from app.models import CsatResponse, Organization, Ticket
from app.models.health import AccountHealth, HealthProfile, HealthSnapshot, StageChange
from app.success.health import metrics
from app.success.health.services import current_health, recompute_health, touched_accounts


def add_ticket(db, org, now, days_ago=1, status="open", priority=2, csat=None):
    at = now - timedelta(days=days_ago)
    ticket = Ticket(subject="Export is empty", status=status, priority=priority, organization_id=org.id,
                    created_at=at, updated_at=at, solved_at=at if status == "solved" else None)
    db.session.add(ticket)
    db.session.flush()
    if csat:
        db.session.add(CsatResponse(ticket_id=ticket.id, rating=csat, created_at=at, updated_at=at))
    return ticket


def test_recompute_scores_every_account_and_explains_it(db, make_org, now):
    troubled = make_org("Troubled")
    calm = make_org("Calm")
    for _ in range(2):
        add_ticket(db, troubled, now, priority=4)
    for _ in range(3):
        add_ticket(db, troubled, now, status="solved", csat="bad")
    add_ticket(db, calm, now, status="solved", csat="good")
    db.session.commit()

    assert recompute_health(now=now) == 2
    db.session.commit()

    bad = current_health(troubled.id)
    good = current_health(calm.id)
    assert set(bad) == {"score", "band", "trend", "reasons"}
    assert bad["band"] == "critical" and good["band"] == "healthy"
    assert bad["score"] < 40 <= 70 <= good["score"]
    assert bad["trend"] is None  # no history a week back
    assert "3 of 3 satisfaction ratings in the last 90 days were bad." in bad["reasons"]
    assert "2 urgent tickets are open." in bad["reasons"]
    assert good["reasons"] == []
    row = db.session.get(AccountHealth, troubled.id)
    assert "nps" in row.missing and "renewal" in row.missing  # no answers, no renewal date


def test_history_is_one_snapshot_per_account_and_day(db, make_org, now):
    org = make_org("Acme")
    add_ticket(db, org, now)
    db.session.commit()
    recompute_health(now=now)
    recompute_health(now=now + timedelta(minutes=5))  # same day: replaces, never duplicates
    recompute_health(now=now + timedelta(days=1))
    db.session.commit()
    days = db.session.scalars(select(HealthSnapshot.day).where(HealthSnapshot.organization_id == org.id)
                              .order_by(HealthSnapshot.day)).all()
    assert days == [now.date(), now.date() + timedelta(days=1)]


def test_trend_compares_with_last_week(db, make_org, now):
    org = make_org("Acme")
    db.session.add(HealthSnapshot(organization_id=org.id, day=now.date() - timedelta(days=7), score=95,
                                  band="healthy", measures={}))
    for _ in range(2):
        add_ticket(db, org, now, priority=4)
    db.session.commit()
    recompute_health([org.id], now=now)
    db.session.commit()
    assert current_health(org.id)["trend"] == "down"


def test_stage_profile_weights_apply(db, make_org, now):
    org = make_org("Renewing", stage="renewal", renewal_date=now.date() + timedelta(days=45))
    other = make_org("Other", stage="mature", renewal_date=now.date() + timedelta(days=45))
    db.session.add(HealthProfile(name="Renewals", stage="renewal", weights={"renewal": 1}))
    add_ticket(db, org, now, status="solved", csat="good")
    add_ticket(db, other, now, status="solved", csat="good")
    db.session.commit()
    recompute_health(now=now)
    db.session.commit()
    # Only renewal proximity counts for the renewal stage: 45 of 90 days left → 30 + 35 = 65.
    assert current_health(org.id)["score"] == 65
    assert current_health(other.id)["score"] > 65


def test_only_the_given_accounts_are_recomputed(db, make_org, now):
    a, b = make_org("A"), make_org("B")
    db.session.commit()
    assert recompute_health([a.id], now=now) == 1
    db.session.commit()
    assert db.session.get(AccountHealth, b.id) is None
    assert recompute_health([], now=now) == 0


def test_accounts_touched_lately_are_the_dirty_ones(db, make_org, now):
    busy, idle = make_org("Busy"), make_org("Idle")
    add_ticket(db, busy, now, days_ago=0)
    add_ticket(db, idle, now, days_ago=3)
    db.session.commit()
    assert touched_accounts(now - timedelta(hours=1)) == [busy.id]


def test_recompute_dirty_job_scores_touched_accounts(app, db, make_org, now):
    from app.success.health.jobs import recompute_dirty_job

    org = make_org("Busy")
    add_ticket(db, org, now, days_ago=0)
    db.session.commit()
    assert recompute_dirty_job() == 1
    db.session.commit()
    assert current_health(org.id) is not None


def test_stage_changes_are_recorded_and_feed_churn(db, make_org, now):
    start_of_month = now.date().replace(day=1)
    old = now - timedelta(days=now.day + 70)  # created well before this month
    orgs = [make_org(f"Org {i}", stage="mature", created_at=old) for i in range(4)]
    # History rows carry the creation time; the admin changes one stage now.
    orgs[0].stage = "churned"
    db.session.commit()
    changes = db.session.execute(select(StageChange.old_stage, StageChange.new_stage)
                                 .where(StageChange.organization_id == orgs[0].id).order_by(StageChange.id)).all()
    assert changes == [(None, "mature"), ("mature", "churned")]
    rows = metrics.churn_by_month(3, now.date())
    this_month = rows[-1]
    assert this_month["month"] == start_of_month
    assert (this_month["start"], this_month["churned"], this_month["churn"], this_month["retention"]) == (4, 1, 25.0, 75.0)
    assert rows[-2]["churned"] == 0


def test_dashboard_figures(db, make_org, now):
    risky = make_org("Risky", mrr=1000)
    make_org("Fine", mrr=500)
    for _ in range(3):
        add_ticket(db, risky, now, priority=4)
    db.session.commit()
    recompute_health(now=now)
    db.session.commit()
    figures = metrics.dashboard(now)
    assert figures["bands"]["critical"] + figures["bands"]["at_risk"] == 1
    assert figures["mrr_at_risk"] == 1000 and figures["mrr_total"] == 1500
    assert len(figures["churn"]) == 12 and len(figures["times"]) == 6
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 2


def test_first_reply_and_resolution_times_by_month(db, make_org, now):
    from app.models import TicketSlaClock

    org = make_org("Acme")
    start = now.replace(day=1, hour=8, minute=0)  # well inside this month
    ticket = Ticket(subject="Slow", status="solved", priority=2, organization_id=org.id, created_at=start,
                    updated_at=now, solved_at=start + timedelta(hours=6))
    db.session.add(ticket)
    db.session.flush()
    db.session.add(TicketSlaClock(ticket_id=ticket.id, metric="first_reply", cycle=1, state="achieved",
                                  target_minutes=240, business_hours=False, started_at=start,
                                  achieved_at=start + timedelta(hours=2)))
    db.session.commit()
    rows = metrics.response_times_by_month(2, now.date())
    this_month = rows[-1]
    assert this_month["first_reply_hours"] == 2.0 and this_month["resolution_hours"] == 6.0
