"""Playbook templates: bad input gets a clear message and leaves nothing half-saved."""

import pytest
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.models.playbooks import Playbook, PlaybookStep
from app.success.playbooks import editing


def step_count(db):
    return db.session.scalar(select(func.count(PlaybookStep.id)))


def test_a_playbook_with_no_steps_cannot_be_activated(db, csm, make_playbook):
    playbook = make_playbook(steps=(), status="draft")
    with pytest.raises(DomainError, match="no steps cannot be activated"):
        editing.set_playbook_status(csm, playbook, "active")
    db.session.rollback()
    assert db.session.get(Playbook, playbook.id).status == "draft"


@pytest.mark.parametrize("step, message", [
    ({"kind": "task", "title": "Call", "delay_days": -1}, "cannot be negative"),
    ({"kind": "task", "title": "Call", "delay_hours": -3}, "cannot be negative"),
    ({"kind": "task", "title": "Call", "delay_days": "soon"}, "whole days"),
    ({"kind": "task", "title": "Call", "owner_rule": "user", "owner_email": "ghost@example.com"}, "No active staff"),
    ({"kind": "task", "title": "Call", "owner_rule": "round_robin", "owner_group_id": "999"}, "Choose the group"),
    ({"kind": "task", "title": "Call", "owner_rule": "boss"}, "Unknown owner rule"),
    ({"kind": "teleport", "title": "Beam"}, "Unknown step type"),
    ({"kind": "task", "title": ""}, "Say what has to be done"),
    ({"kind": "email", "subject": "Hi", "body": ""}, "subject and a text"),
    ({"kind": "email", "subject": "Hi {{ account.name }}", "body": "Dear {{ contact.surname }}"}, "Unknown placeholder"),
    ({"kind": "kb_article"}, "article's number or its address"),
    ({"kind": "kb_article", "article_url": "javascript:alert(1)"}, "must start with"),
])
def test_bad_steps_are_refused_and_nothing_is_saved(db, csm, make_playbook, step, message):
    playbook = make_playbook(status="draft")
    before = step_count(db)
    with pytest.raises(DomainError, match=message):
        editing.save_step(csm, playbook, **step)
    db.session.rollback()
    assert step_count(db) == before


def test_a_customer_cannot_own_a_step(db, csm, make_playbook, make_user):
    customer = make_user("customer", email="someone@acme.example")
    with pytest.raises(DomainError, match="No active staff"):
        editing.save_step(csm, make_playbook(status="draft"), kind="call", title="Call",
                           owner_rule="user", owner_email=customer.email)


def test_round_robin_needs_a_group_with_members(db, csm, make_playbook, make_group):
    empty = make_group("Nobody")
    with pytest.raises(DomainError, match="no members"):
        editing.save_step(csm, make_playbook(status="draft"), kind="call", title="Call",
                           owner_rule="round_robin", owner_group_id=str(empty.id))


def test_settings_are_validated(db, csm, make_playbook):
    make_playbook(name="Onboarding")
    with pytest.raises(DomainError, match="exists already"):
        editing.save_playbook(csm, name="onboarding")
    with pytest.raises(DomainError, match="name"):
        editing.save_playbook(csm, name="  ")
    with pytest.raises(DomainError, match="Choose the topic"):
        editing.save_playbook(csm, name="Quiet", objective="no_topic_tickets")
    with pytest.raises(DomainError, match="between"):
        editing.save_playbook(csm, name="Quiet", reenrol_days=-5)
    with pytest.raises(DomainError, match="Unknown objective"):
        editing.save_playbook(csm, name="Quiet", objective="world_peace")


def test_steps_keep_their_order_when_moved_and_removed(db, csm, make_playbook):
    playbook = make_playbook(steps=[{"kind": "task", "title": t} for t in ("A", "B", "C")], status="draft")
    a, b, c = playbook.steps
    editing.move_step(csm, playbook, c, "up")
    db.session.commit()
    assert [s.title for s in sorted(playbook.steps, key=lambda s: s.position)] == ["A", "C", "B"]
    editing.delete_step(csm, playbook, a)
    db.session.commit()
    db.session.expire_all()
    assert [(s.position, s.title) for s in db.session.get(Playbook, playbook.id).steps] == [(1, "C"), (2, "B")]


def test_the_last_step_of_an_active_playbook_cannot_be_removed(db, csm, make_playbook):
    playbook = make_playbook()
    with pytest.raises(DomainError, match="at least one step"):
        editing.delete_step(csm, playbook, playbook.steps[0])


def test_triggers_are_validated(db, csm, make_playbook):
    playbook = make_playbook()
    with pytest.raises(DomainError, match="band"):
        editing.add_trigger(csm, playbook, kind="health_band", band="purple")
    with pytest.raises(DomainError, match="Days"):
        editing.add_trigger(csm, playbook, kind="renewal_within", days="-3")
    with pytest.raises(DomainError, match="Unknown trigger"):
        editing.add_trigger(csm, playbook, kind="full_moon")
    trigger = editing.add_trigger(csm, playbook, kind="renewal_within", days="")
    assert trigger.params == {"days": 60}
