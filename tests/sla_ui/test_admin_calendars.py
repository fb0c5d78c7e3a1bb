"""Admin: business calendars and which group uses which. Bad input stores nothing."""

from datetime import date, datetime, timezone

import pytest

from app.models import Group, JobRecord
from app.models.sla import BusinessCalendar, CalendarHoliday

WEEK = {"hours_0": "09:00-12:00, 13:00-17:00", "hours_1": "09:00-17:00", "hours_2": "09:00-17:00",
        "hours_3": "09:00-17:00", "hours_4": "09:00-15:00", "hours_5": "", "hours_6": ""}


def calendar_form(**overrides):
    data = {"name": "Sofia office", "timezone": "Europe/Sofia", "holidays": "", **WEEK}
    data.update(overrides)
    return data


def test_create_a_calendar_with_intervals_and_holidays(client, db, admin, count):
    page = client.get("/admin/sla/calendars/new")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'value="09:00-17:00"' in body and "Europe/Sofia" in body  # a working week to start from, every zone

    response = client.post("/admin/sla/calendars/new", data=calendar_form(
        holidays="2026-12-24 .. 2026-12-26 Christmas\n2026-03-03 Liberation Day"))
    assert response.status_code == 303
    calendar = db.session.scalar(db.select(BusinessCalendar))
    assert response.headers["Location"].endswith(f"/admin/sla/calendars/{calendar.id}")
    assert calendar.timezone == "Europe/Sofia"
    assert calendar.hours["0"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert calendar.hours["4"] == [["09:00", "15:00"]] and calendar.hours["6"] == []
    assert [(h.start_date, h.end_date, h.name) for h in calendar.holidays] == [
        (date(2026, 3, 3), date(2026, 3, 3), "Liberation Day"),
        (date(2026, 12, 24), date(2026, 12, 26), "Christmas"),
    ]
    assert calendar.is_default  # the first calendar is the default: groups without one need it

    shown = client.get(f"/admin/sla/calendars/{calendar.id}").get_data(as_text=True)
    assert "2026-12-24 .. 2026-12-26 Christmas" in shown
    assert 'value="09:00-12:00, 13:00-17:00"' in shown
    assert "Sofia office" in client.get("/admin/sla/calendars/").get_data(as_text=True)


def test_edit_replaces_hours_and_holidays_and_moves_the_default(client, db, admin, make_calendar):
    first = make_calendar("Head office", is_default=True, holidays=[(date(2026, 1, 1), date(2026, 1, 1), "New Year")])
    second = make_calendar("Night shift")
    response = client.post(f"/admin/sla/calendars/{second.id}", data=calendar_form(
        name="Night shift", timezone="America/New_York", is_default="y", hours_0="00:00-06:00, 22:00-24:00",
        holidays="2026-07-04 Independence Day"))
    assert response.status_code == 303
    db.session.expire_all()
    assert second.is_default and not first.is_default
    assert second.hours["0"] == [["00:00", "06:00"], ["22:00", "24:00"]]
    assert [h.name for h in second.holidays] == ["Independence Day"]
    assert [h.name for h in first.holidays] == ["New Year"]

    # The default cannot be switched off by itself: another calendar has to become the default.
    response = client.post(f"/admin/sla/calendars/{second.id}", data=calendar_form(name="Night shift"))
    assert response.status_code == 422
    assert "make another calendar the default" in response.get_data(as_text=True)
    db.session.expire_all()
    assert second.is_default


@pytest.mark.parametrize("overrides, message", [
    ({"hours_0": "09:00-12:00, 11:00-13:00"}, "overlap"),
    ({"hours_2": "17:00-09:00"}, "ends before it starts"),
    ({"hours_3": "9 to 5pm"}, "not a time of day"),
    ({"timezone": "Mars/Olympus_Mons"}, "not a known time zone"),
    ({"holidays": "2026-12-31 .. 2026-12-24 Backwards"}, "before it starts"),
    ({"holidays": "1850-01-01 Long ago"}, "outside the years 2000–2100"),
    ({"holidays": "next friday"}, "is not a date"),
    ({"name": "  "}, "Enter a name"),
    ({"name": "HEAD OFFICE"}, "already exists"),
    ({**{f"hours_{d}": "" for d in range(7)}}, "at least one day"),
])
def test_bad_calendars_are_refused_and_store_nothing(client, db, admin, make_calendar, count, overrides, message):
    existing = make_calendar("Head office", is_default=True)
    before = (count(BusinessCalendar), count(CalendarHoliday), count(JobRecord))
    response = client.post("/admin/sla/calendars/new", data=calendar_form(
        holidays="2026-05-01 Labour Day", **overrides) if "holidays" not in overrides else calendar_form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert (count(BusinessCalendar), count(CalendarHoliday), count(JobRecord)) == before

    # The same on an edit: the calendar keeps what it had.
    response = client.post(f"/admin/sla/calendars/{existing.id}", data=calendar_form(
        is_default="y", **({"name": "Other"} | overrides)))
    if overrides.get("name") == "HEAD OFFICE":
        assert response.status_code == 303  # its own name, in another case, is fine
        return
    assert response.status_code == 422
    db.session.expire_all()
    assert existing.name == "Head office" and existing.timezone == "UTC" and existing.hours["0"] == [["00:00", "24:00"]]


def test_calendar_per_group_from_the_calendar_list(client, db, admin, make_calendar, make_group):
    office = make_calendar("Office", is_default=True)
    night = make_calendar("Night")
    billing, tech = make_group("Billing"), make_group("Tech")
    page = client.get("/admin/sla/calendars/").get_data(as_text=True)
    assert f'name="calendar_{billing.id}"' in page and "Default (Office)" in page

    response = client.post("/admin/sla/calendars/groups", data={f"calendar_{billing.id}": str(night.id),
                                                                 f"calendar_{tech.id}": ""})
    assert response.status_code == 303
    db.session.expire_all()
    assert (billing.calendar_id, tech.calendar_id) == (night.id, None)
    assert "Billing" in client.get(f"/admin/sla/calendars/{night.id}").get_data(as_text=True)

    response = client.post("/admin/sla/calendars/groups", data={f"calendar_{tech.id}": "9999"})
    assert response.status_code == 422
    assert "does not exist" in response.get_data(as_text=True)
    response = client.post("/admin/sla/calendars/groups", data={f"calendar_{tech.id}": "night"})
    assert response.status_code == 400
    db.session.expire_all()
    assert tech.calendar_id is None
    assert office.id  # untouched


def test_delete_a_calendar(client, db, admin, make_calendar, make_group, count):
    office = make_calendar("Office", is_default=True)
    night = make_calendar("Night")
    group = make_group("Billing")
    group.calendar_id = night.id
    db.session.commit()

    response = client.post(f"/admin/sla/calendars/{office.id}/delete")
    assert response.status_code == 422
    assert "make another calendar the default" in response.get_data(as_text=True)
    assert count(BusinessCalendar) == 2

    assert client.post(f"/admin/sla/calendars/{night.id}/delete").status_code == 303
    db.session.expire_all()
    assert count(BusinessCalendar) == 1
    assert db.session.get(Group, group.id).calendar_id is None  # back on the default
    assert client.post("/admin/sla/calendars/9999/delete").status_code == 404


def test_a_calendar_change_recomputes_open_tickets(client, db, admin, make_ticket, make_calendar):
    """The job the admin page enqueues hands the change to the engine, which moves due times."""
    from app.models.sla import SlaPolicy, SlaTarget

    calendar = make_calendar("Office", is_default=True, hours={str(d): [["09:00", "17:00"]] for d in range(5)})
    db.session.add(SlaPolicy(name="Standard", targets=[SlaTarget(priority=2, metric="first_reply", minutes=60,
                                                                 business_hours=True)]))
    db.session.commit()
    monday_morning = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    ticket = make_ticket(priority="normal", now=monday_morning)
    assert ticket.due_at == datetime(2026, 3, 2, 11, 0, tzinfo=timezone.utc)

    response = client.post(f"/admin/sla/calendars/{calendar.id}", data=calendar_form(
        name="Office", timezone="UTC", is_default="y", hours_0="10:30-17:00"))
    assert response.status_code == 303
    job = db.session.scalar(db.select(JobRecord).where(JobRecord.name == "sla.recompute_after_config"))
    assert job is not None and job.status == "done", job and job.last_error
    db.session.expire_all()
    assert ticket.due_at == datetime(2026, 3, 2, 11, 30, tzinfo=timezone.utc)
