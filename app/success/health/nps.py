"""NPS surveys: sending to an account's contacts, signed one-click 0–10 links, answers and the
NPS per account, per segment and per month."""

from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case, func, select

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.jobs import enqueue
from app.models import Organization, User
from app.models.base import utcnow
from app.models.health import NpsResponse, NpsSurvey
from app.success.health.scoring import nps_value
from app.support.csat import LinkExpired

SCORES = tuple(range(11))
DEFAULT_MAX_AGE = 60 * 24 * 3600
COMMENT_MAX = 2000
RESEND_AFTER = timedelta(days=30)  # a contact asked less than this ago is not asked again


def category(score):
    if score is None:
        return None
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


# --- links ------------------------------------------------------------------------------------

def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tandem-nps")


def nps_token(response_id, score=None):
    return _serializer().dumps({"n": response_id, "s": score})


def nps_url(response_id, score=None):
    path = current_app.url_map.bind("localhost").build("success.nps_answer", {"token": nps_token(response_id, score)})
    return f"{current_app.config['BASE_URL']}{path}"


def read_token(token):
    """(response, score or None) from a link; LinkExpired / NotFound for a bad one."""
    max_age = current_app.config.get("NPS_LINK_MAX_AGE") or DEFAULT_MAX_AGE
    invalid = _("This survey link is not valid. Please use the link from the e-mail.")
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkExpired(_("This survey link has expired. Thank you all the same!")) from None
    except BadSignature:
        raise NotFound(invalid) from None
    if not isinstance(data, dict) or not isinstance(data.get("n"), int):
        raise NotFound(invalid)
    score = data.get("s")
    if score is not None and score not in SCORES:
        raise NotFound(invalid)
    response = db.session.get(NpsResponse, data["n"])
    if response is None:
        raise NotFound(invalid)
    return response, score


# --- sending ----------------------------------------------------------------------------------

def contacts(org_id):
    return db.session.scalars(
        select(User).where(User.organization_id == org_id, User.role == "customer", User.active.is_(True))
        .order_by(User.email)).all()


def send_survey(actor, org_ids, segment_id=None, now=None):
    """Record a survey per account with one invitation per contact not asked in the last 30 days;
    a job sends the e-mails after the commit. Returns the number of invitations."""
    now = now or utcnow()
    org_ids = list(dict.fromkeys(org_ids))
    if not org_ids:
        raise DomainError(_("No accounts to survey."), field="organization")
    recent = set(db.session.scalars(
        select(NpsResponse.user_id).where(NpsResponse.organization_id.in_(org_ids),
                                          NpsResponse.sent_at >= now - RESEND_AFTER)))
    invited = 0
    for org_id in org_ids:
        people = [u for u in contacts(org_id) if u.id not in recent]
        if not people:
            continue
        survey = NpsSurvey(organization_id=org_id, segment_id=segment_id,
                           sent_by_id=actor.id if actor else None, created_at=now)
        db.session.add(survey)
        db.session.flush()
        for person in people:
            db.session.add(NpsResponse(survey_id=survey.id, organization_id=org_id, user_id=person.id, sent_at=now))
        invited += len(people)
        enqueue("health.send_nps", survey.id)
    if not invited:
        raise DomainError(_("Nobody to survey: these accounts have no active contacts who were not asked in the last 30 days."),
                          field="organization")
    db.session.flush()
    return invited


def mail_survey(survey_id):
    """The job body: one e-mail per unanswered invitation of the survey (safe to run twice: the
    mail rows are marked by kind and response)."""
    from app.mail import queue_mail
    from app.models import OutboundMail

    survey = db.session.get(NpsSurvey, survey_id)
    if survey is None:
        return 0
    org = db.session.get(Organization, survey.organization_id)
    sent = 0
    for response in survey.responses:
        kind = f"nps:{response.id}"
        if response.answered_at is not None or db.session.scalar(
                select(OutboundMail.id).where(OutboundMail.kind == kind)) is not None:
            continue
        person = response.user
        queue_mail(person.email, "nps_survey", kind=kind, locale=person.locale,
                   person=person, organization=org,
                   links=[(score, nps_url(response.id, score)) for score in SCORES],
                   comment_url=nps_url(response.id))
        sent += 1
    return sent


# --- answering --------------------------------------------------------------------------------

def answer(response, score, comment=None, now=None):
    """Record (or change) a contact's score; `comment=None` keeps the comment there is."""
    if score not in SCORES:
        raise DomainError(_("Choose a score from 0 to 10."), field="score")
    now = now or utcnow()
    changed = response.score != score
    response.score = score
    if comment is not None:
        response.comment = comment.strip()[:COMMENT_MAX] or None
    if changed or response.answered_at is None:
        response.answered_at = now
    db.session.flush()
    # The health score and the playbook triggers see the answer within moments.
    enqueue("health.recompute", [response.organization_id])
    return response


# --- figures ----------------------------------------------------------------------------------

def _counts(stmt):
    return stmt.add_columns(
        func.sum(case((NpsResponse.score >= 9, 1), else_=0)),
        func.sum(case(((NpsResponse.score >= 7) & (NpsResponse.score <= 8), 1), else_=0)),
        func.sum(case((NpsResponse.score <= 6, 1), else_=0)),
    ).where(NpsResponse.score.is_not(None))


def _summary(promoters, passives, detractors):
    promoters, passives, detractors = int(promoters or 0), int(passives or 0), int(detractors or 0)
    value = nps_value(promoters, passives, detractors)
    return {"promoters": promoters, "passives": passives, "detractors": detractors,
            "answers": promoters + passives + detractors, "nps": None if value is None else round(value)}


def nps_for(org_ids=None, since=None):
    """One summary over the given accounts (all when None) since a time."""
    stmt = _counts(select())
    stmt = stmt.select_from(NpsResponse)
    if org_ids is not None:
        if not org_ids:
            return _summary(0, 0, 0)
        stmt = stmt.where(NpsResponse.organization_id.in_(list(org_ids)))
    if since is not None:
        stmt = stmt.where(NpsResponse.answered_at >= since)
    return _summary(*db.session.execute(stmt).one())


def nps_by_account(since=None):
    """{org_id: summary} for accounts with answers."""
    stmt = _counts(select(NpsResponse.organization_id)).group_by(NpsResponse.organization_id)
    if since is not None:
        stmt = stmt.where(NpsResponse.answered_at >= since)
    return {oid: _summary(p, s, d) for oid, p, s, d in db.session.execute(stmt)}


def month_starts(months, today):
    first = today.replace(day=1)
    starts = []
    for _i in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


def nps_by_month(months=12, org_ids=None, today=None):
    """[(first day of month, summary)] oldest first, months without answers included."""
    today = today or utcnow().date()
    starts = month_starts(months, today)
    from datetime import datetime, timezone

    since = datetime.combine(starts[0], datetime.min.time(), tzinfo=timezone.utc)
    stmt = select(NpsResponse.answered_at, NpsResponse.score).where(
        NpsResponse.answered_at >= since, NpsResponse.score.is_not(None))
    if org_ids is not None:
        stmt = stmt.where(NpsResponse.organization_id.in_(list(org_ids) or [-1]))
    tally = defaultdict(lambda: [0, 0, 0])
    for at, score in db.session.execute(stmt):
        key = date(at.year, at.month, 1)
        tally[key][0 if score >= 9 else 1 if score >= 7 else 2] += 1
    return [(start, _summary(*tally[start])) for start in starts]
