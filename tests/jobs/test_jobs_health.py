"""/healthz: database and Redis status as JSON; 503 when something Tandem needs is down."""

import os

import pytest


def test_healthy_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True and body["database"]["dialect"] in ("sqlite", "postgresql")
    assert body["redis"] == {"ok": True, "configured": False, "jobs": "in-process"}
    assert response.headers["Cache-Control"] == "no-store"


def test_503_when_redis_is_configured_but_down(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded" and body["database"]["ok"] is True
    assert body["redis"]["ok"] is False and body["redis"]["configured"] is True and body["redis"]["error"]


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set: no Redis to check")
def test_healthy_with_redis(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", os.environ["TEST_REDIS_URL"])
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["redis"] == {"ok": True, "configured": True, "jobs": "rq"}


def test_503_when_the_database_is_down(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.extensions import db

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    database = response.get_json()["database"]
    assert database["ok"] is False and database["error"] == "OperationalError"
