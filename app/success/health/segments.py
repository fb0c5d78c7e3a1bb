"""Segments: saved filters over accounts. Members are computed when asked, never stored."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.models import Organization
from app.models.base import utcnow
from app.models.health import AccountHealth, Segment
from app.models.organization import STAGES
from app.success.health.scoring import BANDS

FILTER_KEYS = ("plans", "mrr_min", "mrr_max", "stages", "bands", "tags", "min_topic_exposure", "renewal_within_days")
MAX_DAYS = 3650


def _words(value):
    """"a, b c" or ["a", "b"] → ["a", "b", "c"] (lower case, no blanks, no repeats)."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
    seen = []
    for item in items:
        item = str(item).strip().lower()
        if item and item not in seen:
            seen.append(item)
    return seen


def _number(raw, field, integer=False, low=0, high=None):
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = int(str(raw).strip()) if integer else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("%(field)s must be a number.", field=field), field=field) from None
    if not integer and not value.is_finite():
        raise DomainError(_("%(field)s must be a number.", field=field), field=field)
    if value < low or (high is not None and value > high):
        raise DomainError(_("%(field)s must be between %(low)s and %(high)s.", field=field, low=low,
                            high=high if high is not None else "∞"), field=field)
    return value


def clean_filters(raw):
    """Validated filters as stored (JSON-safe); DomainError on bad input."""
    raw = raw or {}
    unknown = [k for k in raw if k not in FILTER_KEYS]
    if unknown:
        raise DomainError(_("Unknown filter %(name)s.", name=unknown[0]), field=unknown[0])
    filters = {}
    plans = _words(raw.get("plans"))
    if plans:
        filters["plans"] = plans
    stages = _words(raw.get("stages"))
    bad = [s for s in stages if s not in STAGES]
    if bad:
        raise DomainError(_("Unknown lifecycle stage %(stage)r.", stage=bad[0]), field="stages")
    if stages:
        filters["stages"] = stages
    bands = _words(raw.get("bands"))
    bad = [b for b in bands if b not in BANDS]
    if bad:
        raise DomainError(_("Unknown health band %(band)r.", band=bad[0]), field="bands")
    if bands:
        filters["bands"] = bands
    tags = _words(raw.get("tags"))
    if tags:
        filters["tags"] = tags
    low = _number(raw.get("mrr_min"), "mrr_min")
    high = _number(raw.get("mrr_max"), "mrr_max")
    if low is not None and high is not None and low > high:
        raise DomainError(_("The minimum MRR is above the maximum."), field="mrr_min")
    if low is not None:
        filters["mrr_min"] = str(low)
    if high is not None:
        filters["mrr_max"] = str(high)
    exposure = _number(raw.get("min_topic_exposure"), "min_topic_exposure", integer=True, low=1, high=1000)
    if exposure is not None:
        filters["min_topic_exposure"] = exposure
    days = _number(raw.get("renewal_within_days"), "renewal_within_days", integer=True, low=0, high=MAX_DAYS)
    if days is not None:
        filters["renewal_within_days"] = days
    return filters


def accounts_query(filters, today=None):
    """select(Organization) for the SQL-expressible filters (all but topic exposure)."""
    today = today or utcnow().date()
    stmt = select(Organization)
    if filters.get("plans"):
        stmt = stmt.where(func.lower(Organization.plan).in_(filters["plans"]))
    if filters.get("stages"):
        stmt = stmt.where(Organization.stage.in_(filters["stages"]))
    if filters.get("mrr_min") is not None:
        stmt = stmt.where(Organization.mrr >= Decimal(filters["mrr_min"]))
    if filters.get("mrr_max") is not None:
        stmt = stmt.where(Organization.mrr <= Decimal(filters["mrr_max"]))
    if filters.get("renewal_within_days") is not None:
        stmt = stmt.where(Organization.renewal_date.is_not(None), Organization.renewal_date >= today,
                          Organization.renewal_date <= today + timedelta(days=filters["renewal_within_days"]))
    if filters.get("bands"):
        stmt = stmt.join(AccountHealth, AccountHealth.organization_id == Organization.id).where(
            AccountHealth.band.in_(filters["bands"]))
    return stmt


def _has_tag(tags, wanted):
    return bool({str(t).lower() for t in (tags or [])} & set(wanted))


def accounts_matching(filters, today=None):
    """Org ids matching `filters` now, by name. Tags live in a JSON list and topic exposure comes
    from topic mining, so those two are checked in Python over the SQL-filtered rows."""
    stmt = accounts_query(filters, today).with_only_columns(Organization.id, Organization.segment_tags) \
        .order_by(Organization.name)
    rows = db.session.execute(stmt).all()
    if filters.get("tags"):
        rows = [r for r in rows if _has_tag(r[1], filters["tags"])]
    ids = [r[0] for r in rows]
    if filters.get("min_topic_exposure") and ids:
        from app.success.health.services import topic_exposure

        exposure = topic_exposure(ids) or {}
        ids = [i for i in ids if (exposure.get(i) or 0) >= filters["min_topic_exposure"]]
    return ids


def accounts_in_segment(segment_id):
    """Org ids matching a saved segment now (NotFound for an unknown segment)."""
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(_("No such segment."))
    return accounts_matching(segment.filters or {})


def save_segment(actor, segment, *, name, filters, now=None):
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    if len(name) > 100:
        raise DomainError(_("The name is too long (at most 100 characters)."), field="name")
    clean = clean_filters(filters)
    clash = select(Segment.id).where(func.lower(Segment.name) == name.lower())
    if segment is not None:
        clash = clash.where(Segment.id != segment.id)
    if db.session.scalar(clash) is not None:
        raise DomainError(_("A segment called %(name)s already exists.", name=name), field="name")
    now = now or utcnow()
    if segment is None:
        segment = Segment(created_by_id=actor.id if actor else None, created_at=now)
        db.session.add(segment)
    segment.name, segment.filters, segment.updated_at = name, clean, now
    db.session.flush()
    return segment


def segments_of(org_id):
    """Saved segments an account is in now (for its page)."""
    return [s for s in db.session.scalars(select(Segment).order_by(Segment.name))
            if org_id in accounts_matching(s.filters or {})]

