"""Suggestions on the ticket form, deflections, and the content-gaps and deflection reports."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.kb import deflection, searching
from app.models.base import utcnow
from app.models.kb import KbDeflection, KbSearch

TOKEN = "a" * 32


def suggest(client, q, token=TOKEN, **params):
    return client.get("/kb/suggest", query_string={"q": q, "s": token, **params})


def test_suggest_returns_public_articles_with_links_that_carry_the_visit(client, faq):
    response = suggest(client, "I cancelled my order and want a refund")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert set(results[0]) == {"id", "title", "url", "locale", "snippet"}
    assert results[0]["title"] == "Refunds for cancelled orders"
    assert f"s={TOKEN}" in results[0]["url"] and results[0]["snippet"].startswith("When you cancel")
    assert all(not r["title"].startswith("Refund override") for r in results)  # internal: never


@pytest.mark.parametrize("query", ["", "  ", "ab"])
def test_short_or_empty_input_suggests_nothing(client, faq, db, query):
    assert suggest(client, query).get_json() == {"results": []}
    assert db.session.scalar(select(db.func.count(KbSearch.id))) == 0


def test_suggest_handles_huge_input_and_bad_locales(client, faq):
    assert suggest(client, "refund " * 1500).status_code == 200
    bad = suggest(client, "refund", locale="??")
    assert bad.status_code == 422 and "is not a language code" in bad.get_json()["error"]["message"]


def test_a_typing_burst_is_one_logged_search(client, faq, db):
    for partial in ("refu", "refund for", "refund for cancelled", "refund for cancelled order"):
        suggest(client, partial)
    suggest(client, "password reset")
    rows = db.session.scalars(select(KbSearch).order_by(KbSearch.id)).all()
    assert [(r.query, r.source) for r in rows] == [("refund for cancelled order", "suggest"),
                                                   ("password reset", "suggest")]


def test_opening_a_suggestion_and_leaving_is_a_deflection_after_the_grace_period(client, faq, db):
    url = suggest(client, "refund for my cancelled order").get_json()["results"][0]["url"]
    assert client.get(url).status_code == 200
    visit = db.session.scalar(select(KbDeflection))
    assert visit.opened_article_id == faq["refund"].id and visit.shown_count >= 1 and visit.submitted_at is None
    now = utcnow()
    assert deflection.report(now, grace=30)["deflections"] == 0  # still undecided
    assert deflection.report(now, grace=30)["pending"] == 1
    later = deflection.report(now + timedelta(minutes=31), grace=30)
    assert later["deflections"] == 1 and later["top"][0]["id"] == faq["refund"].id
    assert later["rate"] == 1.0


def test_submitting_the_form_after_opening_is_not_a_deflection(client, faq, db):
    url = suggest(client, "refund for my cancelled order").get_json()["results"][0]["url"]
    client.get(url)
    assert client.post("/kb/suggest/submitted", data={"s": TOKEN}).status_code == 204
    report = deflection.report(utcnow() + timedelta(hours=1), grace=30)
    assert report["deflections"] == 0 and report["opened_then_submitted"] == 1 and report["submitted"] == 1


def test_visits_that_open_nothing_are_not_deflections(client, faq):
    suggest(client, "refund for my cancelled order")
    report = deflection.report(utcnow() + timedelta(hours=1), grace=0)
    assert (report["visits_shown"], report["opened"], report["deflections"]) == (1, 0, 0)


def test_submitted_beacon_needs_the_csrf_token(client, faq, db, csrf_enabled):
    assert client.post("/kb/suggest/submitted", data={"s": TOKEN}).status_code == 400


def test_bad_visit_tokens_are_ignored(client, faq, db):
    suggest(client, "refund for my cancelled order", token="<script>")
    client.post("/kb/suggest/submitted", data={"s": "x"})
    assert db.session.scalar(select(db.func.count(KbDeflection.id))) == 0


def test_deflection_report_page(client, faq, login, make_user, app):
    app.config["KB_DEFLECTION_GRACE_MINUTES"] = 0
    try:
        client.get("/kb/search?q=invoice")
        url = suggest(client, "refund for my cancelled order").get_json()["results"][0]["url"]
        client.get(url)
        login(make_user("csm"))
        page = client.get("/kb/manage/deflections").get_data(as_text=True)
    finally:
        app.config.pop("KB_DEFLECTION_GRACE_MINUTES")
    assert 'id="fig-searches">1<' in page and 'id="fig-deflections">1<' in page
    assert 'id="fig-opened">1<' in page
    assert "Refunds for cancelled orders" in page.split("Articles that deflect the most")[1]


def test_content_gaps_report_counts_zero_result_and_low_click_queries(client, faq, login, make_user, db):
    for _ in range(3):
        client.get("/kb/search?q=Quantum  teleportation")
    client.get("/kb/search?q=download+invoice")
    client.get("/kb/search?q=download+invoice")
    report = searching.content_gaps(utcnow())
    assert report["zero"][0]["query"] == "quantum teleportation" and report["zero"][0]["count"] == 3
    assert [(r["query"], r["count"], r["clicks"]) for r in report["low_click"]] == [("download invoice", 2, 0)]
    login(make_user("agent"))
    page = client.get("/kb/manage/gaps").get_data(as_text=True)
    assert "quantum teleportation" in page and "download invoice" in page
    # Once people open the results, the query is no longer low-click.
    for row in db.session.scalars(select(KbSearch).where(KbSearch.query == "download invoice")):
        searching.record_click(row.id, faq["invoice"].id)
    db.session.commit()
    assert searching.content_gaps(utcnow())["low_click"] == []


def test_ticket_form_carries_the_suggestion_box(client):
    page = client.get("/tickets/new").get_data(as_text=True)
    assert 'id="kb-suggestions"' in page and "kb-suggest.js" in page
