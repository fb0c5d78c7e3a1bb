"""Configuration read from the environment when the app is created, never at import time."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
MODES = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """Start-up refused because the environment is incomplete or wrong."""


def _flag(value, default):
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(environ, name, default):
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _non_negative_int(environ, name, default):
    value = _int(environ, name, default)
    if value < 0:
        raise ConfigError(f"{name} must be 0 or more, got {environ.get(name)!r}")
    return value


def _positive_float(environ, name, default):
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if not value > 0:
        raise ConfigError(f"{name} must be above 0, got {raw!r}")
    return value


def load_config(environ=None, mode=None):
    """Build the settings dict for one mode from an environment mapping.

    `DATABASE_URL` never switches the mode; only `TANDEM_ENV` (or `mode`) does.
    """
    environ = os.environ if environ is None else environ
    mode = (mode or environ.get("TANDEM_ENV") or "development").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"TANDEM_ENV must be one of {', '.join(MODES)}, got {mode!r}")

    instance_dir = Path(environ.get("TANDEM_INSTANCE_PATH") or BASE_DIR / "instance")
    secret = environ.get("SECRET_KEY")
    if not secret:
        if mode == "production":
            raise ConfigError(
                "SECRET_KEY is required in production: set it to a long random string "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        secret = secrets.token_hex(32)

    if mode == "testing":
        default_db = "sqlite://"
    else:
        default_db = f"sqlite:///{instance_dir / 'tandem.db'}"
    database_url = environ.get("DATABASE_URL") or default_db
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    redis_url = environ.get("REDIS_URL") or None
    ratelimit_default = mode != "testing"

    cfg = {
        "TANDEM_ENV": mode,
        "TESTING": mode == "testing",
        "DEBUG": False,
        "SECRET_KEY": secret,
        "INSTANCE_DIR": str(instance_dir),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # A pooled PostgreSQL connection idle this long is checked with a round trip before use;
        # one in steady use is not (SQLAlchemy's pool_pre_ping would cost a round trip per request).
        "DB_PING_AFTER_IDLE_SECONDS": _positive_float(environ, "DB_PING_AFTER_IDLE_SECONDS", 5.0),
        # See app/core/blas.py: more BLAS threads only contend with the request threads.
        "BLAS_THREADS": _non_negative_int(environ, "BLAS_THREADS", 1),
        "REDIS_URL": redis_url,
        "RQ_QUEUES": ["high", "default", "low"],
        # Several deployments (or parallel test runs) can share one Redis under different prefixes.
        "RQ_QUEUE_PREFIX": environ.get("RQ_QUEUE_PREFIX") or "tandem",
        "JOB_RETRY_AFTER_SECONDS": _int(environ, "JOB_RETRY_AFTER_SECONDS", 300),
        "JOB_TIMEOUT_SECONDS": _int(environ, "JOB_TIMEOUT_SECONDS", 600),
        "JOB_KEEP_DONE_DAYS": _int(environ, "JOB_KEEP_DONE_DAYS", 7),
        # Periodic jobs in the web process only in the embedded default (no Redis).
        "SCHEDULER_IN_PROCESS": _flag(environ.get("SCHEDULER_IN_PROCESS"), redis_url is None and mode != "testing"),
        "RATELIMIT_ENABLED": _flag(environ.get("RATELIMIT_ENABLED"), ratelimit_default),
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI") or redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_LOGIN": environ.get("RATELIMIT_LOGIN") or "10 per 15 minutes",
        "RATELIMIT_TICKET_FORM": environ.get("RATELIMIT_TICKET_FORM") or "10 per minute",
        "RATELIMIT_API": environ.get("RATELIMIT_API") or "600 per minute",
        "MAIL_SERVER": environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int(environ, "MAIL_PORT", 25),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(environ.get("MAIL_USE_TLS"), False),
        "MAIL_FROM": environ.get("MAIL_FROM") or "Tandem Support <support@tandem.example>",
        "BASE_URL": (environ.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "UPLOAD_DIR": environ.get("UPLOAD_DIR") or str(instance_dir / "uploads"),
        "MAX_UPLOAD_BYTES": _int(environ, "MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
        "MAX_UPLOAD_TOTAL_BYTES": _int(environ, "MAX_UPLOAD_TOTAL_BYTES", 25 * 1024 * 1024),
        "MAX_UPLOAD_FILES": _int(environ, "MAX_UPLOAD_FILES", 10),
        # The whole request: every attachment together plus room for the form's text fields.
        "MAX_CONTENT_LENGTH": _int(environ, "MAX_UPLOAD_TOTAL_BYTES", 25 * 1024 * 1024) + 1024 * 1024,
        "PASSWORD_TOKEN_MAX_AGE": _int(environ, "PASSWORD_TOKEN_MAX_AGE", 3 * 24 * 3600),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ["en", "ru", "bg", "zh-Hant", "zh-Hans", "ja"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": mode == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "API_TITLE": "Tandem API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "QUEUE_COUNT_TTL": _int(environ, "QUEUE_COUNT_TTL", 0 if mode == "testing" else 60),
        # New tickets read the active SLA policies from a per-process copy at most this old (an edit
        # in the same process is seen at once); 0 reads them every time.
        "SLA_POLICY_CACHE_SECONDS": _int(environ, "SLA_POLICY_CACHE_SECONDS", 0 if mode == "testing" else 1),
        "CSAT_LINK_MAX_AGE": _int(environ, "CSAT_LINK_MAX_AGE", 30 * 24 * 3600),
        "SOLVED_CLOSE_AFTER_DAYS": _int(environ, "SOLVED_CLOSE_AFTER_DAYS", 4),
        # Topic spikes: the last 7 days against the 4 weeks before, at least this ratio and count.
        "TOPIC_SPIKE_RATIO": _positive_float(environ, "TOPIC_SPIKE_RATIO", 1.5),
        "TOPIC_SPIKE_MIN": _int(environ, "TOPIC_SPIKE_MIN", 5),
        # Full topic mining (seconds between runs; nightly by default). Read when the app starts.
        "TOPIC_MINE_EVERY": _int(environ, "TOPIC_MINE_EVERY", 86400),
        # Embed and attach each new or imported ticket as it arrives. The test suite leaves it off
        # (loading the encoders costs seconds per process); tests/success_topics switches it on.
        "TOPIC_ATTACH_ON_ARRIVAL": _flag(environ.get("TOPIC_ATTACH_ON_ARRIVAL"), mode != "testing"),
    }
    return cfg
