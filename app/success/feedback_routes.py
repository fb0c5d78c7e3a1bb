"""Product feedback pages (/success/feedback)."""

from app.success import bp  # noqa: F401
