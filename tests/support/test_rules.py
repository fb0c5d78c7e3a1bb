import pytest

from app.core.locales import normalize_locale
from app.support import rules

ALL_PAIRS = [(a, b) for a in rules.STATUSES for b in rules.STATUSES if a != b]
ALLOWED = {
    ("new", "open"), ("new", "pending"), ("new", "on_hold"), ("new", "solved"),
    ("open", "new"), ("open", "pending"), ("open", "on_hold"), ("open", "solved"),
    ("pending", "new"), ("pending", "open"), ("pending", "on_hold"), ("pending", "solved"),
    ("on_hold", "new"), ("on_hold", "open"), ("on_hold", "pending"), ("on_hold", "solved"),
    ("solved", "open"), ("solved", "closed"),
}


@pytest.mark.parametrize("old,new", ALL_PAIRS)
def test_transition_table(old, new):
    assert rules.can_transition(old, new) is ((old, new) in ALLOWED)


def test_closed_is_final():
    assert not any(rules.can_transition("closed", s) for s in rules.STATUSES)


def test_only_solved_to_open_is_a_reopen():
    assert rules.is_reopen("solved", "open")
    assert not rules.is_reopen("pending", "open")


@pytest.mark.parametrize("raw,expected", [
    ("en", "en"), ("EN", "en"), ("zh_hant", "zh-Hant"), ("zh-HANT", "zh-Hant"), ("zh_Hans", "zh-Hans"),
    ("ja", "ja"), ("en_us", "en-US"), ("bg", "bg"), ("", None), ("english!", None), (None, None),
])
def test_normalize_locale(raw, expected):
    assert normalize_locale(raw) == expected


@pytest.mark.parametrize("raw,expected", [("Billing Issue", "billing-issue"), ("  VIP ", "vip")])
def test_normalize_tag(raw, expected):
    assert rules.normalize_tag(raw) == expected


def test_subject_from_body_cuts_at_a_word():
    body = "\n\nMy export to CSV has been empty since the last update and I need it for the audit tomorrow"
    subject = rules.subject_from_body(body, limit=40)
    assert subject.startswith("My export to CSV") and subject.endswith("…") and len(subject) <= 41
