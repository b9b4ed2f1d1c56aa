"""visitor feedback on bot messages (thumbs up or down, an optional comment) and staff replies to visitors

Revision ID: 0008_replies_feedback
Revises: 0007_content
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_replies_feedback"
down_revision = "0007_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create visitor_feedback and staff_replies."""
    op.create_table(
        "visitor_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("text_key", sa.String(100), nullable=True),
        sa.Column("entry", sa.String(100), nullable=True),
        sa.Column("vote", sa.String(4), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("conversation_id", "event_id", name="uq_visitor_feedback_message"),
        sa.CheckConstraint("vote IN ('up', 'down')", name="ck_visitor_feedback_vote"),
    )
    op.create_index("ix_visitor_feedback_conversation_id", "visitor_feedback", ["conversation_id"])
    op.create_index("ix_visitor_feedback_entry", "visitor_feedback", ["entry"])
    op.create_index("ix_visitor_feedback_created_at", "visitor_feedback", ["created_at"])
    op.create_table(
        "staff_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("enquiry_id", sa.Integer(), sa.ForeignKey("enquiries.id", ondelete="CASCADE",
                                                            name="fk_staff_replies_enquiry_id"), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL",
                                                           name="fk_staff_replies_author_id"), nullable=True),
        sa.Column("signed", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("outbox.id", ondelete="SET NULL",
                                                           name="fk_staff_replies_outbox_id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_replies_enquiry_id", "staff_replies", ["enquiry_id"])
    op.create_index("ix_staff_replies_conversation_id", "staff_replies", ["conversation_id"])


def downgrade() -> None:
    """Back to 0007 (feedback and replies are dropped; reply mails stay in the outbox)."""
    op.drop_table("staff_replies")
    op.drop_table("visitor_feedback")
