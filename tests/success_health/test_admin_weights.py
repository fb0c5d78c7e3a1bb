"""Admin weight profiles: edits, bad input refused with nothing saved, and their effect."""

from sqlalchemy import func, select

from app.models.health import HealthProfile
from app.success.health.scoring import DEFAULT_WEIGHTS, MEASURES


def form(name="Enterprise", **overrides):
    data = {"name": name, "stage": "", "segment_tag": "enterprise", "healthy_min": "70", "at_risk_min": "40"}
    data.update({f"w_{m}": str(w) for m, w in DEFAULT_WEIGHTS.items()})
    data.update(overrides)
    return data


def test_admin_page_lists_the_default_profile(db, client, login, make_user):
    login(make_user("admin"))
    page = client.get("/admin/health").get_data(as_text=True)
    assert "Default" in page and "All other accounts" in page
    assert db.session.scalar(select(func.count(HealthProfile.id))) == 1


def test_create_and_edit_profiles(db, client, login, make_user):
    login(make_user("admin"))
    assert client.post("/admin/health", data=form()).status_code == 302
    profile = db.session.scalar(select(HealthProfile).where(HealthProfile.name == "Enterprise"))
    assert profile.segment_tag == "enterprise" and profile.weights["csat"] == 15.0
    updated = client.post(f"/admin/health/profiles/{profile.id}", data=form(w_csat="40", healthy_min="80"))
    assert updated.status_code == 302
    db.session.refresh(profile)
    assert profile.weights["csat"] == 40.0 and profile.healthy_min == 80


def test_bad_weights_are_refused_with_a_message(db, client, login, make_user):
    login(make_user("admin"))
    client.get("/admin/health")
    default = db.session.scalar(select(HealthProfile).where(HealthProfile.is_default.is_(True)))
    zeros = {f"w_{m}": "0" for m in MEASURES}
    cases = [
        (form(w_csat="-5"), "Weights cannot be negative."),
        (form(**zeros), "At least one weight must be above zero."),
        (form(w_nps="much"), "Every weight must be a number."),
        (form(healthy_min="30", at_risk_min="40"), "Thresholds must satisfy"),
        (form(segment_tag=""), "applies to a lifecycle stage or a segment tag"),
        (form(stage="renewal"), "not both"),
    ]
    for data, message in cases:
        response = client.post("/admin/health", data=data)
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True)
    edit = client.post(f"/admin/health/profiles/{default.id}", data=form(name="Default", **zeros))
    assert edit.status_code == 422
    db.session.refresh(default)
    assert default.weights == {m: float(w) for m, w in DEFAULT_WEIGHTS.items()} or default.weights == DEFAULT_WEIGHTS
    assert db.session.scalar(select(func.count(HealthProfile.id))) == 1


def test_default_profile_cannot_be_deleted(db, client, login, make_user):
    login(make_user("admin"))
    client.get("/admin/health")
    default = db.session.scalar(select(HealthProfile))
    client.post(f"/admin/health/profiles/{default.id}/delete")
    assert db.session.scalar(select(func.count(HealthProfile.id))) == 1


def test_only_admins(db, client, login, make_user):
    login(make_user("csm"))
    assert client.get("/admin/health").status_code == 403
    assert client.post("/admin/health", data=form()).status_code == 403
