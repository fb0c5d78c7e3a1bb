"""Trigger evaluation and due playbook steps."""
