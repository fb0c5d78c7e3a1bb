"""Outcomes: runs started / completed / on time, and the effect against comparable accounts."""

from datetime import timedelta

from app.success.playbooks import runs
from app.success.playbooks.outcomes import chart_data, playbook_outcomes


def test_effect_compares_enrolled_accounts_with_comparable_ones(db, csm, make_account, make_playbook, make_ticket,
                                                               enrol, at, t0):
    from app.models.health import AccountHealth, HealthSnapshot
    from app.models.success import Topic

    topic = Topic(label="Export is empty", status="active", trend="rising", size=8)
    db.session.add(topic)
    db.session.commit()
    enrolled = make_account("Enrolled", contacts=(), plan="pro")
    comparable = make_account("Comparable", contacts=(), plan="pro")
    make_account("Other plan", contacts=(), plan="basic")
    start = at(days=-40)
    for org, before, after in ((enrolled, 3, 1), (comparable, 2, 2)):
        for n in range(before):
            make_ticket(organization_id=org.id, topic_id=topic.id, created_at=start - timedelta(days=n + 1))
        for n in range(after):
            make_ticket(organization_id=org.id, topic_id=topic.id, created_at=start + timedelta(days=n + 1))
    db.session.add(AccountHealth(organization_id=enrolled.id, score=40, band="at_risk", measures={}, missing=[],
                                 reasons=[], computed_at=start))
    db.session.add(AccountHealth(organization_id=comparable.id, score=45, band="at_risk", measures={}, missing=[],
                                 reasons=[], computed_at=start))
    db.session.add(HealthSnapshot(organization_id=comparable.id, day=start.date(), score=50, band="at_risk",
                                  measures={}))
    db.session.commit()
    playbook = make_playbook(objective="no_topic_tickets", objective_topic_id=topic.id,
                             steps=[{"kind": "task", "title": "Call"}])
    enrol(playbook, [enrolled], start)
    runs.advance_run(db.session.scalars(db.select(runs.PlaybookRun)).one(), start)
    task = db.session.scalars(db.select(runs.CsmTask)).one()
    runs.complete_task(csm, task, start + timedelta(hours=3))
    db.session.get(AccountHealth, enrolled.id).score = 70
    db.session.commit()

    figures = playbook_outcomes(playbook, at())
    assert figures["counts"] == {"started": 1, "open": 0, "completed": 1, "objective_met": 0, "stopped": 0,
                                 "on_time": 1}
    effect = figures["effect"]
    assert (effect["enrolled_accounts"], effect["comparable_accounts"]) == (1, 1)
    assert effect["tickets"] == {"enrolled_before": 3, "enrolled_after": 1, "comparable_before": 2,
                                 "comparable_after": 2, "complete": True}
    assert effect["health_change"]["enrolled"] == 30 and effect["health_change"]["comparable"] == -5
    assert effect["retained_pct"] == {"enrolled": 100, "comparable": 100}
    chart = chart_data(figures, {"before": "b", "after": "a", "health": "h", "enrolled": "E", "comparable": "C"})
    assert chart == {"labels": ["b", "a", "h"], "datasets": [{"label": "E", "data": [3, 1, 30]},
                                                            {"label": "C", "data": [2, 2, -5]}]}


def test_a_late_task_makes_the_run_late(db, csm, make_account, make_playbook, enrol, at):
    enrol(make_playbook(), [make_account("Acme", contacts=())], at())
    runs.advance_due_runs(at())
    task = db.session.scalars(db.select(runs.CsmTask)).one()
    runs.complete_task(csm, task, at(days=3))
    db.session.commit()
    run = db.session.scalars(db.select(runs.PlaybookRun)).one()
    assert run.status == "completed" and run.on_time is False
    assert playbook_outcomes(run.playbook, at(days=3))["counts"]["on_time"] == 0
