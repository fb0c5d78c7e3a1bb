"""Figures for the customer-success dashboard: churn and retention by month (from the stage
history), NPS, CSAT, first-response and resolution times, health distribution, MRR at risk."""

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import case, extract, func, literal_column, select

from app.extensions import db
from app.models import CsatResponse, Organization, Ticket, TicketSlaClock
from app.models.base import utcnow
from app.models.health import AccountHealth, StageChange
from app.success.health.nps import month_starts, nps_by_month, nps_for


def _as_dt(day):
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)


def _next_month(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _dialect():
    return db.session.get_bind().dialect.name


def _month_key(column):
    if _dialect() == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.strftime("%Y-%m", column)


def _seconds_between(later, earlier):
    if _dialect() == "postgresql":
        return extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def churn_by_month(months=12, today=None):
    """[{"month", "start", "churned", "churn", "retention"}]: accounts not churned at the start
    of each month, how many churned during it, and the rates in percent (None without accounts)."""
    today = today or utcnow().date()
    starts = month_starts(months, today)
    history = defaultdict(list)  # org → [(at, new_stage)] in time order
    for oid, at, stage in db.session.execute(
            select(StageChange.organization_id, StageChange.changed_at, StageChange.new_stage)
            .order_by(StageChange.organization_id, StageChange.changed_at, StageChange.id)):
        history[oid].append((at, stage))
    for oid, created, stage in db.session.execute(select(Organization.id, Organization.created_at, Organization.stage)):
        if oid not in history:  # no recorded history: it has been in its stage since creation
            history[oid].append((created, stage))

    def stage_at(changes, moment):
        i = bisect_right([c[0] for c in changes], moment)
        return changes[i - 1][1] if i else None

    rows = []
    for start in starts:
        begin, end = _as_dt(start), _as_dt(_next_month(start))
        live = churned = 0
        for changes in history.values():
            before = stage_at(changes, begin)
            if before is None or before == "churned":
                continue
            live += 1
            if any(begin <= at < end and stage == "churned" for at, stage in changes):
                churned += 1
        churn = round(100.0 * churned / live, 1) if live else None
        rows.append({"month": start, "start": live, "churned": churned, "churn": churn,
                     "retention": None if churn is None else round(100 - churn, 1)})
    return rows


def response_times_by_month(months=6, today=None):
    """[{"month", "first_reply_hours", "resolution_hours"}], averages in calendar hours."""
    today = today or utcnow().date()
    starts = month_starts(months, today)
    since = _as_dt(starts[0])
    first = dict(db.session.execute(
        select(_month_key(TicketSlaClock.achieved_at), func.avg(_seconds_between(TicketSlaClock.achieved_at,
                                                                                  TicketSlaClock.started_at)))
        .where(TicketSlaClock.metric == "first_reply", TicketSlaClock.cycle == 1,
               TicketSlaClock.achieved_at >= since)
        .group_by(_month_key(TicketSlaClock.achieved_at))).all())
    resolution = dict(db.session.execute(
        select(_month_key(Ticket.solved_at), func.avg(_seconds_between(Ticket.solved_at, Ticket.created_at)))
        .where(Ticket.solved_at >= since, Ticket.is_spam.is_(False))
        .group_by(_month_key(Ticket.solved_at))).all())

    def hours(value):
        return None if value is None else round(float(value) / 3600, 1)

    return [{"month": s, "first_reply_hours": hours(first.get(s.strftime("%Y-%m"))),
             "resolution_hours": hours(resolution.get(s.strftime("%Y-%m")))} for s in starts]


def csat_by_month(months=6, today=None):
    today = today or utcnow().date()
    starts = month_starts(months, today)
    key = _month_key(CsatResponse.created_at)
    counts = {k: (int(g or 0), int(t or 0)) for k, g, t in db.session.execute(
        select(key, func.sum(case((CsatResponse.rating == "good", 1), else_=0)), func.count())
        .where(CsatResponse.created_at >= _as_dt(starts[0])).group_by(key))}
    rows = []
    for s in starts:
        good, total = counts.get(s.strftime("%Y-%m"), (0, 0))
        rows.append({"month": s, "good": good, "total": total,
                     "percent": round(100.0 * good / total, 1) if total else None})
    return rows


def health_distribution():
    """{"healthy": n, "at_risk": n, "critical": n, "unscored": n} over accounts not churned."""
    counts = {"healthy": 0, "at_risk": 0, "critical": 0, "unscored": 0}
    for band, n in db.session.execute(
            select(AccountHealth.band, func.count()).select_from(Organization)
            .outerjoin(AccountHealth, AccountHealth.organization_id == Organization.id)
            .where(Organization.stage != "churned").group_by(AccountHealth.band)):
        counts[band or "unscored"] += n
    return counts


def mrr_at_risk():
    """(MRR of accounts at risk or critical, total MRR) over accounts not churned."""
    at_risk = db.session.scalar(
        select(func.coalesce(func.sum(Organization.mrr), 0))
        .join(AccountHealth, AccountHealth.organization_id == Organization.id)
        .where(AccountHealth.band.in_(("at_risk", "critical")), Organization.stage != "churned"))
    total = db.session.scalar(select(func.coalesce(func.sum(Organization.mrr), 0))
                              .where(Organization.stage != "churned"))
    return Decimal(at_risk or 0), Decimal(total or 0)


def dashboard(now=None):
    now = now or utcnow()
    today = now.date()
    csat = csat_by_month(6, today)
    csat_30 = db.session.execute(
        select(func.sum(case((CsatResponse.rating == "good", 1), else_=0)), func.count())
        .where(CsatResponse.created_at >= now - timedelta(days=30))).one()
    at_risk, total = mrr_at_risk()
    return {
        "churn": churn_by_month(12, today),
        "nps_months": nps_by_month(12, today=today),
        "nps_90": nps_for(since=now - timedelta(days=90)),
        "csat_months": csat,
        "csat_30": {"good": int(csat_30[0] or 0), "total": int(csat_30[1] or 0),
                    "percent": round(100.0 * (csat_30[0] or 0) / csat_30[1], 1) if csat_30[1] else None},
        "times": response_times_by_month(6, today),
        "bands": health_distribution(),
        "mrr_at_risk": at_risk, "mrr_total": total,
    }
