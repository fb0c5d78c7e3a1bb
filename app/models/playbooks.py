"""Playbooks: templates and steps, runs, CSM tasks, trigger bookkeeping."""

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

OBJECTIVES = ("none", "no_topic_tickets", "healthy", "renewed")
PLAYBOOK_STATUSES = ("draft", "active", "archived")
STEP_KINDS = ("email", "call", "task", "kb_article", "wait")
OWNER_RULES = ("account_csm", "user", "round_robin")
TRIGGER_KINDS = ("health_band", "topic_rising", "nps_detractor", "renewal_within", "onboarding")
RUN_STATUSES = ("active", "paused", "completed", "objective_met", "stopped")
OPEN_RUN_STATUSES = ("active", "paused")
RUN_STEP_STATUSES = ("open", "held", "done", "skipped")
TASK_KINDS = ("call", "task", "kb_article", "email_review", "other")
TASK_STATUSES = ("open", "done", "skipped")


class Playbook(db.Model):
    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    objective: Mapped[str] = mapped_column(String(20), nullable=False, default="none")
    # Topics are re-mined, merged and split by H4's code, so the id is kept without a foreign key.
    objective_topic_id: Mapped[int | None] = mapped_column(Integer)
    objective_days: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    # Re-enrolment caps: no new run within N days of the last one, at most M runs per account.
    reenrol_days: Mapped[int] = mapped_column(Integer, nullable=False, default=90)
    max_runs_per_account: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    steps = relationship("PlaybookStep", back_populates="playbook", cascade="all, delete-orphan",
                         order_by="PlaybookStep.position")
    triggers = relationship("PlaybookTrigger", back_populates="playbook", cascade="all, delete-orphan",
                            order_by="PlaybookTrigger.id")
    created_by = relationship("User")


class PlaybookStep(db.Model):
    __tablename__ = "playbook_steps"
    __table_args__ = (UniqueConstraint("playbook_id", "position", name="uq_playbook_steps_playbook_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # E-mail steps: a Jinja template with {{ account.name }}, {{ contact.first_name }} …
    subject: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    hold_for_review: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    article_id: Mapped[int | None] = mapped_column(Integer)
    article_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    delay_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    owner_rule: Mapped[str] = mapped_column(String(16), nullable=False, default="account_csm")
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owner_group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    # The member of the group who got the last task, so the next one goes to the next member.
    round_robin_last_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    playbook = relationship("Playbook", back_populates="steps")
    owner_user = relationship("User", foreign_keys=[owner_user_id])
    owner_group = relationship("Group")


class PlaybookTrigger(db.Model):
    __tablename__ = "playbook_triggers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # health_band: {"band"}; topic_rising: {"audience": affected|at_risk|both}; nps_detractor and
    # renewal_within and onboarding: {"days"}.
    params = mapped_column(JSON, nullable=False, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    last_evaluated_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    playbook = relationship("Playbook", back_populates="triggers")


class PlaybookRun(db.Model):
    """One account going through one playbook."""

    __tablename__ = "playbook_runs"
    __table_args__ = (
        # `open_slot` is TRUE while the run is active or paused and NULL afterwards; NULLs never
        # collide in a unique constraint, so an account has at most one open run per playbook on
        # SQLite and PostgreSQL alike, whoever inserts it.
        UniqueConstraint("playbook_id", "organization_id", "open_slot", name="uq_playbook_runs_open"),
        Index("ix_playbook_runs_next_due_at", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), nullable=False)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    open_slot: Mapped[bool | None] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="manual")
    trigger_id: Mapped[int | None] = mapped_column(ForeignKey("playbook_triggers.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(Integer)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    enrolled_at = mapped_column(UTCDateTime, nullable=False)
    # Time spent paused pushes every later step back by as much.
    paused_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    paused_at = mapped_column(UTCDateTime)
    # When the advance job must look at this run next; NULL while it waits on a person or is over.
    next_due_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    # What the account looked like at enrolment (health score, renewal date), for outcomes.
    baseline = mapped_column(JSON, nullable=False, default=dict)

    playbook = relationship("Playbook")
    organization = relationship("Organization")
    started_by = relationship("User")
    run_steps = relationship("PlaybookRunStep", back_populates="run", cascade="all, delete-orphan",
                             order_by="PlaybookRunStep.position")

    @property
    def is_open(self):
        return self.status in OPEN_RUN_STATUSES


class PlaybookRunStep(db.Model):
    """A step of a run that has come due; the unique key makes each step happen once."""

    __tablename__ = "playbook_run_steps"
    __table_args__ = (UniqueConstraint("run_id", "step_id", name="uq_playbook_run_steps_run_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"), nullable=False)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("playbook_steps.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    due_at = mapped_column(UTCDateTime, nullable=False)
    started_at = mapped_column(UTCDateTime, nullable=False)
    completed_at = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    mails_sent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    run = relationship("PlaybookRun", back_populates="run_steps")
    step = relationship("PlaybookStep")


class CsmTask(db.Model):
    """Something a CSM has to do: a playbook's call or task, an e-mail to review, or by hand."""

    __tablename__ = "csm_tasks"
    __table_args__ = (Index("ix_csm_tasks_owner_status_due", "owner_id", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="task")
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    run_step_id: Mapped[int | None] = mapped_column(ForeignKey("playbook_run_steps.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    due_at = mapped_column(UTCDateTime, nullable=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    completed_at = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    organization = relationship("Organization")
    owner = relationship("User", foreign_keys=[owner_id])
    completed_by = relationship("User", foreign_keys=[completed_by_id])
    run_step = relationship("PlaybookRunStep")
