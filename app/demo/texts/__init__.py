"""Demo ticket texts: the same recurring problems written by customers in six languages.

Each language module defines TOPICS (topic key → subject, body, reply, note templates), REPORTS
and the generic follow-up texts. Templates take {name} (the requester's first name), {report},
{integration}, {app}, {invoice}, {n} and {amount}. TOPIC_META says how agents file each topic.
"""

import importlib

LANGUAGES = ("en", "ru", "bg", "zh-Hant", "zh-Hans", "ja")

TOPIC_META = {
    "export_empty": {"tags": ["export", "reports"], "group": "Technical"},
    "double_charge": {"tags": ["billing", "payment"], "group": "Billing"},
    "invoice_details": {"tags": ["billing", "invoice"], "group": "Billing"},
    "sso_login": {"tags": ["sso", "login"], "group": "Accounts"},
    "password_reset": {"tags": ["login", "password"], "group": "Accounts"},
    "add_seats": {"tags": ["plan", "seats"], "group": "Accounts"},
    "integration_sync": {"tags": ["integration", "sync"], "group": "Technical"},
    "api_rate_limit": {"tags": ["api", "rate-limit"], "group": "Technical"},
    "mobile_crash": {"tags": ["mobile", "crash"], "group": "Technical"},
    "dashboard_slow": {"tags": ["performance", "dashboard"], "group": "Technical"},
    "notifications_missing": {"tags": ["notifications", "email"], "group": "Technical"},
    "cancel_refund": {"tags": ["billing", "cancellation"], "group": "Billing"},
}

# Product nouns that read the same in every language.
INTEGRATIONS = ("Salesforce", "HubSpot", "Slack", "Jira", "Zapier", "Google Sheets")
APPS = ("iOS", "Android")

_MODULES = {"en": "en", "ru": "ru", "bg": "bg", "zh-Hant": "zh_hant", "zh-Hans": "zh_hans", "ja": "ja"}


def texts_for(language):
    """The text module of one language (en, ru, bg, zh-Hant, zh-Hans, ja)."""
    return importlib.import_module(f"{__name__}.{_MODULES[language]}")
