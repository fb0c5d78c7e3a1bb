"""`flask users …` through Flask's CLI runner: output, exit codes and what they change."""

import pytest
from sqlalchemy import func, select

from app.auth.services import user_for_api_token
from app.models import ApiToken, Organization, User
PASSWORD = "correct-horse-battery"  # the make_user default (tests/conftest.py)


def _user(db, email):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_create_with_password_can_log_in(runner, db, client):
    result = runner.invoke(args=["users", "create", "Ana@Acme.Example", "--role", "agent", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Created agent ana@acme.example."
    assert _user(db, "ana@acme.example").role == "agent"
    response = client.post("/login", data={"email": "ana@acme.example", "password": PASSWORD})
    assert response.status_code == 302


def test_create_without_password_prints_a_working_set_password_link(runner, db, client):
    result = runner.invoke(args=["users", "create", "bo@acme.example", "--role", "customer",
                                 "--organization", "Acme"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip().splitlines()[-1]
    assert link.startswith("http://tandem.test/password/set/")
    user = _user(db, "bo@acme.example")
    assert user.password_hash is None
    assert user.organization.name == "Acme"
    page = client.get(link.removeprefix("http://tandem.test"))
    assert page.status_code == 200
    assert b"password" in page.data.lower()


def test_create_joins_an_existing_organization(runner, db, make_org):
    make_org("Acme")
    result = runner.invoke(args=["users", "create", "cy@acme.example", "--role", "customer",
                                 "--organization", "Acme", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 1
    assert _user(db, "cy@acme.example").organization.name == "Acme"


@pytest.mark.parametrize(
    "args, message",
    [
        (["not-an-address", "--role", "agent"], "not valid"),
        (["ana@acme.example", "--role", "agent", "--password", "short"], "at least 8"),
    ],
)
def test_create_rejects_bad_values_with_exit_1(runner, db, args, message):
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_duplicate_email_exits_1(runner, db, make_user):
    make_user("agent", email="ana@acme.example")
    result = runner.invoke(args=["users", "create", "ANA@acme.example", "--role", "admin", "--password", PASSWORD])
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert _user(db, "ana@acme.example").role == "agent"


@pytest.mark.parametrize("args", [["ana@acme.example"], ["ana@acme.example", "--role", "boss"], ["--role", "agent"]])
def test_create_usage_errors_exit_2(runner, db, args):
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == 2
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_token_is_alone_on_the_last_line_and_authenticates(runner, db, make_user):
    user = make_user("agent", email="ana@acme.example")
    result = runner.invoke(args=["users", "token", "ana@acme.example"])
    assert result.exit_code == 0, result.output
    token = result.stdout.rstrip("\n").splitlines()[-1]
    assert token == token.strip() and " " not in token and len(token) > 30
    assert user_for_api_token(token).id == user.id
    # Only a hash is stored.
    assert db.session.scalar(select(ApiToken.token_hash)) != token


def test_token_for_unknown_or_deactivated_user_exits_1(runner, db, make_user):
    result = runner.invoke(args=["users", "token", "nobody@acme.example"])
    assert result.exit_code == 1
    assert "nobody@acme.example" in result.stderr
    make_user("agent", email="gone@acme.example", active=False)
    result = runner.invoke(args=["users", "token", "gone@acme.example"])
    assert result.exit_code == 1
    assert "deactivated" in result.stderr
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_revoke_tokens_ends_every_token(runner, db, make_user):
    make_user("agent", email="ana@acme.example")
    tokens = [runner.invoke(args=["users", "token", "ana@acme.example"]).stdout.splitlines()[-1] for _ in range(2)]
    result = runner.invoke(args=["users", "revoke-tokens", "ana@acme.example"])
    assert result.exit_code == 0, result.output
    assert "2" in result.stdout
    db.session.expire_all()
    assert [user_for_api_token(t) for t in tokens] == [None, None]


def test_deactivate_ends_login_and_tokens(runner, db, make_user, client):
    make_user("agent", email="ana@acme.example")
    token = runner.invoke(args=["users", "token", "ana@acme.example"]).stdout.splitlines()[-1]
    result = runner.invoke(args=["users", "deactivate", "ana@acme.example"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _user(db, "ana@acme.example").active is False
    assert user_for_api_token(token) is None
    response = client.post("/login", data={"email": "ana@acme.example", "password": PASSWORD})
    assert response.status_code != 302
    again = runner.invoke(args=["users", "deactivate", "ana@acme.example"])
    assert again.exit_code == 0 and "already" in again.stdout


def test_the_last_active_admin_cannot_be_deactivated(runner, db, make_user):
    make_user("admin", email="root@acme.example")
    result = runner.invoke(args=["users", "deactivate", "root@acme.example"])
    assert result.exit_code == 1
    assert "last active admin" in result.stderr
    assert _user(db, "root@acme.example").active is True
