"""What playbooks read from the other success packages (topics, health, segments, NPS).

The topic and health packages are separate features; importing them here, inside the functions,
keeps this package loadable on its own and gives every lookup one place to change.
"""

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Organization, Ticket


def current_health(org_id):
    """{"score", "band", …} or None when the account has no score yet."""
    from app.success.health.services import current_health as health_of

    health = health_of(org_id)
    if health is None:
        return None
    if isinstance(health, dict):
        return health
    return {"score": getattr(health, "score", None), "band": getattr(health, "band", None)}


def health_band(org_id):
    health = current_health(org_id)
    return health.get("band") if health else None


def organizations_in_band(band):
    """Accounts (not churned) whose latest health score is in `band`."""
    from app.models.health import AccountHealth

    return db.session.scalars(
        select(AccountHealth.organization_id).join(Organization, Organization.id == AccountHealth.organization_id)
        .where(AccountHealth.band == band, Organization.stage != "churned").order_by(AccountHealth.organization_id)
    ).all()


def health_scores_on(org_ids, day):
    """{org id: score} from the daily history, the latest snapshot on or before `day`."""
    from app.models.health import HealthSnapshot

    found = {}
    if not org_ids:
        return found
    rows = db.session.execute(
        select(HealthSnapshot.organization_id, HealthSnapshot.day, HealthSnapshot.score)
        .where(HealthSnapshot.organization_id.in_(list(org_ids)), HealthSnapshot.day <= day,
               HealthSnapshot.score.is_not(None))
        .order_by(HealthSnapshot.day)
    ).all()
    for org_id, _day, score in rows:
        found[org_id] = score
    return found


def current_scores(org_ids):
    from app.models.health import AccountHealth

    if not org_ids:
        return {}
    return dict(db.session.execute(select(AccountHealth.organization_id, AccountHealth.score)
                                   .where(AccountHealth.organization_id.in_(list(org_ids)),
                                          AccountHealth.score.is_not(None))).all())


def accounts_in_segment(segment_id):
    from app.success.health.segments import accounts_in_segment as members

    return [o if isinstance(o, int) else o.id for o in members(segment_id)]


def segment(segment_id):
    from app.models.health import Segment

    return db.session.get(Segment, segment_id)


def segments():
    from app.models.health import Segment

    return db.session.scalars(select(Segment).order_by(Segment.name)).all()


def topic(topic_id):
    from app.models.success import Topic

    return db.session.get(Topic, topic_id)


def topics_for_choice():
    """Topics a CSM may aim a playbook at, rising ones first."""
    from app.models.success import Topic

    query = select(Topic).where(Topic.status == "active")
    rows = db.session.scalars(query.order_by(Topic.id.desc()).limit(500)).all()
    return sorted(rows, key=lambda t: (getattr(t, "trend", "") != "rising", -t.id))


def rising_topics():
    from app.models.success import Topic

    query = select(Topic).where(Topic.trend == "rising", Topic.status == "active")
    return db.session.scalars(query.order_by(Topic.id)).all()


def topic_label(topic_id):
    row = topic(topic_id) if topic_id else None
    return getattr(row, "label", None) if row is not None else None


def affected_organization_ids(topic_id):
    from app.success.topics import affected_organization_ids as affected

    return sorted(set(affected(topic_id)))


def comparable_accounts(exclude_ids=()):
    """{id: (plan, tags)} of every account not churned (for "at risk" and comparison groups)."""
    rows = db.session.execute(
        select(Organization.id, Organization.plan, Organization.segment_tags).where(Organization.stage != "churned")
    ).all()
    exclude = set(exclude_ids)
    return {r.id: (r.plan, tuple(r.segment_tags or ())) for r in rows if r.id not in exclude}


def at_risk_organization_ids(topic_id):
    from app.success.playbooks.scheduling import at_risk_accounts

    affected = affected_organization_ids(topic_id)
    accounts = comparable_accounts()
    # Churned affected accounts still say which plans and tags are exposed.
    for org in db.session.execute(select(Organization.id, Organization.plan, Organization.segment_tags)
                                  .where(Organization.id.in_(affected))).all():
        accounts.setdefault(org.id, (org.plan, tuple(org.segment_tags or ())))
    return at_risk_accounts(affected, accounts)


def nps_detractor_ids(now, days):
    """Accounts with an NPS answer of 0–6 in the last `days` days."""
    from app.models import health as health_models

    response = getattr(health_models, "NpsResponse", None)
    if response is None:
        return []
    score = getattr(response, "score")
    answered = getattr(response, "answered_at")
    rows = db.session.scalars(
        select(response.organization_id).where(score.is_not(None), score <= 6, answered >= now - timedelta(days=days))
        .distinct()
    ).all()
    return sorted(r for r in rows if r is not None)


def last_topic_ticket_at(org_id, topic_id):
    return db.session.scalar(
        select(func.max(Ticket.created_at)).where(Ticket.organization_id == org_id, Ticket.topic_id == topic_id)
    )


def topic_ticket_counts(org_ids, topic_id, start, end):
    """{org id: tickets on the topic created in [start, end)}."""
    if not org_ids or topic_id is None:
        return {}
    rows = db.session.execute(
        select(Ticket.organization_id, func.count(Ticket.id))
        .where(Ticket.organization_id.in_(list(org_ids)), Ticket.topic_id == topic_id,
               Ticket.created_at >= start, Ticket.created_at < end)
        .group_by(Ticket.organization_id)
    ).all()
    return dict(rows)
