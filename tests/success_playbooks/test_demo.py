"""The demo's playbooks: onboarding and recurring-topic outreach, with runs and tasks for the CSM."""

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from app.models import OutboundMail
from app.models.playbooks import CsmTask, Playbook, PlaybookRun


def test_seed_playbooks_gives_the_csm_runs_and_tasks_without_mailing_anyone(db, csm, make_account, make_ticket, now):
    from app.demo.playbooks import seed_playbooks
    from app.models.success import Topic

    topic = Topic(label="Export is empty", status="active", trend="rising", size=1)
    db.session.add(topic)
    db.session.commit()
    orgs = {name: make_account(name, contacts=("ana",)) for name in ("Alpha", "Beta", "Gamma")}
    make_ticket(organization_id=orgs["Alpha"].id, topic_id=topic.id)
    demo = SimpleNamespace(users={"csm@example.com": csm}, organizations=orgs, now=now,
                           started_at=now - timedelta(days=100))
    seed_playbooks(demo)
    db.session.commit()
    playbooks = {p.name: p for p in db.session.scalars(select(Playbook))}
    assert set(playbooks) == {"Onboarding", "Recurring topic outreach"}
    assert all(p.status == "active" and p.steps and p.triggers for p in playbooks.values())
    assert playbooks["Recurring topic outreach"].objective_topic_id == topic.id
    assert db.session.scalar(select(func.count(PlaybookRun.id))) == 3
    kinds = sorted(t.kind for t in db.session.scalars(select(CsmTask).where(CsmTask.owner_id == csm.id,
                                                                            CsmTask.status == "open")))
    assert kinds == ["call", "call", "email_review"]
    assert db.session.scalar(select(func.count(OutboundMail.id))) == 0
