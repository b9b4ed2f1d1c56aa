"""The background worker runs the periodic jobs; a visitor's turn and a console page no longer do them."""
from __future__ import annotations

import dataclasses
import itertools

from sqlalchemy import select

from firststop.settings import get_settings
from members import spool
from members.db import session_factory
from members.enquiries import EnquiryRecord, MailDraft
from members.models import Enquiry, OutboxMessage
from tests.conftest import eventually
from worker import __main__ as worker_main
from worker.context import Context

DOWN = "postgresql+psycopg2://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1


def record(conversation_id: str) -> EnquiryRecord:
    return EnquiryRecord(conversation_id=conversation_id, consent=True, notice_version="2026-11", name="Anna Muller",
                         email="anna.muller@acme-coatings.lu", question="Funding for a pilot line?",
                         status="handed_off", handoff_reason="visitor_asked",
                         mails=[MailDraft("handoff", f"<{conversation_id}@firststop.test>", "advisor@example.org",
                                          "anna.muller@acme-coatings.lu", "New enquiry", "Funding?", "<p>Funding?</p>")])


def context(db_url: str, tmp_path, smtp_port: int) -> Context:
    settings = dataclasses.replace(get_settings(), database_url=db_url, spool_dir=tmp_path / "spool",
                                   smtp_host="127.0.0.1", smtp_port=smtp_port)
    return Context(settings, session_factory(db_url))


def test_one_round_writes_a_spooled_enquiry_and_delivers_its_mail(db_url, db, tmp_path, smtp_server):
    ctx = context(db_url, tmp_path, smtp_server.port)
    assert spool.save(session_factory(DOWN), record("kept-1"), ctx.settings.spool_dir) is None  # database was down
    outcomes = worker_main.run_round(ctx, worker_main.jobs())
    assert outcomes["spool"] == 1 and spool.pending(ctx.settings.spool_dir) == []
    with db() as session:
        enquiry = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "kept-1")).one()
        statuses = [m.status for m in session.scalars(select(OutboxMessage).where(OutboxMessage.enquiry_id == enquiry.id))]
    assert statuses and set(statuses) == {"sent"}
    assert eventually(lambda: smtp_server.handler.messages)


def test_a_failing_job_does_not_stop_the_others_and_runs_again_when_due(db_url, tmp_path):
    ctx = context(db_url, tmp_path, 1)
    calls: list[str] = []

    def broken(_):
        calls.append("broken")
        raise OSError("relay away")

    clock = itertools.count().__next__  # one simulated second per look at the clock
    jobs = [worker_main.Job("broken", broken, 10), worker_main.Job("fine", lambda _: calls.append("fine"), 10)]
    assert worker_main.run_round(ctx, jobs, clock) == {"broken": "OSError", "fine": None}
    assert worker_main.run_round(ctx, jobs, clock) == {}  # neither is due yet
    for _ in range(10):
        clock()
    assert set(worker_main.run_round(ctx, jobs, clock)) == {"broken", "fine"}
    assert calls == ["broken", "fine", "broken", "fine"]


def test_a_visitor_turn_does_not_replay_the_spool(db_url, tmp_path, monkeypatch):
    from actions import services

    monkeypatch.setenv("FIRSTSTOP_VAR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        assert spool.save(session_factory(DOWN), record("kept-2"), get_settings().spool_dir) is None
        assert services.save_enquiry(record("new-1")) is not None  # the database is back: written at once
        assert len(spool.pending(get_settings().spool_dir)) == 1  # the spooled one waits for the worker
    finally:
        get_settings.cache_clear()
