"""Usage figures by CSV (pages) and JSON (API): all or nothing, clear messages."""

import io
from datetime import timedelta

from sqlalchemy import func, select

from app.models.health import AccountHealth, UsageFigure


def upload(client, url, text, name="usage.csv"):
    return client.post(url, data={"file": (io.BytesIO(text.encode()), name)}, content_type="multipart/form-data")


def count(db):
    return db.session.scalar(select(func.count(UsageFigure.id)))


def test_import_for_many_accounts(db, as_csm, make_org, now):
    acme, beta = make_org("Acme"), make_org("Beta")
    day = (now.date() - timedelta(days=1)).isoformat()
    response = upload(as_csm, "/success/usage",
                      f"account,metric,value,date\nAcme,logins,40,{day}\n{beta.id},logins,5,{day}\n")
    assert response.status_code == 302
    assert count(db) == 2
    # A re-import of the same day replaces the value.
    upload(as_csm, "/success/usage", f"account,metric,value,date\nacme,logins,42,{day}\n")
    assert db.session.scalar(select(UsageFigure.value).where(UsageFigure.organization_id == acme.id)) == 42
    assert count(db) == 2


def test_unknown_account_and_bad_rows_import_nothing(db, as_csm, make_org, now):
    make_org("Acme")
    day = now.date().isoformat()
    response = upload(as_csm, "/success/usage",
                      "account,metric,value,date\n"
                      f"Acme,logins,40,{day}\n"
                      f"Nobody Inc,logins,3,{day}\n"
                      f"Acme,logins,lots,{day}\n"
                      "Acme,logins,3,2026-13-40\n"
                      f"Acme,Log ins!,3,{day}\n"
                      f"Acme,logins,-1,{day}\n")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "line 3: unknown account &#39;Nobody Inc&#39;" in page
    assert "line 4: the value &#39;lots&#39; is not a number" in page
    assert "line 5: the date" in page and "line 6: the metric" in page and "line 7: the value must be" in page
    assert count(db) == 0


def test_missing_columns_and_empty_file(db, as_csm, make_org):
    make_org("Acme")
    assert "missing column(s) date" in upload(as_csm, "/success/usage", "account,metric,value\nAcme,logins,3\n") \
        .get_data(as_text=True)
    assert upload(as_csm, "/success/usage", "").status_code == 400
    assert as_csm.post("/success/usage", data={}).status_code == 400
    assert count(db) == 0


def test_account_page_upload_scores_usage(db, as_csm, make_org, now):
    org = make_org("Acme")
    today = now.date()
    rows = [f"logins,100,{(today - timedelta(days=d)).isoformat()}" for d in (60, 50, 40)]
    rows += [f"logins,50,{(today - timedelta(days=d)).isoformat()}" for d in (10, 5)]
    response = upload(as_csm, f"/success/accounts/{org.id}/usage", "metric,value,date\n" + "\n".join(rows) + "\n")
    assert response.status_code == 302
    health = db.session.get(AccountHealth, org.id)
    assert health.measures["usage"]["score"] == 50  # half the usual level
    page = as_csm.get(f"/success/accounts/{org.id}").get_data(as_text=True)
    assert "Product usage" in page and "logins" in page


def test_account_page_upload_refuses_other_accounts(db, as_csm, make_org, now):
    org = make_org("Acme")
    make_org("Beta")
    response = upload(as_csm, f"/success/accounts/{org.id}/usage",
                      f"account,metric,value,date\nBeta,logins,3,{now.date().isoformat()}\n")
    assert response.status_code == 400 and "is not this account" in response.get_data(as_text=True)
    assert count(db) == 0


def test_api_usage(db, client, make_org, make_user, api_token, now):
    org = make_org("Acme")
    headers = api_token(make_user("csm"))
    day = now.date().isoformat()
    ok = client.post(f"/api/v1/accounts/{org.id}/usage", json={"figures": [{"metric": "logins", "value": 3, "date": day}]},
                     headers=headers)
    assert ok.status_code == 201 and ok.get_json()["imported"] == 1
    bad = client.post(f"/api/v1/accounts/{org.id}/usage",
                      json={"figures": [{"metric": "logins", "value": 3, "date": day},
                                        {"metric": "Bad metric!", "value": 1, "date": day}]}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_error"
    assert "figures[1]" in bad.get_json()["error"]["message"]
    future = client.post(f"/api/v1/accounts/{org.id}/usage",
                         json={"figures": [{"metric": "logins", "value": 3, "date": "2999-01-01"}]}, headers=headers)
    assert future.status_code == 422
    assert client.post("/api/v1/accounts/999999/usage", json={"figures": [{"metric": "x", "value": 1, "date": day}]},
                       headers=headers).status_code == 404
    agent = api_token(make_user("agent"))
    refused = client.post(f"/api/v1/accounts/{org.id}/usage",
                          json={"figures": [{"metric": "logins", "value": 9, "date": day}]}, headers=agent)
    assert refused.status_code == 403  # agents read accounts, CSMs and admins change them
    assert count(db) == 1
