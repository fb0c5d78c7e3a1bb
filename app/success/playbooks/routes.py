"""Playbook and task pages."""

from app.success import bp  # noqa: F401
