"""Knowledge-base index jobs."""
