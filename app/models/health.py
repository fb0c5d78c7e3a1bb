"""Account health: scores and history, weight profiles, NPS, usage figures, segments."""
