"""Account, segment and dashboard pages."""

from app.success import bp  # noqa: F401
