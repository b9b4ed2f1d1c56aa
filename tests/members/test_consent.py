"""Consent is recorded per contact: what was agreed to, when, in which conversation, under which notice version."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from members.enquiries import CONSENT_GRANTED, confirm_claim
from members.models import Consent, Contact, Enquiry, EnquiryActivity
from tests.members.conftest import count, enquiry


def consents_of(factory, email: str) -> list[Consent]:
    with factory() as session:
        contact = session.scalars(select(Contact).where(Contact.email == email)).one()
        return sorted(contact.consents, key=lambda c: c.id)


def test_the_writer_records_what_when_where_and_which_notice(db):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    enquiry(db, "conv-1", email="Anna@Acme.lu", name="Anna", organisation="Acme", notice_version="2026-11")
    [consent] = consents_of(db, "anna@acme.lu")
    assert consent.purpose == "store contact details to answer the enquiry"
    assert consent.granted is True
    assert consent.conversation_id == "conv-1"
    assert consent.notice_version == "2026-11"
    recorded = consent.recorded_at if consent.recorded_at.tzinfo else consent.recorded_at.replace(tzinfo=timezone.utc)
    assert before <= recorded <= datetime.now(timezone.utc)


def test_a_returning_visitor_consents_again_in_each_conversation_and_stays_one_contact(db):
    enquiry(db, "conv-1", email="anna@acme.lu", name="Anna", notice_version="2026-11")
    enquiry(db, "conv-1", email="anna@acme.lu", name="Anna", notice_version="2026-11")  # retried: no duplicate
    enquiry(db, "conv-2", email="ANNA@acme.lu", name="Anna M.", notice_version="2027-01")
    assert count(db, Contact) == 1
    # conv-2 only claims the address (chat input is unverified): its consent waits on the enquiry...
    assert [(c.conversation_id, c.notice_version) for c in consents_of(db, "anna@acme.lu")] == [("conv-1", "2026-11")]
    with db() as session:
        second = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "conv-2")).one()
        assert (second.contact_id, second.contact_status) == (None, "claimed")
        assert [(a.action, a.detail) for a in session.scalars(select(EnquiryActivity).where(
            EnquiryActivity.enquiry_id == second.id))] == [(CONSENT_GRANTED, "2027-01")]
    enquiry(db, "conv-2", email="anna@acme.lu", name="Anna M.", notice_version="2027-01")  # retried: logged once
    assert count(db, EnquiryActivity) == 1
    # ...and becomes the contact's once staff confirm it is her.
    with db.begin() as session:
        confirm_claim(session, session.scalars(select(Enquiry).where(Enquiry.conversation_id == "conv-2")).one())
    assert [(c.conversation_id, c.notice_version) for c in consents_of(db, "anna@acme.lu")] == [
        ("conv-1", "2026-11"), ("conv-2", "2027-01")]


def test_without_consent_no_personal_details_are_stored(db):
    enquiry(db, "conv-1", email=None)
    assert count(db, Contact) == 0 and count(db, Consent) == 0
    assert count(db, Enquiry) == 1


def test_consent_without_a_notice_version_is_refused(db):
    with pytest.raises(ValueError, match="privacy notice"):
        enquiry(db, "conv-1", email="anna@acme.lu", notice_version=" ")
    assert count(db, Contact) == 0


def test_the_database_itself_refuses_a_consent_without_notice_version(db):
    enquiry(db, "conv-1", email="anna@acme.lu")
    with pytest.raises(IntegrityError), db.begin() as session:
        contact = session.scalars(select(Contact)).one()
        session.add(Consent(contact=contact, purpose="newsletter", granted=True, notice_version=""))
