"""one head: the members branch (0002_members) and the console line (0002_console … 0005) meet here, so every
later migration has one parent

Revision ID: 0006_one_head
Revises: 0002_members, 0005_enquiry_promise
"""

revision = "0006_one_head"
down_revision = ("0002_members", "0005_enquiry_promise")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the two lines only join."""


def downgrade() -> None:
    """Nothing to change: the two lines part again."""
