"""SLA policies, business calendars and each ticket's clocks (the SLA engine's data)."""

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

METRICS = ("first_reply", "next_reply", "resolution", "periodic_update")


class BusinessCalendar(db.Model):
    """Working hours in one IANA time zone, with holidays."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    # {"0": [["09:00", "17:00"]], … "6": []}: weekday (Monday = 0) → local intervals.
    hours = mapped_column(JSON, nullable=False, default=dict)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    holidays = relationship(
        "CalendarHoliday", back_populates="calendar", cascade="all, delete-orphan", order_by="CalendarHoliday.start_date"
    )


class CalendarHoliday(db.Model):
    __tablename__ = "calendar_holidays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("business_calendars.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    start_date = mapped_column(Date, nullable=False)
    end_date = mapped_column(Date, nullable=False)  # inclusive; equal to start_date for one day

    calendar = relationship("BusinessCalendar", back_populates="holidays")


class SlaPolicy(db.Model):
    """Policies form an ordered list; the first whose conditions match a ticket applies."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # {"priorities": [...], "plans": [...], "segment_tags": [...], "group_ids": [...], "channels": [...],
    #  "tags": [...]}; an absent or empty key matches everything.
    conditions = mapped_column(JSON, nullable=False, default=dict)
    # metric → statuses that pause it, e.g. {"resolution": ["pending", "on_hold"]}.
    pause_statuses = mapped_column(JSON, nullable=False, default=dict)
    # {"notify_assignee": true, "notify_group": true, "raise_priority": true, "reassign_group_id": null}
    escalation = mapped_column(JSON, nullable=False, default=dict)
    warn_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=15)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    targets = relationship("SlaTarget", back_populates="policy", cascade="all, delete-orphan")


class SlaTarget(db.Model):
    __tablename__ = "sla_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"), nullable=False)
    priority: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    metric: Mapped[str] = mapped_column(String(20), nullable=False)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    business_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    policy = relationship("SlaPolicy", back_populates="targets")

    __table_args__ = (UniqueConstraint("policy_id", "priority", "metric", name="uq_sla_targets_policy_priority_metric"),)


class TicketSlaClock(db.Model):
    """One metric's clock on one ticket. next_reply gets a new cycle per unanswered customer message."""

    __tablename__ = "ticket_sla_clocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    metric: Mapped[str] = mapped_column(String(20), nullable=False)
    cycle: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # active | paused | achieved | cancelled
    state: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    target_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    business_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    started_at = mapped_column(UTCDateTime, nullable=False)
    # Seconds of (business) time used up before the last pause; the rest runs from resumed_at.
    used_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    resumed_at = mapped_column(UTCDateTime)
    due_at = mapped_column(UTCDateTime)
    achieved_at = mapped_column(UTCDateTime)
    breached_at = mapped_column(UTCDateTime)
    warned_at = mapped_column(UTCDateTime)
    escalated_at = mapped_column(UTCDateTime)

    ticket = relationship("Ticket")
    policy = relationship("SlaPolicy")

    __table_args__ = (
        UniqueConstraint("ticket_id", "metric", "cycle", name="uq_ticket_sla_clocks_ticket_metric_cycle"),
        # The sweep reads only running, unbreached clocks that are due: an index range, however
        # many breached tickets are still open.
        Index("ix_ticket_sla_clocks_sweep", "state", "breached_at", "due_at"),
        Index("ix_ticket_sla_clocks_started", "started_at"),
    )


class SlaEvent(db.Model):
    """Every clock change (policy applied, activated, paused, resumed, achieved, breached, warned,
    escalated, recomputed), so due times can be audited and recomputed."""

    __tablename__ = "sla_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False)
    metric: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    data = mapped_column(JSON)

    __table_args__ = (Index("ix_sla_events_ticket", "ticket_id", "id"), Index("ix_sla_events_kind_at", "kind", "at"))
