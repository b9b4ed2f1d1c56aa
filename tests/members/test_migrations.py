"""Migrations bring an empty database, or one at the previous revision with data, to exactly the models' schema."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from members.models import Base
from members.schema import alembic_config, upgrade


def _ignore_rasa(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name == "events")


def schema_differences(url: str) -> list:
    """What Alembic's autogenerate would still change to make the database match the models."""
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _ignore_rasa, "compare_type": True}
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    return differences


def check_constraints(url: str) -> dict[str, set[str]]:
    """Named CHECK constraints per table, as the database reports them."""
    engine = create_engine(url, future=True)
    inspector = inspect(engine)
    found = {t: {c["name"] for c in inspector.get_check_constraints(t) if c.get("name")}
             for t in inspector.get_table_names() if t in Base.metadata.tables}
    engine.dispose()
    return {t: names for t, names in found.items() if names}


def model_check_constraints() -> dict[str, set[str]]:
    found = {}
    for table in Base.metadata.sorted_tables:
        names = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint" and c.name}
        if names:
            found[table.name] = names
    return found


def heads(url: str) -> set[str]:
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        versions = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    engine.dispose()
    return versions


def test_upgrade_from_empty_matches_the_models(empty_db_url):
    upgrade(empty_db_url, "heads")
    assert heads(empty_db_url) == {"0010_review"}  # one head: the next migration has one parent
    assert schema_differences(empty_db_url) == []
    assert check_constraints(empty_db_url) == model_check_constraints()


def _seed_at_0001(url: str) -> None:
    """Rows as the 0001 writer could leave them, including values the new checks refuse."""
    engine = create_engine(url, future=True)
    with engine.begin() as c:
        c.execute(text("INSERT INTO clusters VALUES ('surfmat', 'SurfMat', 'Surface Engineering', 'active')"))
        c.execute(text("INSERT INTO organisations (id, name, name_key, type, country, created_at) "
                       "VALUES (1, 'Acme', 'acme', 'space agency', 'lu', '2026-01-01')"))
        c.execute(text("INSERT INTO organisation_clusters VALUES (1, 'surfmat')"))
        c.execute(text("INSERT INTO contacts (id, email, name, profile, organisation_id, created_at, updated_at) "
                       "VALUES (1, 'Anna@Acme.lu', 'Anna', 'astronaut', 1, '2026-01-01', '2026-01-01')"))
        c.execute(text("INSERT INTO consents (contact_id, purpose, granted, notice_version, conversation_id, "
                       "recorded_at) VALUES (1, 'store contact details', true, '', 'c1', '2026-01-01')"))
        c.execute(text("INSERT INTO enquiries (id, conversation_id, channel, created_at, updated_at, summary, "
                       "language, status, bot_unsure, contact_id, cluster_id) VALUES (1, 'c1', 'rest', '2026-01-01', "
                       "'2026-01-01', 'coatings', 'en', 'closed', false, 1, 'surfmat')"))
    engine.dispose()


def test_upgrade_from_0001_keeps_the_data_and_matches_the_models(empty_db_url):
    upgrade(empty_db_url, "0001")
    _seed_at_0001(empty_db_url)
    upgrade(empty_db_url, "heads")
    assert schema_differences(empty_db_url) == []
    assert check_constraints(empty_db_url) == model_check_constraints()
    engine = create_engine(empty_db_url, future=True)
    with engine.connect() as c:
        # Nothing lost to the table rebuilds (SQLite would cascade without foreign keys switched off).
        assert c.execute(text("SELECT count(*) FROM organisation_clusters")).scalar() == 1
        assert c.execute(text("SELECT count(*) FROM consents")).scalar() == 1
        assert c.execute(text("SELECT contact_id FROM enquiries")).scalar() == 1
        # Old values the checks refuse were cleaned, not rejected.
        assert c.execute(text("SELECT email, profile, source FROM contacts")).one() == ("anna@acme.lu", None,
                                                                                        "conversation")
        assert c.execute(text("SELECT type, country FROM organisations")).one() == (None, "LU")
        assert c.execute(text("SELECT notice_version FROM consents")).scalar() == "unknown"
    engine.dispose()


@pytest.mark.parametrize("statement", [
    "UPDATE enquiries SET status = 'lost'",
    "UPDATE enquiries SET profile = 'astronaut'",
    "UPDATE contacts SET email = 'Anna@Acme.lu'",
    "UPDATE contacts SET source = 'bought list'",
    "UPDATE organisations SET country = 'lu'",
    "UPDATE organisations SET size = 'huge'",
    "UPDATE consents SET notice_version = ''",
    ("INSERT INTO consents (contact_id, purpose, granted, notice_version, conversation_id, recorded_at) "
     "SELECT contact_id, purpose, granted, notice_version, conversation_id, recorded_at FROM consents"),
])
def test_the_migrated_database_refuses_unclean_data(empty_db_url, statement):
    upgrade(empty_db_url, "0001")
    _seed_at_0001(empty_db_url)
    upgrade(empty_db_url, "heads")
    engine = create_engine(empty_db_url, future=True)
    with pytest.raises(IntegrityError), engine.begin() as c:
        c.execute(text(statement))
    engine.dispose()


def test_deleting_a_contact_detaches_its_enquiries_and_drops_its_consents(empty_db_url):
    upgrade(empty_db_url, "0001")
    _seed_at_0001(empty_db_url)
    upgrade(empty_db_url, "heads")
    from members.db import (
        make_engine,  # the application's engine: SQLite enforces foreign keys there
    )

    engine = make_engine(empty_db_url)
    with engine.begin() as c:
        c.execute(text("DELETE FROM contacts"))
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM consents")).scalar() == 0
        assert c.execute(text("SELECT contact_id, status FROM enquiries")).one() == (None, "closed")
    engine.dispose()


def test_the_members_branch_downgrades_and_upgrades_again(empty_db_url):
    upgrade(empty_db_url, "heads")
    command.downgrade(alembic_config(empty_db_url), "0005_enquiry_promise")
    command.downgrade(alembic_config(empty_db_url), "members@-1")
    assert "0002_members" not in heads(empty_db_url)
    upgrade(empty_db_url, "heads")
    assert schema_differences(empty_db_url) == []


def test_a_search_index_made_before_the_stored_vector_is_searchable_after_the_upgrade(empty_db_url):
    upgrade(empty_db_url, "0002_console")
    engine = create_engine(empty_db_url, future=True)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO conversation_index (conversation_id, started_at, last_message_at, last_event_id, "
            "visitor_messages, search_text, last_visitor_unanswered) VALUES ('old-1', '2026-11-01 10:00:00+00', "
            "'2026-11-01 10:05:00+00', 7, 2, 'anti-corrosion coatings for steel bridges', false)"))
    upgrade(empty_db_url, "heads")
    assert heads(empty_db_url) == {"0010_review"}
    if engine.dialect.name == "postgresql":  # SQLite searches with LIKE and keeps no vector
        with engine.connect() as connection:
            found = connection.execute(text(
                "SELECT conversation_id FROM conversation_index "
                "WHERE search_vector @@ to_tsquery('simple'::regconfig, 'coatings')")).scalars().all()
        assert found == ["old-1"]
    engine.dispose()


def test_the_events_table_is_the_one_rasa_declares(empty_db_url):
    """Rasa's SQLTrackerStore finds the table the migrations made (same columns, nullability, sender_id index),
    so it creates nothing; the tracker-store tests read and write through it."""
    from rasa.core.tracker_store import SQLTrackerStore

    upgrade(empty_db_url, "heads")
    engine = create_engine(empty_db_url)
    try:
        inspector = inspect(engine)
        ours = {c["name"]: c["nullable"] for c in inspector.get_columns("events")}
        indexes = [i["column_names"] for i in inspector.get_indexes("events")]
    finally:
        engine.dispose()
    rasas = {c.name: c.nullable for c in SQLTrackerStore.SQLEvent.__table__.columns}
    assert ours == rasas and ["sender_id"] in indexes
