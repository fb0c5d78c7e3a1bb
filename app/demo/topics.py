"""Demo topics: mines the seeded tickets, adds product feedback."""


def seed_topics(demo):
    pass
