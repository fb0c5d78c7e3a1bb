"""The OpenAPI document and the public KB search endpoint."""

import pytest


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_document_lists_every_path_and_method(spec):
    assert spec["openapi"].startswith("3.")
    operations = {(path, method) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert operations == {
        ("/api/v1/tickets", "get"), ("/api/v1/tickets", "post"),
        ("/api/v1/tickets/{ticket_id}", "get"), ("/api/v1/tickets/{ticket_id}", "patch"),
        ("/api/v1/tickets/{ticket_id}/messages", "post"),
        ("/api/v1/kb/search", "get"),
        ("/api/v1/topics", "get"), ("/api/v1/topics/{topic_id}", "get"),
        ("/api/v1/feedback", "get"),
        ("/api/v1/accounts", "get"), ("/api/v1/accounts/{organization_id}", "get"),
        ("/api/v1/accounts/{organization_id}/usage", "post"),
    }


def _schema(spec, ref_holder):
    ref = ref_holder["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _request_schema(spec, path, method):
    return _schema(spec, spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"])


def test_request_bodies_come_from_the_validating_schemas(spec):
    create = _request_schema(spec, "/api/v1/tickets", "post")
    assert set(create["properties"]) >= {"subject", "body", "requester_email", "priority", "organization"}
    assert set(create["required"]) == {"subject", "body"}
    assert create["properties"]["priority"]["enum"] == ["low", "normal", "high", "urgent"]
    assert create["properties"]["subject"]["maxLength"] == 250
    assert create["properties"]["requester_email"]["format"] == "email"

    message = _request_schema(spec, "/api/v1/tickets/{ticket_id}/messages", "post")
    assert set(message["properties"]) == {"body", "public"} and set(message["required"]) == {"body", "public"}

    update = _request_schema(spec, "/api/v1/tickets/{ticket_id}", "patch")
    assert set(update["properties"]) == {"status", "priority", "assignee_email", "group", "tags"}
    assert "closed" in update["properties"]["status"]["enum"]


def test_query_parameters_are_documented(spec):
    params = {p["name"]: p for p in spec["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert set(params) >= {"status", "priority", "assignee", "organization", "q", "page", "per_page", "sort"}
    assert params["per_page"]["schema"]["maximum"] == 100
    assert params["page"]["schema"]["minimum"] == 1
    kb = {p["name"] for p in spec["paths"]["/api/v1/kb/search"]["get"]["parameters"]}
    assert kb == {"q", "locale", "limit"}


def test_responses_and_security_are_documented(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/api/v1/kb/search"]["get"]["security"] == []
    ticket = _schema(spec, spec["paths"]["/api/v1/tickets"]["post"]["responses"]["201"]["content"]
                     ["application/json"]["schema"])
    assert {"id", "number", "requester_email", "sla", "tags"} <= set(ticket["properties"])
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error"}


def test_kb_search_answers_with_an_empty_result_list_for_now(client):
    response = client.get("/api/v1/kb/search?q=refund&locale=zh_hant&limit=5")
    assert response.status_code == 200
    assert response.get_json() == {"results": []}


@pytest.mark.parametrize("query, status, field", [
    ("q=x&limit=101", 422, "limit"),
    ("q=x&limit=0", 422, "limit"),
    ("q=x&limit=lots", 400, "limit"),
    ("q=x&locale=not a locale", 422, "locale"),
])
def test_kb_search_validates_its_parameters(client, error_of, query, status, field):
    error = error_of(client.get(f"/api/v1/kb/search?{query}"), status)
    assert error["message"].startswith(f"{field}: ")


def test_kb_search_accepts_long_queries_by_cutting_them(client):
    assert client.get("/api/v1/kb/search?q=" + "refund " * 400).status_code == 200
