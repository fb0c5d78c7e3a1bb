"""Demo playbooks: onboarding and recurring-topic outreach, with a few runs and tasks for the CSM."""

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.playbooks import PlaybookRun

OUTREACH_EMAIL = (
    "Hello {{ contact.first_name }},\n\n"
    "Several customers on plans like yours have run into “{{ topic.label }}” this month. "
    "We have a fix and a short guide, and we would rather you hear it from us before it bites.\n\n"
    "If you have a moment this week, I am happy to walk your team through it.\n\n"
    "{{ csm.name }}"
)
WELCOME_EMAIL = (
    "Hello {{ contact.first_name }},\n\n"
    "Welcome aboard! I am {{ csm.name }}, your customer success manager for {{ account.name }}. "
    "Over the next two weeks I will help your team get set up; reply to this e-mail any time.\n"
)


def _first_article():
    from app.models.kb import KbArticle

    return db.session.scalar(select(KbArticle.id).where(KbArticle.status == "published").order_by(KbArticle.id))


def _rising_topic():
    from app.models.success import Topic

    topics = db.session.scalars(select(Topic).where(Topic.status == "active", Topic.size > 0)).all()
    ranked = sorted(topics, key=lambda t: ({"rising": 0, "new": 1}.get(t.trend, 2), -t.size))
    return ranked[0] if ranked else None


def seed_playbooks(demo):
    from app.success.playbooks import editing, services
    from app.success.playbooks.runs import advance_run, skip_step

    csm = demo.users["csm@example.com"]
    article_id = _first_article()

    onboarding = editing.save_playbook(csm, name="Onboarding", now=demo.started_at, objective="none",
                                        description="The first two weeks of a new account: kick-off, welcome, "
                                                    "a guide, and an adoption check.",
                                        reenrol_days=365, max_runs_per_account=1)
    for step in (
        {"kind": "call", "title": "Kick-off call with the account's admin", "delay_days": 0},
        {"kind": "email", "subject": "Welcome to {{ account.name }}'s new helpdesk", "body": WELCOME_EMAIL,
         "delay_days": 1},
        ({"kind": "kb_article", "title": "Share the getting-started guide", "article_id": article_id,
          "delay_days": 5} if article_id else
         {"kind": "kb_article", "title": "Share the getting-started guide", "article_url": "/kb/", "delay_days": 5}),
        {"kind": "task", "title": "Check adoption: logins and first tickets", "delay_days": 14},
    ):
        editing.save_step(csm, onboarding, now=demo.started_at, **step)
    editing.set_playbook_status(csm, onboarding, "active", now=demo.started_at)
    editing.add_trigger(csm, onboarding, kind="onboarding", days=14, now=demo.started_at)

    topic = _rising_topic()
    outreach = editing.save_playbook(
        csm, name="Recurring topic outreach", now=demo.started_at,
        description="When a topic keeps coming back, warn the accounts at risk before they hit it.",
        objective="no_topic_tickets" if topic else "none", objective_topic_id=topic.id if topic else None,
        objective_days=30, reenrol_days=60, max_runs_per_account=3,
    )
    for step in (
        {"kind": "email", "subject": "A heads-up about {{ topic.label }}", "body": OUTREACH_EMAIL,
         "hold_for_review": True, "delay_days": 0},
        {"kind": "call", "title": "Call to check they are not affected", "delay_days": 2},
        {"kind": "wait", "delay_days": 7},
        {"kind": "task", "title": "Follow up: any new tickets on the topic?", "delay_days": 14},
    ):
        editing.save_step(csm, outreach, now=demo.started_at, **step)
    editing.set_playbook_status(csm, outreach, "active", now=demo.started_at)
    editing.add_trigger(csm, outreach, kind="topic_rising", audience="at_risk", now=demo.started_at)
    db.session.flush()

    # A few runs for the CSM's accounts: one three days in (a call overdue), one just started (an
    # e-mail to review), one new account in onboarding (today's kick-off call).
    mine = [org for org in demo.organizations.values() if org.owner_id == csm.id and org.stage != "churned"]
    starts = []
    if topic:
        starts += [(outreach, org, demo.now - timedelta(days=days, hours=2), topic.id)
                   for org, days in zip(mine[:2], (3, 0))]
    if len(mine) > 2:
        starts.append((onboarding, mine[2], demo.now - timedelta(hours=6), None))
    for playbook, org, when, topic_id in starts:
        created, _ = services.enrol_accounts(csm, playbook, [org.id], now=when, topic_id=topic_id)
        for run_id in created:
            run = db.session.get(PlaybookRun, run_id)
            advance_run(run, when)
            if when < demo.now - timedelta(days=1):
                # The CSM called instead of sending the e-mail (seeding mails nobody), so the call is due.
                skip_step(csm, run, when + timedelta(hours=1))
            advance_run(run, demo.now)
    db.session.flush()
