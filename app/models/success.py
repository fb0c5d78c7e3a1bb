"""Topics mined from tickets, ticket vectors, spike alerts and product feedback."""

from sqlalchemy import (
    JSON, Boolean, Column, Date, ForeignKey, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

TOPIC_STATUSES = ("active", "dismissed", "merged")
TRENDS = ("new", "rising", "steady", "falling")
FEEDBACK_TYPES = ("bug", "feature_request", "usability", "docs_gap")
FEEDBACK_STATUSES = ("new", "planned", "in_progress", "shipped", "declined")
IMPORTANCE = ("low", "medium", "high", "critical")


class TicketVector(db.Model):
    """A ticket's embedding, stored on arrival so re-mining never re-encodes the whole desk."""

    __tablename__ = "ticket_vectors"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    # mining.VECTOR_VERSION: vectors of an older recipe are recomputed by the next mine.
    version: Mapped[str] = mapped_column(String(40), nullable=False)
    language: Mapped[str | None] = mapped_column(String(16))
    vector = mapped_column(LargeBinary, nullable=False)  # float32, little-endian
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Topic(db.Model):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # True once a CSM renamed it: re-mining refreshes the terms but never the label.
    renamed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    terms = mapped_column(JSON, nullable=False, default=list)
    terms_by_language = mapped_column(JSON, nullable=False, default=dict)
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_seen = mapped_column(UTCDateTime)
    last_seen = mapped_column(UTCDateTime)
    # [{"week": "2026-11-16", "count": 4}, …] oldest first, the last one is the current week.
    weekly_counts = mapped_column(JSON, nullable=False, default=list)
    trend: Mapped[str] = mapped_column(String(8), nullable=False, default="new")
    centroid = mapped_column(LargeBinary)
    kb_article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    merged_into = relationship("Topic", remote_side=[id])
    kb_article = relationship("KbArticle")

    __table_args__ = (Index("ix_topics_status_size", "status", "size"),)

    @property
    def is_live(self):
        return self.status == "active" and self.size > 0


class TopicPin(db.Model):
    """A CSM decision about one ticket (split, merge) that every later mining run honours."""

    __tablename__ = "topic_pins"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), nullable=False, index=True)
    # The topic the ticket was taken from: a later cluster matching that topic is recognised.
    origin_topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # split | merge
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class MiningState(db.Model):
    """What attaching a new ticket needs from the last full mine (one row)."""

    __tablename__ = "mining_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(40), nullable=False)
    # Bumped by every mine: processes cache the decoded state per run.
    run: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    state = mapped_column(JSON, nullable=False, default=dict)
    topic_ids = mapped_column(JSON, nullable=False, default=list)  # centroid index → topic id
    ticket_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_run_at = mapped_column(UTCDateTime)


class TopicAlert(db.Model):
    """A spike of one topic in one week; the unique key makes it fire exactly once."""

    __tablename__ = "topic_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), nullable=False)
    week_start = mapped_column(Date, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    baseline: Mapped[float] = mapped_column(db.Float, nullable=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    topic = relationship("Topic")

    __table_args__ = (
        UniqueConstraint("topic_id", "week_start", name="uq_topic_alerts_topic_week"),
        Index("ix_topic_alerts_created", "created_at"),
    )


feedback_topics = Table(
    "feedback_topics",
    db.metadata,
    Column("feedback_id", ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)

feedback_tickets = Table(
    "feedback_tickets",
    db.metadata,
    Column("feedback_id", ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, index=True),
)

feedback_organizations = Table(
    "feedback_organizations",
    db.metadata,
    Column("feedback_id", ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class FeedbackItem(db.Model):
    __tablename__ = "feedback_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    type: Mapped[str] = mapped_column(String(20), nullable=False, default="bug")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    importance: Mapped[str] = mapped_column(String(10), nullable=False, default="medium")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    shipped_at = mapped_column(UTCDateTime)
    # Last "notify requesters" run; the job itself never mails one ticket twice for one item.
    notified_at = mapped_column(UTCDateTime)

    created_by = relationship("User")
    topics = relationship("Topic", secondary=feedback_topics, order_by="Topic.id")
    tickets = relationship("Ticket", secondary=feedback_tickets, order_by="Ticket.id")
    organizations = relationship("Organization", secondary=feedback_organizations, order_by="Organization.name")
    history = relationship("FeedbackStatusChange", order_by="FeedbackStatusChange.id",
                           cascade="all, delete-orphan", back_populates="item")
    votes = relationship("FeedbackVote", order_by="FeedbackVote.id", cascade="all, delete-orphan",
                         back_populates="item")

    __table_args__ = (Index("ix_feedback_items_status", "status", "updated_at"),)


class FeedbackStatusChange(db.Model):
    __tablename__ = "feedback_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    old_status: Mapped[str | None] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item = relationship("FeedbackItem", back_populates="history")
    actor = relationship("User")


class FeedbackVote(db.Model):
    """A CSM or agent voting for an item on behalf of one account."""

    __tablename__ = "feedback_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False,
                                                 index=True)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item = relationship("FeedbackItem", back_populates="votes")
    user = relationship("User")
    organization = relationship("Organization")

    __table_args__ = (
        UniqueConstraint("feedback_id", "user_id", "organization_id", name="uq_feedback_votes_item_user_org"),
    )
