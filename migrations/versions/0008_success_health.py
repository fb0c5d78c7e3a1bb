"""account health, NPS, usage and segments

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Lifecycle stages were renamed: trial → onboarding, active → mature.
STAGE_RENAMES = (("trial", "onboarding"), ("active", "mature"))


def upgrade():
    op.create_table(
        "health_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("segment_tag", sa.String(length=64), nullable=True),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("healthy_min", sa.SmallInteger(), nullable=False),
        sa.Column("at_risk_min", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "account_health",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("band", sa.String(length=10), nullable=True),
        sa.Column("trend", sa.String(length=5), nullable=True),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["profile_id"], ["health_profiles.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("organization_id"),
    )
    op.create_index("ix_account_health_band", "account_health", ["band"])
    op.create_table(
        "health_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("band", sa.String(length=10), nullable=True),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "day", name="uq_health_snapshots_org_day"),
    )
    op.create_index("ix_health_snapshots_day", "health_snapshots", ["day"])
    op.create_table(
        "nps_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["segment_id"], ["segments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_nps_surveys_organization_id", "nps_surveys", ["organization_id"])
    op.create_table(
        "nps_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["nps_surveys.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "user_id", name="uq_nps_responses_survey_user"),
    )
    op.create_index("ix_nps_responses_org_answered", "nps_responses", ["organization_id", "answered_at"])
    op.create_index("ix_nps_responses_answered", "nps_responses", ["answered_at"])
    op.create_table(
        "usage_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "metric", "day", name="uq_usage_figures_org_metric_day"),
    )
    op.create_index("ix_usage_figures_day", "usage_figures", ["day"])
    op.create_table(
        "account_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_notes_org_created", "account_notes", ["organization_id", "created_at"])
    op.create_table(
        "organization_stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("old_stage", sa.String(length=20), nullable=True),
        sa.Column("new_stage", sa.String(length=20), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_organization_stage_changes_org", "organization_stage_changes", ["organization_id", "changed_at"])
    op.create_index("ix_organization_stage_changes_changed", "organization_stage_changes", ["changed_at"])

    for old, new in STAGE_RENAMES:
        op.execute(sa.text("UPDATE organizations SET stage = :new WHERE stage = :old").bindparams(old=old, new=new))
    # Existing accounts start their history in the stage they are in, from their creation.
    op.execute(
        "INSERT INTO organization_stage_changes (organization_id, old_stage, new_stage, changed_at) "
        "SELECT id, NULL, stage, created_at FROM organizations"
    )


def downgrade():
    for old, new in STAGE_RENAMES:
        op.execute(sa.text("UPDATE organizations SET stage = :old WHERE stage = :new").bindparams(old=old, new=new))
    op.execute("UPDATE organizations SET stage = 'active' WHERE stage = 'adopting'")
    op.drop_index("ix_organization_stage_changes_changed", table_name="organization_stage_changes")
    op.drop_index("ix_organization_stage_changes_org", table_name="organization_stage_changes")
    op.drop_table("organization_stage_changes")
    op.drop_index("ix_account_notes_org_created", table_name="account_notes")
    op.drop_table("account_notes")
    op.drop_index("ix_usage_figures_day", table_name="usage_figures")
    op.drop_table("usage_figures")
    op.drop_index("ix_nps_responses_answered", table_name="nps_responses")
    op.drop_index("ix_nps_responses_org_answered", table_name="nps_responses")
    op.drop_table("nps_responses")
    op.drop_index("ix_nps_surveys_organization_id", table_name="nps_surveys")
    op.drop_table("nps_surveys")
    op.drop_index("ix_health_snapshots_day", table_name="health_snapshots")
    op.drop_table("health_snapshots")
    op.drop_index("ix_account_health_band", table_name="account_health")
    op.drop_table("account_health")
    op.drop_table("segments")
    op.drop_table("health_profiles")
