"""Queue filters and saved views: what an agent's list shows, named and kept for later.

A filter set is a small dict with the keys of FILTER_KEYS; the same dict is read from the queue's
query string, stored in SavedView.filters and turned into a queue_query. Built-in views are filter
sets with a name; saved views are personal (the owner sees them) or shared (all staff do).
"""

import json
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, or_, select

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.models import Group, Organization, SavedView, Ticket, User
from app.models.base import utcnow
from app.support import rules
from app.support.queries import BREACH_STATES, ORDERS, queue_query

FILTER_KEYS = ("status", "priority", "assignee", "group", "tag", "organization", "requester",
               "created_from", "created_to", "breach", "q", "sort", "topic")
# Assignee filter values besides a user id.
ASSIGNEE_CHOICES = {
    "none_or_me": _l("Unassigned and mine"),
    "none": _l("Unassigned"),
    "me": _l("Mine"),
}
SORTS = {
    "sla": _l("SLA due"),
    "priority": _l("Priority"),
    "newest": _l("Newest"),
    "oldest": _l("Oldest"),
    "updated": _l("Last updated"),
}
BREACH_LABELS = {
    "breached": _l("Breached"),
    "due_soon": _l("Due within an hour"),
    "on_track": _l("On track"),
    "no_sla": _l("No SLA"),
}
assert set(SORTS) == set(ORDERS) and set(BREACH_LABELS) == set(BREACH_STATES)

ACTIVE = list(rules.ACTIVE_STATUSES)
BUILTIN_VIEWS = {
    "mine": (_l("Unassigned and mine"), {"status": ["new", "open"], "assignee": "none_or_me"}),
    "active": (_l("All active"), {"status": ACTIVE}),
    "breached": (_l("Breached"), {"status": ACTIVE, "breach": "breached"}),
    "due_soon": (_l("Due soon"), {"status": ACTIVE, "breach": "due_soon"}),
    "pending": (_l("Pending"), {"status": ["pending"]}),
    "on_hold": (_l("On hold"), {"status": ["on_hold"]}),
    "solved": (_l("Solved"), {"status": ["solved"], "sort": "updated"}),
    "all": (_l("All tickets"), {"sort": "newest"}),
}
DEFAULT_VIEW = "mine"
NAME_MAX = 100
TEXT_MAX = 254
# Sidebar counts stop here ("1,000+"): a capped count reads at most this many index entries.
COUNT_CAP = 1000


# --- filters -------------------------------------------------------------------------------------

def clean_filters(raw):
    """A filter dict with known keys and valid values only (empty ones dropped), or DomainError."""
    raw = raw or {}
    out = {}
    statuses = _list(raw.get("status"))
    if statuses:
        unknown = [s for s in statuses if s not in rules.STATUSES]
        if unknown:
            raise DomainError(_("Unknown status %(value)s.", value=", ".join(unknown)), field="status")
        out["status"] = [s for s in rules.STATUSES if s in statuses]
    priorities = _list(raw.get("priority"))
    if priorities:
        unknown = [p for p in priorities if p not in rules.PRIORITIES]
        if unknown:
            raise DomainError(_("Unknown priority %(value)s.", value=", ".join(unknown)), field="priority")
        out["priority"] = [p for p in rules.PRIORITIES if p in priorities]
    assignee = _text(raw.get("assignee"))
    if assignee:
        if assignee not in ASSIGNEE_CHOICES and not assignee.isdigit():
            raise DomainError(_("Unknown assignee %(value)s.", value=assignee), field="assignee")
        out["assignee"] = assignee
    group = _text(raw.get("group"))
    if group:
        if not group.isdigit():
            raise DomainError(_("Unknown group %(value)s.", value=group), field="group")
        out["group"] = group
    topic = _text(raw.get("topic"))
    if topic:
        if not topic.isdigit() or int(topic) > 2**31 - 1:
            raise DomainError(_("Unknown topic %(value)s.", value=topic), field="topic")
        out["topic"] = topic
    for key in ("tag", "organization", "requester", "q"):
        value = _text(raw.get(key))
        if len(value) > TEXT_MAX:
            raise DomainError(_("That filter is too long (at most %(n)d characters).", n=TEXT_MAX), field=key)
        if key == "tag":
            value = rules.normalize_tag(value)
        if key == "requester":
            value = value.lower()
        if value:
            out[key] = value
    for key in ("created_from", "created_to"):
        value = _text(raw.get(key))
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise DomainError(_("Enter dates as YYYY-MM-DD."), field=key) from None
            out[key] = value
    breach = _text(raw.get("breach"))
    if breach:
        if breach not in BREACH_STATES:
            raise DomainError(_("Unknown breach state %(value)s.", value=breach), field="breach")
        out["breach"] = breach
    sort = _text(raw.get("sort"))
    if sort and sort != "sla":
        if sort not in ORDERS:
            raise DomainError(_("Unknown sort %(value)s.", value=sort), field="sort")
        out["sort"] = sort
    return out


def _list(value):
    if value is None or value == "":
        return []
    values = [value] if isinstance(value, str) else list(value)
    return [str(v).strip() for v in values if str(v).strip()]


def _text(value):
    if value is None:
        return ""
    if not isinstance(value, (str, int)):
        raise DomainError(_("A filter value must be text."))
    return str(value).strip()


def filters_from_args(args):
    """Filters from a query string (a MultiDict): None when it names none (the default view)."""
    if not any(key in args for key in FILTER_KEYS):
        return None
    return clean_filters({key: args.getlist(key) if key in ("status", "priority") else args.get(key)
                          for key in FILTER_KEYS})


def builtin_key(filters):
    """The built-in view these filters are, if any (to highlight it in the sidebar)."""
    return next((key for key, (_label, preset) in BUILTIN_VIEWS.items() if clean_filters(preset) == filters), None)


def queue_for(viewer, filters, now=None):
    """The Queue (app.support.queries) of tickets matching `filters`, spam hidden."""
    now = now or utcnow()
    filters = filters or {}
    kwargs = {"order": filters.get("sort", "sla"), "now": now}
    nothing = False
    if filters.get("status"):
        kwargs["statuses"] = tuple(filters["status"])
    if filters.get("priority"):
        kwargs["priorities"] = tuple(filters["priority"])
    assignee = filters.get("assignee")
    if assignee:
        kwargs["assignee"] = ("none", "me") if assignee == "none_or_me" else (
            assignee if assignee in ("none", "me") else int(assignee))
    if filters.get("group"):
        kwargs["group_id"] = int(filters["group"])
    if filters.get("tag"):
        kwargs["tag"] = filters["tag"]
    if filters.get("topic"):
        kwargs["topic_id"] = int(filters["topic"])
    if filters.get("organization"):
        org_id = db.session.scalar(select(Organization.id).where(
            func.lower(Organization.name) == filters["organization"].lower()))
        nothing |= org_id is None
        kwargs["organization_id"] = org_id
    if filters.get("requester"):
        requester_id = db.session.scalar(select(User.id).where(User.email == filters["requester"]))
        nothing |= requester_id is None
        kwargs["requester_id"] = requester_id
    zone = _zone(viewer)
    if filters.get("created_from"):
        kwargs["created_from"] = _day_start(filters["created_from"], zone)
    if filters.get("created_to"):
        # Inclusive: up to the end of that day in the viewer's time zone.
        kwargs["created_to"] = _day_start(filters["created_to"], zone) + timedelta(days=1)
    if filters.get("breach"):
        kwargs["breach_state"] = filters["breach"]
    if filters.get("q"):
        kwargs["q"] = filters["q"]
    queue = queue_query(viewer, **kwargs)
    hidden = [Ticket.is_spam.is_(False)] + ([false()] if nothing else [])
    return replace(queue, conditions=queue.conditions + tuple(hidden))


def _zone(viewer):
    try:
        return ZoneInfo(getattr(viewer, "timezone", None) or "UTC")
    except (KeyError, ValueError, OSError):
        return ZoneInfo("UTC")


def _day_start(day, zone):
    return datetime.combine(date.fromisoformat(day), day_time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def capped_count(queue, cap=None):
    """How many tickets a queue holds, counting no further than cap + 1."""
    cap = COUNT_CAP if cap is None else cap
    limited = queue.ids().limit(cap + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(limited))


def describe(filters, viewer):
    """Readable (label, value) pairs of a filter set, for the "filtered by" line."""
    from app.i18n import PRIORITY_LABELS, STATUS_LABELS

    parts = []
    if filters.get("status"):
        parts.append((_("Status"), ", ".join(str(STATUS_LABELS[s]) for s in filters["status"])))
    if filters.get("priority"):
        parts.append((_("Priority"), ", ".join(str(PRIORITY_LABELS[p]) for p in filters["priority"])))
    assignee = filters.get("assignee")
    if assignee:
        if assignee in ASSIGNEE_CHOICES:
            parts.append((_("Assignee"), str(ASSIGNEE_CHOICES[assignee])))
        else:
            user = db.session.get(User, int(assignee))
            parts.append((_("Assignee"), user.display_name if user else assignee))
    if filters.get("group"):
        group = db.session.get(Group, int(filters["group"]))
        parts.append((_("Group"), group.name if group else filters["group"]))
    if filters.get("topic"):
        from app.models.success import Topic

        topic = db.session.get(Topic, int(filters["topic"]))
        parts.append((_("Topic"), topic.label if topic else filters["topic"]))
    labels = {"tag": _("Tag"), "organization": _("Organization"), "requester": _("Requester"),
              "created_from": _("Created from"), "created_to": _("Created until"), "q": _("Text")}
    for key, label in labels.items():
        if filters.get(key):
            parts.append((label, filters[key]))
    if filters.get("breach"):
        parts.append((_("SLA"), str(BREACH_LABELS[filters["breach"]])))
    return parts


# --- saved views ---------------------------------------------------------------------------------

def visible_views(user):
    """The views `user` may use: their own first, then the shared ones of others."""
    return db.session.scalars(
        select(SavedView)
        .where(or_(SavedView.owner_id == user.id, SavedView.shared.is_(True)))
        .order_by((SavedView.owner_id != user.id), SavedView.position, func.lower(SavedView.name), SavedView.id)
    ).all()


def get_view(user, view_id):
    view = db.session.get(SavedView, view_id)
    if view is None or not (view.shared or view.owner_id == user.id):
        raise NotFound(_("That view does not exist or is not shared with you."))
    return view


def _clean_name(name):
    name = " ".join((name or "").split()) if isinstance(name, str) else ""
    if not name:
        raise DomainError(_("Give the view a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("The name is too long (at most %(n)d characters).", n=NAME_MAX), field="name")
    return name


def _ensure_unique(owner, name, exclude_id=None):
    clash = db.session.scalar(select(SavedView.id).where(
        SavedView.owner_id == owner.id, func.lower(SavedView.name) == name.lower(),
        SavedView.id != (exclude_id or 0)))
    if clash is not None:
        raise DomainError(_("You already have a view called “%(name)s”.", name=name), field="name")


def create_view(actor, name, filters, shared=False, now=None):
    name = _clean_name(name)
    _ensure_unique(actor, name)
    position = db.session.scalar(
        select(func.coalesce(func.max(SavedView.position), 0)).where(SavedView.owner_id == actor.id)) + 1
    view = SavedView(name=name, owner=actor, shared=bool(shared), filters=clean_filters(filters),
                     position=position, created_at=now or utcnow())
    db.session.add(view)
    db.session.flush()
    return view


def rename_view(actor, view, name):
    if view.owner_id != actor.id:
        raise DomainError(_("Only the person who saved a view can rename it."), field="name")
    name = _clean_name(name)
    _ensure_unique(actor, name, exclude_id=view.id)
    view.name = name
    db.session.flush()
    return view


def delete_view(actor, view):
    if view.owner_id != actor.id and not (view.shared and actor.role == "admin"):
        raise DomainError(_("Only the person who saved a view (or an admin, for shared views) can delete it."))
    db.session.delete(view)
    db.session.flush()


def view_counts(viewer, now=None, cached_only=False):
    """{"builtin:<key>" or "saved:<id>": capped count} for the sidebar.

    Counts are kept per person for QUEUE_COUNT_TTL seconds (default 60; tests: 0) in this
    process: a read-only cache rebuilt from the database, so a busy queue page never recounts
    on every view. The queue page asks with `cached_only` (no database work) and the page's
    script fetches the rest from /agent/views/counts. The missing ones are counted in one round
    trip. A saved view whose filters no longer make sense (a deleted group) counts as None.
    """
    now = now or utcnow()
    ttl = current_app.config.get("QUEUE_COUNT_TTL", 0 if current_app.testing else 60)
    wanted = {f"builtin:{key}": preset for key, (_label, preset) in BUILTIN_VIEWS.items()}
    wanted.update({f"saved:{view.id}": view.filters for view in visible_views(viewer)})
    counts, missing, clock = {}, {}, time.monotonic()
    for name, filters in wanted.items():
        cache_key = (viewer.id, name, json.dumps(filters, sort_keys=True), COUNT_CAP)
        hit = _COUNTS.get(cache_key)
        if hit is not None and hit[0] > clock:
            counts[name] = hit[1]
        elif not cached_only:
            missing[name] = (cache_key, filters)
    if missing:
        queues = {}
        for name, (_key, filters) in missing.items():
            try:
                queues[name] = queue_for(viewer, clean_filters(filters), now)
            except DomainError:
                counts[name] = None
        columns = [select(func.count()).select_from(queues[name].ids().limit(COUNT_CAP + 1).subquery())
                   .scalar_subquery() for name in queues]
        if columns:
            counts.update(zip(queues, db.session.execute(select(*columns)).one()))
        if ttl > 0:
            if len(_COUNTS) > _COUNTS_MAX:
                _COUNTS.clear()
            for name, (cache_key, _filters) in missing.items():
                _COUNTS[cache_key] = (clock + ttl, counts.get(name))
    return counts


# (user id, view, filters, cap) → (expires at, count); bounded, per process.
_COUNTS = {}
_COUNTS_MAX = 20_000
