"""Playbooks: templates and steps, runs, CSM tasks, trigger bookkeeping."""
