"""`flask kb import` and `flask kb search`."""


def register(app):
    pass
