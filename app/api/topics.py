"""Topics over the API."""
