"""Ticket workflow rules: pure data and functions, no Flask, no database."""

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
ACTIVE_STATUSES = ("new", "open", "pending", "on_hold")

# Each status and the statuses it may move to. Closed is final.
TRANSITIONS = {
    "new": {"open", "pending", "on_hold", "solved"},
    "open": {"new", "pending", "on_hold", "solved"},
    "pending": {"new", "open", "on_hold", "solved"},
    "on_hold": {"new", "open", "pending", "solved"},
    "solved": {"open", "closed"},
    "closed": set(),
}

PRIORITIES = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
PRIORITY_NAMES = {v: k for k, v in PRIORITIES.items()}
CHANNELS = ("web", "email", "api")

SUBJECT_MAX = 250
BODY_MAX = 65_000
TAG_MAX = 64


def can_transition(old, new):
    return new in TRANSITIONS.get(old, set())


def is_reopen(old, new):
    return old == "solved" and new == "open"


def normalize_tag(raw):
    """Tags are lower-case words joined by dashes: 'Billing Issue' → 'billing-issue'."""
    tag = "-".join(str(raw).strip().lower().split())
    return tag


def subject_from_body(body, limit=80):
    """A subject for tickets that came without one: the first line, cut at a word."""
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return (cut or first[:limit]) + "…"
