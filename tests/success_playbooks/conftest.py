"""Builders for the playbook tests: accounts with contacts, playbooks with steps, a clock."""

from datetime import timedelta

import pytest

from app.models.base import utcnow


@pytest.fixture
def t0():
    return utcnow().replace(microsecond=0)


@pytest.fixture
def at(t0):
    return lambda **kw: t0 + timedelta(**kw)


@pytest.fixture
def csm(make_user):
    return make_user("csm", email="csm@example.com", name="Cara Smith")


@pytest.fixture
def make_account(db, make_org, make_user, csm):
    def make(name="Acme", contacts=("ana",), owner=csm, **kw):
        org = make_org(name, owner_id=owner.id if owner else None, **kw)
        slug = name.lower().replace(" ", "")
        for first in contacts:
            make_user("customer", email=f"{first}@{slug}.example", name=f"{first.title()} Doe", organization_id=org.id)
        return org

    return make


@pytest.fixture
def make_playbook(db, csm):
    from app.success.playbooks import editing

    def make(name="Outreach", steps=({"kind": "task", "title": "Call them"},), status="active", actor=None, **settings):
        playbook = editing.save_playbook(actor or csm, name=name, **settings)
        for step in steps:
            editing.save_step(actor or csm, playbook, **step)
        if status != "draft":
            editing.set_playbook_status(actor or csm, playbook, status)
        db.session.commit()
        return playbook

    return make


@pytest.fixture
def enrol(db, csm):
    from app.success.playbooks.services import enrol_accounts

    def do(playbook, orgs, now, **kw):
        created, skipped = enrol_accounts(kw.pop("actor", csm), playbook, [o.id for o in orgs], now=now, **kw)
        db.session.commit()
        return created, skipped

    return do


