"""Knowledge base content: categories, articles, translations, votes, views, search log."""
