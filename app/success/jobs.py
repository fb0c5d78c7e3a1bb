"""Topic mining jobs."""
