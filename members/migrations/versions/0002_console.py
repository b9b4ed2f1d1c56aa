"""console: review and follow-up (notes, tags, reviews, activity, flagged messages, search index, accounts)

Revision ID: 0002_console
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_console"
down_revision = "0001"
branch_labels = ("console",)
depends_on = None

UNSURE = sa.text("bot_unsure IS true")
UNSURE_SQLITE = sa.text("bot_unsure IS 1")


def upgrade() -> None:
    """Create the console's tables and the indexes the inbox and search need."""
    op.create_table(
        "enquiry_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("enquiry_id", sa.Integer(), sa.ForeignKey("enquiries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_enquiry_notes_enquiry_id", "enquiry_notes", ["enquiry_id"])
    op.create_table(
        "enquiry_tags",
        sa.Column("enquiry_id", sa.Integer(), sa.ForeignKey("enquiries.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
    )
    op.create_index("ix_enquiry_tags_tag", "enquiry_tags", ["tag"])
    op.create_table(
        "enquiry_reviews",
        sa.Column("enquiry_id", sa.Integer(), sa.ForeignKey("enquiries.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "enquiry_activity",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("enquiry_id", sa.Integer(), sa.ForeignKey("enquiries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_enquiry_activity_enquiry_id", "enquiry_activity", ["enquiry_id"])
    op.create_table(
        "flagged_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(255)),
        sa.Column("confidence", sa.Float()),
        sa.Column("correct_intent", sa.String(255), nullable=False),
        sa.Column("flagged_by", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_flagged_messages_conversation_id", "flagged_messages", ["conversation_id"])
    op.create_table(
        "conversation_index",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("visitor_messages", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("last_visitor_event_id", sa.Integer()),
        sa.Column("last_visitor_text", sa.Text()),
        sa.Column("last_visitor_unanswered", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_conversation_index_started_at", "conversation_index", ["started_at"])
    op.create_index("ix_conversation_index_last_event_id", "conversation_index", ["last_event_id"])
    op.create_table(
        "unanswered_questions",
        sa.Column("event_id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("normalised", sa.String(300), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_unanswered_questions_conversation_id", "unanswered_questions", ["conversation_id"])
    op.create_index("ix_unanswered_questions_normalised", "unanswered_questions", ["normalised"])
    op.create_index("ix_unanswered_questions_asked_at", "unanswered_questions", ["asked_at"])
    op.create_table(
        "disabled_accounts",
        sa.Column("staff_user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("disabled_by", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=False),
    )

    # Keyset pagination of the inbox: newest first, alone or within one status, cluster or advisor.
    op.create_index("ix_enquiries_created_id", "enquiries", ["created_at", "id"])
    op.create_index("ix_enquiries_updated_id", "enquiries", ["updated_at", "id"])
    op.create_index("ix_enquiries_status_created", "enquiries", ["status", "created_at", "id"])
    op.create_index("ix_enquiries_cluster_created", "enquiries", ["cluster_id", "created_at", "id"])
    op.create_index("ix_enquiries_advisor_created", "enquiries", ["advisor_id", "created_at", "id"])
    op.create_index("ix_enquiries_unsure_created", "enquiries", ["created_at", "id"],
                    postgresql_where=UNSURE, sqlite_where=UNSURE_SQLITE)
    if op.get_bind().dialect.name == "postgresql":
        # Full-text search over transcripts; console.search queries this exact expression.
        op.execute("CREATE INDEX ix_conversation_index_search ON conversation_index "
                   "USING gin (to_tsvector('simple'::regconfig, search_text))")


def downgrade() -> None:
    """Drop what upgrade created."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_conversation_index_search")
    for name in ("ix_enquiries_unsure_created", "ix_enquiries_advisor_created", "ix_enquiries_cluster_created",
                 "ix_enquiries_status_created", "ix_enquiries_updated_id", "ix_enquiries_created_id"):
        op.drop_index(name, table_name="enquiries")
    for table in ("disabled_accounts", "unanswered_questions", "conversation_index", "flagged_messages",
                  "enquiry_activity", "enquiry_reviews", "enquiry_tags", "enquiry_notes"):
        op.drop_table(table)
