"""Customer satisfaction: signed one-click links, the rating itself, and the staff report.

A link names a ticket, the solve it answers (the ticket's reopen count when it was solved) and
a rating; it is signed with the app's secret and expires after CSAT_LINK_MAX_AGE seconds. One
answer per ticket and solve: clicking again (or the other button) changes it, never adds a row.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.models import CsatResponse, Group, Ticket, User
from app.models.base import utcnow
from app.support.services import record_event

RATINGS = ("good", "bad")
DEFAULT_MAX_AGE = 30 * 24 * 3600
COMMENT_MAX = 2000


class LinkExpired(DomainError):
    status = 410
    code = "gone"


# --- links -----------------------------------------------------------------------------------

def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tandem-csat")


def csat_token(ticket, rating):
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating!r}")
    return _serializer().dumps({"t": ticket.id, "s": ticket.reopen_count, "r": rating})


def csat_url(ticket, rating):
    """The absolute one-click link; works outside a request too (the mail job)."""
    path = current_app.url_map.bind("localhost").build("support.csat_rate", {"token": csat_token(ticket, rating)})
    return f"{current_app.config['BASE_URL']}{path}"


def read_token(token):
    """(ticket, solve_count, rating) from a link, or LinkExpired / NotFound for a bad one."""
    max_age = current_app.config.get("CSAT_LINK_MAX_AGE") or DEFAULT_MAX_AGE
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkExpired(_("This rating link has expired. Thank you all the same!")) from None
    except BadSignature:
        raise NotFound(_("This rating link is not valid. Please use the link from the e-mail.")) from None
    ok = isinstance(data, dict) and isinstance(data.get("t"), int) and isinstance(data.get("s"), int)
    ticket = db.session.get(Ticket, data["t"]) if ok else None
    if ticket is None or data.get("r") not in RATINGS:
        raise NotFound(_("This rating link is not valid. Please use the link from the e-mail."))
    return ticket, data["s"], data["r"]


# --- rating ----------------------------------------------------------------------------------

def _response_for(ticket_id, solve_count):
    return db.session.scalar(select(CsatResponse).where(
        CsatResponse.ticket_id == ticket_id, CsatResponse.solve_count == solve_count))


def response_for(ticket, solve_count):
    """The answer given for this solve, or None."""
    return _response_for(ticket.id, solve_count)


def rate(ticket, solve_count, rating, comment=None, now=None):
    """Record (or change) the answer for this solve; `comment=None` keeps the comment there is.

    The agent and group are the ticket's at the time of rating. Two clicks at once cannot create
    two rows: the unique (ticket, solve) index refuses the second and it updates the first.
    """
    now = now or utcnow()
    if rating not in RATINGS:
        raise DomainError(_("Choose good or bad."), field="rating")
    keep_comment = comment is None
    if not keep_comment:
        comment = comment.strip()[:COMMENT_MAX] or None
    response = _response_for(ticket.id, solve_count)
    created = response is None
    if created:
        response = CsatResponse(ticket_id=ticket.id, solve_count=solve_count, rating=rating, comment=comment,
                                created_at=now, updated_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(response)
        except IntegrityError:
            response, created = _response_for(ticket.id, solve_count), False
    old = None if created else response.rating
    response.rating = rating
    if not keep_comment:
        response.comment = comment
    response.agent_id, response.group_id = ticket.assignee_id, ticket.group_id
    response.updated_at = now
    latest = db.session.scalar(select(func.max(CsatResponse.solve_count)).where(CsatResponse.ticket_id == ticket.id))
    if latest is None or solve_count >= latest:
        # The ticket shows the answer to its latest solve.
        ticket.csat_rating, ticket.csat_comment = response.rating, response.comment
    if old != rating:
        record_event(ticket, ticket.requester, "csat", field="csat", old=old, new=rating, now=now,
                     data={"solve": solve_count})
    db.session.flush()
    return response


# --- report ----------------------------------------------------------------------------------

def _bounds(start, end):
    begin = datetime.combine(start, time.min, tzinfo=timezone.utc)
    finish = datetime.combine(end + timedelta(days=1), time.min, tzinfo=timezone.utc)
    return begin, finish


def default_period(today=None):
    """The last 12 ISO weeks, this one included."""
    today = today or utcnow().date()
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=11), today


def _row(label, good, bad):
    total = good + bad
    return {"label": label, "good": good, "bad": bad, "total": total,
            "percent": round(100.0 * good / total, 1) if total else None}


def csat_report(start, end):
    """Good/bad counts and the share of good answers per agent, per group and per ISO week, for
    answers given from `start` to `end` (dates, inclusive, UTC)."""
    begin, finish = _bounds(start, end)
    period = (CsatResponse.created_at >= begin, CsatResponse.created_at < finish)

    def counts(key, *extra):
        query = (select(key, *extra, CsatResponse.rating, func.count())
                 .where(*period).group_by(key, *extra, CsatResponse.rating))
        tally = defaultdict(lambda: [0, 0])
        for *keys, rating, n in db.session.execute(query):
            tally[tuple(keys)][0 if rating == "good" else 1] += n
        return tally

    by_agent = counts(CsatResponse.agent_id)
    names = {uid: name or email for uid, name, email in db.session.execute(
        select(User.id, User.name, User.email).where(User.id.in_([k[0] for k in by_agent if k[0]])))}
    agents = sorted(
        (_row(names.get(k[0]) or _("Unassigned"), *v) | {"id": k[0]} for k, v in by_agent.items()),
        key=lambda r: (r["id"] is None, -r["total"], str(r["label"])))

    by_group = counts(CsatResponse.group_id)
    group_names = {gid: name for gid, name in db.session.execute(
        select(Group.id, Group.name).where(Group.id.in_([k[0] for k in by_group if k[0]])))}
    groups = sorted(
        (_row(group_names.get(k[0]) or _("No group"), *v) | {"id": k[0]} for k, v in by_group.items()),
        key=lambda r: (r["id"] is None, -r["total"], str(r["label"])))

    # Days are grouped in SQL, weeks in Python: ISO weeks are spelt differently by each database.
    weekly = defaultdict(lambda: [0, 0])
    for (day,), (good, bad) in counts(func.date(CsatResponse.created_at)).items():
        day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        iso = day.isocalendar()
        weekly[(iso.year, iso.week)][0] += good
        weekly[(iso.year, iso.week)][1] += bad
    weeks = [_row(f"{year}-W{week:02d}", *weekly[(year, week)]) | {
        "monday": date.fromisocalendar(year, week, 1)} for year, week in sorted(weekly)]

    good = sum(r["good"] for r in agents)
    bad = sum(r["bad"] for r in agents)
    return {"start": start, "end": end, "total": _row(_("All"), good, bad),
            "agents": agents, "groups": groups, "weeks": weeks}
