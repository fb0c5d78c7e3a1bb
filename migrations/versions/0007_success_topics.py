"""topics, ticket vectors and product feedback

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Times are naive UTC columns, like 0001/0003 (app.models.base.UTCDateTime stores naive UTC).
# Ticket.topic_id stays a plain indexed integer (0001): adding a foreign key would mean rebuilding
# the tickets table on SQLite; topics are never deleted, only dismissed or merged.
def upgrade():
    op.create_table('mining_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('topic_ids', sa.JSON(), nullable=False),
    sa.Column('ticket_count', sa.Integer(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mining_state'))
    )
    op.create_table('feedback_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('importance', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('shipped_at', sa.DateTime(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_feedback_items_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_items'))
    )
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_items_status', ['status', 'updated_at'], unique=False)

    op.create_table('feedback_organizations',
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback_items.id'], name=op.f('fk_feedback_organizations_feedback_id_feedback_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_feedback_organizations_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('feedback_id', 'organization_id', name=op.f('pk_feedback_organizations'))
    )
    with op.batch_alter_table('feedback_organizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_organizations_organization_id'), ['organization_id'], unique=False)

    op.create_table('feedback_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('old_status', sa.String(length=16), nullable=True),
    sa.Column('new_status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_feedback_status_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback_items.id'], name=op.f('fk_feedback_status_changes_feedback_id_feedback_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_status_changes'))
    )
    with op.batch_alter_table('feedback_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_status_changes_feedback_id'), ['feedback_id'], unique=False)

    op.create_table('feedback_tickets',
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback_items.id'], name=op.f('fk_feedback_tickets_feedback_id_feedback_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_feedback_tickets_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('feedback_id', 'ticket_id', name=op.f('pk_feedback_tickets'))
    )
    with op.batch_alter_table('feedback_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_tickets_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('feedback_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback_items.id'], name=op.f('fk_feedback_votes_feedback_id_feedback_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_feedback_votes_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feedback_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_votes')),
    sa.UniqueConstraint('feedback_id', 'user_id', 'organization_id', name='uq_feedback_votes_item_user_org')
    )
    with op.batch_alter_table('feedback_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_votes_organization_id'), ['organization_id'], unique=False)

    op.create_table('ticket_vectors',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_vectors_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_vectors'))
    )
    op.create_table('topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('renamed', sa.Boolean(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('terms_by_language', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(), nullable=True),
    sa.Column('last_seen', sa.DateTime(), nullable=True),
    sa.Column('weekly_counts', sa.JSON(), nullable=False),
    sa.Column('trend', sa.String(length=8), nullable=False),
    sa.Column('centroid', sa.LargeBinary(), nullable=True),
    sa.Column('kb_article_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['kb_article_id'], ['kb_articles.id'], name=op.f('fk_topics_kb_article_id_kb_articles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['topics.id'], name=op.f('fk_topics_merged_into_id_topics'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics'))
    )
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.create_index('ix_topics_status_size', ['status', 'size'], unique=False)

    op.create_table('feedback_topics',
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback_items.id'], name=op.f('fk_feedback_topics_feedback_id_feedback_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_feedback_topics_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('feedback_id', 'topic_id', name=op.f('pk_feedback_topics'))
    )
    with op.batch_alter_table('feedback_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_topics_topic_id'), ['topic_id'], unique=False)

    op.create_table('topic_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_alerts_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic_alerts')),
    sa.UniqueConstraint('topic_id', 'week_start', name='uq_topic_alerts_topic_week')
    )
    with op.batch_alter_table('topic_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_topic_alerts_created', ['created_at'], unique=False)

    op.create_table('topic_pins',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('origin_topic_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_topic_pins_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['origin_topic_id'], ['topics.id'], name=op.f('fk_topic_pins_origin_topic_id_topics'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_topic_pins_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_pins_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_topic_pins'))
    )
    with op.batch_alter_table('topic_pins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_pins_topic_id'), ['topic_id'], unique=False)



def downgrade():
    with op.batch_alter_table('topic_pins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_pins_topic_id'))

    op.drop_table('topic_pins')
    with op.batch_alter_table('topic_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_topic_alerts_created')

    op.drop_table('topic_alerts')
    with op.batch_alter_table('feedback_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_topics_topic_id'))

    op.drop_table('feedback_topics')
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_index('ix_topics_status_size')

    op.drop_table('topics')
    op.drop_table('ticket_vectors')
    with op.batch_alter_table('feedback_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_votes_organization_id'))

    op.drop_table('feedback_votes')
    with op.batch_alter_table('feedback_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_tickets_ticket_id'))

    op.drop_table('feedback_tickets')
    with op.batch_alter_table('feedback_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_status_changes_feedback_id'))

    op.drop_table('feedback_status_changes')
    with op.batch_alter_table('feedback_organizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_organizations_organization_id'))

    op.drop_table('feedback_organizations')
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_items_status')

    op.drop_table('feedback_items')
    op.drop_table('mining_state')
