"""Helpers for the member database tests: real Rasa tracker events, enquiries written by the real writer, backdating."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import String, Text, func, inspect, select, text, update

from handoff.compose import HandoffFacts, Turn, handoff_mail
from members import spool
from members.enquiries import EnquiryRecord, normalise_email
from members.models import Consent, Contact, Enquiry
from tests.conftest import run_async

DATA = Path(__file__).parent / "data"
NOW = datetime.now(timezone.utc)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def tracker_store(db_url):
    """Rasa's own SQL tracker store on the test database, as server.tracker_store configures it (same URL)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    store = SQLTrackerStore(Domain.empty(), host=db_url)
    yield store
    store.engine.dispose()


def say(store, conversation_id: str, turns: list[tuple[str, str]], when: datetime,
        slots: dict | None = None) -> None:
    """Store a conversation in Rasa's `events` table: ('visitor'|'bot', text) turns, then slot values."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    at = when.timestamp()
    events = [ActionExecuted("action_session_start", timestamp=at), ActionExecuted("action_listen", timestamp=at)]
    for n, (speaker, said) in enumerate(turns):
        stamp = at + n
        if speaker == "visitor":
            events.append(UserUttered(said, intent={"name": "inform", "confidence": 0.9}, timestamp=stamp))
        else:
            events.append(BotUttered(said, timestamp=stamp))
    for name, value in (slots or {}).items():
        events.append(SlotSet(name, value, timestamp=at + len(turns)))
    run_async(store.save(DialogueStateTracker.from_events(conversation_id, events)))


def enquiry(factory, conversation_id: str, *, email: str | None = None, name: str = "", organisation: str = "",
            status: str = "new", cluster_id: str | None = "surfmat", question: str = "Coatings for steel sheets",
            handoff: bool = False, notice_version: str = "2026-11") -> int:
    """Write an enquiry the way the action server does (members.spool.write_enquiry), with its hand-off mail."""
    record = EnquiryRecord(
        conversation_id=conversation_id, summary=question, question=question, profile="sme", cluster_id=cluster_id,
        advisor_id=None, status=status, consent=email is not None, notice_version=notice_version,
        name=name or None, organisation=organisation or None, email=email, phone="+352 621 000 000" if email else None,
    )
    if handoff:
        record.handoff_reason = "visitor_asked"
        record.mails.append(handoff_mail(HandoffFacts(
            conversation_id=conversation_id, reason="visitor_asked", question=question, to_addr="advisor@example.org",
            advisor_name="Advisor", name=name or None, email=normalise_email(email or ""),  # as the form's slot
            organisation=organisation or None,
            consent=email is not None, transcript=(Turn("visitor", question), Turn("visitor", f"mail me: {email}")),
        )))
    return spool.write_enquiry(factory, record)


def backdate(factory, conversation_id: str, when: datetime) -> None:
    """Make an enquiry (and its contact and consents) look as if last touched at `when`."""
    with factory.begin() as session:
        row = session.scalars(select(Enquiry).where(Enquiry.conversation_id == conversation_id)).one()
        session.execute(update(Enquiry).where(Enquiry.id == row.id).values(created_at=when, updated_at=when))
        session.execute(update(Consent).where(Consent.conversation_id == conversation_id).values(recorded_at=when))
        if row.contact_id:
            session.execute(update(Contact).where(Contact.id == row.contact_id).values(created_at=when,
                                                                                       updated_at=when))


def places_mentioning(engine, needle: str) -> list[tuple[str, str, int]]:
    """Every (table, column, rows) in the whole database whose text contains `needle`, Rasa's events included."""
    found = []
    inspector = inspect(engine)
    with engine.connect() as connection:
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                if not isinstance(column["type"], (String, Text)):
                    continue
                count = connection.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE lower("{column["name"]}") LIKE :needle'),
                    {"needle": f"%{needle.lower()}%"},
                ).scalar()
                if count:
                    found.append((table, column["name"], count))
    return found


def count(factory, model, *where) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))
