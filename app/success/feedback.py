"""Product feedback: items, status history, links, votes and the figures product weighs them by.

An item's tickets are those linked to it directly plus those of its linked topics; its
organizations are those linked directly, those of its tickets and those voted for. Each ticket
and each organization counts once; MRR affected is the sum over the distinct organizations.
Services take an actor and `now`, flush, never commit.
"""

from collections import defaultdict
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.models import Organization, OutboundMail, Ticket
from app.models.base import utcnow
from app.models.success import (
    FEEDBACK_STATUSES, FEEDBACK_TYPES, IMPORTANCE, FeedbackItem, FeedbackStatusChange, FeedbackVote, Topic,
    feedback_organizations, feedback_tickets, feedback_topics,
)
from app.support.rules import ACTIVE_STATUSES

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
NOTE_MAX = 500
MAX_ID = 2**31 - 1
STATUS_NAMES = {"new": _l("New"), "planned": _l("Planned"), "in_progress": _l("In progress"),
                "shipped": _l("Shipped"), "declined": _l("Declined")}


def get_item(item_id):
    item = db.session.get(FeedbackItem, item_id) if 0 < item_id <= MAX_ID else None
    if item is None:
        raise NotFound(_("Feedback item not found."))
    return item


def _clean(value, field, label, limit, required):
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("%(label)s is required.", label=label), field=field)
    if len(text) > limit:
        raise DomainError(_("%(label)s is too long (at most %(n)d characters).", label=label, n=limit), field=field)
    return text


def _choice(value, allowed, field, label):
    if value not in allowed:
        raise DomainError(_("Unknown %(label)s %(value)r.", label=label, value=value), field=field)
    return value


def _rows(model, ids, label):
    ids = sorted({int(i) for i in ids or () if 0 < int(i) <= MAX_ID})
    if not ids:
        return []
    rows = db.session.scalars(select(model).where(model.id.in_(ids))).all()
    if len(rows) != len(ids):
        missing = sorted(set(ids) - {r.id for r in rows})
        raise DomainError(_("%(label)s %(ids)s not found.", label=label, ids=", ".join(f"#{i}" for i in missing)))
    return rows


def create_item(actor, title, description="", type="bug", importance="medium", topic_ids=(), ticket_ids=(),
                organization_ids=(), now=None):
    now = now or utcnow()
    item = FeedbackItem(
        title=_clean(title, "title", _("The title"), TITLE_MAX, True),
        description=_clean(description, "description", _("The description"), DESCRIPTION_MAX, False),
        type=_choice(type, FEEDBACK_TYPES, "type", _("type")),
        importance=_choice(importance, IMPORTANCE, "importance", _("importance")),
        status="new", created_by=actor, created_at=now, updated_at=now,
    )
    item.topics = _rows(Topic, topic_ids, _("Topic"))
    item.tickets = _rows(Ticket, ticket_ids, _("Ticket"))
    item.organizations = _rows(Organization, organization_ids, _("Organization"))
    db.session.add(item)
    item.history.append(FeedbackStatusChange(old_status=None, new_status="new", actor=actor, created_at=now))
    db.session.flush()
    return item


def prefill_from_topic(topic):
    """Form values for a new item about a topic."""
    terms = ", ".join((topic.terms or [])[:8])
    lines = [_("Recurring support topic: %(label)s (%(n)d tickets).", label=topic.label, n=topic.size)]
    if terms:
        lines.append(_("Key terms: %(terms)s", terms=terms))
    return {"title": topic.label[:TITLE_MAX], "description": "\n".join(lines), "type": "bug", "importance": "medium"}


def update_item(item, actor, title, description, type, importance, now=None):
    item.title = _clean(title, "title", _("The title"), TITLE_MAX, True)
    item.description = _clean(description, "description", _("The description"), DESCRIPTION_MAX, False)
    item.type = _choice(type, FEEDBACK_TYPES, "type", _("type"))
    item.importance = _choice(importance, IMPORTANCE, "importance", _("importance"))
    item.updated_at = now or utcnow()
    return item


def change_status(item, actor, status, note="", now=None):
    now = now or utcnow()
    _choice(status, FEEDBACK_STATUSES, "status", _("status"))
    note = _clean(note, "note", _("The note"), NOTE_MAX, False)
    if status == item.status:
        raise DomainError(_("The item is already %(status)s.", status=str(STATUS_NAMES[status]).lower()), field="status")
    item.history.append(FeedbackStatusChange(old_status=item.status, new_status=status, actor=actor, note=note,
                                             created_at=now))
    item.status = status
    item.updated_at = now
    if status == "shipped":
        item.shipped_at = now
    return item


def link(item, actor, kind, target_id, now=None):
    """Link a topic, ticket or organization (`kind`) by id; linking twice is harmless."""
    model, collection, label = _link_kind(item, kind)
    [row] = _rows(model, [target_id], label) or [None]
    if row is None:
        raise DomainError(_("%(label)s not found.", label=label))
    if row not in collection:
        collection.append(row)
    item.updated_at = now or utcnow()
    return row


def unlink(item, actor, kind, target_id, now=None):
    _model, collection, _label = _link_kind(item, kind)
    for row in list(collection):
        if row.id == target_id:
            collection.remove(row)
    item.updated_at = now or utcnow()


def _link_kind(item, kind):
    kinds = {
        "topic": (Topic, item.topics, _("Topic")),
        "ticket": (Ticket, item.tickets, _("Ticket")),
        "organization": (Organization, item.organizations, _("Organization")),
    }
    if kind not in kinds:
        raise DomainError(_("Unknown link kind %(kind)r.", kind=kind))
    return kinds[kind]


def add_vote(item, actor, organization_id, now=None):
    [org] = _rows(Organization, [organization_id], _("Organization")) or [None]
    if org is None:
        raise DomainError(_("Pick the account you vote for."), field="organization_id")
    try:
        with db.session.begin_nested():
            vote = FeedbackVote(item=item, user=actor, organization=org, created_at=now or utcnow())
            db.session.add(vote)
    except IntegrityError:
        raise DomainError(_("You already voted for this item on behalf of %(org)s.", org=org.name)) from None
    return vote


def remove_vote(item, actor, vote_id):
    vote = db.session.get(FeedbackVote, vote_id) if 0 < vote_id <= MAX_ID else None
    if vote is None or vote.feedback_id != item.id:
        raise NotFound(_("Vote not found."))
    if vote.user_id != actor.id and actor.role != "admin":
        raise DomainError(_("Only the person who voted (or an admin) can withdraw a vote."))
    db.session.delete(vote)


# --- figures -----------------------------------------------------------------------------------

def _ticket_pairs(item_ids):
    direct = select(feedback_tickets.c.feedback_id, feedback_tickets.c.ticket_id).where(
        feedback_tickets.c.feedback_id.in_(item_ids))
    via_topic = (select(feedback_topics.c.feedback_id, Ticket.id)
                 .join(Ticket, Ticket.topic_id == feedback_topics.c.topic_id)
                 .where(feedback_topics.c.feedback_id.in_(item_ids)))
    return union(direct, via_topic).subquery()


def item_figures(item_ids):
    """{item id: {"ticket_ids", "organization_ids", "ticket_count", "organization_count", "mrr_affected", "votes"}}."""
    item_ids = list(item_ids)
    out = {i: {"ticket_ids": set(), "organization_ids": set(), "votes": 0} for i in item_ids}
    if not item_ids:
        return out
    pairs = _ticket_pairs(item_ids)
    for item_id, ticket_id, org_id in db.session.execute(
            select(pairs.c[0], pairs.c[1], Ticket.organization_id).join(Ticket, Ticket.id == pairs.c[1])):
        out[item_id]["ticket_ids"].add(ticket_id)
        if org_id is not None:
            out[item_id]["organization_ids"].add(org_id)
    for item_id, org_id in db.session.execute(
            select(feedback_organizations.c.feedback_id, feedback_organizations.c.organization_id)
            .where(feedback_organizations.c.feedback_id.in_(item_ids))):
        out[item_id]["organization_ids"].add(org_id)
    for item_id, org_id in db.session.execute(
            select(FeedbackVote.feedback_id, FeedbackVote.organization_id).where(FeedbackVote.feedback_id.in_(item_ids))):
        out[item_id]["organization_ids"].add(org_id)
        out[item_id]["votes"] += 1
    all_orgs = set().union(*(f["organization_ids"] for f in out.values()))
    mrr = dict(db.session.execute(select(Organization.id, Organization.mrr).where(Organization.id.in_(all_orgs)))
               .all()) if all_orgs else {}
    for figures in out.values():
        figures["ticket_count"] = len(figures["ticket_ids"])
        figures["organization_count"] = len(figures["organization_ids"])
        figures["mrr_affected"] = sum((Decimal(mrr.get(o) or 0) for o in figures["organization_ids"]), Decimal(0))
    return out


SORTS = {
    "mrr": lambda item, f: (-f["mrr_affected"], -item.id),
    "tickets": lambda item, f: (-f["ticket_count"], -item.id),
    "organizations": lambda item, f: (-f["organization_count"], -item.id),
    "votes": lambda item, f: (-f["votes"], -item.id),
    "updated": lambda item, f: (-item.updated_at.timestamp(), -item.id),
    "newest": lambda item, f: (-item.id,),
}


def feedback_list(status=None, type=None, topic_id=None, q=None, sort="mrr"):
    """Items with their figures, filtered and sorted (feedback lists are small: sorted in Python)."""
    stmt = select(FeedbackItem)
    if status:
        stmt = stmt.where(FeedbackItem.status.in_(status if isinstance(status, (list, tuple)) else [status]))
    if type:
        stmt = stmt.where(FeedbackItem.type == type)
    if topic_id:
        stmt = stmt.where(FeedbackItem.id.in_(select(feedback_topics.c.feedback_id)
                                              .where(feedback_topics.c.topic_id == topic_id)))
    if q:
        stmt = stmt.where(FeedbackItem.title.ilike(f"%{q.strip()[:100]}%"))
    items = db.session.scalars(stmt).all()
    figures = item_figures([i.id for i in items])
    key = SORTS.get(sort, SORTS["mrr"])
    items.sort(key=lambda item: key(item, figures[item.id]))
    return items, figures


def items_for_topic(topic_id):
    return db.session.scalars(
        select(FeedbackItem).join(feedback_topics, feedback_topics.c.feedback_id == FeedbackItem.id)
        .where(feedback_topics.c.topic_id == topic_id).order_by(FeedbackItem.id.desc())
    ).all()


# --- telling requesters ------------------------------------------------------------------------

def open_requesters(item):
    """{requester: first open linked ticket} for the item's open tickets."""
    ticket_ids = item_figures([item.id])[item.id]["ticket_ids"]
    out = {}
    for ticket in db.session.scalars(
            select(Ticket).where(Ticket.id.in_(ticket_ids or [0]), Ticket.status.in_(ACTIVE_STATUSES),
                                 Ticket.requester_id.is_not(None), Ticket.is_spam.is_(False)).order_by(Ticket.id)):
        out.setdefault(ticket.requester, ticket)
    return out


def request_notification(item, actor, now=None):
    """The "notify requesters" button: only for shipped items; the job does the mailing."""
    from app.jobs import enqueue

    if item.status != "shipped":
        raise DomainError(_("Requesters are told once the item has shipped."))
    item.notified_at = now or utcnow()
    enqueue("success.feedback_shipped", item.id)


def notify_requesters(item_id):
    """Mail each requester of an open linked ticket once per item (safe to run twice)."""
    from app.mail import queue_mail

    item = db.session.get(FeedbackItem, item_id)
    if item is None or item.status != "shipped":
        return 0
    marker = f"[F{item.id}]"
    already = set(db.session.scalars(select(OutboundMail.to_addr).where(
        OutboundMail.kind == "feedback_shipped", OutboundMail.subject.contains(marker))))
    base = current_app.config["BASE_URL"]
    sent = 0
    for requester, ticket in open_requesters(item).items():
        if not requester.active or requester.email in already:
            continue
        queue_mail(requester.email, "feedback_shipped", kind="feedback_shipped", ticket_id=ticket.id,
                   locale=requester.locale or ticket.language, item=item, ticket=ticket, marker=marker,
                   requester=requester, url=f"{base}/portal/tickets/{ticket.id}")
        sent += 1
    return sent


def figures_by_status():
    counts = defaultdict(int)
    for status, in db.session.execute(select(FeedbackItem.status)):
        counts[status] += 1
    return counts
