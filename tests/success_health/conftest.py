"""Fixtures for the health, NPS, segment and usage tests."""


import pytest


@pytest.fixture
def csm(make_user):
    return make_user("csm", email="csm@tandem.example")


@pytest.fixture
def as_csm(client, login, csm):
    login(csm)
    return client

