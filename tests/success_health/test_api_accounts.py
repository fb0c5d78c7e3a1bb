"""GET /api/v1/accounts and /accounts/{id}: the contract fields, staff only."""

from datetime import date

from app.models.health import AccountHealth
from app.success.health.services import recompute_health

FIELDS = ["id", "name", "plan", "mrr", "stage", "renewal_date", "owner_email", "health"]


def test_account_contract(db, client, make_org, make_user, api_token, now):
    owner = make_user("csm", email="owner@tandem.example")
    org = make_org("Acme", plan="growth", mrr=1250.5, stage="renewal", owner=owner,
                   renewal_date=date(2027, 3, 31))
    make_org("Unscored")
    db.session.commit()
    recompute_health([org.id], now=now)
    db.session.commit()
    headers = api_token(make_user("agent"))

    one = client.get(f"/api/v1/accounts/{org.id}", headers=headers)
    assert one.status_code == 200
    body = one.get_json()
    assert list(body) == FIELDS
    assert body["name"] == "Acme" and body["plan"] == "growth" and body["mrr"] == 1250.5
    assert body["stage"] == "renewal" and body["renewal_date"] == "2027-03-31" and body["owner_email"] == "owner@tandem.example"
    health = body["health"]
    assert list(health) == ["score", "band", "trend", "reasons"]
    assert 0 <= health["score"] <= 100 and health["band"] in ("healthy", "at_risk", "critical")
    assert health["trend"] is None and isinstance(health["reasons"], list)

    listing = client.get("/api/v1/accounts?per_page=1", headers=headers).get_json()
    assert listing["total"] == 2 and listing["page"] == 1 and listing["per_page"] == 1 and len(listing["items"]) == 1
    assert listing["items"][0]["name"] == "Unscored" and listing["items"][0]["health"] is None  # newest first


def test_band_filter_and_bad_parameters(db, client, make_org, make_user, api_token, now):
    org = make_org("Acme")
    db.session.add(AccountHealth(organization_id=org.id, score=20, band="critical", measures={}, missing=[],
                                 reasons=[], computed_at=now))
    make_org("Other")
    db.session.commit()
    headers = api_token(make_user("csm"))
    items = client.get("/api/v1/accounts?band=critical", headers=headers).get_json()["items"]
    assert [i["name"] for i in items] == ["Acme"]
    bad = client.get("/api/v1/accounts?band=purple", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_error"
    assert client.get("/api/v1/accounts?per_page=101", headers=headers).status_code == 422
    assert client.get("/api/v1/accounts?page=abc", headers=headers).status_code == 400
    missing = client.get("/api/v1/accounts/424242", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_customers_and_anonymous_are_refused(db, client, make_org, make_user, api_token):
    org = make_org("Acme")
    customer = make_user("customer", organization=org)
    headers = api_token(customer)
    for path in ("/api/v1/accounts", f"/api/v1/accounts/{org.id}"):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
        assert client.get(path).status_code == 401


def test_openapi_documents_accounts(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/accounts/{organization_id}" in spec["paths"] or "/accounts/{organization_id}" in str(spec["paths"])
