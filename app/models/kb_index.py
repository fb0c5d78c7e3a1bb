"""The knowledge-base search index: what the engine stores per article."""
