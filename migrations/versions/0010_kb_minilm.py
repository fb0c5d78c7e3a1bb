"""knowledge base index: MiniLM vectors for English articles, and the recipe of each entry

Existing entries get no recipe (NULL): they are stale, and the periodic `kb.refresh_stale` job (or
`flask kb reindex`) rebuilds them; until then they serve as they are.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table copy on SQLite: the vectors stay where they are).
    op.add_column("kb_article_index", sa.Column("minilm", sa.LargeBinary(), nullable=True))
    op.add_column("kb_article_index", sa.Column("recipe", sa.String(length=64), nullable=True))
    op.create_index("ix_kb_article_index_recipe", "kb_article_index", ["recipe"])


def downgrade():
    op.drop_index("ix_kb_article_index_recipe", table_name="kb_article_index")
    with op.batch_alter_table("kb_article_index") as batch:
        batch.drop_column("recipe")
        batch.drop_column("minilm")
