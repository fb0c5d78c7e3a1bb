from flask import Blueprint

# Views live in routes.py, imported by create_app, so importing rules or services stays light.

bp = Blueprint("auth", __name__)
