"""Retention on a seeded database: what is older than RETENTION_DAYS goes, open enquiries and members stay."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from firststop.settings import ROOT
from members.importer import import_members
from members.models import (
    Consent,
    Contact,
    ConversationIndex,
    Enquiry,
    Organisation,
    OutboxMessage,
)
from members.retention import apply_retention, enquiry_statistics
from members.transcripts import events
from tests.members.conftest import backdate, count, days_ago, enquiry, say

OLD, RECENT = days_ago(200), days_ago(5)


@pytest.fixture
def seeded(db, tracker_store):
    """Conversations and contacts on both sides of a 180-day retention period."""
    def visit(conversation_id, when, *, email=None, status="closed", organisation="", turns=None):
        enquiry(db, conversation_id, email=email, name=(email or "").split("@")[0].title(), status=status,
                organisation=organisation, handoff=True)
        backdate(db, conversation_id, when)
        say(tracker_store, conversation_id, turns or [("visitor", f"Hello, I am {email or 'anonymous'}")], when)

    visit("old-closed", OLD, email="old@old-org.lu", organisation="Old Org")
    visit("old-open", OLD, email="open@open-org.lu", status="handed_off", organisation="Open Org")
    visit("recent-closed", RECENT, email="recent@recent.lu")
    visit("old-anonymous-enquiry", OLD)
    visit("back-old", OLD, email="back@back.lu")
    visit("back-new", RECENT, email="back@back.lu")
    say(tracker_store, "old-chat", [("visitor", "What is Fit 4 Innovation?"), ("bot", "A programme...")], OLD)
    say(tracker_store, "recent-chat", [("visitor", "Hello")], RECENT)
    import_members(db, b"organisation,clusters,contact_name,contact_email\nMember SA,surfmat,Mia,mia@member.lu\n",
                   ("en",))
    with db.begin() as session:
        session.execute(update(Contact).where(Contact.email == "mia@member.lu").values(updated_at=days_ago(400)))
        session.execute(update(OutboxMessage).values(status="sent"))
        session.add(ConversationIndex(conversation_id="old-chat", started_at=OLD, last_message_at=OLD,
                                      last_event_id=1, search_text="what is fit 4 innovation"))
    return db


def conversations(factory) -> set[str]:
    with factory() as session:
        return set(session.scalars(select(events.c.sender_id).distinct()))


def emails(factory) -> set[str]:
    with factory() as session:
        return set(session.scalars(select(Contact.email)))


def test_retention_deletes_or_anonymises_only_what_is_old_and_not_open(seeded):
    db = seeded
    with db() as session:
        statistics = enquiry_statistics(session)
    before = (conversations(db), emails(db), count(db, Enquiry), count(db, Consent))

    preview = apply_retention(db, 180, dry_run=True)
    assert (conversations(db), emails(db), count(db, Enquiry), count(db, Consent)) == before  # dry run: no change

    report = apply_retention(db, 180, batch_size=2)
    def counts(r):
        return {k: v for k, v in r.as_dict().items() if k not in ("dry_run", "cutoff")}

    assert counts(report) == counts(preview)  # the dry run counted exactly what the real run removed
    assert (report.conversations_deleted, report.enquiries_anonymised, report.mails_blanked) == (4, 3, 3)
    assert (report.contacts_deleted, report.consents_deleted, report.organisations_deleted) == (1, 1, 1)
    assert report.conversation_copies_deleted == 1

    # Conversations: deleted when old, unless their enquiry is still open.
    assert conversations(db) == {"old-open", "recent-closed", "back-new", "recent-chat"}
    # Contacts: the old one without an open enquiry goes; open, recent, returning (claimed) and imported ones stay.
    assert emails(db) == {"open@open-org.lu", "recent@recent.lu", "back@back.lu", "mia@member.lu"}
    assert count(db, Organisation, Organisation.name == "Old Org") == 0
    assert count(db, Organisation, Organisation.name == "Open Org") == 1
    assert count(db, ConversationIndex) == 0
    with db() as session:
        rows = {e.conversation_id: e for e in session.scalars(select(Enquiry))}
        for conversation_id in ("old-closed", "old-anonymous-enquiry", "back-old"):
            old = rows[conversation_id]
            assert (old.contact_id, old.summary, old.question) == (None, "", None)
            assert (old.claimed_name, old.claimed_email, old.claimed_phone, old.claimed_organisation) == (None,) * 4
            assert old.anonymised_at is not None and old.cluster_id == "surfmat" and old.status == "closed"
            assert [(m.body_text, m.reply_to) for m in old.outbox] == [("", None)]
        assert rows["old-open"].contact.email == "open@open-org.lu" and rows["old-open"].summary
        # The returning visitor's new conversation only claims her address; her contact waits for staff to confirm.
        back = rows["back-new"]
        assert (back.contact_status, back.claimed_email, back.claimed_name) == ("claimed", "back@back.lu", "Back")
        assert back.outbox[0].body_text
        assert enquiry_statistics(session) == statistics  # counts per day, cluster and status survive

    again = apply_retention(db, 180, batch_size=2)
    assert {v for k, v in again.as_dict().items() if k not in ("cutoff", "dry_run")} == {0}


def test_the_daily_command(seeded, db_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": db_url, "FIRSTSTOP_VAR": str(tmp_path), "PYTHONPATH": str(ROOT),
           "RETENTION_DAYS": "180"}
    run = [sys.executable, "-m", "members", "retention"]
    dry = subprocess.run(run + ["--dry-run"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert dry.returncode == 0, dry.stderr
    assert "4 conversations" in dry.stdout and "would be deleted" in dry.stdout
    real = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert real.returncode == 0 and "1 contacts (1 consents)" in real.stdout
    second = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert "0 conversations" in second.stdout and "0 contacts" in second.stdout
