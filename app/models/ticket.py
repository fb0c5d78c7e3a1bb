"""Tickets, their messages, attachments, tags and the event trail."""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, SmallInteger, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.support.rules import PRIORITY_NAMES

ticket_tags = Table(
    "ticket_tags",
    db.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)


class Ticket(db.Model):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(250), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    # 1 low … 4 urgent, so "most urgent first" is an index order.
    priority: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=2)
    channel: Mapped[str] = mapped_column(String(8), nullable=False, default="web")
    language: Mapped[str | None] = mapped_column(String(16))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    # Nearest open SLA target; NULL when no clock runs. Read by the queue and the SLA sweep.
    due_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    solved_at = mapped_column(UTCDateTime)
    closed_at = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # Filled by topic mining (success module).
    topic_id: Mapped[int | None] = mapped_column(Integer, index=True)
    csat_rating: Mapped[str | None] = mapped_column(String(8))
    csat_comment: Mapped[str | None] = mapped_column(Text)
    is_spam: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Optimistic locking: a stale save by a second agent fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    requester = relationship("User", foreign_keys=[requester_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    organization = relationship("Organization")
    group = relationship("Group")
    tags = relationship("Tag", secondary=ticket_tags, order_by="Tag.name")
    messages = relationship(
        "Message", back_populates="ticket", order_by="Message.id", cascade="all, delete-orphan"
    )
    events = relationship("TicketEvent", back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan")
    follow_up_of = relationship("Ticket", remote_side=[id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Queue: status filter, then nearest due, most urgent, oldest.
        Index("ix_tickets_queue", "status", "due_at", priority.desc(), "id"),
        Index("ix_tickets_assignee_queue", "assignee_id", "status", "due_at", priority.desc(), "id"),
        Index("ix_tickets_group_status", "group_id", "status", "id"),
        Index("ix_tickets_org_created", "organization_id", "created_at"),
        Index("ix_tickets_requester_created", "requester_id", "created_at"),
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_due", "due_at"),
        Index("ix_tickets_status_priority", "status", priority.desc(), "id"),
    )

    @property
    def number(self):
        return self.id

    @property
    def priority_name(self):
        return PRIORITY_NAMES[self.priority]

    @property
    def tag_names(self):
        return [t.name for t in self.tags]

    @property
    def public_messages(self):
        return [m for m in self.messages if m.public]

    def __repr__(self):
        return f"<Ticket #{self.id} {self.status}>"


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # False: an internal note, never shown to customers.
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    via: Mapped[str] = mapped_column(String(8), nullable=False, default="web")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    ticket = relationship("Ticket", back_populates="messages")
    author = relationship("User")
    attachments = relationship("Attachment", back_populates="message", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_messages_ticket", "ticket_id", "id"),)


class TicketSearchDocument(db.Model):
    """Normalized search text of one ticket (see app/support/search.py), kept in step on every flush.

    `public_text` is what customers may match (subject and public replies); `full_text` adds the
    internal notes for staff. The full-text indexes over both are database-specific and live in
    migration 0002 (FTS5 on SQLite, GIN on PostgreSQL).
    """

    __tablename__ = "ticket_search"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    public_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    full_text: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    # Path relative to UPLOAD_DIR; files live outside the web root.
    storage_key: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    message = relationship("Message", back_populates="attachments")


class TicketEvent(db.Model):
    """One change to a ticket: the audit trail, the timeline and the SLA's history."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    field: Mapped[str | None] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    data = mapped_column(JSON)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    ticket = relationship("Ticket", back_populates="events")
    actor = relationship("User")

    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)
