"""Account health, NPS, usage figures and segments."""
