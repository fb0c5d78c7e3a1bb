"""The CSM pages: dashboard, accounts list, account page, notes; read-only for agents."""

from datetime import timedelta

from sqlalchemy import func, select

from app.models import Ticket
from app.models.health import AccountNote
from app.success.health.services import recompute_health


def test_dashboard_shows_figures_and_charts(db, as_csm, make_org, now):
    org = make_org("Risky", mrr=1000)
    make_org("Fine", mrr=500)
    for _ in range(3):
        db.session.add(Ticket(subject="Down", status="open", priority=4, organization_id=org.id,
                              created_at=now, updated_at=now))
    db.session.commit()
    recompute_health(now=now)
    db.session.commit()
    response = as_csm.get("/success/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "MRR at risk" in page and "1,000.00" in page and "1,500.00" in page
    for title in ("Churn and retention by month", "Health distribution", "NPS by month", "CSAT by month"):
        assert title in page
    assert page.count("data-chart=") == 5 and "js/success_charts.js" in page and "chart.umd.min.js" in page
    assert "Topic spikes" in page, page[page.find("<main"):][:3000]
    assert "tasks-title" in page  # the topic and playbook partials


def test_accounts_list_filters_and_health_column(db, as_csm, make_org, now):
    risky = make_org("Risky Ltd", plan="growth", stage="renewal")
    make_org("Calm Ltd", plan="starter", stage="mature")
    for _ in range(3):
        db.session.add(Ticket(subject="Down", status="open", priority=4, organization_id=risky.id,
                              created_at=now, updated_at=now))
    db.session.commit()
    recompute_health(now=now)
    db.session.commit()
    page = as_csm.get("/success/accounts").get_data(as_text=True)
    assert "Risky Ltd" in page and "Calm Ltd" in page and "At risk" in page
    only = as_csm.get("/success/accounts?band=at_risk").get_data(as_text=True)
    assert "Risky Ltd" in only and "Calm Ltd" not in only
    assert "Calm Ltd" in as_csm.get("/success/accounts?stage=mature").get_data(as_text=True)
    assert "Risky Ltd" not in as_csm.get("/success/accounts?plan=starter").get_data(as_text=True)
    assert as_csm.get("/success/accounts?stage=zombie").status_code == 200  # bad filter: ignored, not a 500


def test_account_page(db, as_csm, make_org, make_user, now):
    owner = make_user("csm", email="owner@tandem.example", name="Olga Owner")
    org = make_org("Acme", plan="enterprise", mrr=4200, stage="renewal", owner=owner, segment_tags=["emea"],
                   renewal_date=now.date() + timedelta(days=10))
    make_user("customer", email="ana@acme.example", organization=org, name="Ana Silva")
    db.session.add(Ticket(subject="Export is empty", status="open", priority=4, organization_id=org.id,
                          created_at=now - timedelta(days=8), updated_at=now))
    db.session.commit()
    recompute_health(now=now - timedelta(days=1))
    recompute_health(now=now)
    db.session.commit()
    page = as_csm.get(f"/success/accounts/{org.id}").get_data(as_text=True)
    for text in ("Acme", "enterprise", "4,200.00", "Renewal", "Olga Owner", "emea", "Ana Silva", "ana@acme.example",
                 "1 urgent tickets are open.", "Renewal is in 10 days.", "Ticket #", "Export is empty",
                 "No data for:", "NPS", "Health over time"):
        assert text in page, text
    assert "Send NPS survey" in page and "Add note" in page


def test_notes(db, as_csm, make_org):
    org = make_org("Acme")
    assert as_csm.post(f"/success/accounts/{org.id}/notes", data={"body": "  "}).status_code == 400
    assert as_csm.post(f"/success/accounts/{org.id}/notes", data={"body": "x" * 5001}).status_code == 400
    assert db.session.scalar(select(func.count(AccountNote.id))) == 0
    done = as_csm.post(f"/success/accounts/{org.id}/notes", data={"body": "Called Ana about the renewal"},
                       follow_redirects=True)
    assert "Called Ana about the renewal" in done.get_data(as_text=True)


def test_recompute_button(db, as_csm, make_org):
    org = make_org("Acme")
    page = as_csm.post(f"/success/accounts/{org.id}/recompute", follow_redirects=True).get_data(as_text=True)
    assert "Health score recomputed." in page


def test_unknown_account_is_404(db, as_csm):
    assert as_csm.get("/success/accounts/999999").status_code == 404
    assert as_csm.get("/success/accounts/99999999999").status_code == 404


def test_agents_read_only_customers_refused(db, client, login, make_user, make_org):
    org = make_org("Acme")
    login(make_user("agent"))
    page = client.get(f"/success/accounts/{org.id}").get_data(as_text=True)
    assert "Acme" in page and "Add note" not in page and "Send NPS survey" not in page
    assert client.post(f"/success/accounts/{org.id}/notes", data={"body": "hi"}).status_code == 403
    client.post("/logout")
    login(make_user("customer"))
    for path in ("/success/", "/success/accounts", f"/success/accounts/{org.id}", "/success/nps", "/success/segments"):
        assert client.get(path).status_code == 403


def test_csrf_is_required(db, as_csm, make_org, csrf_enabled):
    org = make_org("Acme")
    assert as_csm.post(f"/success/accounts/{org.id}/notes", data={"body": "hi"}).status_code == 400
    assert db.session.scalar(select(func.count(AccountNote.id))) == 0
