"""Product feedback over the API."""
