"""Helpers for the customer side: files to upload, CSRF tokens, a real SMTP server."""

import io
import re

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def png():
    """(stream, filename) for a small valid PNG, as the test client uploads files."""
    return lambda name="screenshot.png": (io.BytesIO(PNG), name)


@pytest.fixture
def csrf_token():
    def token_in(response):
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
        assert match, "no CSRF token in the page"
        return match.group(1)

    return token_in


@pytest.fixture
def count(db):
    """count(Model) → rows in its table."""
    return lambda model: db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def new_uploads(app):
    """new_uploads() → files written under UPLOAD_DIR (shared by the session's tests) since the test began."""
    from pathlib import Path

    folder = Path(app.config["UPLOAD_DIR"])
    before = {p for p in folder.rglob("*") if p.is_file()}
    return lambda: {p for p in folder.rglob("*") if p.is_file()} - before


