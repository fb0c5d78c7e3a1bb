import pytest


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin", email="boss@tandem.example")
    login(user)
    return user
