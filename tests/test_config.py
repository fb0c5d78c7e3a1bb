import pytest

from app import create_app
from config import ConfigError, load_config


def test_production_requires_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"TANDEM_ENV": "production"})


def test_database_url_alone_never_switches_mode():
    cfg = load_config({"DATABASE_URL": "postgresql://u@h/db"})
    assert cfg["TANDEM_ENV"] == "development"
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_defaults_embedded_sqlite_and_in_process_jobs():
    cfg = load_config({})
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and cfg["REDIS_URL"] is None
    assert cfg["RATELIMIT_ENABLED"] is True
    assert load_config({"TANDEM_ENV": "testing"})["RATELIMIT_ENABLED"] is False
    assert load_config({"RATELIMIT_ENABLED": "false"})["RATELIMIT_ENABLED"] is False


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="TANDEM_ENV"):
        load_config({"TANDEM_ENV": "staging"})


def test_production_adds_hsts(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app({"TANDEM_ENV": "production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
                      "SCHEDULER_IN_PROCESS": False})
    response = app.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]
