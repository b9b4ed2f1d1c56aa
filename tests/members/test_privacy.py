"""Subject access and erasure: export everything held about an address, then erase it so no table mentions it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from firststop.settings import ROOT
from members import spool
from members.db import engine_for, session_factory
from members.enquiries import EnquiryRecord, confirm_claim
from members.models import (
    Cluster,
    Contact,
    ConversationIndex,
    Enquiry,
    EnquiryNote,
    Organisation,
    OutboxMessage,
)
from members.privacy import NotAnEmailAddress, erase_person, export_person
from members.retention import enquiry_statistics
from tests.members.conftest import count, days_ago, enquiry, places_mentioning, say

ANNA = "anna.muller@acme-coatings.lu"
BOB = "bob.klein@other.lu"
DOWN = "postgresql+psycopg2://nobody@127.0.0.1:1/none"  # a database that is not there: the writer spools


@pytest.fixture
def seeded(db, tracker_store, tmp_path):
    """Anna: a member organisation, two conversations with consent, one without, a hand-off mail, staff notes,
    the console's copy of a conversation and an enquiry waiting in the spool. Bob mentions her address."""
    enquiry(db, "anna-1", email="Anna.Muller@acme-coatings.lu", name="Anna Muller", organisation="Acme Coatings",
            question="We need a corrosion resistant coating for steel", handoff=True)
    say(tracker_store, "anna-1", [("visitor", "We need a corrosion resistant coating for steel"),
                                  ("bot", "SurfMat can help."), ("visitor", "Anna Muller"),
                                  ("visitor", "Anna.Muller@acme-coatings.lu")], days_ago(3),
        slots={"name": "Anna Muller", "email": ANNA})
    enquiry(db, "anna-2", email=ANNA, name="Anna Muller", organisation="Acme Coatings", status="closed",
            question="Is there funding for a pilot line?", notice_version="2027-01")
    with db.begin() as session:  # her address is a contact's now, so this is a claim: staff confirmed it is her
        confirm_claim(session, session.scalars(select(Enquiry).where(Enquiry.conversation_id == "anna-2")).one())
    say(tracker_store, "anna-2", [("visitor", "Is there funding for a pilot line?")], days_ago(2))
    enquiry(db, "anna-3", email=None, question=f"Please write to {ANNA.upper()} about testing labs")
    say(tracker_store, "anna-3", [("visitor", f"Please write to {ANNA.upper()} about testing labs")], days_ago(1))
    enquiry(db, "bob-1", email=BOB, name="Bob Klein", organisation="Other SARL",
            question=f"My colleague {ANNA} told me about the aerospace cluster", cluster_id="aerospace")
    say(tracker_store, "bob-1", [("visitor", f"My colleague {ANNA} told me about the aerospace cluster")],
        days_ago(1), slots={"email": BOB})
    with db.begin() as session:
        acme = session.scalars(select(Organisation).where(Organisation.name_key == "acme coatings")).one()
        acme.clusters = [session.get(Cluster, "surfmat")]  # a member organisation: it stays
        mine = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "anna-1")).one()
        bobs = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "bob-1")).one()
        session.add(EnquiryNote(enquiry_id=mine.id, body="Called Anna Muller back, she wants a lab visit"))
        session.add(EnquiryNote(enquiry_id=bobs.id, body=f"Bob was referred by {ANNA}"))
        session.add(ConversationIndex(conversation_id="anna-1", started_at=days_ago(3), last_message_at=days_ago(3),
                                      last_event_id=1, search_text=f"anna muller {ANNA} coating"))
    spool_dir = tmp_path / "spool"
    waiting = EnquiryRecord(conversation_id="anna-4", consent=True, notice_version="2027-01", name="Anna Muller",
                            email=ANNA, question="Follow-up on the pilot line")
    assert spool.save(session_factory(DOWN), waiting, spool_dir) is None
    assert spool.save(session_factory(DOWN), EnquiryRecord(conversation_id="bob-2", consent=True,
                      notice_version="2027-01", name="Bob Klein", email=BOB, question=f"cc {ANNA}"), spool_dir) is None
    engine_for(DOWN).dispose()
    return spool_dir


def test_export_holds_everything_about_the_person_and_nothing_about_others(db, seeded):
    with db() as session:
        data = export_person(session, "ANNA.Muller@acme-coatings.lu", spool_dir=seeded)
    json.dumps(data)  # what the console offers as a download
    assert data["contact"]["email"] == ANNA and data["contact"]["name"] == "Anna Muller"
    assert data["organisation"]["name"] == "Acme Coatings" and data["organisation"]["clusters"] == ["SurfMat"]
    assert [(c["conversation_id"], c["notice_version"]) for c in data["consents"]] == [
        ("anna-1", "2026-11"), ("anna-2", "2027-01")]
    assert all(c["purpose"] and c["recorded_at"] for c in data["consents"])
    assert [e["conversation_id"] for e in data["enquiries"]] == ["anna-1", "anna-2", "anna-3"]
    assert data["enquiries"][0]["staff_notes"][0]["body"].startswith("Called Anna Muller back")
    assert [m["reply_to"] for m in data["mails"]] == [ANNA]
    assert sorted(data["conversations"]) == ["anna-1", "anna-2", "anna-3"]
    said = [m["text"] for m in data["conversations"]["anna-1"] if m["speaker"] == "visitor"]
    assert said == ["We need a corrosion resistant coating for steel", "Anna Muller", "Anna.Muller@acme-coatings.lu"]
    assert [r["conversation_id"] for r in data["waiting_to_be_saved"]] == ["anna-4"]
    assert "bob-1" not in json.dumps(data)


def test_export_of_an_unknown_address_is_empty(db):
    with db() as session:
        data = export_person(session, "nobody@example.org")
    assert data["contact"] is None and data["enquiries"] == [] and data["conversations"] == {}
    with pytest.raises(NotAnEmailAddress), db() as session:
        export_person(session, "not an address")


def test_erase_leaves_no_trace_of_the_address_but_keeps_the_statistics(db, db_url, seeded):
    engine = engine_for(db_url)
    assert {t for t, _, _ in places_mentioning(engine, ANNA)} >= {"contacts", "enquiries", "outbox", "events",
                                                                  "enquiry_notes", "conversation_index"}
    with db() as session:
        statistics = enquiry_statistics(session)
    with db.begin() as session:
        erased = erase_person(session, ANNA, spool_dir=seeded, mail_dir=seeded.parent / "mail")
    assert erased == {
        "contacts": 1, "consents": 2, "organisations": 0, "enquiries_anonymised": 3, "mails_blanked": 1,
        "conversations": 3, "conversation_events": erased["conversation_events"], "conversation_copies": 1,
        "mentions_scrubbed": erased["mentions_scrubbed"], "spool_files_deleted": 1, "spool_files_scrubbed": 1,
        "claims_cleared": 0, "mail_files_deleted": 0,
    }
    assert erased["conversation_events"] >= 9 and erased["mentions_scrubbed"] >= 3

    assert places_mentioning(engine, ANNA) == []
    assert places_mentioning(engine, "Anna Muller") == []
    assert not any(ANNA in p.read_text() for p in seeded.iterdir())
    with db() as session:
        assert enquiry_statistics(session) == statistics  # anonymous statistics intact
        mine = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "anna-1")).one()
        assert (mine.contact_id, mine.summary, mine.question, mine.cluster_id, mine.status) == (
            None, "", None, "surfmat", "new")
        assert mine.anonymised_at is not None
        [mail] = mine.outbox
        assert (mail.status, mail.reply_to, mail.body_text) == ("erased", None, "")  # withdrawn, never sent
        bobs = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "bob-1")).one()
        assert bobs.contact.email == BOB  # Bob keeps his enquiry, only her address is gone from it
        assert bobs.question == "My colleague [erased] told me about the aerospace cluster"
        assert session.scalars(select(Organisation.name)).all() == ["Acme Coatings", "Other SARL"]
    assert count(db, Contact) == 1
    assert places_mentioning(engine, "bob-1") and places_mentioning(engine, BOB)
    assert json.loads((seeded / next(p.name for p in seeded.iterdir())).read_text())["email"] == BOB

    with db.begin() as session:
        again = erase_person(session, ANNA, spool_dir=seeded, mail_dir=seeded.parent / "mail")
    assert set(again.values()) == {0}


def test_a_sent_mail_keeps_its_status_and_a_chat_only_organisation_goes(db, seeded):
    with db.begin() as session:
        session.execute(update(OutboxMessage).values(status="sent"))
    with db.begin() as session:
        erase_person(session, BOB, spool_dir=seeded, mail_dir=seeded.parent / "mail")
    assert count(db, Organisation, Organisation.name == "Other SARL") == 0  # known only through Bob
    with db() as session:
        anna_mail = session.scalars(select(OutboxMessage)).one()
        assert anna_mail.status == "sent" and anna_mail.reply_to == ANNA  # Anna's mail is not Bob's to erase
    with db.begin() as session:
        erase_person(session, ANNA, spool_dir=seeded, mail_dir=seeded.parent / "mail")
    with db() as session:
        mail = session.scalars(select(OutboxMessage)).one()
        assert (mail.status, mail.subject, mail.body_html) == ("sent", "Enquiry (personal details erased)", "")


def test_the_export_and_erase_commands(db_url, seeded, tmp_path):
    env = {**os.environ, "DATABASE_URL": db_url, "FIRSTSTOP_VAR": str(seeded.parent), "PYTHONPATH": str(ROOT)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "members", *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120, check=False)

    export = run("export", ANNA, "--output", str(tmp_path / "anna.json"))
    assert export.returncode == 0, export.stderr
    assert json.loads((tmp_path / "anna.json").read_text())["contact"]["name"] == "Anna Muller"
    erase = run("erase", ANNA)
    assert erase.returncode == 0, erase.stderr
    assert json.loads(erase.stdout)["contacts"] == 1 and json.loads(erase.stdout)["spool_files_deleted"] == 1
    assert places_mentioning(engine_for(db_url), ANNA) == []
    wrong = run("erase", "anna at acme")
    assert wrong.returncode == 2 and "not an e-mail address" in wrong.stderr


def test_what_the_person_needs_and_their_follow_ups_are_exported_and_erased(db, seeded):
    from members.models import EnquiryFollowup

    with db.begin() as session:
        mine = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "anna-1")).one()
        mine.need = "A lab that can test salt-spray resistance"
        mine.followups.append(EnquiryFollowup(text="Also: our pilot line starts in March"))
    with db() as session:
        exported = export_person(session, ANNA, spool_dir=seeded)["enquiries"][0]
    assert exported["need"] == "A lab that can test salt-spray resistance"
    assert [f["text"] for f in exported["followups"]] == ["Also: our pilot line starts in March"]
    with db.begin() as session:
        erase_person(session, ANNA, spool_dir=seeded)
    with db() as session:
        mine = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "anna-1")).one()
        assert mine.need is None and mine.followups == []


def test_the_advisors_replies_and_the_visitors_feedback_are_exported_and_erased(db, seeded):
    from members.models import StaffReply, VisitorFeedback

    with db.begin() as session:
        mine = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "anna-1")).one()
        session.add(StaffReply(enquiry_id=mine.id, conversation_id="anna-1", signed="Julien Marchetti",
                               body="Dear Anna, our lab can test that."))
        session.add(VisitorFeedback(conversation_id="anna-1", event_id=2, vote="down", comment="Not what I asked"))
        session.add(VisitorFeedback(conversation_id="bob-1", event_id=9, vote="up", comment="Bob liked it"))
    with db() as session:
        exported = export_person(session, ANNA, spool_dir=seeded)
    replies = [r for e in exported["enquiries"] for r in e["replies"]]
    assert [(r["signed"], r["body"]) for r in replies] == [("Julien Marchetti", "Dear Anna, our lab can test that.")]
    assert [(f["vote"], f["comment"]) for f in exported["feedback"]] == [("down", "Not what I asked")]
    with db.begin() as session:
        erase_person(session, ANNA, spool_dir=seeded)
    with db() as session:
        assert session.scalars(select(StaffReply)).all() == []
        assert [f.comment for f in session.scalars(select(VisitorFeedback))] == ["Bob liked it"]
