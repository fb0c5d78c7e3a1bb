"""Account health: scores and history, weight profiles, NPS, usage figures, segments, notes and the
lifecycle-stage history the churn figures are computed from."""

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class AccountHealth(db.Model):
    """The latest computed score of one account (one row per organization)."""

    __tablename__ = "account_health"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    # NULL when no measure had data (or every present measure weighs 0).
    score: Mapped[int | None] = mapped_column(SmallInteger)
    band: Mapped[str | None] = mapped_column(String(10), index=True)
    trend: Mapped[str | None] = mapped_column(String(5))
    # {"measure": {"score": 0-100, "weight": w, ...raw figures}}; measures without data are absent.
    measures = mapped_column(JSON, nullable=False, default=dict)
    missing = mapped_column(JSON, nullable=False, default=list)
    # [{"measure", "score", "params"}], the measures pulling the score down most, worst first.
    reasons = mapped_column(JSON, nullable=False, default=list)
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("health_profiles.id", ondelete="SET NULL"))
    computed_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    organization = relationship("Organization")


class HealthSnapshot(db.Model):
    """One score per account and day: the history, the chart and the trend."""

    __tablename__ = "health_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    day = mapped_column(Date, nullable=False)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    band: Mapped[str | None] = mapped_column(String(10))
    measures = mapped_column(JSON, nullable=False, default=dict)

    __table_args__ = (
        UniqueConstraint("organization_id", "day", name="uq_health_snapshots_org_day"),
        Index("ix_health_snapshots_day", "day"),
    )


class HealthProfile(db.Model):
    """Measure weights and band thresholds; applies to a segment tag, a lifecycle stage, or all."""

    __tablename__ = "health_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    # Exactly one default profile; others name a stage or a segment tag (tag wins over stage).
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    stage: Mapped[str | None] = mapped_column(String(20))
    segment_tag: Mapped[str | None] = mapped_column(String(64))
    weights = mapped_column(JSON, nullable=False, default=dict)
    healthy_min: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=70)
    at_risk_min: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=40)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class NpsSurvey(db.Model):
    """One sending of the NPS question to an account's contacts."""

    __tablename__ = "nps_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    organization = relationship("Organization")
    responses = relationship("NpsResponse", back_populates="survey", cascade="all, delete-orphan")


class NpsResponse(db.Model):
    """One contact's invitation and answer (score NULL until answered)."""

    __tablename__ = "nps_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("nps_surveys.id", ondelete="CASCADE"), nullable=False)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    sent_at = mapped_column(UTCDateTime)
    answered_at = mapped_column(UTCDateTime)

    survey = relationship("NpsSurvey", back_populates="responses")
    user = relationship("User")

    __table_args__ = (
        UniqueConstraint("survey_id", "user_id", name="uq_nps_responses_survey_user"),
        Index("ix_nps_responses_org_answered", "organization_id", "answered_at"),
        Index("ix_nps_responses_answered", "answered_at"),
    )


class UsageFigure(db.Model):
    """A product-usage figure (logins, features used …) of one account on one day."""

    __tablename__ = "usage_figures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    day = mapped_column(Date, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    imported_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("organization_id", "metric", "day", name="uq_usage_figures_org_metric_day"),
        Index("ix_usage_figures_day", "day"),
    )


class Segment(db.Model):
    """A saved filter over accounts; its members are computed when asked (accounts_in_segment)."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    # {"plans": [...], "mrr_min": n, "mrr_max": n, "stages": [...], "bands": [...], "tags": [...],
    #  "min_topic_exposure": n, "renewal_within_days": n}; absent keys match everything.
    filters = mapped_column(JSON, nullable=False, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    created_by = relationship("User")


class AccountNote(db.Model):
    """A CSM's note on an account (shown in its timeline)."""

    __tablename__ = "account_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    author = relationship("User")

    __table_args__ = (Index("ix_account_notes_org_created", "organization_id", "created_at"),)


class StageChange(db.Model):
    """Every lifecycle-stage change of an account (old NULL: the account was created in `new_stage`).
    Churn and retention by month are computed from these rows."""

    __tablename__ = "organization_stage_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    old_stage: Mapped[str | None] = mapped_column(String(20))
    new_stage: Mapped[str] = mapped_column(String(20), nullable=False)
    changed_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_organization_stage_changes_org", "organization_id", "changed_at"),
        Index("ix_organization_stage_changes_changed", "changed_at"),
    )


StageChange.organization = relationship("Organization")


def _record_stage_changes(session, flush_context, instances):
    """Writes a StageChange for every new account and every stage change, whoever makes it."""
    from sqlalchemy import inspect as sa_inspect

    from app.models.organization import Organization

    for obj in list(session.new):
        if isinstance(obj, Organization):
            session.add(StageChange(organization=obj, old_stage=None, new_stage=obj.stage or "onboarding",
                                    changed_at=obj.created_at or utcnow()))
    for obj in list(session.dirty):
        if isinstance(obj, Organization):
            history = sa_inspect(obj).attrs.stage.history
            if history.has_changes() and history.deleted and history.added and history.deleted[0] != history.added[0]:
                session.add(StageChange(organization=obj, old_stage=history.deleted[0],
                                        new_stage=history.added[0], changed_at=utcnow()))


from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

event.listen(Session, "before_flush", _record_stage_changes)


def _load_old_stage(target, value, oldvalue, initiator):
    return value


def _register_stage_history():
    from app.models.organization import Organization

    # active_history: the old stage is loaded before a change even when the row was expired, so
    # the flush knows what it changed from.
    event.listen(Organization.stage, "set", _load_old_stage, active_history=True, retval=True)


_register_stage_history()
