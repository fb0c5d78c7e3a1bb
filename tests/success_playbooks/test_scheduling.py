"""Playbook scheduling rules, pure: `now` is an argument, no app, no database."""

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from app.success.playbooks.scheduling import (
    ScheduleError, StepPlan, at_risk_accounts, bucket_tasks, completed_on_time, delay_minutes, objective_met, pause_shift_minutes,
    plan_advance, reenrolment_blocked, resolve_owner, round_robin_pick,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def at(**kw):
    return T0 + timedelta(**kw)


STEPS = [
    StepPlan(1, "email", 0, key=11),
    StepPlan(2, "call", 2 * 24 * 60, key=12),
    StepPlan(3, "wait", 3 * 24 * 60, key=13),
    StepPlan(4, "task", 3 * 24 * 60, key=14),
]


def plan(states, now, status="active", paused=0, steps=STEPS):
    return plan_advance(steps, states, status=status, enrolled_at=T0, paused_minutes=paused, now=now)


def test_delay_in_days_and_hours():
    assert delay_minutes(2, 3) == 2 * 1440 + 180
    assert delay_minutes("", None) == 0


@pytest.mark.parametrize("days, hours", [(-1, 0), (0, -2), ("x", 0), (4000, 0)])
def test_bad_delays_are_refused(days, hours):
    with pytest.raises(ScheduleError):
        delay_minutes(days, hours)


def test_at_enrolment_only_the_immediate_email_starts():
    result = plan({}, T0)
    assert [(s.key, due) for s, due in result.start] == [(11, T0)]
    assert result.next_due_at == at(days=2) and not result.finished


def test_a_call_that_comes_due_blocks_the_steps_after_it():
    result = plan({11: "done"}, at(days=5))
    assert [s.key for s, _ in result.start] == [12]
    assert result.blocked_on == 12 and result.next_due_at is None


def test_an_open_task_keeps_blocking_even_when_later_steps_are_due():
    result = plan({11: "done", 12: "open"}, at(days=30))
    assert result.start == [] and result.blocked_on == 12


def test_after_the_call_is_done_wait_and_task_start_with_their_own_due_times():
    result = plan({11: "done", 12: "done"}, at(days=3, hours=1))
    assert [(s.key, due) for s, due in result.start] == [(13, at(days=3)), (14, at(days=3))]
    assert result.blocked_on == 14


def test_run_finishes_when_every_step_is_done_or_skipped():
    assert plan({11: "done", 12: "skipped", 13: "done", 14: "done"}, at(days=9)).finished


def test_paused_runs_start_nothing():
    assert plan({}, at(days=9), status="paused").start == []


def test_pauses_push_later_steps_back():
    result = plan({11: "done"}, at(days=2, minutes=30), paused=60)
    assert result.start == [] and result.next_due_at == at(days=2, hours=1)
    assert pause_shift_minutes(at(), at(minutes=59, seconds=1)) == 60


def test_held_email_waits_for_a_person():
    steps = [StepPlan(1, "email", 0, hold_for_review=True), StepPlan(2, "email", 0)]
    result = plan({}, T0, steps=steps)
    assert [s.position for s, _ in result.start] == [1] and result.blocked_on == 1


def test_round_robin_takes_turns_in_a_stable_order():
    assert round_robin_pick([7, 3, 5], None) == 3
    assert round_robin_pick([7, 3, 5], 3) == 5
    assert round_robin_pick([7, 3, 5], 7) == 3
    assert round_robin_pick([7, 3, 5], 99) == 3
    assert round_robin_pick([], 3) is None
    picks, last = [], None
    for _ in range(4):
        owner, last = resolve_owner("round_robin", group_member_ids=[4, 2], last_id=last)
        picks.append(owner)
    assert picks == [2, 4, 2, 4]


def test_owner_rules_fall_back_when_nobody_is_found():
    assert resolve_owner("account_csm", account_owner_id=5, fallback_id=1) == (5, None)
    assert resolve_owner("account_csm", account_owner_id=None, fallback_id=1) == (1, None)
    assert resolve_owner("user", named_user_id=8) == (8, None)
    assert resolve_owner("round_robin", group_member_ids=[], fallback_id=1, last_id=None) == (1, None)
    with pytest.raises(ScheduleError):
        resolve_owner("whoever")


def test_reenrolment_caps():
    assert reenrolment_blocked([], now=T0, reenrol_days=30, max_runs=2) is None
    assert reenrolment_blocked([at(days=-10)], now=T0, reenrol_days=30, max_runs=2) == "too_soon"
    assert reenrolment_blocked([at(days=-40)], now=T0, reenrol_days=30, max_runs=2) is None
    assert reenrolment_blocked([at(days=-90), at(days=-40)], now=T0, reenrol_days=30, max_runs=2) == "max_runs"
    assert reenrolment_blocked([at(days=-90), at(days=-40)], now=T0, reenrol_days=30, max_runs=0) is None


def test_objective_no_topic_tickets_counts_quiet_days_from_the_last_ticket():
    kw = {"enrolled_at": T0, "days": 30}
    assert not objective_met("no_topic_tickets", now=at(days=29), **kw)
    assert objective_met("no_topic_tickets", now=at(days=30), **kw)
    assert not objective_met("no_topic_tickets", now=at(days=35), last_topic_ticket_at=at(days=10), **kw)
    assert objective_met("no_topic_tickets", now=at(days=40), last_topic_ticket_at=at(days=10), **kw)


def test_objective_health_and_renewal():
    assert objective_met("healthy", now=T0, enrolled_at=T0, health_band="healthy")
    assert not objective_met("healthy", now=T0, enrolled_at=T0, health_band="at_risk")
    renewal = {"now": T0, "enrolled_at": T0, "renewal_at_enrolment": date(2026, 12, 1)}
    assert objective_met("renewed", renewal_now=date(2027, 12, 1), **renewal)
    assert not objective_met("renewed", renewal_now=date(2026, 12, 1), **renewal)
    assert not objective_met("renewed", renewal_now=date(2027, 12, 1), stage="churned", **renewal)
    assert not objective_met("none", now=T0, enrolled_at=T0)


def test_at_risk_means_same_plan_or_shared_tag_and_not_affected():
    accounts = {1: ("pro", ("eu",)), 2: ("pro", ()), 3: ("basic", ("eu", "retail")), 4: ("basic", ("us",)),
                5: (None, ())}
    assert at_risk_accounts([1], accounts) == [2, 3]
    assert at_risk_accounts([4], accounts) == [3]
    assert at_risk_accounts([], accounts) == []


def test_tasks_are_bucketed_overdue_today_upcoming_in_the_viewers_day():
    now = datetime(2026, 11, 2, 20, 0, tzinfo=timezone.utc)  # 21:00 in Berlin, 05:00 next day in Tokyo
    tasks = [SimpleNamespace(id=i, due_at=now + timedelta(hours=h)) for i, h in enumerate([-30, -1, 2, 5, 50])]
    utc = bucket_tasks(tasks, now, "UTC")
    assert [t.id for t in utc["overdue"]] == [0, 1]
    assert [t.id for t in utc["today"]] == [2]
    assert [t.id for t in utc["upcoming"]] == [3, 4]
    tokyo = bucket_tasks(tasks, now, "Asia/Tokyo")
    assert [t.id for t in tokyo["today"]] == [2, 3]
    assert bucket_tasks(tasks, now, "Not/AZone")["today"] == utc["today"]


def test_on_time_means_within_a_day_of_coming_due():
    assert completed_on_time(T0, at(hours=23))
    assert not completed_on_time(T0, at(days=1, minutes=1))
    assert not completed_on_time(T0, None)
