"""The enquiry spool keeps every record the database can't take, and says which failures are outages and
which are faults for a person to fix."""
from __future__ import annotations

import logging

from sqlalchemy import select, text

from members import spool
from members.db import engine_for, session_factory
from members.enquiries import EnquiryRecord
from members.models import Enquiry

DOWN = "postgresql+psycopg2://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1


def record(conversation_id: str) -> EnquiryRecord:
    return EnquiryRecord(conversation_id=conversation_id, consent=True, notice_version="2026-11", name="Anna Muller",
                         email="anna.muller@acme-coatings.lu", question="Funding for a pilot line?")


def test_an_unreachable_database_spools_the_enquiry_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="members.spool"):
        assert spool.save(session_factory(DOWN), record("anna-1"), tmp_path) is None
    engine_for(DOWN).dispose()
    assert len(spool.pending(tmp_path)) == 1
    assert [r.levelname for r in caplog.records] == ["WARNING"] and "database unavailable" in caplog.text


def test_a_schema_fault_keeps_the_enquiry_and_is_logged_as_an_error(db_url, db, tmp_path, caplog):
    engine = engine_for(db_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE enquiries RENAME TO enquiries_moved"))
    with caplog.at_level(logging.WARNING, logger="members.spool"):
        assert spool.save(db, record("anna-2"), tmp_path) is None
        assert spool.replay(db, tmp_path) == 0
    assert len(spool.pending(tmp_path)) == 1  # kept, not lost
    if db_url.startswith("postgresql"):  # SQLite reports a missing table as an OperationalError, like an outage
        assert {r.levelname for r in caplog.records} == {"ERROR"} and "not an outage" in caplog.text
        caplog.clear()
        assert spool.replay(db, tmp_path) == 0
        assert caplog.records == []  # the fault is logged once, not on every round of the sender

    with engine.begin() as connection:  # the schema is put right: the next replay writes it, once
        connection.execute(text("ALTER TABLE enquiries_moved RENAME TO enquiries"))
    assert spool.replay(db, tmp_path) == 1 and spool.replay(db, tmp_path) == 0
    with db() as session:
        assert session.scalars(select(Enquiry.conversation_id)).all() == ["anna-2"]
    assert spool.pending(tmp_path) == []
