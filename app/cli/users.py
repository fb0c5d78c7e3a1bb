"""`flask users …`: accounts and API tokens from the command line."""

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from app.cli.common import fail
from app.core.errors import DomainError
from app.extensions import db
from app.models import ROLES, ApiToken, User
from app.models.base import utcnow

users = AppGroup("users", help="Create users, issue and revoke API tokens, deactivate accounts.")


def _user(email):
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        fail(_("No user has the e-mail address %(email)s.", email=email))
    return user


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--password", help="Set this password; without it a one-time set-password link is printed.")
@click.option("--organization", "organization", metavar="NAME",
              help="The customer's organization (created when no organization has that name).")
@click.option("--name", default="", help="The person's name.")
def create_user_command(email, role, password, organization, name):
    """Add a user with ROLE; prints a set-password link unless --password is given."""
    from app.auth.services import create_user, password_link

    try:
        user = create_user(email, role, password=password, name=name, organization_name=organization)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        fail(exc.message)
    click.echo(_("Created %(role)s %(email)s.", role=user.role, email=user.email))
    if password is None:
        link = password_link(user)
        click.echo(_("Set-password link (works once, expires in %(hours)d hours):",
                     hours=current_app.config["PASSWORD_TOKEN_MAX_AGE"] // 3600))
        click.echo(link)


@users.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def token_command(email, name):
    """Create an API token for EMAIL; the token is printed alone on the last line, once."""
    from app.auth.services import issue_api_token

    user = _user(email)
    if not user.active:
        fail(_("%(email)s is deactivated; a token would not work.", email=user.email))
    _record, token = issue_api_token(user, name=name)
    db.session.commit()
    click.echo(_("API token for %(email)s (shown only now; send it as 'Authorization: Bearer <token>'):",
                 email=user.email))
    click.echo(token)


@users.command("revoke-tokens")
@click.argument("email")
def revoke_tokens_command(email):
    """Revoke every API token of EMAIL at once."""
    from app.auth.services import revoke_api_token

    user = _user(email)
    now = utcnow()
    live = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for record in live:
        revoke_api_token(record, now=now)
    db.session.commit()
    click.echo(_("Revoked %(n)d API token(s) of %(email)s.", n=len(live), email=user.email))


@users.command("deactivate")
@click.argument("email")
def deactivate_command(email):
    """Deactivate EMAIL: sessions, set-password links and API tokens stop working at once."""
    from app.admin.services import deactivate_user

    user = _user(email)
    try:
        changed = deactivate_user(None, user)
        db.session.commit()
    except DomainError as exc:  # e.g. the last active admin
        db.session.rollback()
        fail(exc.message)
    if changed:
        click.echo(_("Deactivated %(email)s.", email=user.email))
    else:
        click.echo(_("%(email)s was already deactivated.", email=user.email))


def register(app):
    app.cli.add_command(users)
