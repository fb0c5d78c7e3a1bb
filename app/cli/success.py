"""`flask success …` commands."""


def register(app):
    pass
