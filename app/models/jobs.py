"""The job outbox, periodic ticks and outbound mail."""

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

JOB_STATES = ("pending", "running", "done", "failed")


class JobRecord(db.Model):
    """Follow-up work written in the same transaction as the action that caused it."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    args = mapped_column(JSON, nullable=False, default=list)
    queue: Mapped[str] = mapped_column(String(32), nullable=False, default="default")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    enqueued_at = mapped_column(UTCDateTime)
    started_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_jobs_status_created", "status", "created_at"),)


class PeriodicTick(db.Model):
    """Last run of a periodic job; claiming a tick is one conditional UPDATE."""

    __tablename__ = "periodic_ticks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_run_at = mapped_column(UTCDateTime)
    last_run_by: Mapped[str | None] = mapped_column(String(120))


class OutboundMail(db.Model):
    """Every e-mail Tandem sends; without SMTP this is the readable outbox."""

    __tablename__ = "outbound_mail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")  # queued, sent, outbox, failed
    error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outbound_mail_created", "created_at"),)
