"""Staff knowledge-base editor (/kb/manage/)."""

from app.kb import bp  # noqa: F401
