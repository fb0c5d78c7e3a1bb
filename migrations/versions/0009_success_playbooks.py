"""playbooks, runs and CSM tasks

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('playbooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('objective', sa.String(length=20), nullable=False),
    sa.Column('objective_topic_id', sa.Integer(), nullable=True),
    sa.Column('objective_days', sa.Integer(), nullable=False),
    sa.Column('reenrol_days', sa.Integer(), nullable=False),
    sa.Column('max_runs_per_account', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_playbooks_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbooks')),
    sa.UniqueConstraint('name', name=op.f('uq_playbooks_name'))
    )
    op.create_table('playbook_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('playbook_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('hold_for_review', sa.Boolean(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('article_url', sa.String(length=500), nullable=False),
    sa.Column('delay_minutes', sa.Integer(), nullable=False),
    sa.Column('owner_rule', sa.String(length=16), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('owner_group_id', sa.Integer(), nullable=True),
    sa.Column('round_robin_last_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['owner_group_id'], ['groups.id'], name=op.f('fk_playbook_steps_owner_group_id_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_playbook_steps_owner_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbooks.id'], name=op.f('fk_playbook_steps_playbook_id_playbooks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_robin_last_user_id'], ['users.id'], name=op.f('fk_playbook_steps_round_robin_last_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbook_steps')),
    sa.UniqueConstraint('playbook_id', 'position', name='uq_playbook_steps_playbook_position')
    )
    op.create_table('playbook_triggers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('playbook_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_evaluated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbooks.id'], name=op.f('fk_playbook_triggers_playbook_id_playbooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbook_triggers'))
    )
    with op.batch_alter_table('playbook_triggers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_playbook_triggers_playbook_id'), ['playbook_id'], unique=False)
    op.create_table('playbook_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('playbook_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_slot', sa.Boolean(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('trigger_id', sa.Integer(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(), nullable=False),
    sa.Column('paused_minutes', sa.Integer(), nullable=False),
    sa.Column('paused_at', sa.DateTime(), nullable=True),
    sa.Column('next_due_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('baseline', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_playbook_runs_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbooks.id'], name=op.f('fk_playbook_runs_playbook_id_playbooks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_playbook_runs_started_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trigger_id'], ['playbook_triggers.id'], name=op.f('fk_playbook_runs_trigger_id_playbook_triggers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbook_runs')),
    sa.UniqueConstraint('playbook_id', 'organization_id', 'open_slot', name='uq_playbook_runs_open')
    )
    with op.batch_alter_table('playbook_runs', schema=None) as batch_op:
        batch_op.create_index('ix_playbook_runs_next_due_at', ['next_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_playbook_runs_organization_id'), ['organization_id'], unique=False)
    op.create_table('playbook_run_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('mails_sent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['playbook_runs.id'], name=op.f('fk_playbook_run_steps_run_id_playbook_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['playbook_steps.id'], name=op.f('fk_playbook_run_steps_step_id_playbook_steps'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbook_run_steps')),
    sa.UniqueConstraint('run_id', 'step_id', name='uq_playbook_run_steps_run_step')
    )
    op.create_table('csm_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('run_step_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_csm_tasks_completed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_csm_tasks_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_csm_tasks_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_step_id'], ['playbook_run_steps.id'], name=op.f('fk_csm_tasks_run_step_id_playbook_run_steps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csm_tasks'))
    )
    with op.batch_alter_table('csm_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csm_tasks_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_csm_tasks_owner_status_due', ['owner_id', 'status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_csm_tasks_run_step_id'), ['run_step_id'], unique=False)


def downgrade():
    for table in ("csm_tasks", "playbook_run_steps", "playbook_runs", "playbook_triggers", "playbook_steps", "playbooks"):
        op.drop_table(table)
