"""The ticket JSON's `sla` field, as DESIGN.md defines it."""

from datetime import timedelta

from app.models.base import utcnow


def test_ticket_json_lists_the_applying_policy_metrics(client, db, make_user, make_calendar, make_policy,
                                                       api_token):
    make_calendar(tz="UTC", hours={str(d): [["00:00", "24:00"]] for d in range(7)})
    make_policy(targets={"first_reply": 60, "next_reply": 120, "resolution": 480})
    agent = make_user("agent")
    headers = api_token(agent)
    response = client.post("/api/v1/tickets", json={"subject": "Export", "body": "Empty export",
                                                    "requester_email": "ana@acme.example"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()
    created = ticket["created_at"]
    sla = {row["metric"]: row for row in ticket["sla"]}
    assert list(sla) == ["first_reply", "resolution"]
    assert set(sla["first_reply"]) == {"metric", "due_at", "achieved_at", "breached", "paused"}
    from datetime import datetime

    start = datetime.fromisoformat(created)
    assert datetime.fromisoformat(sla["first_reply"]["due_at"]) - start == timedelta(minutes=60)
    assert sla["first_reply"]["achieved_at"] is None and sla["first_reply"]["breached"] is False

    reply = client.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "On it", "public": True},
                        headers=headers)
    assert reply.status_code == 201
    body = client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers).get_json()
    first = {row["metric"]: row for row in body["sla"]}["first_reply"]
    assert first["achieved_at"] is not None and first["breached"] is False

    client.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "pending"}, headers=headers)
    body = client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers).get_json()
    resolution = {row["metric"]: row for row in body["sla"]}["resolution"]
    assert resolution["paused"] is True and resolution["due_at"] is None


def test_a_ticket_no_policy_applies_to_has_an_empty_sla_list(client, db, make_user, make_policy, api_token):
    make_policy(conditions={"plans": ["enterprise"]})
    headers = api_token(make_user("agent"))
    response = client.post("/api/v1/tickets", json={"subject": "Hi", "body": "Question",
                                                    "requester_email": "bo@example.org"}, headers=headers)
    assert response.get_json()["sla"] == []
    listed = client.get("/api/v1/tickets", headers=headers).get_json()
    assert listed["items"][0]["sla"] == []


def test_an_overdue_target_reads_breached_before_the_sweep_runs(client, db, make_user, make_policy, make_ticket,
                                                                 api_token):
    make_policy(targets={"first_reply": 30}, business_hours=False)
    ticket = make_ticket(make_user("customer"), now=utcnow() - timedelta(hours=1))
    headers = api_token(make_user("agent"))
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).get_json()
    assert body["sla"][0]["metric"] == "first_reply" and body["sla"][0]["breached"] is True
