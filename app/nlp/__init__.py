"""Text processing shared by knowledge-base search and topic mining."""
