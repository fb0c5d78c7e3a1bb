import re

import pytest

from app.models.sla import BusinessCalendar

ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(7)}


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin", email="boss@tandem.example")
    login(user)
    return user


@pytest.fixture
def count(db):
    def do(model, *where):
        return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))

    return do


@pytest.fixture
def make_calendar(db):
    def make(name="Office", timezone="UTC", hours=None, is_default=False, holidays=()):
        from app.models.sla import CalendarHoliday

        calendar = BusinessCalendar(
            name=name, timezone=timezone, hours=hours or ALL_DAY, is_default=is_default,
            holidays=[CalendarHoliday(start_date=s, end_date=e, name=n) for s, e, n in holidays])
        db.session.add(calendar)
        db.session.commit()
        return calendar

    return make


@pytest.fixture
def csrf_token():
    """csrf_token(response) → the CSRF token in a rendered form."""

    def find(response):
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                          response.get_data(as_text=True))
        assert match, "no CSRF token in the page"
        return match.group(1) or match.group(2)

    return find
