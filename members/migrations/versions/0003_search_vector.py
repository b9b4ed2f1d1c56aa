"""console: transcript search on a stored tsvector instead of an expression index

Revision ID: 0003_search_vector
Revises: 0002_console

PostgreSQL's planner recomputed to_tsvector(search_text) row by row for some searches; the vector is
now stored (console.search keeps it) and GIN-indexed. Existing rows get theirs here. On SQLite the
column stays NULL (search uses LIKE there).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_search_vector"
down_revision = "0002_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the stored vector, fill it, and index it instead of the expression."""
    op.add_column("conversation_index",
                  sa.Column("search_vector", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_conversation_index_search")
        op.execute("UPDATE conversation_index SET search_vector = to_tsvector('simple'::regconfig, search_text)")
    op.create_index("ix_conversation_index_search", "conversation_index", ["search_vector"], postgresql_using="gin")


def downgrade() -> None:
    """Back to the expression index of 0002_console."""
    op.drop_index("ix_conversation_index_search", table_name="conversation_index")
    with op.batch_alter_table("conversation_index") as batch:
        batch.drop_column("search_vector")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_conversation_index_search ON conversation_index "
                   "USING gin (to_tsvector('simple'::regconfig, search_text))")
