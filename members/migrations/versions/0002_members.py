"""members: constraints that keep the member data clean, contact source, enquiry anonymisation

Revision ID: 0002_members
Revises: 0001
Create Date: 2026-11-26

Existing rows are first brought in line with the new checks (unknown profile, type or size
values become NULL, e-mails lower case, an empty notice version becomes 'unknown'), so the
upgrade never fails on old data. The value lists are copied here on purpose: a migration is a
snapshot and must not change when members/models.py does.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_members"
down_revision = "0001"
branch_labels = ("members",)
depends_on = None

PROFILES = ("sme", "large_company", "private_research_centre", "public_research_lab", "researcher",
            "entrepreneur", "individual")
ORGANISATION_TYPES = ("company", "start_up", "private_research_centre", "public_research_lab", "university",
                      "public_body", "association", "other")
ORGANISATION_SIZES = ("micro", "small", "medium", "large")
CONTACT_SOURCES = ("conversation", "import")
ENQUIRY_STATUSES = ("new", "in_progress", "handed_off", "closed")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "held", "handled", "erased")
# How SQLite's unnamed foreign keys of 0001 are named while a batch operation rebuilds the table.
SQLITE_FK_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _one_of(column: str, values: tuple[str, ...], nullable: bool = True) -> str:
    if nullable:
        return f"{column} IS NULL OR {column} IN ({_listed(values)})"
    return f"{column} IN ({_listed(values)})"


def _foreign_key_name(table: str, column: str, referred: str) -> str:
    """The name of 0001's foreign key on `table.column`: PostgreSQL named it, SQLite did not."""
    for fk in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if fk["constrained_columns"] == [column] and fk.get("name"):
            return fk["name"]
    return f"fk_{table}_{column}_{referred}"


def _clean_existing_rows() -> None:
    """Make rows written under 0001 satisfy the new checks instead of failing the upgrade."""
    op.execute(f"UPDATE contacts SET profile = NULL WHERE profile NOT IN ({_listed(PROFILES)})")
    op.execute("UPDATE contacts SET email = lower(trim(email)) WHERE email <> lower(trim(email))")
    op.execute(f"UPDATE enquiries SET profile = NULL WHERE profile NOT IN ({_listed(PROFILES)})")
    op.execute(f"UPDATE enquiries SET status = 'new' WHERE status NOT IN ({_listed(ENQUIRY_STATUSES)})")
    op.execute("UPDATE organisations SET name = name_key WHERE trim(name) = '' AND trim(name_key) <> ''")
    op.execute("UPDATE organisations SET name = '(no name)' WHERE trim(name) = ''")
    op.execute(f"UPDATE organisations SET type = NULL WHERE type NOT IN ({_listed(ORGANISATION_TYPES)})")
    op.execute(f"UPDATE organisations SET size = NULL WHERE size NOT IN ({_listed(ORGANISATION_SIZES)})")
    op.execute("UPDATE organisations SET country = upper(trim(country)) WHERE country IS NOT NULL")
    op.execute("UPDATE organisations SET country = NULL WHERE length(country) <> 2")
    op.execute("UPDATE consents SET notice_version = 'unknown' WHERE trim(notice_version) = ''")
    op.execute(f"UPDATE outbox SET status = 'failed' WHERE status NOT IN ({_listed(OUTBOX_STATUSES)})")
    op.execute(
        "DELETE FROM consents WHERE conversation_id IS NOT NULL AND id NOT IN "
        "(SELECT min(id) FROM consents WHERE conversation_id IS NOT NULL "
        "GROUP BY contact_id, conversation_id, purpose)"
    )


def upgrade() -> None:
    _clean_existing_rows()
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.create_check_constraint("ck_organisations_name", "trim(name) <> ''")
        batch_op.create_check_constraint("ck_organisations_type", _one_of("type", ORGANISATION_TYPES))
        batch_op.create_check_constraint("ck_organisations_size", _one_of("size", ORGANISATION_SIZES))
        batch_op.create_check_constraint(
            "ck_organisations_country", "country IS NULL OR (length(country) = 2 AND upper(country) = country)"
        )

    old_fk = _foreign_key_name("contacts", "organisation_id", "organisations")
    with op.batch_alter_table("contacts", naming_convention=SQLITE_FK_NAMES) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=False, server_default="conversation"))
        batch_op.drop_constraint(old_fk, type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_contacts_organisation_id", "organisations", ["organisation_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_check_constraint("ck_contacts_email", "email = lower(email) AND email LIKE '%_@_%'")
        batch_op.create_check_constraint("ck_contacts_profile", _one_of("profile", PROFILES))
        batch_op.create_check_constraint("ck_contacts_source", _one_of("source", CONTACT_SOURCES, nullable=False))

    with op.batch_alter_table("consents") as batch_op:
        batch_op.create_unique_constraint(
            "uq_consents_contact_conversation_purpose", ["contact_id", "conversation_id", "purpose"]
        )
        batch_op.create_check_constraint("ck_consents_purpose", "trim(purpose) <> ''")
        batch_op.create_check_constraint("ck_consents_notice_version", "trim(notice_version) <> ''")

    old_fk = _foreign_key_name("enquiries", "contact_id", "contacts")
    with op.batch_alter_table("enquiries", naming_convention=SQLITE_FK_NAMES) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(old_fk, type_="foreignkey")
        batch_op.create_foreign_key("fk_enquiries_contact_id", "contacts", ["contact_id"], ["id"], ondelete="SET NULL")
        batch_op.create_check_constraint("ck_enquiries_status", _one_of("status", ENQUIRY_STATUSES, nullable=False))
        batch_op.create_check_constraint("ck_enquiries_profile", _one_of("profile", PROFILES))

    with op.batch_alter_table("outbox") as batch_op:
        batch_op.create_check_constraint("ck_outbox_status", _one_of("status", OUTBOX_STATUSES, nullable=False))


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'erased'")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_constraint("ck_outbox_status", type_="check")

    with op.batch_alter_table("enquiries") as batch_op:
        batch_op.drop_constraint("ck_enquiries_profile", type_="check")
        batch_op.drop_constraint("ck_enquiries_status", type_="check")
        batch_op.drop_constraint("fk_enquiries_contact_id", type_="foreignkey")
        batch_op.create_foreign_key("enquiries_contact_id_fkey", "contacts", ["contact_id"], ["id"])
        batch_op.drop_column("anonymised_at")

    with op.batch_alter_table("consents") as batch_op:
        batch_op.drop_constraint("ck_consents_notice_version", type_="check")
        batch_op.drop_constraint("ck_consents_purpose", type_="check")
        batch_op.drop_constraint("uq_consents_contact_conversation_purpose", type_="unique")

    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_constraint("ck_contacts_source", type_="check")
        batch_op.drop_constraint("ck_contacts_profile", type_="check")
        batch_op.drop_constraint("ck_contacts_email", type_="check")
        batch_op.drop_constraint("fk_contacts_organisation_id", type_="foreignkey")
        batch_op.create_foreign_key("contacts_organisation_id_fkey", "organisations", ["organisation_id"], ["id"])
        batch_op.drop_column("source")

    with op.batch_alter_table("organisations") as batch_op:
        batch_op.drop_constraint("ck_organisations_country", type_="check")
        batch_op.drop_constraint("ck_organisations_size", type_="check")
        batch_op.drop_constraint("ck_organisations_type", type_="check")
        batch_op.drop_constraint("ck_organisations_name", type_="check")
