"""fail closed: server-side console sessions, login throttling per account and address, a forced first
password change, the staff-mail cap's client key, and the visitor's unverified claims on the enquiry

Revision ID: 0004_fail_closed
Revises: 0003_search_vector

Chat input no longer rewrites contacts: what the visitor said is kept on the enquiry (claimed_*), and
existing enquiries get theirs from the contact they were linked to. The per-account lockout columns
give way to login_throttle, keyed to account and client address.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_fail_closed"
down_revision = "0003_search_vector"
branch_labels = None
depends_on = None

CONTACT_STATUSES = ("new", "claimed", "confirmed")


def upgrade() -> None:
    """Add the session and throttle tables and the new columns; fill the claims of existing enquiries."""
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("staff_user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="CASCADE",
                                                               name="fk_staff_sessions_staff_user_id"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_sessions_staff_user_id", "staff_sessions", ["staff_user_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("client_key", sa.String(64), nullable=True))
        batch.create_index("ix_outbox_client_key", ["client_key"])
    listed = ", ".join(f"'{v}'" for v in CONTACT_STATUSES)
    with op.batch_alter_table("enquiries") as batch:
        batch.add_column(sa.Column("claimed_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("claimed_email", sa.String(255), nullable=True))
        batch.add_column(sa.Column("claimed_phone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claimed_organisation", sa.String(200), nullable=True))
        batch.add_column(sa.Column("contact_status", sa.String(16), nullable=True))
        batch.create_index("ix_enquiries_claimed_email", ["claimed_email"])
        batch.create_check_constraint("ck_enquiries_contact_status",
                                      f"contact_status IS NULL OR contact_status IN ({listed})")
    op.execute(
        "UPDATE enquiries SET contact_status = 'confirmed', "
        "claimed_name = (SELECT name FROM contacts WHERE contacts.id = enquiries.contact_id), "
        "claimed_email = (SELECT email FROM contacts WHERE contacts.id = enquiries.contact_id), "
        "claimed_phone = (SELECT phone FROM contacts WHERE contacts.id = enquiries.contact_id) "
        "WHERE contact_id IS NOT NULL"
    )


def downgrade() -> None:
    """Back to 0003: the claims, the client key and the session tables go; the lockout columns return."""
    with op.batch_alter_table("enquiries") as batch:
        batch.drop_constraint("ck_enquiries_contact_status", type_="check")
        batch.drop_index("ix_enquiries_claimed_email")
        for column in ("contact_status", "claimed_organisation", "claimed_phone", "claimed_email", "claimed_name"):
            batch.drop_column(column)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_client_key")
        batch.drop_column("client_key")
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.drop_column("must_change_password")
    op.drop_table("login_throttle")
    op.drop_index("ix_staff_sessions_staff_user_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
