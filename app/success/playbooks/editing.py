"""Editing playbook templates: settings, ordered steps with delays and owner rules, triggers.

Services take an actor and values; they flush, never commit. A DomainError leaves nothing changed.
"""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.models import Group, User
from app.models.base import utcnow
from app.models.playbooks import (
    OBJECTIVES, OWNER_RULES, STEP_KINDS, TRIGGER_KINDS, Playbook, PlaybookStep, PlaybookTrigger,
)
from app.success.playbooks import signals
from app.success.playbooks.scheduling import ScheduleError, delay_minutes

NAME_MAX = 200
SUBJECT_MAX = 300
BODY_MAX = 20_000
HEALTH_BANDS = ("healthy", "at_risk", "critical")
AUDIENCES = ("affected", "at_risk", "both")
OWNER_ROLES = ("agent", "csm", "admin")

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# Placeholders an e-mail step may use; substituted as plain text, nothing is evaluated.
PLACEHOLDERS = {
    "account.name": _l("The account's name"),
    "account.plan": _l("The account's plan"),
    "account.renewal_date": _l("The account's renewal date"),
    "contact.first_name": _l("The contact's first name"),
    "contact.name": _l("The contact's name"),
    "contact.email": _l("The contact's e-mail address"),
    "csm.name": _l("The account's CSM"),
    "csm.email": _l("The CSM's e-mail address"),
    "topic.label": _l("The topic that started the run"),
}


def unknown_placeholders(text):
    return [name for name in dict.fromkeys(PLACEHOLDER.findall(text or "")) if name not in PLACEHOLDERS]


def fill_placeholders(text, values):
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text or "")


def placeholder_values(org, contact, topic_label=None):
    csm = org.owner
    return {
        "account.name": org.name, "account.plan": org.plan or "",
        "account.renewal_date": org.renewal_date.isoformat() if org.renewal_date else "",
        "contact.first_name": contact.first_name if contact else "",
        "contact.name": contact.display_name if contact else "",
        "contact.email": contact.email if contact else "",
        "csm.name": csm.display_name if csm else "", "csm.email": csm.email if csm else "",
        "topic.label": topic_label or "",
    }


def get_playbook(playbook_id):
    playbook = db.session.get(Playbook, playbook_id)
    if playbook is None:
        raise NotFound(_("Playbook not found."))
    return playbook


def list_playbooks():
    return db.session.scalars(select(Playbook).order_by(Playbook.status != "active", Playbook.name)).all()


# --- templates -------------------------------------------------------------------------------------

def _int(value, field, label, minimum=0, maximum=3650):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("%(field)s must be a whole number.", field=label), field=field) from None
    if number < minimum or number > maximum:
        raise DomainError(_("%(field)s must be between %(low)d and %(high)d.", field=label, low=minimum, high=maximum),
                          field=field)
    return number


def save_playbook(actor, playbook=None, *, name, description="", objective="none", objective_topic_id=None,
                  objective_days=30, reenrol_days=90, max_runs_per_account=3, now=None):
    """Create (playbook=None) or change a playbook's settings; DomainError leaves it untouched."""
    now = now or utcnow()
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the playbook a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("The name can be at most %(n)d characters.", n=NAME_MAX), field="name")
    if objective not in OBJECTIVES:
        raise DomainError(_("Unknown objective."), field="objective")
    objective_days = _int(objective_days, "objective_days", _("Days without tickets"), 1)
    reenrol_days = _int(reenrol_days, "reenrol_days", _("Days before re-enrolment"), 0)
    max_runs = _int(max_runs_per_account, "max_runs_per_account", _("Runs per account"), 0, 1000)
    topic_id = None
    if objective_topic_id not in (None, ""):
        topic_id = _int(objective_topic_id, "objective_topic_id", _("Topic"), 1, 2**31 - 1)
        if signals.topic(topic_id) is None:
            raise DomainError(_("That topic does not exist."), field="objective_topic_id")
    if objective == "no_topic_tickets" and topic_id is None:
        raise DomainError(_("Choose the topic whose tickets should stop."), field="objective_topic_id")
    clash = db.session.scalar(select(Playbook.id).where(
        func.lower(Playbook.name) == name.lower(), Playbook.id != (playbook.id if playbook else 0)))
    if clash:
        raise DomainError(_("A playbook called “%(name)s” exists already.", name=name), field="name")
    if playbook is None:
        playbook = Playbook(created_by_id=actor.id if actor else None, created_at=now, status="draft")
        db.session.add(playbook)
    playbook.name, playbook.description = name, (description or "").strip()[:BODY_MAX]
    playbook.objective, playbook.objective_topic_id, playbook.objective_days = objective, topic_id, objective_days
    playbook.reenrol_days, playbook.max_runs_per_account = reenrol_days, max_runs
    playbook.updated_at = now
    db.session.flush()
    return playbook


def _owner_fields(owner_rule, owner_email, owner_group_id):
    if owner_rule not in OWNER_RULES:
        raise DomainError(_("Unknown owner rule."), field="owner_rule")
    user_id = group_id = None
    if owner_rule == "user":
        email = (owner_email or "").strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
        if user is None or user.role not in OWNER_ROLES or not user.active:
            raise DomainError(_("No active staff member has the e-mail address “%(email)s”.", email=email),
                              field="owner_email")
        user_id = user.id
    elif owner_rule == "round_robin":
        group = db.session.get(Group, int(owner_group_id)) if str(owner_group_id or "").isdigit() else None
        if group is None:
            raise DomainError(_("Choose the group whose members take turns."), field="owner_group_id")
        if not group.members:
            raise DomainError(_("The group “%(name)s” has no members to take turns.", name=group.name),
                              field="owner_group_id")
        group_id = group.id
    return user_id, group_id


def save_step(actor, playbook, step=None, *, kind, title="", subject="", body="", hold_for_review=False,
              article_id=None, article_url="", delay_days=0, delay_hours=0, owner_rule="account_csm",
              owner_email="", owner_group_id=None, now=None):
    """Add a step at the end (step=None) or change one; DomainError leaves everything untouched."""
    if kind not in STEP_KINDS:
        raise DomainError(_("Unknown step type."), field="kind")
    try:
        delay = delay_minutes(delay_days, delay_hours)
    except ScheduleError as exc:
        raise DomainError(_("A step's delay cannot be negative: steps run after enrolment, never before.")
                          if "negative" in str(exc) else _("The delay must be whole days and hours (at most 10 years)."),
                          field="delay_days") from None
    title, subject, body = (title or "").strip(), (subject or "").strip(), (body or "").strip()
    if len(title) > NAME_MAX:
        raise DomainError(_("The title can be at most %(n)d characters.", n=NAME_MAX), field="title")
    if len(body) > BODY_MAX:
        raise DomainError(_("The text can be at most %(n)d characters.", n=BODY_MAX), field="body")
    article_ref, url = None, (article_url or "").strip()
    if kind == "email":
        if not subject or not body:
            raise DomainError(_("An e-mail step needs a subject and a text."), field="subject" if not subject else "body")
        if len(subject) > SUBJECT_MAX:
            raise DomainError(_("The subject can be at most %(n)d characters.", n=SUBJECT_MAX), field="subject")
        unknown = unknown_placeholders(subject + "\n" + body)
        if unknown:
            raise DomainError(_("Unknown placeholder: %(names)s.", names=", ".join("{{ %s }}" % n for n in unknown)),
                              field="body")
    elif kind == "kb_article":
        if str(article_id or "").strip():
            article_ref = _int(article_id, "article_id", _("Article"), 1, 2**31 - 1)
            url = url or f"/kb/articles/{article_ref}"
        if not url:
            raise DomainError(_("Give the article's number or its address."), field="article_id")
        if not (url.startswith("/") or url.startswith("https://") or url.startswith("http://")):
            raise DomainError(_("The article's address must start with / or http(s)://."), field="article_url")
    elif kind in ("call", "task") and not title:
        raise DomainError(_("Say what has to be done (the title)."), field="title")
    if len(url) > 500:
        raise DomainError(_("The address is too long."), field="article_url")
    user_id, group_id = _owner_fields(owner_rule, owner_email, owner_group_id)
    if step is None:
        last = max((s.position for s in playbook.steps), default=0)
        step = PlaybookStep(playbook=playbook, position=last + 1)
        db.session.add(step)
    step.kind, step.title, step.subject, step.body = kind, title, subject if kind == "email" else "", body
    step.hold_for_review = bool(hold_for_review) and kind == "email"
    step.article_id, step.article_url = article_ref, url if kind == "kb_article" else ""
    step.delay_minutes, step.owner_rule = delay, owner_rule
    step.owner_user_id, step.owner_group_id = user_id, group_id
    playbook.updated_at = now or utcnow()
    db.session.flush()
    return step


def get_step(playbook, step_id):
    step = db.session.get(PlaybookStep, step_id)
    if step is None or step.playbook_id != playbook.id:
        raise NotFound(_("Step not found."))
    return step


def delete_step(actor, playbook, step):
    if playbook.status == "active" and len(playbook.steps) == 1:
        raise DomainError(_("An active playbook needs at least one step; archive it instead."))
    playbook.steps.remove(step)  # delete-orphan removes the row
    db.session.flush()
    _renumber(playbook)


def move_step(actor, playbook, step, direction):
    steps = sorted(playbook.steps, key=lambda s: s.position)
    i = steps.index(step)
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down") or j < 0 or j >= len(steps):
        return
    steps[i], steps[j] = steps[j], steps[i]
    _renumber(playbook, steps)


def _renumber(playbook, steps=None):
    steps = steps or sorted(playbook.steps, key=lambda s: s.position)
    # Two passes, so the unique (playbook, position) never sees a duplicate in between.
    offset = len(steps) + 1000
    for n, s in enumerate(steps, 1):
        s.position = n + offset
    db.session.flush()
    for n, s in enumerate(steps, 1):
        s.position = n
    db.session.flush()


def set_playbook_status(actor, playbook, status, now=None):
    if status not in ("draft", "active", "archived"):
        raise DomainError(_("Unknown playbook status."))
    if status == "active" and not playbook.steps:
        raise DomainError(_("A playbook with no steps cannot be activated: add a step first."))
    playbook.status = status
    playbook.updated_at = now or utcnow()
    db.session.flush()


def add_trigger(actor, playbook, *, kind, band=None, audience=None, days=None, now=None):
    if kind not in TRIGGER_KINDS:
        raise DomainError(_("Unknown trigger."), field="kind")
    params = {}
    if kind == "health_band":
        if band not in ("at_risk", "critical"):
            raise DomainError(_("Choose the band (at risk or critical)."), field="band")
        params["band"] = band
    elif kind == "topic_rising":
        if audience not in AUDIENCES:
            raise DomainError(_("Choose who to enrol: affected accounts, accounts at risk, or both."), field="audience")
        params["audience"] = audience
    else:
        default = {"nps_detractor": 30, "renewal_within": 60, "onboarding": 14}[kind]
        params["days"] = _int(days if days not in (None, "") else default, "days", _("Days"), 1, 3650)
    trigger = PlaybookTrigger(playbook=playbook, kind=kind, params=params, active=True, created_at=now or utcnow())
    db.session.add(trigger)
    db.session.flush()
    return trigger


def delete_trigger(actor, playbook, trigger_id):
    trigger = db.session.get(PlaybookTrigger, trigger_id)
    if trigger is None or trigger.playbook_id != playbook.id:
        raise NotFound(_("Trigger not found."))
    db.session.delete(trigger)
    db.session.flush()
