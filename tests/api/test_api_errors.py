"""Every error under /api/v1/ is {"error": {"code", "message"}} with the contract's pairs."""

import pytest


@pytest.fixture
def agent_headers(token_for):
    return token_for("agent")[1]


def test_malformed_json_is_400(client, agent_headers, error_of, row_counts):
    before = row_counts()
    response = client.post("/api/v1/tickets", headers={**agent_headers, "Content-Type": "application/json"},
                           data='{"subject": "x", "body": ')
    error = error_of(response, 400)
    assert error["code"] == "bad_request"
    assert "JSON" in error["message"]
    assert row_counts() == before


def test_body_that_is_not_json_is_400(client, agent_headers, error_of):
    response = client.post("/api/v1/tickets", headers=agent_headers,
                           data={"subject": "x", "body": "y", "requester_email": "a@b.example"})
    error = error_of(response, 400)
    assert error["code"] == "bad_request" and "application/json" in error["message"]


def test_json_that_is_not_an_object_is_422(client, agent_headers, error_of):
    error = error_of(client.post("/api/v1/tickets", headers=agent_headers, json=["a", "b"]), 422)
    assert error["code"] == "validation_error"


@pytest.mark.parametrize("query, field", [
    ("page=abc", "page"),
    ("per_page=ten", "per_page"),
    ("page=1.5", "page"),
])
def test_malformed_parameter_is_400_naming_it(client, agent_headers, error_of, query, field):
    error = error_of(client.get(f"/api/v1/tickets?{query}", headers=agent_headers), 400)
    assert error["code"] == "bad_request"
    assert error["message"].startswith(f"{field}: ")


@pytest.mark.parametrize("query, field", [
    ("per_page=101", "per_page"),
    ("per_page=0", "per_page"),
    ("page=0", "page"),
    ("page=-3", "page"),
    ("status=open,archived", "status"),
    ("priority=critical", "priority"),
    ("sort=subject", "sort"),
    ("assignee=not-an-address", "assignee"),
    ("q=" + "x" * 1001, "q"),
])
def test_invalid_parameter_is_422_naming_it(client, agent_headers, error_of, query, field):
    error = error_of(client.get(f"/api/v1/tickets?{query}", headers=agent_headers), 422)
    assert error["code"] == "validation_error"
    assert error["message"].startswith(f"{field}: ")


def test_unknown_enum_value_message_lists_the_choices(client, agent_headers, error_of):
    error = error_of(client.get("/api/v1/tickets?status=archived", headers=agent_headers), 422)
    assert "'archived'" in error["message"] and "on_hold" in error["message"]


@pytest.mark.parametrize("payload, field", [
    ({"subject": "x", "body": "y", "requester_email": "a@b.example", "priority": "critical"}, "priority"),
    ({"subject": "x", "body": "y", "requester_email": "not an e-mail"}, "requester_email"),
    ({"subject": "x" * 251, "body": "y", "requester_email": "a@b.example"}, "subject"),
    ({"subject": "x", "requester_email": "a@b.example"}, "body"),
    ({"subject": "x", "body": "", "requester_email": "a@b.example"}, "body"),
    ({"subject": "x", "body": "y", "requester_email": "a@b.example", "language": "not a language"}, "language"),
    ({"subject": "x", "body": "y", "requester_email": "a@b.example", "colour": "red"}, "colour"),
    ({"subject": 5, "body": "y", "requester_email": "a@b.example"}, "subject"),
])
def test_invalid_ticket_is_422_and_stores_nothing(client, agent_headers, error_of, row_counts, payload, field):
    before = row_counts()
    error = error_of(client.post("/api/v1/tickets", headers=agent_headers, json=payload), 422)
    assert error["code"] == "validation_error"
    assert error["message"].startswith(f"{field}: "), error["message"]
    assert row_counts() == before


def test_unknown_route_under_api_is_json_404(client, agent_headers, error_of):
    for path in ("/api/v1/nothing-here", "/api/v1/tickets/abc", "/api/v2/tickets", "/api/v1/no-such-area"):
        error = error_of(client.get(path, headers=agent_headers), 404)
        assert error["code"] == "not_found"


def test_unknown_route_without_token_is_still_json(client, error_of):
    assert error_of(client.get("/api/v1/nothing-here"), 404)["code"] == "not_found"


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/api/v1/tickets"),
    ("PUT", "/api/v1/tickets/1"),
    ("GET", "/api/v1/tickets/1/messages"),
    ("POST", "/api/v1/openapi.json"),
    ("POST", "/api/v1/kb/search"),
])
def test_wrong_method_is_json_405(client, agent_headers, error_of, method, path):
    error = error_of(client.open(path, method=method, headers=agent_headers), 405)
    assert error["code"] == "method_not_allowed"


def test_pages_keep_their_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_huge_ticket_id_is_404_not_a_crash(client, agent_headers, error_of):
    assert error_of(client.get("/api/v1/tickets/99999999999999", headers=agent_headers), 404)["code"] == "not_found"
