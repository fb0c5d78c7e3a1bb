"""Demo knowledge base: categories and articles in several languages."""


def seed_kb_articles(demo):
    pass
