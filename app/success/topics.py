"""Topic use cases and queries: CSM decisions, spikes, exposure and the figures pages show.

Other success parts call `topic_exposure` (health), `spike_alerts` (home page) and
`affected_organization_ids` (playbooks). Services take an actor and `now`, flush, never commit.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.models import CsatResponse, Organization, Ticket, User
from app.models.base import utcnow
from app.models.success import Topic, TopicAlert, TopicPin
from app.success import topic_rules
from app.success.topic_mining import _chunks, refresh_topics
from app.support.rules import ACTIVE_STATUSES

LABEL_MAX = 200
EXPOSURE_DAYS = 30
MAX_ID = 2**31 - 1


def get_topic(topic_id):
    topic = db.session.get(Topic, topic_id) if 0 < topic_id <= MAX_ID else None
    if topic is None:
        raise NotFound(_("Topic not found."))
    return topic


# --- what other parts call ---------------------------------------------------------------------

def topic_exposure(org_ids, now=None):
    """{organization id: number of active new/rising topics it raised a ticket on in 30 days}."""
    now = now or utcnow()
    org_ids = [i for i in org_ids if i is not None]
    out = dict.fromkeys(org_ids, 0)
    since = now - timedelta(days=EXPOSURE_DAYS)
    for chunk in _chunks(org_ids):
        rows = db.session.execute(
            select(Ticket.organization_id, func.count(func.distinct(Ticket.topic_id)))
            .join(Topic, Topic.id == Ticket.topic_id)
            .where(Ticket.organization_id.in_(chunk), Ticket.created_at >= since,
                   Topic.status == "active", Topic.trend.in_(("new", "rising")))
            .group_by(Ticket.organization_id)
        )
        out.update({org_id: n for org_id, n in rows})
    return out


def spike_alerts(limit=10):
    """The latest spike alerts of topics still active, newest first (TopicAlert rows, topic loaded)."""
    return db.session.scalars(
        select(TopicAlert).join(Topic, Topic.id == TopicAlert.topic_id)
        .where(Topic.status == "active")
        .order_by(TopicAlert.created_at.desc(), TopicAlert.id.desc()).limit(limit)
    ).all()


def affected_organization_ids(topic_id):
    """Organizations with tickets in the topic, highest MRR first."""
    return db.session.scalars(
        select(Organization.id).join(Ticket, Ticket.organization_id == Organization.id)
        .where(Ticket.topic_id == topic_id).group_by(Organization.id, Organization.mrr, Organization.name)
        .order_by(Organization.mrr.desc(), Organization.name)
    ).all()


# --- figures for lists and pages ---------------------------------------------------------------

def topic_list(status="active", trend=None, sort="trend", q=None):
    """Topics with their affected MRR and account count, sorted for the CSM list."""
    stmt = select(Topic).where(Topic.size > 0)
    if status in ("active", "dismissed"):
        stmt = stmt.where(Topic.status == status)
    else:
        stmt = stmt.where(Topic.status != "merged")
    if trend:
        stmt = stmt.where(Topic.trend == trend)
    if q:
        stmt = stmt.where(Topic.label.ilike(f"%{q.strip()[:100]}%"))
    topics = db.session.scalars(stmt).all()
    money = affected_mrr([t.id for t in topics])
    rank = {"rising": 0, "new": 1, "steady": 2, "falling": 3}
    keys = {
        "trend": lambda t: (rank.get(t.trend, 9), -t.size, t.id),
        "size": lambda t: (-t.size, t.id),
        "mrr": lambda t: (-money.get(t.id, (0, Decimal(0)))[1], -t.size, t.id),
        "recent": lambda t: (-(t.last_seen.timestamp() if t.last_seen else 0), t.id),
    }
    topics.sort(key=keys.get(sort, keys["trend"]))
    return topics, money


def affected_mrr(topic_ids):
    """{topic id: (organizations, summed MRR)}; an organization counts once per topic."""
    pairs = set()
    for chunk in _chunks(topic_ids):
        pairs.update(db.session.execute(
            select(Ticket.topic_id, Ticket.organization_id)
            .where(Ticket.topic_id.in_(chunk), Ticket.organization_id.is_not(None)).distinct()
        ).all())
    mrr = dict(db.session.execute(
        select(Organization.id, Organization.mrr).where(Organization.id.in_({o for _, o in pairs}))
    ).all()) if pairs else {}
    out = defaultdict(lambda: [0, Decimal(0)])
    for topic_id, org_id in pairs:
        out[topic_id][0] += 1
        out[topic_id][1] += Decimal(mrr.get(org_id) or 0)
    return {k: tuple(v) for k, v in out.items()}


def topic_figures(topic):
    """Open vs solved, average CSAT and affected accounts with MRR for one topic's page."""
    status_counts = dict(db.session.execute(
        select(Ticket.status, func.count(Ticket.id)).where(Ticket.topic_id == topic.id).group_by(Ticket.status)
    ).all())
    open_count = sum(n for s, n in status_counts.items() if s in ACTIVE_STATUSES)
    solved_count = sum(n for s, n in status_counts.items() if s in ("solved", "closed"))
    ratings = dict(db.session.execute(
        select(CsatResponse.rating, func.count(CsatResponse.id))
        .join(Ticket, Ticket.id == CsatResponse.ticket_id)
        .where(Ticket.topic_id == topic.id).group_by(CsatResponse.rating)
    ).all())
    rated = sum(ratings.values())
    accounts = db.session.execute(
        select(Organization, func.count(Ticket.id))
        .join(Ticket, Ticket.organization_id == Organization.id)
        .where(Ticket.topic_id == topic.id)
        .group_by(Organization.id).order_by(Organization.mrr.desc(), Organization.name)
    ).all()
    return {
        "open": open_count, "solved": solved_count,
        "csat": (ratings.get("good", 0) / rated) if rated else None, "rated": rated,
        "accounts": accounts,
        "mrr": sum((Decimal(org.mrr or 0) for org, _n in accounts), Decimal(0)),
    }


def topic_tickets(topic, limit=50, offset=0):
    return db.session.scalars(
        select(Ticket).where(Ticket.topic_id == topic.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit).offset(offset)
    ).all()


def representative_tickets(topic, limit=3):
    """The tickets nearest the middle of the topic (its most typical wording), else the newest."""
    import numpy as np

    from app.success.topic_mining import load_vectors

    ids = db.session.scalars(select(Ticket.id).where(Ticket.topic_id == topic.id)
                             .order_by(Ticket.id.desc()).limit(2000)).all()
    got, matrix, _langs = load_vectors(ids) if ids else ([], None, [])
    if len(got) <= limit:
        return topic_tickets(topic, limit=limit)
    middle = matrix.mean(axis=0)
    chosen = [got[i] for i in np.argsort(-(matrix @ middle))[:limit]]
    tickets = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(chosen)))}
    return [tickets[i] for i in chosen if i in tickets]


def weekly_chart(topic):
    counts = topic.weekly_counts or []
    return {"labels": [c["week"] for c in counts], "counts": [c["count"] for c in counts]}


# --- CSM decisions -----------------------------------------------------------------------------

def _live(topic, action):
    if topic.status == "merged":
        raise DomainError(_("This topic was merged into another one; %(action)s that one instead.", action=action))


def rename_topic(topic, actor, label, now=None):
    label = " ".join((label or "").split())
    if not label:
        raise DomainError(_("Give the topic a name."), field="label")
    if len(label) > LABEL_MAX:
        raise DomainError(_("The name is too long (at most %(n)d characters).", n=LABEL_MAX), field="label")
    _live(topic, _("rename"))
    topic.label = label
    topic.renamed = True
    topic.updated_at = now or utcnow()
    return topic


def _pin(ticket_ids, topic_id, origin_id, kind, actor, now):
    for chunk in _chunks(ticket_ids):
        db.session.execute(delete(TopicPin).where(TopicPin.ticket_id.in_(chunk))
                           .execution_options(synchronize_session=False))
    if ticket_ids:
        db.session.execute(insert(TopicPin), [
            {"ticket_id": t, "topic_id": topic_id, "origin_topic_id": origin_id, "kind": kind,
             "created_by_id": actor.id if actor else None, "created_at": now} for t in ticket_ids
        ])


def _move(ticket_ids, topic_id):
    for chunk in _chunks(ticket_ids):
        db.session.execute(update(Ticket).where(Ticket.id.in_(chunk)).values(topic_id=topic_id)
                           .execution_options(synchronize_session=False))


def merge_topics(source, target, actor, now=None):
    """Fold `source` into `target`; later mines send whatever matches `source` to `target`."""
    now = now or utcnow()
    if source.id == target.id:
        raise DomainError(_("Pick another topic to merge into."), field="target_id")
    _live(source, _("merge"))
    _live(target, _("merge"))
    moved = db.session.scalars(select(Ticket.id).where(Ticket.topic_id == source.id)).all()
    _move(moved, target.id)
    _pin(moved, target.id, source.id, "merge", actor, now)
    # Pins that pointed at the source (an earlier split into it) now point at the target.
    db.session.execute(update(TopicPin).where(TopicPin.topic_id == source.id).values(topic_id=target.id)
                       .execution_options(synchronize_session=False))
    source.status = "merged"
    source.merged_into_id = target.id
    refresh_topics([source.id, target.id], now)
    return target


def split_topic(topic, actor, ticket_ids, label, now=None):
    """Move the picked tickets into a new topic that later mines keep apart."""
    now = now or utcnow()
    _live(topic, _("split"))
    picked = sorted({int(t) for t in ticket_ids})
    members = set(db.session.scalars(select(Ticket.id).where(Ticket.topic_id == topic.id,
                                                             Ticket.id.in_(picked or [0]))))
    if not picked:
        raise DomainError(_("Pick the tickets that belong to the new topic."), field="ticket_ids")
    if set(picked) - members:
        raise DomainError(_("Some picked tickets are not in this topic."), field="ticket_ids")
    if len(members) >= topic.size:
        raise DomainError(_("Leave at least one ticket in this topic (rename it instead)."), field="ticket_ids")
    label = " ".join((label or "").split())
    if len(label) > LABEL_MAX:
        raise DomainError(_("The name is too long (at most %(n)d characters).", n=LABEL_MAX), field="label")
    new = Topic(label=label or _("%(label)s (split)", label=topic.label)[:LABEL_MAX], renamed=bool(label),
                terms=list(topic.terms or []), terms_by_language=dict(topic.terms_by_language or {}),
                language=topic.language, status=topic.status, weekly_counts=[], trend="new",
                created_at=now, updated_at=now)
    db.session.add(new)
    db.session.flush()
    _move(picked, new.id)
    _pin(picked, new.id, topic.id, "split", actor, now)
    refresh_topics([topic.id, new.id], now)
    if not label:
        from app.success.topic_mining import _describe

        try:
            _describe(new)
        except Exception:  # naming is a nicety; the split itself stands
            current_app.logger.exception("describing split topic %s", new.id)
    return new


def dismiss_topic(topic, actor, now=None):
    _live(topic, _("dismiss"))
    topic.status = "dismissed"
    topic.updated_at = now or utcnow()
    return topic


def restore_topic(topic, actor, now=None):
    if topic.status != "dismissed":
        raise DomainError(_("Only a dismissed topic can be restored."))
    topic.status = "active"
    topic.updated_at = now or utcnow()
    return topic


def link_kb_article(topic, actor, article_id, now=None):
    from app.models.kb import KbArticle

    if article_id is None:
        topic.kb_article_id = None
    else:
        article = db.session.get(KbArticle, article_id) if 0 < article_id <= MAX_ID else None
        if article is None:
            raise DomainError(_("That knowledge-base article does not exist."), field="article_id")
        topic.kb_article_id = article.id
    topic.updated_at = now or utcnow()
    return topic


def suggested_articles(topic, limit=3):
    """KB search over the topic's label and terms, when the KB engine is installed."""
    try:
        from app.kb import engine
    except ImportError:
        return []
    query = " ".join([topic.label or "", *(topic.terms or [])[:6]]).strip()
    if not query:
        return []
    try:
        hits = engine.search(query, audience="staff", limit=limit)
        return [{"id": getattr(h, "article_id", None) or getattr(h, "id", None), "title": h.title} for h in hits]
    except Exception:  # suggestions must never break the topic page
        current_app.logger.exception("KB suggestions for topic %s", topic.id)
        return []


# --- spikes ------------------------------------------------------------------------------------

def detect_spikes(now=None, topic_ids=None, notify=True):
    """Raise one alert per spiking topic and week (and mail the CSMs). Returns the new alerts."""
    now = now or utcnow()
    cfg = current_app.config
    ratio, minimum = float(cfg.get("TOPIC_SPIKE_RATIO", 1.5)), int(cfg.get("TOPIC_SPIKE_MIN", 5))
    since = now - timedelta(days=7 + 7 * topic_rules.SPIKE_BASELINE_WEEKS)
    stmt = (select(Ticket.topic_id, Ticket.created_at).join(Topic, Topic.id == Ticket.topic_id)
            .where(Topic.status == "active", Ticket.created_at > since, Ticket.created_at <= now))
    if topic_ids is not None:
        stmt = stmt.where(Ticket.topic_id.in_(list(topic_ids) or [0]))
    created = defaultdict(list)
    for topic_id, created_at in db.session.execute(stmt):
        created[topic_id].append(created_at)
    week = topic_rules.week_start(now)
    raised = []
    for topic_id, times in sorted(created.items()):
        is_spike, count, baseline = topic_rules.spike(times, now, ratio, minimum)
        if not is_spike:
            continue
        # A spike that began last week and is still high is the same spike: no second alert.
        if db.session.scalar(select(TopicAlert.id).where(
                TopicAlert.topic_id == topic_id, TopicAlert.week_start >= week - timedelta(days=7)).limit(1)):
            continue
        try:
            with db.session.begin_nested():
                alert = TopicAlert(topic_id=topic_id, week_start=week, count=count, baseline=baseline, created_at=now)
                db.session.add(alert)
        except IntegrityError:  # another run raised it first
            continue
        raised.append(alert)
    if raised and notify:
        _mail_csms(raised)
    return raised


def _mail_csms(alerts):
    from app.mail import queue_mail

    base = current_app.config["BASE_URL"]
    csms = db.session.scalars(select(User).where(User.role == "csm", User.active.is_(True)).order_by(User.id)).all()
    for alert in alerts:
        topic = db.session.get(Topic, alert.topic_id)
        for user in csms:
            queue_mail(user.email, "topic_spike", kind="topic_spike", locale=user.locale, topic=topic, alert=alert,
                       url=f"{base}/success/topics/{topic.id}")


def ticket_topic(ticket):
    """The live topic a ticket belongs to (for the agent's ticket page), or None."""
    if ticket.topic_id is None:
        return None
    topic = db.session.get(Topic, ticket.topic_id)
    return topic if topic is not None and topic.status == "active" else None


def topic_choices(selected=None, limit=200):
    """(id, label) of the live topics for the queue's topic filter, largest first (plus the chosen one)."""
    rows = db.session.execute(
        select(Topic.id, Topic.label).where(Topic.status == "active", Topic.size > 0)
        .order_by(Topic.size.desc(), Topic.id).limit(limit)
    ).all()
    if selected and str(selected).isdigit() and int(selected) not in {r.id for r in rows}:
        extra = db.session.execute(select(Topic.id, Topic.label).where(Topic.id == int(selected))).first()
        rows = [*rows, *([extra] if extra else [])]
    return [(r.id, r.label) for r in rows]
