"""Health recompute and NPS jobs."""
