"""enquiries: what the visitor needs, the kind of enquiry, follow-ups kept beside it, and the reply promise
(due time, acknowledgement, reminder and escalation)

Revision ID: 0005_enquiry_promise
Revises: 0004_fail_closed
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_enquiry_promise"
down_revision = "0004_fail_closed"
branch_labels = None
depends_on = None

ENQUIRY_KINDS = ("project", "question", "handoff", "privacy")


def upgrade() -> None:
    """Add the columns and the follow-ups table; existing hand-offs become kind 'handoff', others 'project'."""
    listed = ", ".join(f"'{v}'" for v in ENQUIRY_KINDS)
    with op.batch_alter_table("enquiries") as batch:
        batch.add_column(sa.Column("need", sa.Text(), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(16), nullable=True))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_enquiries_due_at", ["due_at"])
        batch.create_foreign_key("fk_enquiries_acknowledged_by", "staff_users", ["acknowledged_by"], ["id"],
                                 ondelete="SET NULL")
        batch.create_check_constraint("ck_enquiries_kind", f"kind IS NULL OR kind IN ({listed})")
    op.execute("UPDATE enquiries SET kind = CASE WHEN handoff_reason IS NOT NULL THEN 'handoff' ELSE 'project' END")
    op.create_table(
        "enquiry_followups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("enquiry_id", sa.Integer(), sa.ForeignKey("enquiries.id", ondelete="CASCADE",
                                                            name="fk_enquiry_followups_enquiry_id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_enquiry_followups_enquiry_id", "enquiry_followups", ["enquiry_id"])


def downgrade() -> None:
    """Back to 0004."""
    op.drop_index("ix_enquiry_followups_enquiry_id", table_name="enquiry_followups")
    op.drop_table("enquiry_followups")
    with op.batch_alter_table("enquiries") as batch:
        batch.drop_constraint("ck_enquiries_kind", type_="check")
        batch.drop_constraint("fk_enquiries_acknowledged_by", type_="foreignkey")
        batch.drop_index("ix_enquiries_due_at")
        for column in ("escalated_at", "reminded_at", "acknowledged_by", "acknowledged_at", "due_at", "kind", "need"):
            batch.drop_column(column)
