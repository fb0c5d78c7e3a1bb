"""Runs: due steps become tasks or e-mails, tasks move runs on, pause/skip/stop, objectives, caps."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.models import OutboundMail
from app.models.playbooks import CsmTask, PlaybookRun
from app.success.playbooks import runs
from app.success.playbooks.services import account_timeline_events
from app.success.playbooks.tasks import task_buckets, tasks_for_home

EMAIL = {"kind": "email", "subject": "About {{ account.name }}",
         "body": "Hello {{ contact.first_name }}, {{ csm.name }} here about {{ account.name }}."}


def tasks_of(db, user=None):
    query = select(CsmTask).order_by(CsmTask.id)
    if user is not None:
        query = query.where(CsmTask.owner_id == user.id)
    return db.session.scalars(query).all()


def mails(db):
    return db.session.scalars(select(OutboundMail).where(OutboundMail.kind == "playbook_email")
                              .order_by(OutboundMail.to_addr)).all()


def only_run(db):
    (run,) = db.session.scalars(select(PlaybookRun)).all()
    return run


def test_a_run_sends_its_email_then_gives_the_csm_a_call_then_completes(db, csm, make_account, make_playbook,
                                                                      enrol, at):
    org = make_account("Acme", contacts=("ana", "bo"))
    playbook = make_playbook(steps=[EMAIL, {"kind": "call", "title": "Call the admin", "delay_days": 2}])
    enrol(playbook, [org], at())
    run = only_run(db)
    runs.advance_run(run, at(minutes=1))
    db.session.commit()
    sent = mails(db)
    assert [m.to_addr for m in sent] == ["ana@acme.example", "bo@acme.example"]
    assert sent[0].subject == "About Acme"
    assert "Hello Ana, Cara Smith here about Acme." in sent[0].body_text
    assert tasks_of(db) == [] and run.next_due_at == at(days=2)

    assert runs.advance_due_runs(at(days=1))["steps"] == 0
    assert runs.advance_due_runs(at(days=2, minutes=1))["steps"] == 1
    db.session.commit()
    (task,) = tasks_of(db, csm)
    assert (task.title, task.kind, task.due_at, task.organization_id) == ("Call the admin", "call", at(days=2), org.id)
    assert run.status == "active" and run.next_due_at is None

    runs.complete_task(csm, task, at(days=2, hours=1), note="Spoke to Ana")
    db.session.commit()
    assert run.status == "completed" and run.open_slot is None and run.on_time is True
    assert [s.status for s in run.run_steps] == ["done", "done"]
    assert len(mails(db)) == 2  # nothing sent twice


def test_round_robin_gives_the_group_members_turns(db, csm, make_account, make_playbook, make_user, make_group,
                                                   enrol, at):
    a, b = make_user("csm", email="a@example.com"), make_user("csm", email="b@example.com")
    group = make_group("CSMs", members=[b, a])
    playbook = make_playbook(steps=[{"kind": "call", "title": "Call", "owner_rule": "round_robin",
                                     "owner_group_id": str(group.id)}])
    orgs = [make_account(f"Org {i}", contacts=()) for i in range(3)]
    enrol(playbook, orgs, at())
    runs.advance_due_runs(at(minutes=1))
    db.session.commit()
    assert [t.owner.email for t in tasks_of(db)] == ["a@example.com", "b@example.com", "a@example.com"]


def test_named_owner_and_account_without_csm(db, csm, make_account, make_playbook, make_user, enrol, at):
    helper = make_user("agent", email="helper@example.com")
    playbook = make_playbook(steps=[{"kind": "task", "title": "Check", "owner_rule": "user",
                                     "owner_email": "Helper@Example.com"},
                                    {"kind": "task", "title": "Follow up"}])
    orphan = make_account("Orphan", contacts=(), owner=None)
    enrol(playbook, [orphan], at())
    runs.advance_due_runs(at())
    db.session.commit()
    (first,) = tasks_of(db)
    assert first.owner_id == helper.id
    runs.complete_task(helper, first, at(minutes=5))
    db.session.commit()
    # No CSM on the account: the task goes to whoever started the run.
    assert tasks_of(db)[-1].owner_id == csm.id


def test_held_email_waits_for_review_then_sends_on_approval(db, csm, make_account, make_playbook, enrol, at):
    org = make_account("Acme", contacts=("ana",))
    playbook = make_playbook(steps=[dict(EMAIL, hold_for_review=True), {"kind": "task", "title": "Then this"}])
    enrol(playbook, [org], at())
    runs.advance_due_runs(at())
    db.session.commit()
    assert mails(db) == []
    (review,) = tasks_of(db, csm)
    assert review.kind == "email_review" and "About Acme" in review.title
    assert runs.preview_email(review.run_step)["to"] == ["ana@acme.example"]
    runs.complete_task(csm, review, at(hours=1))
    db.session.commit()
    assert [m.to_addr for m in mails(db)] == ["ana@acme.example"]
    assert [t.title for t in tasks_of(db) if t.status == "open"] == ["Then this"]


def test_pause_pushes_steps_back_and_resume_picks_up(db, csm, make_account, make_playbook, enrol, at):
    org = make_account("Acme", contacts=())
    playbook = make_playbook(steps=[{"kind": "task", "title": "Day two", "delay_days": 2}])
    enrol(playbook, [org], at())
    run = only_run(db)
    runs.advance_run(run, at())
    runs.pause_run(csm, run, at(days=1))
    db.session.commit()
    assert runs.advance_due_runs(at(days=3))["runs"] == 0
    with pytest.raises(DomainError):
        runs.pause_run(csm, run, at(days=3))
    runs.resume_run(csm, run, at(days=3))
    db.session.commit()
    assert run.paused_minutes == 2 * 24 * 60 and run.next_due_at == at(days=4)
    assert tasks_of(db) == []
    runs.advance_due_runs(at(days=4))
    db.session.commit()
    assert [t.title for t in tasks_of(db)] == ["Day two"]


def test_skip_and_stop(db, csm, make_account, make_playbook, enrol, at):
    org = make_account("Acme", contacts=())
    playbook = make_playbook(steps=[{"kind": "task", "title": "One"}, {"kind": "task", "title": "Two"},
                                    {"kind": "task", "title": "Three", "delay_days": 5}])
    enrol(playbook, [org], at())
    run = only_run(db)
    runs.advance_run(run, at())
    runs.skip_step(csm, run, at(minutes=1))
    db.session.commit()
    assert [(t.title, t.status) for t in tasks_of(db)] == [("One", "skipped"), ("Two", "open")]
    runs.stop_run(csm, run, at(minutes=2))
    db.session.commit()
    assert run.status == "stopped" and run.open_slot is None
    assert [t.status for t in tasks_of(db)] == ["skipped", "skipped"]
    assert runs.advance_due_runs(at(days=10)) == {"runs": 0, "steps": 0}
    with pytest.raises(DomainError, match="ended"):
        runs.skip_step(csm, run, at(days=10))


def test_skipping_a_step_not_yet_due(db, csm, make_account, make_playbook, enrol, at):
    org = make_account("Acme", contacts=())
    playbook = make_playbook(steps=[{"kind": "task", "title": "Later", "delay_days": 3}])
    enrol(playbook, [org], at())
    run = only_run(db)
    runs.advance_run(run, at())
    runs.skip_step(csm, run, at(hours=1))
    db.session.commit()
    assert run.status == "completed" and tasks_of(db) == []


def test_a_run_closes_itself_when_the_topic_goes_quiet(db, csm, make_account, make_playbook, make_ticket, enrol,
                                                     at):
    from app.models.success import Topic

    topic = Topic(label="Export is empty", status="active", trend="rising", size=2)
    db.session.add(topic)
    db.session.commit()
    org = make_account("Acme", contacts=("ana",))
    playbook = make_playbook(objective="no_topic_tickets", objective_topic_id=topic.id, objective_days=30,
                             steps=[{"kind": "task", "title": "Call", "delay_days": 60}])
    enrol(playbook, [org], at())
    run = only_run(db)
    make_ticket(organization_id=org.id, topic_id=topic.id, created_at=at(days=10))
    assert not runs.check_objective(run, at(days=31))
    assert runs.check_objective(run, at(days=40, minutes=1))
    db.session.commit()
    assert run.status == "objective_met" and run.finished_at == at(days=40, minutes=1)


def test_a_run_closes_itself_when_health_is_back(db, csm, make_account, make_playbook, enrol, at):
    from app.models.health import AccountHealth

    org = make_account("Acme", contacts=())
    db.session.add(AccountHealth(organization_id=org.id, score=30, band="critical", measures={}, missing=[],
                                 reasons=[], computed_at=at()))
    db.session.commit()
    playbook = make_playbook(objective="healthy")
    enrol(playbook, [org], at())
    run = only_run(db)
    assert run.baseline["health_score"] == 30
    assert runs.check_objectives(at(days=1)) == 0
    health = db.session.get(AccountHealth, org.id)
    health.score, health.band = 80, "healthy"
    db.session.commit()
    assert runs.check_objectives(at(days=2)) == 1
    db.session.commit()
    assert run.status == "objective_met"


def test_enrolment_caps_and_no_double_enrolment(db, csm, make_account, make_playbook, enrol, at):
    org = make_account("Acme", contacts=())
    playbook = make_playbook(reenrol_days=30, max_runs_per_account=2)
    assert len(enrol(playbook, [org], at())[0]) == 1
    assert enrol(playbook, [org], at(minutes=1)) == ([], {org.id: "running"})
    runs.stop_run(csm, only_run(db), at(days=1))
    db.session.commit()
    assert enrol(playbook, [org], at(days=10))[1] == {org.id: "too_soon"}
    assert len(enrol(playbook, [org], at(days=31))[0]) == 1
    runs.stop_run(csm, db.session.scalars(select(PlaybookRun).where(PlaybookRun.status == "active")).one(), at(days=32))
    db.session.commit()
    assert enrol(playbook, [org], at(days=100))[1] == {org.id: "max_runs"}


def test_draft_playbooks_and_churned_accounts_are_not_enrolled(db, csm, make_account, make_playbook, enrol, at):
    draft = make_playbook(name="Draft", status="draft")
    org = make_account("Acme", contacts=())
    gone = make_account("Gone", contacts=(), stage="churned")
    with pytest.raises(DomainError, match="Activate"):
        enrol(draft, [org], at())
    created, skipped = enrol(make_playbook(), [org, gone], at())
    assert len(created) == 1 and skipped == {gone.id: "churned"}


def test_tasks_for_home_lists_overdue_then_today(db, csm, make_account, make_playbook, enrol, at, t0):
    org = make_account("Acme", contacts=())
    playbook = make_playbook(steps=[{"kind": "task", "title": t} for t in ("First", "Second")])
    enrol(playbook, [org], at(days=-3))
    runs.advance_due_runs(at())
    db.session.commit()
    other = make_playbook(name="Other", steps=[{"kind": "call", "title": "Today's call"}])
    enrol(other, [org], at())
    runs.advance_due_runs(at())
    db.session.commit()
    csm.timezone = "UTC"
    home = tasks_for_home(csm, at(seconds=1))
    assert [t.title for t in home] == ["First", "Today's call"]
    assert home[0].due_at < home[1].due_at
    assert task_buckets(csm, at(seconds=1))["overdue"][0].title == "First"


def test_account_timeline_lists_runs_emails_and_tasks(db, app, csm, make_account, make_playbook, enrol, at):
    org = make_account("Acme", contacts=("ana",))
    playbook = make_playbook(steps=[EMAIL, {"kind": "task", "title": "Call"}])
    enrol(playbook, [org], at())
    runs.advance_due_runs(at())
    runs.complete_task(csm, tasks_of(db)[0], at(minutes=5), note="done by phone")
    db.session.commit()
    with app.test_request_context():
        events = account_timeline_events(org.id)
    kinds = [e["kind"] for e in events]
    assert set(kinds) == {"playbook_started", "playbook_email", "task_done", "playbook_finished"}
    assert all({"at", "kind", "text", "url"} <= set(e) for e in events)
    assert any("done by phone" in e["text"] for e in events)
    assert events == sorted(events, key=lambda e: e["at"], reverse=True)


def test_the_periodic_jobs_are_scheduled(app):
    from app.jobs import load_job_modules
    from app.jobs.schedule import PERIODIC_JOBS

    load_job_modules()
    assert PERIODIC_JOBS["playbooks.evaluate"][0] == 300
    assert PERIODIC_JOBS["playbooks.advance"][0] == 60


def test_enrolment_starts_due_steps_through_the_job(db, csm, make_account, make_playbook, enrol, at, run_jobs):
    org = make_account("Acme", contacts=())
    enrol(make_playbook(), [org], at(seconds=-5))
    run_jobs()
    db.session.expire_all()
    assert [t.title for t in tasks_of(db)] == ["Call them"]
    assert db.session.scalar(select(func.count(PlaybookRun.id))) == 1
    assert timedelta(0) <= only_run(db).run_steps[0].due_at - at(seconds=-5) < timedelta(seconds=1)
