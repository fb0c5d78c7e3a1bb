"""ticket search documents with their full-text index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:00:00

The search documents hold text already normalized by app/support/search.py (space-separated
tokens, CJK as bigrams). The full-text index over them is database-specific:
- SQLite: an FTS5 table with ticket_search as external content, kept in step by triggers. Its
  'ascii' tokenizer splits only at ASCII separators (the spaces search.py put there) and keeps every
  other character, so stored and queried tokens are exactly Python's, whatever SQLite's Unicode tables;
- PostgreSQL: GIN indexes over array_to_tsvector(string_to_array(text, ' ')) — the expression
  search.tsvector_of() emits, so the planner uses them.
The queue needs no new index: 0001's (status, due_at, priority DESC, id) and
(assignee_id, status, due_at, priority DESC, id) serve every branch of app/support/queries.py.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_TSV = "array_to_tsvector(string_to_array({col}, ' '::text))"


def upgrade():
    op.create_table(
        'ticket_search',
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('public_text', sa.Text(), nullable=False),
        sa.Column('full_text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_search_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_search')),
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute(
            "CREATE VIRTUAL TABLE ticket_search_fts USING fts5("
            "public_text, full_text, content='ticket_search', content_rowid='ticket_id', "
            "tokenize='ascii', detail='column')"
        )
        op.execute(
            "CREATE TRIGGER ticket_search_fts_insert AFTER INSERT ON ticket_search BEGIN "
            "INSERT INTO ticket_search_fts(rowid, public_text, full_text) "
            "VALUES (new.ticket_id, new.public_text, new.full_text); END"
        )
        op.execute(
            "CREATE TRIGGER ticket_search_fts_delete AFTER DELETE ON ticket_search BEGIN "
            "INSERT INTO ticket_search_fts(ticket_search_fts, rowid, public_text, full_text) "
            "VALUES ('delete', old.ticket_id, old.public_text, old.full_text); END"
        )
        op.execute(
            "CREATE TRIGGER ticket_search_fts_update AFTER UPDATE ON ticket_search BEGIN "
            "INSERT INTO ticket_search_fts(ticket_search_fts, rowid, public_text, full_text) "
            "VALUES ('delete', old.ticket_id, old.public_text, old.full_text); "
            "INSERT INTO ticket_search_fts(rowid, public_text, full_text) "
            "VALUES (new.ticket_id, new.public_text, new.full_text); END"
        )
    elif dialect == 'postgresql':
        for col in ('public_text', 'full_text'):
            name = col.split('_')[0]
            op.execute(f"CREATE INDEX ix_ticket_search_{name}_fts ON ticket_search USING gin ({_TSV.format(col=col)})")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS ticket_search_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS ticket_search_fts")
    elif dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_ticket_search_public_fts")
        op.execute("DROP INDEX IF EXISTS ix_ticket_search_full_fts")
    op.drop_table('ticket_search')
