import re

import pytest


@pytest.fixture
def limited_app(app):
    """A second app on the same database with rate limits on, as in production.

    Flask-Limiter only installs its hooks when an app starts with limits enabled, so the limits
    cannot be switched on for the session's app; afterwards the shared limiter is switched off
    and emptied again for the other tests.
    """
    from app import create_app
    from app.extensions import limiter

    keys = ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "BASE_URL", "SECRET_KEY")
    limited = create_app({
        "TANDEM_ENV": "testing", **{k: app.config[k] for k in keys},
        "REDIS_URL": None, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "WTF_CSRF_ENABLED": False, "SCHEDULER_IN_PROCESS": False, "MAIL_SERVER": None,
    })
    limiter.reset()
    yield limited
    limiter.reset()
    limiter.enabled = False
    from app.extensions import db

    with limited.app_context():
        db.engine.dispose()  # its own connection pool; close it rather than leave it to the GC


@pytest.fixture
def csrf_token():
    """csrf_token(response) → the CSRF token in a rendered form."""
    return _token_in


def _token_in(response):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      response.get_data(as_text=True))
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)
