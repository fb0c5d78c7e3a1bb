"""Demo playbooks: onboarding and recurring-topic outreach."""


def seed_playbooks(demo):
    pass
