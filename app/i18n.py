"""Language and time-zone selection, labels for stored codes, and the filters that show times in
the viewer's zone and language."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from urllib.parse import urlencode, urlsplit

from flask import abort, current_app, has_request_context, redirect, request, session, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.locales import normalize_locale

# Stored codes stay English; people read these labels in their language.
ROLE_LABELS = {
    "customer": _l("Customer"),
    "agent": _l("Agent"),
    "csm": _l("Customer success manager"),
    "admin": _l("Admin"),
}
STAGE_LABELS = {
    "onboarding": _l("Onboarding"),
    "adopting": _l("Adopting"),
    "mature": _l("Mature"),
    "renewal": _l("Renewal"),
    "churned": _l("Churned"),
}
STATUS_LABELS = {
    "new": _l("New"),
    "open": _l("Open"),
    "pending": _l("Pending"),
    "on_hold": _l("On hold"),
    "solved": _l("Solved"),
    "closed": _l("Closed"),
}
PRIORITY_LABELS = {
    "low": _l("Low"),
    "normal": _l("Normal"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}


# Each language's own name, for the switcher at the foot of every page.
LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Русский",
    "bg": "Български",
    "zh-Hant": "繁體中文",
    "zh-Hans": "简体中文",
    "ja": "日本語",
}
SESSION_KEY = "lang"
# Pages whose address records something (one-click CSAT and NPS answers): switching language on
# them must not visit them again, so the switcher leads to the help center instead.
NO_RETURN_ENDPOINTS = {"support.csat_rate", "support.csat_comment", "success.nps_answer"}
# Click and suggestion tracking on article links: counted once, not again per language.
TRACKING_ARGS = {"s", "sid", "lang"}
_RETURN_KEY = "tandem.language_return"  # request.environ key of a view's fixed return path


def _supported():
    return current_app.config["LANGUAGES"]


def _chosen(value):
    """A supported BCP 47 code for `value`, or None."""
    code = normalize_locale(value) if value else None
    return code if code in _supported() else None


def _signed_in_user():
    if not has_request_context():
        return None
    user = current_user
    return user if getattr(user, "is_authenticated", False) else None


def select_locale():
    if not has_request_context():
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    return _babel_code(chosen_language() or "en")


def remember_language():
    """before_request: keep a language picked with ?lang= for the visitor's next pages."""
    code = _chosen(request.args.get("lang"))
    if code and session.get(SESSION_KEY) != code:
        session[SESSION_KEY] = code


def set_language(code):
    """GET /language/<code>?next=/path: remember the language for the visit and go back."""
    code = _chosen(code)
    if code is None:
        abort(404)
    session[SESSION_KEY] = code
    return redirect(_local_path(request.args.get("next")))


def _local_path(target):
    """`target` when it is a path on this site, else the help center (never another host)."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("support.home")
    return target


def _return_path():
    """Where the switcher brings the visitor back: this page without language and tracking
    arguments (all values of repeated ones kept). After a form was sent, and on pages whose address
    records something, the help center. A view may fix it with `set_language_return`."""
    fixed = request.environ.get(_RETURN_KEY)
    if fixed:
        return fixed
    if request.method != "GET" or request.endpoint is None or request.endpoint in NO_RETURN_ENDPOINTS:
        return url_for("support.home")
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in TRACKING_ARGS]
    return request.path + ("?" + urlencode(args) if args else "")


def set_language_return(path):
    """This request's switcher links come back to `path` (a page that ignores its query arguments)."""
    request.environ[_RETURN_KEY] = path


def chosen_language():
    """The visitor's language as BCP 47 when they or their browser chose one Tandem speaks (not the
    English fallback for an unsupported browser language), else None. A language picked in the
    switcher (this request's ?lang=, then the one remembered) beats the account's and the browser's."""
    if not has_request_context():
        return None
    code = _chosen(request.args.get("lang")) or _chosen(session.get(SESSION_KEY))
    if code:
        return code
    user = _signed_in_user()
    if user is not None and user.locale in _supported():
        return user.locale
    return request.accept_languages.best_match(_supported())


def interface_language():
    """The interface language of this request, as BCP 47 (zh-Hant)."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale else "en"


def _babel_code(code):
    # Babel names locales with '_' (zh_Hant); the rest of Tandem speaks BCP 47 (zh-Hant).
    return code.replace("-", "_")


def select_timezone():
    user = _signed_in_user()
    if user is not None and user.timezone and known_timezone(user.timezone):
        return user.timezone
    return "UTC"


def known_timezone(name):
    try:
        ZoneInfo(name)
        return True
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False


def register_filters(app):
    @app.template_filter("datetime")
    def _datetime(value, fmt="medium"):
        """An aware UTC time shown in the viewer's zone and language."""
        if value is None:
            return ""
        return format_datetime(value, fmt)

    @app.template_filter("date")
    def _date(value, fmt="medium"):
        if value is None:
            return ""
        if isinstance(value, datetime):
            return format_datetime(value, "medium" if fmt == "medium" else fmt)
        if isinstance(value, date):
            return format_date(value, fmt)
        return str(value)

    @app.template_filter("isotime")
    def _isotime(value):
        return value.isoformat() if value else ""

    @app.template_filter("money")
    def _money(value):
        return format_decimal(value or 0, format="#,##0.00")

    app.add_template_global(known_timezone, "known_timezone")
    app.add_template_global(get_locale, "get_locale")

    @app.template_global()
    def role_label(code):
        return ROLE_LABELS.get(code, code)

    @app.template_global()
    def stage_label(code):
        return STAGE_LABELS.get(code, code)

    @app.template_global()
    def status_label(code):
        return STATUS_LABELS.get(code, code)

    @app.template_global()
    def priority_label(code):
        return PRIORITY_LABELS.get(code, code)

    app.add_template_global(interface_language, "html_lang")

    @app.template_global()
    def language_links():
        """[(code, name, url, current)]: the switcher's links, each back to this page."""
        current = interface_language()
        back = _return_path()
        return [(code, LANGUAGE_NAMES.get(code, code), url_for("set_language", code=code, next=back), code == current)
                for code in _supported()]

    app.before_request(remember_language)
    app.add_url_rule("/language/<code>", "set_language", set_language)
