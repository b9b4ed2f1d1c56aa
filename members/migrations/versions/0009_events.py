"""Rasa's `events` table, owned here: created with the schema, exactly as Rasa 3.6's SQLTrackerStore declares
it (so Rasa finds it and creates nothing), and left alone where Rasa created it before this migration

Revision ID: 0009_events
Revises: 0008_replies_feedback
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_events"
down_revision = "0008_replies_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `events` and its index on sender_id unless Rasa already did."""
    if sa.inspect(op.get_bind()).has_table("events"):
        return
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float(), nullable=True),
        sa.Column("intent_name", sa.String(255), nullable=True),
        sa.Column("action_name", sa.String(255), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
    )
    op.create_index("ix_events_sender_id", "events", ["sender_id"])


def downgrade() -> None:
    """Drop `events` (every conversation with it)."""
    op.drop_index("ix_events_sender_id", table_name="events")
    op.drop_table("events")
