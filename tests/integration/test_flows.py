"""Conversations through the REST channel for answering, routing, contact logging and every hand-off trigger."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from members.db import session_factory
from members.models import Contact, Enquiry, Organisation, OutboxMessage
from tests.conftest import eventually


def buttons(messages) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons", [])]


def complete_contact_form(stack, sender_id, email, name="Jane Doe", organisation="Acme Coatings SA",
                          need="Funding for a pilot line"):
    """Answer the contact form's questions (consent once, then details and the need), send from the review, and
    return the bot's last reply."""
    if "may we store" in stack.say(sender_id, "/affirm").lower():  # consent is asked once per conversation
        stack.say(sender_id, "/affirm")
    stack.say(sender_id, name)
    stack.say(sender_id, organisation)
    if "help you with" in stack.say(sender_id, email):
        stack.say(sender_id, need)
    return stack.say(sender_id, "/affirm")


# --- answering (issue 3) -------------------------------------------------------------------------

def test_low_confidence_question_offers_close_topics_and_an_advisor(stack, sender_id):
    messages = stack.send(sender_id, "how long does the whole process take?")
    text = " ".join(m.get("text", "") for m in messages)
    assert "not sure" in text
    assert "Talk to a person" in buttons(messages) and len(buttons(messages)) >= 3


def test_follow_ups_tell_more_and_switch_topic(stack, sender_id):
    assert "Ministry of the Economy" in stack.say(sender_id, "Can I get money for an R&D project?")
    more = stack.say(sender_id, "tell me more")
    assert "Source:" in more and "Ministry of the Economy" not in more.split("Source:")[0][:10]
    assert "start" in stack.say(sender_id, "and for start-ups?").lower()


def test_a_clicked_topic_is_answered(stack, sender_id):
    reply = stack.say(sender_id, '/ask_question{"topic":"privacy"}')
    assert "consent" in reply.lower() and "Source:" in reply


def test_out_of_scope_gets_an_honest_short_reply(stack, sender_id):
    reply = stack.say(sender_id, "who won the football match yesterday?")
    assert "outside what I can help with" in reply


def test_a_question_for_another_office_gets_a_pointer_to_it(stack, sender_id):
    reply = stack.say(sender_id, "can you find me an apartment in Kirchberg?")
    assert "Guichet.lu" in reply and "cannot help you find housing" in reply
    assert "outside what I can help with" not in reply


# --- routing and contact logging (issue 4) -------------------------------------------------------

def test_routed_then_corrected_to_another_cluster(stack, sender_id):
    messages = stack.send(sender_id, "We develop anti-corrosion coatings for steel bridges")
    # Full cluster names on the buttons, never bare acronyms; a few choices, the whole list one click away.
    offered = buttons(messages)
    assert "SurfMat" in messages[0]["text"] and "Yes, SurfMat (Surface Engineering and New Materials)" in offered
    assert "Another cluster" in offered and len(offered) <= 4
    reply = stack.say(sender_id, '/inform{"cluster":"infocom"}')
    assert "InfoCom" in reply
    complete_contact_form(stack, sender_id, f"corrected-{sender_id[:8]}@acme.example")
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.cluster_id == "infocom" and enquiry.route_reason == "the visitor chose this cluster"


def test_vague_description_gets_one_clarifying_question(stack, sender_id):
    reply = stack.say(sender_id, "/describe_project")
    assert "Tell me about your project" in reply
    clarify = stack.say(sender_id, "I have a project")
    assert "a little more" in clarify
    assert "AeroSpace" in stack.say(sender_id, "we build antennas for satellites and ground stations")


def test_no_cluster_goes_to_the_general_advisor(stack, sender_id):
    reply = stack.say(sender_id, "We run a family bakery and want to open a second shop in town")
    assert "general advisor" in reply
    complete_contact_form(stack, sender_id, f"bakery-{sender_id[:8]}@bakery.example")
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.cluster_id is None and enquiry.advisor.general


def test_consent_refused_logs_the_enquiry_without_personal_data(stack, sender_id):
    stack.say(sender_id, "We develop anti-corrosion coatings for steel bridges")
    stack.say(sender_id, "/affirm")
    assert "won't store" in stack.say(sender_id, "/deny")
    final = stack.say(sender_id, "I'd rather not say")
    assert "without personal details" in final and "info@luxinnovation.lu" in final
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.contact is None and enquiry.cluster_id == "surfmat" and not enquiry.outbox


def test_returning_contact_and_organisation_are_not_duplicated_and_the_chat_only_claims_them(stack):
    email = f"returning-{uuid.uuid4().hex[:8]}@steelworks.example"
    for _ in range(2):
        sender = uuid.uuid4().hex
        stack.say(sender, "We develop anti-corrosion coatings for steel bridges")
        stack.say(sender, "/affirm")
        complete_contact_form(stack, sender, email, organisation="Steelworks SA")
    with session_factory(stack.database_url)() as session:
        contacts = session.scalars(select(Contact).where(Contact.email == email)).all()
        assert len(contacts) == 1 and len(contacts[0].enquiries) == 1
        # The second chat gave a known address: a claim for staff to confirm, not a change to the contact.
        assert session.scalars(select(Enquiry.contact_status).where(Enquiry.claimed_email == email)
                               .order_by(Enquiry.id)).all() == ["new", "claimed"]
        steelworks = session.scalars(select(Organisation).where(Organisation.name_key == "steelworks")).all()
        assert len(steelworks) == 1 and steelworks[0].email_domain is None  # only staff and imports set a domain


def test_a_retried_conversation_writes_one_enquiry(stack, sender_id):
    for _ in range(2):
        stack.say(sender_id, "We develop anti-corrosion coatings for steel bridges")
        stack.say(sender_id, "/affirm")
        complete_contact_form(stack, sender_id, f"retry-{sender_id[:8]}@acme.example")
    assert len(stack.enquiries(sender_id)) == 1


# --- hand-off triggers (issue 5) -----------------------------------------------------------------

@pytest.mark.parametrize("message, opening", [
    ("I want to talk to someone", "pass you to one of our advisors"),
    ("I want to make a complaint about your service", "sorry to hear"),
    ("I have a confidential project I can't describe here", "confidential"),
])
def test_each_trigger_hands_off_after_asking_for_a_way_to_reply(stack, sender_id, message, opening):
    reply = stack.say(sender_id, message)
    assert opening in reply and "may we store" in reply.lower()


def test_an_answer_that_did_not_help_hands_off(stack, sender_id):
    stack.say(sender_id, "Can I get money for an R&D project?")
    assert "didn't help" in stack.say(sender_id, "that didn't help at all")


def test_two_misunderstandings_in_a_row_hand_off(stack, sender_id):
    first = stack.say(sender_id, "blorp zzzt qwxj")
    assert "didn't understand" in first
    assert "not understanding you" in stack.say(sender_id, "fnord wibble plonk")


def test_a_visitor_who_refuses_contact_details_gets_the_agency_contacts(stack, sender_id):
    stack.say(sender_id, "I want to talk to someone")
    stack.say(sender_id, "/deny")
    final = stack.say(sender_id, "/deny")  # "prefer not to say"
    assert "+352 43 62 63-1" in final and "info@luxinnovation.lu" in final
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.status == "handed_off" and enquiry.contact is None and not enquiry.outbox


def test_handoff_mail_goes_to_the_routed_advisor_with_reply_to_and_transcript(stack, sender_id):
    stack.say(sender_id, "We build avionics software for satellites")
    stack.say(sender_id, "/affirm")
    email = f"handoff-{sender_id[:8]}@orbit.example"
    complete_contact_form(stack, sender_id, email, organisation="Orbit SARL")
    # The routed lead already mailed its advisor: asking for a person then sends nothing twice.
    assert "already with" in stack.say(sender_id, "I want to talk to an advisor now")
    (enquiry,) = stack.enquiries(sender_id)
    mails = stack.mails_replying_to(email)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"] == enquiry.advisor.email and mail["Subject"].startswith("New enquiry — AeroSpace (")
    assert mail["Message-ID"] == enquiry.outbox[0].message_id and enquiry.outbox[0].kind == "enquiry"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "We build avionics software for satellites" in body and f"/conversations/{sender_id}" in body
    assert mail.get_body(preferencelist=("html",)) is not None

    def sent() -> bool:  # the SMTP server has it; the sender marks it sent just after
        with session_factory(stack.database_url)() as session:
            return session.scalars(select(OutboxMessage.status).where(OutboxMessage.enquiry_id == enquiry.id)).one() == "sent"

    assert eventually(sent)


def test_an_answer_found_by_the_fallback_can_be_followed_up(stack, sender_id):
    # 'state aid' is too short for the intent classifier (nlu_fallback) but the knowledge base knows it.
    assert "Source:" in stack.say(sender_id, "state aid")
    more = stack.say(sender_id, "tell me more")
    assert "More about what?" not in more and "Source:" in more


def test_an_answer_the_classifier_took_for_cancel_is_still_checked(stack, sender_id):
    # 'My name is Exit' reads as 'cancel' to the intent classifier; it is the answer, and the name check applies.
    stack.say(sender_id, "We develop anti-corrosion coatings for steel structures")
    stack.say(sender_id, "/affirm")
    email = f"exit-{sender_id[:8]}@acme-coatings.example"
    assert "I've sent your enquiry" in complete_contact_form(stack, sender_id, email, name="My name is Exit")
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.contact.name == "Exit"
