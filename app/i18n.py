"""Language and time-zone selection, and the filters that show times in the viewer's zone."""

from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import format_datetime
from flask_login import current_user

from app.core.locales import normalize_locale


def _supported():
    return current_app.config["LANGUAGES"]


def select_locale():
    wanted = request.args.get("lang") if request else None
    if wanted:
        code = normalize_locale(wanted)
        if code in _supported():
            return code
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.locale in _supported():
        return user.locale
    if request:
        return request.accept_languages.best_match(_supported(), default="en")
    return "en"


def select_timezone():
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.timezone:
        return user.timezone
    return "UTC"


def register_filters(app):
    @app.template_filter("datetime")
    def _datetime(value, fmt="medium"):
        if value is None:
            return ""
        return format_datetime(value, fmt)

    @app.template_filter("isotime")
    def _isotime(value):
        return value.isoformat() if value else ""

    @app.template_global()
    def known_timezone(name):
        try:
            ZoneInfo(name)
            return True
        except Exception:
            return False
