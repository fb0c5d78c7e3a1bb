"""A playbook's outcomes: runs started / completed / on time, and its effect on the enrolled
accounts against comparable accounts that were not enrolled (same plan or a shared segment tag)."""

from datetime import timedelta
from statistics import mean

from sqlalchemy import select

from app.extensions import db
from app.models import Organization
from app.models.playbooks import PlaybookRun
from app.success.playbooks import signals
from app.success.playbooks.scheduling import at_risk_accounts

WINDOW_DAYS = 30


def _avg(values):
    values = [v for v in values if v is not None]
    return round(mean(values), 2) if values else None


def run_counts(runs):
    finished = [r for r in runs if r.status in ("completed", "objective_met")]
    return {
        "started": len(runs),
        "open": sum(1 for r in runs if r.status in ("active", "paused")),
        "completed": len(finished),
        "objective_met": sum(1 for r in runs if r.status == "objective_met"),
        "stopped": sum(1 for r in runs if r.status == "stopped"),
        "on_time": sum(1 for r in finished if r.on_time),
    }


def playbook_outcomes(playbook, now):
    runs = db.session.scalars(select(PlaybookRun).where(PlaybookRun.playbook_id == playbook.id)
                              .order_by(PlaybookRun.enrolled_at)).all()
    result = {"counts": run_counts(runs), "effect": None}
    if not runs:
        return result
    window = timedelta(days=WINDOW_DAYS)
    enrolled_ids = {r.organization_id for r in runs}
    everyone = signals.comparable_accounts()
    for org in db.session.execute(select(Organization.id, Organization.plan, Organization.segment_tags)
                                  .where(Organization.id.in_(enrolled_ids))).all():
        everyone.setdefault(org.id, (org.plan, tuple(org.segment_tags or ())))
    comparable = at_risk_accounts(enrolled_ids, everyone)
    times = sorted(r.enrolled_at for r in runs)
    pivot = times[(len(times) - 1) // 2]  # the (lower) median enrolment time

    # Tickets on the playbook's topic, 30 days before and after enrolment (the comparison group
    # uses the median enrolment time, so both groups cover the same stretch of the calendar).
    tickets = None
    topic_runs = [r for r in runs if (r.topic_id or playbook.objective_topic_id)]
    if topic_runs:
        before, after = [], []
        for run in topic_runs:
            topic_id = run.topic_id or playbook.objective_topic_id
            start = run.enrolled_at
            before.append(signals.topic_ticket_counts([run.organization_id], topic_id, start - window, start)
                          .get(run.organization_id, 0))
            after.append(signals.topic_ticket_counts([run.organization_id], topic_id, start, start + window)
                         .get(run.organization_id, 0))
        topic_ids = sorted({r.topic_id or playbook.objective_topic_id for r in topic_runs})
        comp_before, comp_after = [], []
        for topic_id in topic_ids:
            b = signals.topic_ticket_counts(comparable, topic_id, pivot - window, pivot)
            a = signals.topic_ticket_counts(comparable, topic_id, pivot, pivot + window)
            comp_before += [b.get(i, 0) for i in comparable]
            comp_after += [a.get(i, 0) for i in comparable]
        tickets = {
            "enrolled_before": _avg(before), "enrolled_after": _avg(after),
            "comparable_before": _avg(comp_before), "comparable_after": _avg(comp_after),
            "complete": pivot + window <= now,
        }

    # Health: score now minus score at enrolment (from the daily history for the comparison group).
    current = signals.current_scores(enrolled_ids | set(comparable))
    enrolled_change = [current[r.organization_id] - r.baseline["health_score"] for r in runs
                       if (r.baseline or {}).get("health_score") is not None and r.organization_id in current]
    then = signals.health_scores_on(comparable, pivot.date())
    comparable_change = [current[i] - then[i] for i in comparable if i in then and i in current]

    # Renewals: accounts still customers (not churned), and renewal dates moved on since enrolment.
    stages = dict(db.session.execute(select(Organization.id, Organization.stage)
                                     .where(Organization.id.in_(enrolled_ids | set(comparable)))).all())
    renewals = dict(db.session.execute(select(Organization.id, Organization.renewal_date)
                                       .where(Organization.id.in_(enrolled_ids))).all())
    renewed = [r for r in runs if (r.baseline or {}).get("renewal_date") and renewals.get(r.organization_id)
               and renewals[r.organization_id].isoformat() > r.baseline["renewal_date"]]

    def retained(ids):
        ids = list(ids)
        return round(100 * sum(1 for i in ids if stages.get(i) != "churned") / len(ids)) if ids else None

    result["effect"] = {
        "enrolled_accounts": len(enrolled_ids), "comparable_accounts": len(comparable),
        "tickets": tickets,
        "health_change": {"enrolled": _avg(enrolled_change), "comparable": _avg(comparable_change),
                          "enrolled_n": len(enrolled_change), "comparable_n": len(comparable_change)},
        "retained_pct": {"enrolled": retained(enrolled_ids), "comparable": retained(comparable)},
        "renewed": len(renewed),
    }
    return result


def chart_data(outcomes, labels):
    """The playbook page's chart (Chart.js reads it from a data attribute)."""
    effect = outcomes.get("effect")
    if not effect:
        return None
    groups, enrolled, comparable = [], [], []
    if effect["tickets"]:
        t = effect["tickets"]
        groups += [labels["before"], labels["after"]]
        enrolled += [t["enrolled_before"], t["enrolled_after"]]
        comparable += [t["comparable_before"], t["comparable_after"]]
    h = effect["health_change"]
    groups.append(labels["health"])
    enrolled.append(h["enrolled"])
    comparable.append(h["comparable"])
    return {"labels": groups, "datasets": [
        {"label": labels["enrolled"], "data": enrolled},
        {"label": labels["comparable"], "data": comparable},
    ]}
