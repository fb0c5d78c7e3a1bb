"""People who use Tandem, and their API tokens."""

import hashlib
import secrets

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

ROLES = ("customer", "agent", "csm", "admin")
STAFF_ROLES = ("agent", "csm", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="customer", index=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # NULL until the person sets a password (customers created from a first ticket).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    locale: Mapped[str | None] = mapped_column(String(16))
    # Bumped on password change or deactivation so old sessions and links stop working.
    auth_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = mapped_column(UTCDateTime)

    organization = relationship("Organization", foreign_keys=[organization_id], back_populates="members")

    def get_id(self):
        return f"{self.id}:{self.auth_version}"

    @property
    def is_active(self):
        return self.active

    @property
    def is_staff(self):
        return self.role in STAFF_ROLES

    @property
    def display_name(self):
        return self.name or self.email.split("@")[0]

    @property
    def first_name(self):
        return self.display_name.split()[0]

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)  # scrypt
        self.auth_version = (self.auth_version or 0) + 1

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    # Only a hash is stored; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at = mapped_column(UTCDateTime)
    revoked_at = mapped_column(UTCDateTime)

    user = relationship("User")

    @staticmethod
    def hash(token):
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user, name=""):
        token = "tdm_" + secrets.token_urlsafe(32)
        return cls(user=user, token_hash=cls.hash(token), name=name), token
