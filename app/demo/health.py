"""Demo health scores, NPS answers and segments."""


def seed_health(demo):
    pass
