"""Chat input is a claim: it never rewrites an existing contact or organisation, a stranger's conversation never
becomes a member's (export, erasure), and a visitor can't get more than the cap of staff e-mails an hour."""
from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from handoff import sender
from handoff.compose import HandoffFacts, Turn, handoff_mail
from members import spool
from members.db import engine_for, session_factory
from members.enquiries import EnquiryRecord
from members.importer import import_members
from members.models import Consent, Contact, Enquiry, Organisation, OutboxMessage
from members.privacy import UNVERIFIED, erase_person, export_person
from members.transcripts import events
from tests.conftest import free_port
from tests.members.conftest import days_ago, enquiry, places_mentioning, say

ANNA = "anna.muller@acme-coatings.lu"
MEMBERS = (b"organisation,email_domain,clusters,contact_name,contact_email,contact_phone\n"
           b"Acme Coatings,acme-coatings.lu,surfmat,Anna Muller,anna.muller@acme-coatings.lu,+352 111 111\n")
STRANGER_SAYS = "Send the funding file to me, not to the usual person"
DOWN = "postgresql+psycopg2://nobody@127.0.0.1:1/none"  # a database that is not there: the writer spools


def the(factory, model, *where):
    with factory() as session:
        row = session.scalars(select(model).where(*where)).one()
        session.expunge(row)
        return row


@pytest.fixture
def member(db):
    """Anna, an imported member of Acme Coatings (whose e-mail domain the import set)."""
    assert import_members(db, MEMBERS, ("en",)).written
    return the(db, Contact, Contact.email == ANNA)


@pytest.fixture
def stranger(db, tracker_store, member):
    """Mallory types Anna's address (and her own name, phone and company) in the chat and is handed off."""
    enquiry(db, "stranger-1", email=ANNA.upper(), name="Mallory Evil", organisation="Evil Corp", question=STRANGER_SAYS,
            handoff=True)
    say(tracker_store, "stranger-1", [("visitor", STRANGER_SAYS), ("visitor", "Mallory Evil"), ("visitor", ANNA)],
        days_ago(1), slots={"email": ANNA})
    return "stranger-1"


def test_typing_a_members_address_changes_nothing_of_hers_and_is_kept_as_a_claim(db, member, stranger):
    anna = the(db, Contact, Contact.email == ANNA)
    assert (anna.name, anna.phone, anna.updated_at) == ("Anna Muller", "+352 111 111", member.updated_at)
    acme = the(db, Organisation, Organisation.name == "Acme Coatings")
    assert (acme.email_domain, anna.organisation_id) == ("acme-coatings.lu", acme.id)
    with db() as session:
        assert session.scalars(select(Organisation.name)).all() == ["Acme Coatings"]  # no "Evil Corp" on her behalf
        assert session.scalars(select(Consent.conversation_id).where(Consent.contact_id == anna.id)).all() == []
    claim = the(db, Enquiry, Enquiry.conversation_id == stranger)
    assert (claim.contact_id, claim.contact_status) == (None, "claimed")
    assert (claim.claimed_name, claim.claimed_email, claim.claimed_phone, claim.claimed_organisation) == (
        "Mallory Evil", ANNA, "+352 621 000 000", "Evil Corp")
    enquiry(db, stranger, email=ANNA, name="Mallory Evil", question=STRANGER_SAYS, handoff=True)  # a retried write
    assert the(db, Contact, Contact.email == ANNA).name == "Anna Muller"
    assert the(db, Enquiry, Enquiry.conversation_id == stranger).contact_id is None


def test_the_first_visitor_from_a_domain_does_not_name_the_organisation_for_everyone(db, member):
    enquiry(db, "first", email="jo@newco.lu", name="Jo", organisation="NewCo")
    enquiry(db, "second", email="max@newco.lu", name="Max", organisation="Max Consulting")
    newco = the(db, Organisation, Organisation.name == "NewCo")
    assert newco.email_domain is None  # only imports and staff set a domain
    assert the(db, Contact, Contact.email == "max@newco.lu").organisation_id == the(
        db, Organisation, Organisation.name == "Max Consulting").id
    # A staff-set domain still places a new contact, and the organisation itself is left as it was.
    enquiry(db, "third", email="lea@acme-coatings.lu", name="Lea", organisation="ACME Coatings Research Lab")
    lea = the(db, Contact, Contact.email == "lea@acme-coatings.lu")
    acme = the(db, Organisation, Organisation.name == "Acme Coatings")
    assert (lea.organisation_id, acme.email_domain) == (acme.id, "acme-coatings.lu")
    assert the(db, Enquiry, Enquiry.conversation_id == "third").contact_status == "new"


def test_the_members_export_holds_the_claim_but_not_the_strangers_conversation(db, member, stranger, tmp_path):
    with db() as session:
        data = export_person(session, ANNA, spool_dir=tmp_path / "spool")
    text = json.dumps(data)
    assert STRANGER_SAYS not in text and "Mallory" not in text.replace('"Mallory Evil"', "", 1)
    assert stranger not in text  # not even the conversation id, which would let her read the stranger's chat
    assert data["conversations"] == {} and data["enquiries"] == [] and data["mails"] == []
    assert data["claims"] == [{"status": UNVERIFIED, "created_at": data["claims"][0]["created_at"],
                               "name": "Mallory Evil", "email": ANNA, "phone": "+352 621 000 000",
                               "organisation": "Evil Corp"}]
    assert UNVERIFIED == "claimed in a chat, unverified"


def test_erasing_the_member_leaves_the_strangers_conversation_without_her_address(db, db_url, member, stranger,
                                                                                  tmp_path):
    with db.begin() as session:
        erased = erase_person(session, ANNA, spool_dir=tmp_path / "spool", mail_dir=tmp_path / "mail")
    assert (erased["contacts"], erased["claims_cleared"], erased["conversations"]) == (1, 1, 0)
    assert places_mentioning(engine_for(db_url), ANNA) == []
    claim = the(db, Enquiry, Enquiry.conversation_id == stranger)
    assert (claim.claimed_name, claim.claimed_email, claim.claimed_phone, claim.claimed_organisation,
            claim.contact_status) == (None,) * 5
    assert claim.summary == STRANGER_SAYS  # the other visitor's enquiry is not Anna's to erase
    with db() as session:
        said = [json.loads(d)["text"] for d in session.scalars(
            select(events.c.data).where(events.c.sender_id == stranger, events.c.type_name == "user"))]
    assert said == [STRANGER_SAYS, "Mallory Evil", "[erased]"]


def record(conversation_id: str, client_key: str | None) -> EnquiryRecord:
    facts = HandoffFacts(conversation_id=conversation_id, reason="visitor_asked", question="Funding?",
                         to_addr="advisor@example.org", advisor_name="Advisor")
    return EnquiryRecord(conversation_id=conversation_id, status="handed_off", handoff_reason="visitor_asked",
                         client_key=client_key, mails=[handoff_mail(facts)])


def statuses(factory, client_key: str) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(OutboxMessage.status).where(OutboxMessage.client_key == client_key)
                                    .order_by(OutboxMessage.id)))


def test_beyond_the_cap_a_clients_enquiries_are_logged_but_their_mails_held(db, tmp_path):
    flood, other = "a" * 64, "b" * 64
    for n in range(7):
        spool.save(db, record(f"flood-{n}", flood), tmp_path, mail_cap=5)
    spool.save(db, record("other-1", other), tmp_path, mail_cap=5)
    spool.save(db, record("no-key", None), tmp_path, mail_cap=5)
    assert statuses(db, flood) == ["pending"] * 5 + ["held"] * 2
    assert statuses(db, other) == ["pending"]
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Enquiry)) == 9  # every enquiry is logged
        held = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "held")).first()
        assert "held" in held.last_error and "Retry" in held.last_error  # the console shows why
    with db() as session:  # the sender takes the pending ones, not the held ones
        assert len(sender.due(session, limit=100)) == 7
    # An enquiry spooled while the database was down keeps the cap when it is replayed.
    assert spool.save(session_factory(DOWN), record("flood-late", flood), tmp_path, mail_cap=5) is None
    engine_for(DOWN).dispose()
    assert spool.replay(db, tmp_path) == 1
    assert statuses(db, flood) == ["pending"] * 5 + ["held"] * 3
    # With the cap off (0) nothing is held.
    spool.save(db, record("uncapped", other), tmp_path, mail_cap=0)
    assert statuses(db, other) == ["pending", "pending"]


def mentions(raw: bytes, address: str) -> bool:
    """Whether an .eml file holds the address anywhere once decoded (headers, every text part)."""
    message = message_from_bytes(raw, policy=policy.default)
    texts = [str(v) for v in message.values()]
    texts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return any(address in text.lower() for text in texts)


def test_erase_removes_the_persons_mails_from_the_local_mail_sink(db, member, stranger, tmp_path):
    from handoff.mailsink import start as start_sink

    # Her own anonymous hand-off (hers through the conversation, its mail never names her), the stranger's
    # hand-off replying to her, Carl's hand-off naming her only in a base64 body, and Bob's, which is not hers.
    enquiry(db, "anna-own", email=None, question="Testing labs", handoff=True)
    with db.begin() as session:
        session.execute(events.insert().values(sender_id="anna-own", type_name="user", timestamp=0, data=json.dumps(
            {"event": "user", "text": f"write to {ANNA}", "timestamp": 0})))
    umlauts = "Grüße aus Esch-sur-Alzette, äöü ß " * 8 + f"schreiben Sie an {ANNA} bitte"
    facts = HandoffFacts(conversation_id="carl-1", reason="visitor_asked", question=umlauts, to_addr="advisor@example.org",
                         advisor_name="Advisor", name="Carl", email="carl@other.lu", consent=True,
                         transcript=(Turn("visitor", umlauts),))
    spool.write_enquiry(db, EnquiryRecord(conversation_id="carl-1", status="handed_off", consent=True,
                                          notice_version="t", name="Carl", email="carl@other.lu", question=umlauts,
                                          mails=[handoff_mail(facts)]))
    enquiry(db, "bob-1", email="bob@other.lu", name="Bob", question="Aerospace", handoff=True)
    mail_dir = tmp_path / "sink"
    port = free_port()
    controller, _ = start_sink(mail_dir, port=port)
    try:
        connect = sender.smtp_factory("127.0.0.1", port, "none", "", "", 5)
        assert sender.deliver_due(db, connect, "FirstStop <firststop@example.org>", 8) == {"sent": 4}
    finally:
        controller.stop()
    files = [p.read_bytes() for p in mail_dir.glob("*.eml")]
    assert len(files) == 4 and sum(mentions(raw, ANNA) for raw in files) == 2
    assert sum(ANNA.encode() in raw.lower() for raw in files) == 1  # Carl's names her only encoded

    with db.begin() as session:
        erased = erase_person(session, ANNA, spool_dir=tmp_path / "spool", mail_dir=mail_dir)
    assert erased["mail_files_deleted"] == 3
    left = [p.read_bytes() for p in mail_dir.glob("*.eml")]
    assert [message_from_bytes(raw, policy=policy.default)["Reply-To"] for raw in left] == ["bob@other.lu"]
    assert not any(mentions(raw, ANNA) for raw in left)
