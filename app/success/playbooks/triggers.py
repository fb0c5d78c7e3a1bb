"""Triggers: which accounts each active playbook's triggers point at now, and enrolling them.

Evaluation is safe to run twice and concurrently: enrolment inserts with "on conflict do nothing"
on the open-run constraint, and re-enrolment caps are checked per account.
"""

import logging
from datetime import timedelta

from sqlalchemy import select

from app.core.db import write_lock_on_sqlite
from app.core.errors import DomainError
from app.extensions import db
from app.models import Organization
from app.models.playbooks import Playbook, PlaybookTrigger
from app.success.playbooks import signals
from app.success.playbooks.services import enrol_accounts

log = logging.getLogger(__name__)


def trigger_targets(trigger, now):
    """[(organization id, topic id or None)] the trigger points at now."""
    kind, params = trigger.kind, trigger.params or {}
    if kind == "topic_rising":
        audience = params.get("audience", "both")
        targets = []
        for topic in signals.rising_topics():
            if audience in ("affected", "both"):
                targets += [(org_id, topic.id) for org_id in signals.affected_organization_ids(topic.id)]
            if audience in ("at_risk", "both"):
                targets += [(org_id, topic.id) for org_id in signals.at_risk_organization_ids(topic.id)]
        return targets
    if kind == "health_band":
        band = params.get("band", "critical")
        return [(org_id, None) for org_id in signals.organizations_in_band(band)]
    if kind == "nps_detractor":
        return [(org_id, None) for org_id in signals.nps_detractor_ids(now, int(params.get("days", 30)))]
    if kind == "renewal_within":
        today = now.date()
        ids = db.session.scalars(select(Organization.id).where(
            Organization.stage != "churned", Organization.renewal_date >= today,
            Organization.renewal_date <= today + timedelta(days=int(params.get("days", 60))))).all()
        return [(org_id, None) for org_id in ids]
    if kind == "onboarding":
        ids = db.session.scalars(select(Organization.id).where(
            Organization.stage != "churned",
            Organization.created_at >= now - timedelta(days=int(params.get("days", 14))))).all()
        return [(org_id, None) for org_id in ids]
    return []


def evaluate_trigger(trigger, now):
    """Enrol what the trigger points at; returns the new run ids."""
    playbook = trigger.playbook
    created = []
    by_topic = {}
    for org_id, topic_id in trigger_targets(trigger, now):
        by_topic.setdefault(topic_id, []).append(org_id)
    for topic_id, org_ids in by_topic.items():
        new, _ = enrol_accounts(None, playbook, org_ids, now=now, source="trigger", trigger_id=trigger.id,
                                topic_id=topic_id)
        created += new
    trigger.last_evaluated_at = now
    return created


def evaluate_triggers(now):
    """Every active trigger of every active playbook; one failing trigger does not stop the rest."""
    write_lock_on_sqlite()
    triggers = db.session.scalars(
        select(PlaybookTrigger).join(Playbook)
        .where(PlaybookTrigger.active.is_(True), Playbook.status == "active").order_by(PlaybookTrigger.id)).all()
    created = []
    for trigger in triggers:
        try:
            with db.session.begin_nested():
                created += evaluate_trigger(trigger, now)
        except (ImportError, LookupError, DomainError) as exc:  # e.g. a feature not installed
            log.warning("playbook trigger %s skipped: %s", trigger.id, exc)
    return created
