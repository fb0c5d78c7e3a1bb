"""Demo health scores, NPS answers, usage figures, segments, weight profiles and stage history."""

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.health import HealthProfile, NpsResponse, NpsSurvey, Segment, StageChange, UsageFigure
from app.success.health.scoring import DEFAULT_WEIGHTS
from app.success.health.services import recompute_health

# organization → (NPS scores its contacts give, daily logins then → now); unnamed ones get defaults.
NPS_AND_USAGE = {
    "Demo Customer Inc.": ((9, 10, 8), (40, 44)),
    "Acme Logistics": ((3, 6, 5, 7), (120, 55)),
    "Northwind Health": ((8, 9), (10, 25)),
    "Volga Retail": ((7, 9, 6), (60, 58)),
    "Balkan Foods": ((6, 8), (15, 9)),
    "Jade Harbor Trading": ((9, 9, 10), (70, 75)),
    "Panda Cloud": ((8, 7, 9), (200, 190)),
    "Sakura Systems": ((4, 7, 8), (150, 95)),
}
# organization → [(days ago, old stage, new stage)] after its creation in its first stage.
HISTORY = {
    "Fjord Analytics": ("mature", [(40, "mature", "churned")]),
    "Acme Logistics": ("mature", [(25, "mature", "renewal")]),
    "Sakura Systems": ("mature", [(30, "mature", "renewal")]),
    "Volga Retail": ("onboarding", [(70, "onboarding", "adopting")]),
    "Jade Harbor Trading": ("onboarding", [(60, "onboarding", "adopting")]),
    "Panda Cloud": ("adopting", [(50, "adopting", "mature")]),
    "Demo Customer Inc.": ("adopting", [(45, "adopting", "mature")]),
}
SEGMENTS = (
    ("Enterprise renewals", {"plans": ["enterprise"], "renewal_within_days": 60}),
    ("Accounts at risk", {"bands": ["at_risk", "critical"]}),
    ("EMEA", {"tags": ["emea"]}),
)


def _stage_history(demo):
    for name, (first, changes) in HISTORY.items():
        org = demo.organizations.get(name)
        if org is None:
            continue
        created = db.session.scalar(select(StageChange).where(StageChange.organization_id == org.id,
                                                              StageChange.old_stage.is_(None)))
        if created is not None:
            created.new_stage = first
        for days, old, new in changes:
            db.session.add(StageChange(organization_id=org.id, old_stage=old, new_stage=new,
                                       changed_at=demo.now - timedelta(days=days)))


def _nps(demo):
    csm = demo.users.get("csm@example.com")
    for name, (scores, _usage) in NPS_AND_USAGE.items():
        org = demo.organizations.get(name)
        if org is None:
            continue
        sent = demo.now - timedelta(days=demo.rng.randint(5, 60))
        survey = NpsSurvey(organization_id=org.id, sent_by_id=csm.id if csm else None, created_at=sent)
        db.session.add(survey)
        db.session.flush()
        people = [u for u in org.members if u.role == "customer"]
        for person, score in zip(people, scores):
            answered = sent + timedelta(hours=demo.rng.randint(1, 72))
            db.session.add(NpsResponse(survey_id=survey.id, organization_id=org.id, user_id=person.id, score=score,
                                       sent_at=sent, answered_at=min(answered, demo.now),
                                       comment="Exports keep failing before month-end." if score <= 6 else None))


def _usage(demo):
    today = demo.now.date()
    for name, (_scores, (then, now_level)) in NPS_AND_USAGE.items():
        org = demo.organizations.get(name)
        if org is None:
            continue
        for days in range(90, 0, -3):
            level = now_level + (then - now_level) * days / 90
            value = max(0, round(level * demo.rng.uniform(0.85, 1.15)))
            db.session.add(UsageFigure(organization_id=org.id, metric="logins", value=value,
                                       day=today - timedelta(days=days), imported_at=demo.now))


def seed_health(demo):
    db.session.add(HealthProfile(name="Default", is_default=True, weights=dict(DEFAULT_WEIGHTS),
                                 healthy_min=70, at_risk_min=40, updated_at=demo.now))
    weights = dict(DEFAULT_WEIGHTS, renewal=25, nps=20)
    db.session.add(HealthProfile(name="Renewal", stage="renewal", weights=weights, healthy_min=70, at_risk_min=40,
                                 updated_at=demo.now))
    for name, filters in SEGMENTS:
        db.session.add(Segment(name=name, filters=filters, created_at=demo.now, updated_at=demo.now,
                               created_by_id=demo.users["csm@example.com"].id if "csm@example.com" in demo.users else None))
    _stage_history(demo)
    _nps(demo)
    _usage(demo)
    db.session.flush()
    # Eight weeks of history, so the charts have a line and the trend arrows have a week to compare.
    for days in range(56, -1, -7):
        recompute_health(now=demo.now - timedelta(days=days))
