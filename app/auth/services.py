"""Sign-in, password links and API tokens."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.models import ROLES, ApiToken, Organization, User
from app.models.base import utcnow
from app.support.services import normalize_email

PASSWORD_MIN = 8


def load_user_from_session(session_id):
    """Flask-Login loader: the id carries the auth version, so a password change or a
    deactivation ends every existing session at once."""
    try:
        user_id, version = (int(part) for part in str(session_id).split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.auth_version != version:
        return None
    return user


def authenticate(email, password):
    """The active user with this e-mail and password, or None."""
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def validate_password(password):
    if len(password or "") < PASSWORD_MIN:
        raise DomainError(f"Passwords must have at least {PASSWORD_MIN} characters.", field="password")
    if len(password) > 1024:
        raise DomainError("That password is too long.", field="password")
    return password


def create_user(email, role, password=None, name="", organization_name=None):
    email = normalize_email(email)
    if role not in ROLES:
        raise DomainError(f"Unknown role {role!r}; use one of: {', '.join(ROLES)}.", field="role")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError(f"A user with the e-mail address {email} already exists.", field="email")
    organization = None
    if organization_name:
        organization = db.session.scalar(select(Organization).where(Organization.name == organization_name.strip()))
        if organization is None:
            organization = Organization(name=organization_name.strip())
            db.session.add(organization)
    user = User(email=email, role=role, name=(name or "").strip(), organization=organization)
    if password is not None:
        user.set_password(validate_password(password))
    db.session.add(user)
    db.session.flush()
    return user


# --- signed, expiring links ------------------------------------------------------------------

def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tandem-password")


def password_token(user):
    """A link token that stops working once used (the auth version changes) or after max age."""
    return _serializer().dumps({"u": user.id, "v": user.auth_version})


def user_from_password_token(token):
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise DomainError("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise DomainError("This link is not valid.") from None
    user = db.session.get(User, data.get("u"))
    if user is None or user.auth_version != data.get("v") or not user.active:
        raise DomainError("This link has already been used or is no longer valid.")
    return user


def password_link(user):
    from flask import url_for

    path = url_for("auth.set_password", token=password_token(user), _external=False)
    return f"{current_app.config['BASE_URL']}{path}"


def set_password(user, password):
    user.set_password(validate_password(password))
    return user


# --- API tokens ------------------------------------------------------------------------------

def issue_api_token(user, name=""):
    record, token = ApiToken.issue(user, name)
    db.session.add(record)
    db.session.flush()
    return record, token


def user_for_api_token(token):
    if not token:
        return None
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    if record is None or record.revoked_at is not None:
        return None
    user = record.user
    if user is None or not user.active:
        return None
    return user


def revoke_api_token(record, now=None):
    record.revoked_at = now or utcnow()
