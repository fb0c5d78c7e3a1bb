"""Customer organizations (accounts) and agent groups."""

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Integer, Numeric, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

STAGES = ("onboarding", "adopting", "mature", "renewal", "churned")

group_members = Table(
    "group_members",
    db.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    plan: Mapped[str | None] = mapped_column(String(50))
    mrr = mapped_column(Numeric(12, 2), nullable=False, default=0)
    stage: Mapped[str] = mapped_column(String(20), nullable=False, default="onboarding")
    renewal_date = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True), index=True)
    segment_tags = mapped_column(JSON, nullable=False, default=list)
    # Members see each other's tickets in the portal.
    shared_tickets: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    owner = relationship("User", foreign_keys=[owner_id])
    members = relationship("User", foreign_keys="User.organization_id", back_populates="organization")
    domains = relationship("OrganizationDomain", cascade="all, delete-orphan", order_by="OrganizationDomain.domain")

    @property
    def domain_names(self):
        return [d.domain for d in self.domains]


class OrganizationDomain(db.Model):
    """An e-mail domain whose senders belong to the organization."""

    __tablename__ = "organization_domains"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True, nullable=False)


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    # Business hours for this group's SLA targets; NULL means the default calendar.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("business_calendars.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    members = relationship("User", secondary=group_members, order_by="User.email")
    calendar = relationship("BusinessCalendar")
