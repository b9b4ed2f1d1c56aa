"""content in the database: items (entries with translations, clusters, advisors) and their revisions, an owner
and a review-by date per item; staff mails about no enquiry (content review reminders) in the outbox

Revision ID: 0007_content
Revises: 0006_one_head
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_content"
down_revision = "0006_one_head"
branch_labels = None
depends_on = None

CONTENT_KINDS = ("entry", "cluster", "advisor", "settings")


def upgrade() -> None:
    """Create the content tables; let an outbox mail have no enquiry."""
    listed = ", ".join(f"'{v}'" for v in CONTENT_KINDS)
    op.create_table(
        "content_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("file", sa.String(100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL",
                                                          name="fk_content_items_owner_id"), nullable=True),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.Column("published_revision_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("kind", "key", name="uq_content_items_kind_key"),
        sa.CheckConstraint(f"kind IN ({listed})", name="ck_content_items_kind"),
    )
    op.create_index("ix_content_items_owner_id", "content_items", ["owner_id"])
    op.create_index("ix_content_items_review_by", "content_items", ["review_by"])
    op.create_table(
        "content_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("content_items.id", ondelete="CASCADE",
                                                         name="fk_content_revisions_item_id"), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("note", sa.String(300), nullable=False, server_default=""),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL",
                                                            name="fk_content_revisions_created_by"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL",
                                                              name="fk_content_revisions_published_by"), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rolled_back_from", sa.Integer(), nullable=True),
    )
    op.create_index("ix_content_revisions_item_id", "content_revisions", ["item_id"])
    op.create_index("ix_content_revisions_published_at", "content_revisions", ["published_at"])
    with op.batch_alter_table("content_items") as batch:
        batch.create_foreign_key("fk_content_items_published_revision", "content_revisions",
                                 ["published_revision_id"], ["id"])
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("enquiry_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    """Back to 0006 (content review reminders, which have no enquiry, are dropped from the outbox)."""
    op.execute("DELETE FROM outbox WHERE enquiry_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("enquiry_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("content_items") as batch:
        batch.drop_constraint("fk_content_items_published_revision", type_="foreignkey")
    op.drop_table("content_revisions")
    op.drop_table("content_items")
