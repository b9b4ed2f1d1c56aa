"""Staff settle what a visitor claimed in the chat (confirm, merge, or a separate contact), and an erasure also
clears the person's e-mails from the local mail sink the console shows."""
from __future__ import annotations

from email import message_from_bytes, policy

from sqlalchemy import select

from handoff import sender
from handoff.compose import HandoffFacts, Turn, handoff_mail
from members.enquiries import EnquiryRecord
from members.models import Consent, Contact, Enquiry, EnquiryActivity
from members.spool import write_enquiry
from tests.console.conftest import post

MARIE = "marie@acme.example"  # the seeded contact Marie Dupont, no phone


def claim(db, conversation_id: str, email: str = MARIE, name: str = "Marie D.", phone: str = "+352 999 999") -> int:
    """A visitor gives an existing contact's address in the chat, written by the real writer."""
    return write_enquiry(db, EnquiryRecord(conversation_id=conversation_id, summary="Pilot line funding",
                                           consent=True, notice_version="2027-01", name=name, email=email,
                                           phone=phone, organisation="Somewhere Else SA"))


def enquiry_of(db, enquiry_id: int) -> Enquiry:
    with db() as session:
        enquiry = session.get(Enquiry, enquiry_id)
        session.expunge(enquiry)
        return enquiry


def contact(db, email: str) -> Contact | None:
    with db() as session:
        found = session.scalars(select(Contact).where(Contact.email == email)).first()
        if found is not None:
            session.expunge(found)
        return found


def activity(db, enquiry_id: int) -> list[tuple[str, str]]:
    with db() as session:
        return [(a.action, a.detail) for a in session.scalars(
            select(EnquiryActivity).where(EnquiryActivity.enquiry_id == enquiry_id).order_by(EnquiryActivity.id))]


def test_the_claims_are_shown_and_staff_confirm_whose_they_are(logged_in, seeded, db):
    enquiry_id = claim(db, "c-claim")
    html = logged_in.get("/console/conversations/c-claim").get_data(as_text=True)
    assert "What the visitor said" in html and "Marie D." in html and "+352 999 999" in html
    assert "Somewhere Else SA" in html and "the chat did not change" in html
    assert "Confirm: this is Marie Dupont</button>" in html
    marie = contact(db, MARIE)
    assert "Unconfirmed claims" in logged_in.get(f"/console/contacts/{marie.id}").get_data(as_text=True)

    url = f"/console/enquiries/{enquiry_id}/claim/confirm"
    assert logged_in.post(url, data={"take_phone": "1"}).status_code == 400  # no CSRF token: refused
    assert enquiry_of(db, enquiry_id).contact_status == "claimed"
    response = post(logged_in, url, {"take_phone": "1"}, follow_redirects=True)
    assert b"Confirmed: the enquiry is now the contact&#39;s." in response.data
    marie = contact(db, MARIE)
    assert (marie.name, marie.phone) == ("Marie Dupont", "+352 999 999")  # only what staff ticked
    confirmed = enquiry_of(db, enquiry_id)
    assert (confirmed.contact_id, confirmed.contact_status) == (marie.id, "confirmed")
    assert activity(db, enquiry_id)[-1] == ("claim confirmed", f"{MARIE} (phone taken from the claim)")
    with db() as session:  # the consent given in that chat is hers now
        assert session.scalars(select(Consent.notice_version).where(
            Consent.contact_id == marie.id, Consent.conversation_id == "c-claim")).all() == ["2027-01"]
    html = logged_in.get("/console/conversations/c-claim").get_data(as_text=True)
    assert "Confirm: this is" not in html and "staff confirmed whose enquiry this is" in html
    assert b"Not saved:" in post(logged_in, url, {}, follow_redirects=True).data  # already settled


def test_staff_merge_a_claim_into_another_contact_or_make_a_separate_one(logged_in, seeded, db):
    with db.begin() as session:
        session.add(Contact(email="paul@example.org", name="Paul Weber"))
    to_merge, to_split = claim(db, "c-merge"), claim(db, "c-split", name="Mallory Evil")
    merge = f"/console/enquiries/{to_merge}/claim/merge"
    assert b"Not saved: no contact has that address" in post(logged_in, merge, {"email": "nobody@example.org"},
                                                              follow_redirects=True).data
    assert b"Merged" in post(logged_in, merge, {"email": "Paul@example.org"}, follow_redirects=True).data
    merged = enquiry_of(db, to_merge)
    assert (merged.contact_id, merged.contact_status) == (contact(db, "paul@example.org").id, "confirmed")
    assert contact(db, "paul@example.org").name == "Paul Weber"  # merging never rewrites the contact
    assert activity(db, to_merge)[-1] == ("claim merged", "into paul@example.org")

    split = f"/console/enquiries/{to_split}/claim/separate"
    assert b"Not saved:" in post(logged_in, split, {"email": MARIE}, follow_redirects=True).data  # taken
    assert b"separate contact was created" in post(logged_in, split, {"email": "mallory@evil.example", "name": ""},
                                                   follow_redirects=True).data
    mallory = contact(db, "mallory@evil.example")
    assert (mallory.name, mallory.phone) == ("Mallory Evil", "+352 999 999")
    assert enquiry_of(db, to_split).contact_id == mallory.id
    assert activity(db, to_split)[-1] == ("separate contact", "mallory@evil.example")
    marie = contact(db, MARIE)
    assert (marie.name, marie.phone) == ("Marie Dupont", None)  # Marie untouched throughout


def test_after_an_erasure_the_mail_page_no_longer_shows_the_person(admin, seeded, db, smtp_server, tmp_path):
    lena = "lena.hoffmann@example.org"
    facts = HandoffFacts(conversation_id="c-lena", reason="visitor_asked", question="Pilot line?",
                         to_addr="advisor@example.org", advisor_name="Advisor", name="Lena Hoffmann", email=lena,
                         consent=True, transcript=(Turn("visitor", f"my address is {lena}"),))
    write_enquiry(db, EnquiryRecord(conversation_id="c-lena", status="handed_off", consent=True, notice_version="t",
                                    name="Lena Hoffmann", email=lena, mails=[handoff_mail(facts)]))
    connect = sender.smtp_factory("127.0.0.1", smtp_server.port, "none", "", "", 5)
    assert sender.deliver_due(db, connect, "FirstStop <firststop@example.org>", 8) == {"sent": 1}
    assert lena in admin.get("/console/mail").get_data(as_text=True)

    response = post(admin, "/console/privacy/erase", {"email": lena, "confirm": lena})
    assert response.status_code == 200 and "mail_files_deleted" in response.get_data(as_text=True)
    assert lena not in admin.get("/console/mail").get_data(as_text=True)
    for path in (tmp_path / "mail").glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert lena not in str(message).lower()
