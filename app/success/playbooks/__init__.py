"""Playbooks, triggers and CSM tasks."""
