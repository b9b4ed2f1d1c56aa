"""review that covers what goes wrong: flags of a wrong answer, a wrong cluster or stale content beside the intent
ones, low-confidence messages for the review queue, and the bot's replies counted by kind in the search index
(which the worker then reads again from `events`)

Revision ID: 0010_review
Revises: 0009_events
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_review"
down_revision = "0009_events"
branch_labels = None
depends_on = None

FLAG_KINDS = "kind IN ('intent', 'wrong_answer', 'wrong_cluster', 'stale', 'ok')"
REPLY_COUNTS = ("answers", "unsure_replies", "out_of_scope_replies")
FLAG_INDEXES = ("answered_entry", "correct_entry", "proposed_cluster", "correct_cluster")


def upgrade() -> None:
    """Widen flagged_messages, create low_confidence_messages, add the reply counts and empty the search index."""
    with op.batch_alter_table("flagged_messages") as batch:
        batch.alter_column("correct_intent", existing_type=sa.String(255), nullable=True)
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="intent"))
        batch.add_column(sa.Column("bot_event_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("answered_entry", sa.String(100), nullable=True))
        batch.add_column(sa.Column("correct_entry", sa.String(100), nullable=True))
        batch.add_column(sa.Column("proposed_cluster", sa.String(32), nullable=True))
        batch.add_column(sa.Column("correct_cluster", sa.String(32), nullable=True))
        batch.add_column(sa.Column("note", sa.String(300), nullable=True))
        batch.add_column(sa.Column("revision_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_flagged_messages_revision_id", "content_revisions", ["revision_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_check_constraint("ck_flagged_messages_kind", FLAG_KINDS)
    for column in FLAG_INDEXES:
        op.create_index(f"ix_flagged_messages_{column}", "flagged_messages", [column])
    op.create_table(
        "low_confidence_messages",
        sa.Column("event_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(255), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_low_confidence_messages_conversation_id", "low_confidence_messages", ["conversation_id"])
    op.create_index("ix_low_confidence_messages_asked_at", "low_confidence_messages", ["asked_at"])
    with op.batch_alter_table("conversation_index") as batch:
        for column in REPLY_COUNTS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("handed_off", sa.Boolean(), nullable=False, server_default=sa.false()))
    # The worker reads every conversation again (console.search.refresh), now counting replies by kind. Its stored
    # search vector stays until then, so PostgreSQL's search keeps finding old conversations meanwhile.
    op.execute("DELETE FROM unanswered_questions")
    op.execute("UPDATE conversation_index SET last_event_id = 0, visitor_messages = 0, search_text = '', "
               "last_visitor_event_id = NULL, last_visitor_text = NULL, last_visitor_unanswered = false")


def downgrade() -> None:
    """Back to 0009: the new flags and the reply counts are dropped (intent flags stay)."""
    with op.batch_alter_table("conversation_index") as batch:
        for column in (*REPLY_COUNTS, "handed_off"):
            batch.drop_column(column)
    op.drop_table("low_confidence_messages")
    op.execute("DELETE FROM flagged_messages WHERE correct_intent IS NULL OR kind <> 'intent'")
    for column in FLAG_INDEXES:
        op.drop_index(f"ix_flagged_messages_{column}", table_name="flagged_messages")
    with op.batch_alter_table("flagged_messages") as batch:
        batch.drop_constraint("ck_flagged_messages_kind", type_="check")
        batch.drop_constraint("fk_flagged_messages_revision_id", type_="foreignkey")
        for column in ("revision_id", "note", "correct_cluster", "proposed_cluster", "correct_entry",
                       "answered_entry", "bot_event_id", "kind"):
            batch.drop_column(column)
        batch.alter_column("correct_intent", existing_type=sa.String(255), nullable=False)
