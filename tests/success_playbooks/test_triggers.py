"""Triggers enrol the accounts they point at, once, however often and however concurrently they run."""

import threading
from datetime import date, timedelta

from sqlalchemy import func, select

from app.extensions import db as _db
from app.models.playbooks import PlaybookRun
from app.success.playbooks import editing
from app.success.playbooks.jobs import evaluate_playbooks
from app.success.playbooks.triggers import evaluate_triggers


def runs_by_org(db):
    return sorted(db.session.execute(select(PlaybookRun.organization_id, PlaybookRun.topic_id)
                                     .order_by(PlaybookRun.organization_id)).all())


def add_trigger(db, csm, playbook, **kw):
    trigger = editing.add_trigger(csm, playbook, **kw)
    db.session.commit()
    return trigger


def rising_topic(db, make_ticket, orgs, label="Export is empty"):
    from app.models.success import Topic

    topic = Topic(label=label, status="active", trend="rising", size=len(orgs))
    db.session.add(topic)
    db.session.commit()
    for org in orgs:
        make_ticket(organization_id=org.id, topic_id=topic.id)
    return topic


def test_rising_topic_enrols_affected_and_at_risk_accounts_once(db, csm, make_account, make_playbook, make_ticket,
                                                               at):
    hit = make_account("Hit", contacts=(), plan="pro", segment_tags=["eu"])
    same_plan = make_account("Same plan", contacts=(), plan="pro")
    same_tag = make_account("Same tag", contacts=(), plan="basic", segment_tags=["eu"])
    make_account("Unrelated", contacts=(), plan="basic", segment_tags=["us"])
    make_account("Churned", contacts=(), plan="pro", stage="churned")
    topic = rising_topic(db, make_ticket, [hit])
    playbook = make_playbook()
    add_trigger(db, csm, playbook, kind="topic_rising", audience="at_risk")
    assert len(evaluate_triggers(at())) == 2
    db.session.commit()
    assert runs_by_org(db) == [(same_plan.id, topic.id), (same_tag.id, topic.id)]
    assert evaluate_triggers(at(minutes=5)) == []
    db.session.commit()
    add_trigger(db, csm, playbook, kind="topic_rising", audience="affected")
    assert len(evaluate_triggers(at(minutes=10))) == 1
    db.session.commit()
    assert [r[0] for r in runs_by_org(db)] == sorted([hit.id, same_plan.id, same_tag.id])


def test_renewal_onboarding_health_and_nps_triggers(db, csm, make_account, make_playbook, make_user, at, t0):
    from app.models.health import AccountHealth, NpsResponse, NpsSurvey

    today = t0.date()
    renewing = make_account("Renewing", contacts=(), renewal_date=today + timedelta(days=20))
    make_account("Later", contacts=(), renewal_date=today + timedelta(days=200), created_at=t0 - timedelta(days=90))
    fresh = make_account("Fresh", contacts=(), created_at=t0 - timedelta(days=2))
    sick = make_account("Sick", contacts=(), created_at=t0 - timedelta(days=90))
    unhappy = make_account("Unhappy", contacts=("ugo",), created_at=t0 - timedelta(days=90))
    for org in (renewing,):
        org.created_at = t0 - timedelta(days=90)
    db.session.add(AccountHealth(organization_id=sick.id, score=20, band="critical", measures={}, missing=[],
                                 reasons=[], computed_at=t0))
    survey = NpsSurvey(organization_id=unhappy.id, created_at=t0)
    db.session.add(survey)
    db.session.flush()
    contact = unhappy.members[0]
    db.session.add(NpsResponse(survey_id=survey.id, organization_id=unhappy.id, user_id=contact.id, score=3,
                               sent_at=t0, answered_at=t0 - timedelta(days=1)))
    db.session.commit()
    expected = {"renewal_within": renewing, "onboarding": fresh, "health_band": sick, "nps_detractor": unhappy}
    for kind, org in expected.items():
        playbook = make_playbook(name=kind)
        add_trigger(db, csm, playbook, kind=kind, band="critical", days="30" if kind != "onboarding" else "14")
        before = set(db.session.scalars(select(PlaybookRun.id)))
        evaluate_triggers(at())
        db.session.commit()
        new = db.session.scalars(select(PlaybookRun).where(PlaybookRun.playbook_id == playbook.id)).all()
        assert [r.organization_id for r in new] == [org.id], kind
        assert all(r.source == "trigger" for r in new) and before.isdisjoint(r.id for r in new)


def test_the_evaluate_job_also_closes_runs_whose_objective_is_met(db, csm, make_account, make_playbook, at, t0):
    org = make_account("Renewing", contacts=(), renewal_date=t0.date() + timedelta(days=10))
    playbook = make_playbook(objective="renewed")
    add_trigger(db, csm, playbook, kind="renewal_within", days="30")
    assert evaluate_playbooks(at()) == {"enrolled": 1, "objective_met": 0}
    db.session.commit()
    org.renewal_date = date(t0.year + 1, 12, 31)
    db.session.commit()
    assert evaluate_playbooks(at(days=1)) == {"enrolled": 0, "objective_met": 1}
    db.session.commit()
    # The renewed account is no longer within 30 days of renewal: no new run.
    assert db.session.scalar(select(func.count(PlaybookRun.id))) == 1


def test_two_overlapping_evaluations_enrol_each_account_once(app, db, csm, make_account, make_playbook, at, t0):
    orgs = [make_account(f"Renewing {i}", contacts=(), renewal_date=t0.date() + timedelta(days=5)) for i in range(8)]
    playbook = make_playbook(reenrol_days=0, max_runs_per_account=0)
    add_trigger(db, csm, playbook, kind="renewal_within", days="30")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(len(evaluate_triggers(at())))
                _db.session.commit()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(results) == len(orgs)
    db.session.expire_all()
    per_org = db.session.execute(select(PlaybookRun.organization_id, func.count(PlaybookRun.id))
                                 .group_by(PlaybookRun.organization_id)).all()
    assert sorted(per_org) == sorted((o.id, 1) for o in orgs)


def test_the_open_run_constraint_holds_even_without_the_checks(db, csm, make_account, make_playbook, at):
    """Two enrolments that both passed their checks (as concurrent ones can) still give one open run."""
    from app.success.playbooks.services import _insert

    org = make_account("Acme", contacts=())
    playbook = make_playbook()
    insert = _insert(db.engine.dialect.name)
    values = dict(playbook_id=playbook.id, organization_id=org.id, status="active", open_slot=True, source="manual",
                  enrolled_at=at(), paused_minutes=0, baseline={})
    first = db.session.execute(insert(PlaybookRun).values(**values).on_conflict_do_nothing()
                               .returning(PlaybookRun.id)).scalar()
    second = db.session.execute(insert(PlaybookRun).values(**values).on_conflict_do_nothing()
                                .returning(PlaybookRun.id)).scalar()
    db.session.commit()
    assert first is not None and second is None
    finished = dict(values, status="stopped", open_slot=None)
    db.session.execute(insert(PlaybookRun).values(**finished))
    db.session.execute(insert(PlaybookRun).values(**finished))
    db.session.commit()
    assert db.session.scalar(select(func.count(PlaybookRun.id))) == 3
