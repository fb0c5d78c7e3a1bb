"""Agent-desk fixtures: signed-in clients per role and a few tickets spread over the filters."""

from datetime import timedelta

import pytest

from app.models import User
from app.models.base import utcnow


def as_user(app, user_id):
    """A client already signed in (the session cookie /login sets)."""
    from app.extensions import db

    client = app.test_client()
    user = db.session.get(User, user_id)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def agent(make_user):
    return make_user("agent", email="ivan@tandem.example", name="Ivan Petrov")


@pytest.fixture
def client_for(app):
    """client_for(user) → a test client signed in as that user (a fresh cookie jar each time)."""
    return lambda user: as_user(app, user.id)


@pytest.fixture
def agent_client(client_for, agent):
    return client_for(agent)


@pytest.fixture
def customer(make_user, make_org):
    org = make_org("Acme", plan="enterprise", mrr=1250)
    return make_user("customer", email="ana@acme.example", name="Ana Lima", organization=org, password=None)


@pytest.fixture
def ticket(make_ticket, customer):
    return make_ticket(requester=customer, subject="Export is empty")


@pytest.fixture
def listed():
    """listed(response) → ticket numbers in the order the queue page shows them."""
    import re

    return lambda response: [int(n) for n in re.findall(r'<tr data-ticket="(\d+)"', response.get_data(as_text=True))]


@pytest.fixture
def soon():
    now = utcnow()
    return lambda minutes: now + timedelta(minutes=minutes)
