"""Segments: saved filters over accounts, their pages and bad input."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.models.health import AccountHealth, Segment
from app.success.health.segments import accounts_in_segment, accounts_matching, clean_filters, save_segment


@pytest.fixture
def accounts(db, make_org, now):
    today = now.date()
    orgs = {
        "big": make_org("Big Co", plan="enterprise", mrr=9000, stage="renewal", segment_tags=["emea", "enterprise"],
                        renewal_date=today + timedelta(days=20)),
        "mid": make_org("Mid Co", plan="growth", mrr=2000, stage="mature", segment_tags=["apac"],
                        renewal_date=today + timedelta(days=200)),
        "small": make_org("Small Co", plan="starter", mrr=100, stage="onboarding", segment_tags=["emea", "smb"]),
    }
    for key, band, score in (("big", "critical", 30), ("mid", "healthy", 85), ("small", "at_risk", 55)):
        db.session.add(AccountHealth(organization_id=orgs[key].id, score=score, band=band, measures={}, missing=[],
                                     reasons=[], computed_at=now))
    db.session.commit()
    return {k: o.id for k, o in orgs.items()}


@pytest.mark.parametrize("filters, expected", [
    ({}, ["big", "mid", "small"]),
    ({"plans": "Enterprise, growth"}, ["big", "mid"]),
    ({"mrr_min": "1000", "mrr_max": "5000"}, ["mid"]),
    ({"stages": ["renewal", "onboarding"]}, ["big", "small"]),
    ({"bands": ["critical", "at_risk"]}, ["big", "small"]),
    ({"tags": "emea"}, ["big", "small"]),
    ({"tags": "emea", "bands": ["at_risk"]}, ["small"]),
    ({"renewal_within_days": "30"}, ["big"]),
    ({"renewal_within_days": "365", "plans": "growth"}, ["mid"]),
])
def test_filters(db, accounts, filters, expected):
    ids = accounts_matching(clean_filters(filters))
    assert sorted(ids) == sorted(accounts[k] for k in expected)


def test_saved_segment_follows_the_accounts_as_they_change(db, accounts, make_user):
    segment = save_segment(make_user("csm"), None, name="At risk EMEA", filters={"tags": "emea", "bands": ["critical"]})
    db.session.commit()
    assert accounts_in_segment(segment.id) == [accounts["big"]]
    db.session.get(AccountHealth, accounts["small"]).band = "critical"
    db.session.commit()
    assert sorted(accounts_in_segment(segment.id)) == sorted([accounts["big"], accounts["small"]])


@pytest.mark.parametrize("filters, message", [
    ({"mrr_min": "lots"}, "must be a number"),
    ({"mrr_min": "-5"}, "between"),
    ({"mrr_min": "500", "mrr_max": "100"}, "above the maximum"),
    ({"stages": ["zombie"]}, "Unknown lifecycle stage"),
    ({"bands": ["purple"]}, "Unknown health band"),
    ({"renewal_within_days": "soon"}, "must be a number"),
    ({"colour": "red"}, "Unknown filter"),
])
def test_bad_filters_are_refused(db, filters, message):
    with pytest.raises(DomainError, match=message):
        clean_filters(filters)


def test_segment_pages(db, accounts, as_csm):
    created = as_csm.post("/success/segments", data={"name": "Big spenders", "mrr_min": "1000"})
    assert created.status_code == 302
    page = as_csm.get(created.headers["Location"]).get_data(as_text=True)
    assert "Big Co" in page and "Mid Co" in page and "Small Co" not in page
    listing = as_csm.get("/success/segments").get_data(as_text=True)
    assert "Big spenders" in listing

    segment_id = db.session.scalar(select(Segment.id))
    edited = as_csm.post(f"/success/segments/{segment_id}", data={"name": "Big spenders", "mrr_min": "5000"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Big Co" in edited and "Mid Co" not in edited


def test_bad_segment_form_saves_nothing(db, accounts, as_csm):
    response = as_csm.post("/success/segments", data={"name": "Broken", "mrr_min": "abc"})
    assert response.status_code == 422
    assert "must be a number" in response.get_data(as_text=True)
    as_csm.post("/success/segments", data={"name": "Dup"})
    again = as_csm.post("/success/segments", data={"name": "dup"})
    assert again.status_code == 422 and "already exists" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Segment.id))) == 1


def test_agents_read_segments_but_cannot_save(db, accounts, client, login, make_user):
    login(make_user("agent"))
    assert client.get("/success/segments").status_code == 200
    assert client.post("/success/segments", data={"name": "Nope"}).status_code == 403
