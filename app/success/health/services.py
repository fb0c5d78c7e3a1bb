"""Health recompute (set-based: a few GROUP BY queries for all accounts at once), the current
score of an account, weight profiles and the reason sentences."""

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from app.core.errors import DomainError
from app.extensions import db
from app.models import CsatResponse, Organization, Ticket, TicketSlaClock
from app.models.base import utcnow
from app.models.health import AccountHealth, HealthProfile, HealthSnapshot, NpsResponse, UsageFigure
from app.success.health import scoring
from app.support.rules import ACTIVE_STATUSES

URGENT = 4
VOLUME_DAYS, VOLUME_HISTORY_DAYS = 30, 120
MIN_HISTORY_DAYS = 14
SLA_DAYS = CSAT_DAYS = 90
NPS_DAYS = 180
USAGE_RECENT_DAYS, USAGE_HISTORY_DAYS = 30, 120
CHUNK = 500  # ids per IN (...) list

MEASURE_LABELS = {
    "ticket_volume": _l("Ticket volume"),
    "sla_breaches": _l("SLA breaches"),
    "csat": _l("CSAT"),
    "nps": _l("NPS"),
    "open_urgent": _l("Open urgent tickets"),
    "topic_exposure": _l("Recurring topics"),
    "renewal": _l("Renewal proximity"),
    "usage": _l("Product usage"),
}
BAND_LABELS = {"healthy": _l("Healthy"), "at_risk": _l("At risk"), "critical": _l("Critical")}


# --- profiles ---------------------------------------------------------------------------------

def _profile_dict(p):
    return {"id": p.id, "name": p.name, "is_default": p.is_default, "stage": p.stage, "segment_tag": p.segment_tag,
            "weights": dict(p.weights or {}), "healthy_min": p.healthy_min, "at_risk_min": p.at_risk_min}


BUILT_IN = {"id": None, "name": "Default", "is_default": True, "stage": None, "segment_tag": None,
            "weights": dict(scoring.DEFAULT_WEIGHTS), "healthy_min": scoring.HEALTHY_MIN,
            "at_risk_min": scoring.AT_RISK_MIN}


def load_profiles():
    """Every profile as a dict, the built-in default last when no profile is the default."""
    profiles = [_profile_dict(p) for p in db.session.scalars(select(HealthProfile).order_by(HealthProfile.id))]
    if not any(p["is_default"] for p in profiles):
        profiles.append(dict(BUILT_IN, weights=dict(BUILT_IN["weights"])))
    return profiles


def default_profile():
    """The default profile row, created from the built-in weights the first time it is edited."""
    profile = db.session.scalar(select(HealthProfile).where(HealthProfile.is_default.is_(True)))
    if profile is None:
        from sqlalchemy.exc import IntegrityError

        profile = HealthProfile(name="Default", is_default=True, weights=dict(scoring.DEFAULT_WEIGHTS),
                                healthy_min=scoring.HEALTHY_MIN, at_risk_min=scoring.AT_RISK_MIN, updated_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(profile)
        except IntegrityError:  # created by a concurrent request
            profile = db.session.scalar(select(HealthProfile).where(HealthProfile.is_default.is_(True)))
    return profile


def save_profile(profile, *, name, weights, healthy_min, at_risk_min, stage=None, segment_tag=None, now=None):
    """Create (`profile` None) or update a weight profile; bad weights raise DomainError, nothing saved."""
    from app.models.organization import STAGES

    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    try:
        clean = scoring.validate_weights(weights)
    except scoring.WeightError as exc:
        if "negative" in str(exc):
            raise DomainError(_("Weights cannot be negative."), field="weights") from None
        if "above zero" in str(exc):
            raise DomainError(_("At least one weight must be above zero."), field="weights") from None
        raise DomainError(_("Every weight must be a number."), field="weights") from None
    try:
        scoring.validate_thresholds(int(healthy_min), int(at_risk_min))
    except (scoring.WeightError, TypeError, ValueError):
        raise DomainError(_("Thresholds must satisfy 0 < at risk < healthy ≤ 100."), field="healthy_min") from None
    stage = stage or None
    segment_tag = (segment_tag or "").strip().lower() or None
    if stage is not None and stage not in STAGES:
        raise DomainError(_("Unknown lifecycle stage %(stage)r.", stage=stage), field="stage")
    is_default = profile is not None and profile.is_default
    if not is_default and stage is None and segment_tag is None:
        raise DomainError(_("A profile other than the default applies to a lifecycle stage or a segment tag."),
                          field="stage")
    if stage is not None and segment_tag is not None:
        raise DomainError(_("Choose a lifecycle stage or a segment tag, not both."), field="stage")
    clash = select(HealthProfile.id).where(func.lower(HealthProfile.name) == name.lower())
    if profile is not None:
        clash = clash.where(HealthProfile.id != profile.id)
    if db.session.scalar(clash) is not None:
        raise DomainError(_("A profile called %(name)s already exists.", name=name), field="name")
    if profile is None:
        profile = HealthProfile(is_default=False)
        db.session.add(profile)
    profile.name = name
    profile.weights = {m: clean.get(m, 0.0) for m in scoring.MEASURES}
    profile.healthy_min, profile.at_risk_min = int(healthy_min), int(at_risk_min)
    if not is_default:
        profile.stage, profile.segment_tag = stage, segment_tag
    profile.updated_at = now or utcnow()
    db.session.flush()
    return profile


# --- gathering the figures --------------------------------------------------------------------

def _chunks(ids):
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _scoped(stmt, column, org_ids):
    """Run `stmt` for all accounts, or chunk by chunk for a given list."""
    if org_ids is None:
        yield from db.session.execute(stmt)
        return
    for chunk in _chunks(org_ids):
        yield from db.session.execute(stmt.where(column.in_(chunk)))


def topic_exposure(org_ids, now=None):
    """Recurring (new or rising) topics per account, from topic mining; None when mining is not
    available."""
    try:
        from app.success.topics import topic_exposure as exposure
    except ImportError:
        return None
    return exposure(list(org_ids), now=now)


def gather(now, org_ids=None):
    """{org_id: figures} for every account (or those given), from a handful of grouped queries."""
    today = now.date()
    orgs = select(Organization.id, Organization.stage, Organization.segment_tags, Organization.renewal_date,
                  Organization.created_at)
    figures, meta, history_days = {}, {}, {}
    for oid, stage, tags, renewal, created in _scoped(orgs, Organization.id, org_ids):
        figures[oid] = {"renewal_days": (renewal - today).days if renewal else None}
        meta[oid] = (stage, tags or [])
        # The baseline covers only the part of the window the account existed in.
        age = (now - created).days if created else VOLUME_HISTORY_DAYS
        history_days[oid] = max(0, min(VOLUME_HISTORY_DAYS, age) - VOLUME_DAYS)
    if not figures:
        return figures, meta
    ids = None if org_ids is None else list(figures)

    d_recent, d_history = now - timedelta(days=VOLUME_DAYS), now - timedelta(days=VOLUME_HISTORY_DAYS)
    # Only (organization_id, created_at): the covering index ix_tickets_org_created answers it
    # without reading a ticket row (spam is not excluded here, as that would read every row).
    volume = (
        select(Ticket.organization_id,
               func.sum(case((Ticket.created_at >= d_recent, 1), else_=0)),
               func.sum(case((Ticket.created_at < d_recent, 1), else_=0)))
        .where(Ticket.organization_id.is_not(None), Ticket.created_at >= d_history, Ticket.created_at <= now)
        .group_by(Ticket.organization_id)
    )
    for oid in figures:
        figures[oid]["tickets_recent"] = 0
        if history_days[oid] >= MIN_HISTORY_DAYS:  # too young for a baseline: volume is missing
            figures[oid]["tickets_history"], figures[oid]["tickets_baseline"] = 0, 0.0
    for oid, recent, history in _scoped(volume, Ticket.organization_id, ids):
        if oid in figures:
            figures[oid]["tickets_recent"] = int(recent or 0)
            if history_days[oid] >= MIN_HISTORY_DAYS:
                figures[oid].update(tickets_history=int(history or 0),
                                    tickets_baseline=(history or 0) * VOLUME_DAYS / history_days[oid])
    # Open urgent tickets are few: read them through the status/priority index and count here.
    # (A GROUP BY organization would steer SQLite to the organization index and every ticket.)
    urgent = select(Ticket.organization_id).where(
        Ticket.status.in_(ACTIVE_STATUSES), Ticket.priority == URGENT, Ticket.is_spam.is_(False))
    for oid in figures:
        figures[oid]["open_urgent"] = 0
    for (oid,) in _scoped(urgent, Ticket.organization_id, ids):
        if oid in figures:
            figures[oid]["open_urgent"] += 1

    measured = and_(TicketSlaClock.state != "cancelled",
                    (TicketSlaClock.state == "achieved") | TicketSlaClock.breached_at.is_not(None))
    sla = (
        select(Ticket.organization_id,
               func.sum(case((TicketSlaClock.breached_at.is_not(None), 1), else_=0)),
               func.sum(case((measured, 1), else_=0)))
        .select_from(TicketSlaClock).join(Ticket, Ticket.id == TicketSlaClock.ticket_id)
        .where(Ticket.created_at >= now - timedelta(days=SLA_DAYS), Ticket.organization_id.is_not(None))
        .group_by(Ticket.organization_id)
    )
    for oid, breached, count in _scoped(sla, Ticket.organization_id, ids):
        if oid in figures:
            figures[oid].update(sla_breached=int(breached or 0), sla_measured=int(count or 0))

    csat = (
        select(Ticket.organization_id,
               func.sum(case((CsatResponse.rating == "good", 1), else_=0)),
               func.sum(case((CsatResponse.rating == "bad", 1), else_=0)))
        .select_from(CsatResponse).join(Ticket, Ticket.id == CsatResponse.ticket_id)
        .where(CsatResponse.created_at >= now - timedelta(days=CSAT_DAYS), Ticket.organization_id.is_not(None))
        .group_by(Ticket.organization_id)
    )
    for oid, good, bad in _scoped(csat, Ticket.organization_id, ids):
        if oid in figures:
            figures[oid].update(csat_good=int(good or 0), csat_bad=int(bad or 0))

    nps = (
        select(NpsResponse.organization_id,
               func.sum(case((NpsResponse.score >= 9, 1), else_=0)),
               func.sum(case((and_(NpsResponse.score >= 7, NpsResponse.score <= 8), 1), else_=0)),
               func.sum(case((NpsResponse.score <= 6, 1), else_=0)))
        .where(NpsResponse.answered_at >= now - timedelta(days=NPS_DAYS), NpsResponse.score.is_not(None))
        .group_by(NpsResponse.organization_id)
    )
    for oid, pro, pas, det in _scoped(nps, NpsResponse.organization_id, ids):
        if oid in figures:
            figures[oid].update(nps_promoters=int(pro or 0), nps_passives=int(pas or 0), nps_detractors=int(det or 0))

    u_recent = today - timedelta(days=USAGE_RECENT_DAYS)
    usage = (
        select(UsageFigure.organization_id, UsageFigure.metric,
               func.avg(case((UsageFigure.day >= u_recent, UsageFigure.value))),
               func.avg(case((UsageFigure.day < u_recent, UsageFigure.value))))
        .where(UsageFigure.day >= today - timedelta(days=USAGE_HISTORY_DAYS), UsageFigure.day <= today)
        .group_by(UsageFigure.organization_id, UsageFigure.metric)
    )
    for oid, metric, recent, baseline in _scoped(usage, UsageFigure.organization_id, ids):
        if oid in figures:
            figures[oid].setdefault("usage", {})[metric] = (
                None if recent is None else float(recent), None if baseline is None else float(baseline))

    exposure = topic_exposure(figures, now=now)
    if exposure is not None:
        for oid in figures:
            figures[oid]["topics"] = int(exposure.get(oid, 0) or 0)
    return figures, meta


def _last_week_scores(today, org_ids):
    """The score of each account a week ago (the latest snapshot 7–10 days back)."""
    stmt = (select(HealthSnapshot.organization_id, HealthSnapshot.day, HealthSnapshot.score)
            .where(HealthSnapshot.day <= today - timedelta(days=7), HealthSnapshot.day >= today - timedelta(days=10))
            .order_by(HealthSnapshot.day))
    scores = {}
    for oid, _day, score in _scoped(stmt, HealthSnapshot.organization_id, org_ids):
        scores[oid] = score
    return scores


# --- writing ----------------------------------------------------------------------------------

def _upsert(model, rows, keys):
    """INSERT … ON CONFLICT DO UPDATE on SQLite and PostgreSQL alike (two runs never clash)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    for i in range(0, len(rows), 2000):
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys and c.name != "id"})
        db.session.execute(stmt, rows[i:i + 2000])


def recompute_health(org_ids=None, now=None):
    """Score every account (or those given) now; writes the current score and today's snapshot.
    Returns the number of accounts scored. Safe to run twice or concurrently (upserts)."""
    now = now or utcnow()
    today = now.date()
    if org_ids is not None:
        org_ids = sorted({int(i) for i in org_ids})
        if not org_ids:
            return 0
    figures, meta = gather(now, org_ids)
    if not figures:
        return 0
    profiles = load_profiles()
    last_week = _last_week_scores(today, None if org_ids is None else list(figures))
    current, snapshots = [], []
    for oid, figs in figures.items():
        stage, tags = meta[oid]
        profile = scoring.pick_profile(profiles, stage, tags) or BUILT_IN
        result = scoring.score_account(figs, profile["weights"], profile["healthy_min"], profile["at_risk_min"])
        trend = scoring.trend_for(result.score, last_week.get(oid))
        current.append({"organization_id": oid, "score": result.score, "band": result.band, "trend": trend,
                        "measures": result.measures, "missing": result.missing, "reasons": result.reasons,
                        "profile_id": profile["id"], "computed_at": now})
        snapshots.append({"organization_id": oid, "day": today, "score": result.score, "band": result.band,
                          "measures": result.measures})
    _upsert(AccountHealth, current, ["organization_id"])
    _upsert(HealthSnapshot, snapshots, ["organization_id", "day"])
    db.session.flush()
    return len(current)


# --- reading ----------------------------------------------------------------------------------

def reason_text(reason):
    """One reason as a sentence in the reader's language."""
    m, p = reason.get("measure"), reason.get("params") or {}
    if m == "ticket_volume":
        return _("%(recent)s tickets in the last 30 days, against about %(usual)s in a usual month.",
                 recent=p.get("tickets_recent", 0), usual=round(p.get("tickets_baseline") or 0, 1))
    if m == "sla_breaches":
        return _("%(breached)s of %(measured)s SLA targets were breached in the last 90 days.",
                 breached=p.get("sla_breached", 0), measured=p.get("sla_measured", 0))
    if m == "csat":
        good, bad = p.get("csat_good", 0), p.get("csat_bad", 0)
        return _("%(bad)s of %(total)s satisfaction ratings in the last 90 days were bad.", bad=bad, total=good + bad)
    if m == "nps":
        total = sum(p.get(k, 0) or 0 for k in ("nps_promoters", "nps_passives", "nps_detractors"))
        return _("%(detractors)s of %(total)s NPS answers in the last 180 days came from detractors.",
                 detractors=p.get("nps_detractors", 0), total=total)
    if m == "open_urgent":
        return _("%(count)s urgent tickets are open.", count=p.get("open_urgent", 0))
    if m == "topic_exposure":
        return _("The account is hit by %(count)s recurring topics.", count=p.get("topics", 0))
    if m == "renewal":
        days = p.get("renewal_days")
        if days is not None and days < 0:
            return _("The renewal date passed %(days)s days ago.", days=-days)
        return _("Renewal is in %(days)s days.", days=days)
    if m == "usage":
        return _("Product usage is below the account's usual level.")
    return str(m)


def health_json(row):
    if row is None or row.score is None:
        return None
    return {"score": row.score, "band": row.band, "trend": row.trend,
            "reasons": [reason_text(r) for r in row.reasons or []]}


def current_health(org_id):
    """{"score", "band", "trend", "reasons"} as in the API contract, or None when not scored yet."""
    return health_json(db.session.get(AccountHealth, org_id))


def health_by_org(org_ids):
    """{org_id: AccountHealth} for a page of accounts."""
    found = {}
    for chunk in _chunks(org_ids):
        for row in db.session.scalars(select(AccountHealth).where(AccountHealth.organization_id.in_(chunk))):
            found[row.organization_id] = row
    return found


def history(org_id, days=180, today=None):
    today = today or utcnow().date()
    return db.session.execute(
        select(HealthSnapshot.day, HealthSnapshot.score, HealthSnapshot.band)
        .where(HealthSnapshot.organization_id == org_id, HealthSnapshot.day >= today - timedelta(days=days))
        .order_by(HealthSnapshot.day)
    ).all()


def touched_accounts(since):
    """Accounts with ticket, CSAT or NPS activity since `since` (the "dirty" ones)."""
    ids = set(db.session.scalars(select(Ticket.organization_id).where(
        Ticket.updated_at >= since, Ticket.organization_id.is_not(None)).distinct()))
    ids |= set(db.session.scalars(
        select(Ticket.organization_id).join(CsatResponse, CsatResponse.ticket_id == Ticket.id)
        .where(CsatResponse.updated_at >= since, Ticket.organization_id.is_not(None)).distinct()))
    ids |= set(db.session.scalars(select(NpsResponse.organization_id).where(NpsResponse.answered_at >= since).distinct()))
    return sorted(ids)
