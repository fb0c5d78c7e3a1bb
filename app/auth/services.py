"""Sign-in, password links and API tokens. Services flush, never commit."""

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.core.errors import DomainError
from app.extensions import db
from app.models import ROLES, ApiToken, Organization, User
from app.models.base import utcnow
from app.support.services import normalize_email

PASSWORD_MIN = 8
PASSWORD_MAX = 1024
_DUMMY_HASH = None


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


def _spend_hash_time(password):
    # Unknown addresses take as long as known ones, so timing does not reveal who has an account.
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash("tandem-dummy-password")
    User(password_hash=_DUMMY_HASH).check_password(password)


def authenticate(email, password):
    """The active user with this e-mail and password, or None."""
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    if user is None or not user.password_hash:
        _spend_hash_time(password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def validate_password(password):
    if len(password or "") < PASSWORD_MIN:
        raise DomainError(_("Passwords must have at least %(n)d characters.", n=PASSWORD_MIN), field="password")
    if len(password) > PASSWORD_MAX:
        raise DomainError(_("That password is too long."), field="password")
    return password


def create_user(email, role, password=None, name="", organization_name=None, organization=None, now=None):
    """A new user. Without a password the account waits for a set-password link."""
    email = normalize_email(email)
    if role not in ROLES:
        raise DomainError(_("Unknown role %(role)r; use one of: %(roles)s.", role=role, roles=", ".join(ROLES)),
                          field="role")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError(_("A user with the e-mail address %(email)s already exists.", email=email), field="email")
    if organization is None and organization_name and organization_name.strip():
        organization = db.session.scalar(select(Organization).where(Organization.name == organization_name.strip()))
        if organization is None:
            organization = Organization(name=organization_name.strip())
            db.session.add(organization)
    user = User(email=email, role=role, name=(name or "").strip()[:200], organization=organization,
                created_at=now or utcnow())
    if password:
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
        raise DomainError(_("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise DomainError(_("This link is not valid.")) from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.auth_version != data.get("v") or not user.active:
        raise DomainError(_("This link has already been used or is no longer valid."))
    return user


def password_link(user):
    """The absolute set-password link; works outside a request too (CLI, jobs)."""
    path = current_app.url_map.bind("localhost").build("auth.set_password", {"token": password_token(user)})
    return f"{current_app.config['BASE_URL']}{path}"


def set_password(user, password):
    """Set the password; the auth version moves on, so the link that led here is spent."""
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
