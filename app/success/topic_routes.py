"""CSM topic pages (/success/topics)."""

from app.success import bp  # noqa: F401
