"""`flask seed-demo`: a realistic demo desk built through the same services as real use.

The demo is a list of steps run in order inside one transaction. KB articles, SLA policies, the
business calendar and playbooks come with their own issues: each adds its step to SEED_STEPS
(a function taking the `Demo` context), nothing else changes.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from werkzeug.security import generate_password_hash

from app.demo.accounts import DEMO_ORGANIZATION, LOGINS, STAFF, seed_groups, seed_organizations, seed_staff
from app.demo.health import seed_health
from app.demo.kb import seed_kb_activity, seed_kb_articles
from app.demo.playbooks import seed_playbooks
from app.demo.sla import seed_sla
from app.demo.tickets import seed_tickets
from app.demo.topics import seed_topics
from app.extensions import db
from app.jobs import enqueue
from app.models import JobRecord, Organization, User
from app.models.base import utcnow

DEMO_PASSWORD = "demo1234"

SEED_STEPS = [
    seed_staff,
    seed_organizations,
    seed_groups,
    seed_tickets,
    seed_sla,
    seed_kb_articles,
    seed_topics,
    seed_health,
    seed_playbooks,
    seed_kb_activity,  # last: its random draws leave the steps before it as they were
]



@dataclass
class Demo:
    """What the steps build and share; later steps read what earlier ones made."""

    now: datetime
    rng: random.Random
    password_hash: str
    organizations: dict = field(default_factory=dict)
    org_profile: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    tickets: list = field(default_factory=list)
    kb_articles: dict = field(default_factory=dict)  # key, or (key, locale) for a translation

    @property
    def started_at(self):
        """When the demo company started using Tandem: before its oldest ticket."""
        return self.now - timedelta(days=100)


class DemoConflict(Exception):
    """The database has some of the demo's users but not the demo itself."""


def demo_present():
    return db.session.scalar(select(Organization.id).where(Organization.name == DEMO_ORGANIZATION)) is not None


def seed_demo(now=None, seed=2024):
    """Build the demo (flushes, never commits). Returns the `Demo`, or None when it is already there."""
    if demo_present():
        return None
    taken = db.session.scalars(
        select(User.email).where(User.email.in_([email for email, *_ in STAFF] + [e for e, _ in LOGINS]))
    ).all()
    if taken:
        raise DemoConflict(sorted(taken))
    demo = Demo(now=now or utcnow(), rng=random.Random(seed), password_hash=generate_password_hash(DEMO_PASSWORD))
    first_job = db.session.scalar(select(func.max(JobRecord.id))) or 0
    for step in SEED_STEPS:
        step(demo)
    db.session.flush()
    # Seeding writes history: nobody is mailed about it, and the per-ticket follow-up work runs
    # once for the whole batch, exactly as for an import (SLA targets, topic assignment).
    # (The deleted ids still reach the dispatcher after the commit; each run finds no row, does nothing.)
    db.session.execute(
        delete(JobRecord).where(JobRecord.id > first_job).execution_options(synchronize_session=False)
    )
    enqueue("support.tickets_imported", [ticket.id for ticket in demo.tickets])
    return demo

