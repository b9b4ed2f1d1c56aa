"""Whole conversations through the REST channel for the form that listens (issue 14): several details in one
message, a correction of an earlier field at a later step, a visitor who wants no contact, a question asked with a
project, and a request for a person in the middle of the form; judged by the stored enquiry and the staff e-mail."""
from __future__ import annotations

import json

from sqlalchemy import select

from members.db import session_factory
from members.transcripts import events

PROJECT = "We build avionics software for satellites"


def bot_metadata(stack, sender_id: str) -> list[dict]:
    """The metadata of the conversation's bot messages, in order, as the tracker store keeps them."""
    with session_factory(stack.database_url)() as session:
        rows = session.scalars(select(events.c.data).where(events.c.sender_id == sender_id,
                                                           events.c.type_name == "bot").order_by(events.c.id)).all()
    return [json.loads(row).get("metadata") or {} for row in rows]


def test_details_in_one_message_each_reach_their_field_and_the_form_skips_them(stack, sender_id):
    stack.say(sender_id, PROJECT)
    stack.say(sender_id, "/affirm")
    email = f"luc-{sender_id[:8]}@skydrop.example"
    assert "your name" in stack.say(sender_id, "/affirm").lower()
    assert "help you with" in stack.say(sender_id, f"I'm Luc Hoffmann from SkyDrop, {email}")
    stack.say(sender_id, "Funding for a pilot")
    assert "I've sent your enquiry" in stack.say(sender_id, "/affirm")
    (enquiry,) = stack.enquiries(sender_id)
    assert (enquiry.contact.name, enquiry.contact.organisation.name, enquiry.contact.email) == \
        ("Luc Hoffmann", "SkyDrop", email)
    (mail,) = stack.mails_replying_to(email)
    assert "Luc Hoffmann" in mail.get_body(preferencelist=("plain",)).get_content()


def test_a_correction_of_an_earlier_field_at_a_later_step_changes_that_field(stack, sender_id):
    stack.say(sender_id, PROJECT)
    stack.say(sender_id, "/affirm")
    stack.say(sender_id, "/affirm")
    stack.say(sender_id, "John Mueller")
    stack.say(sender_id, "Klein Transports")
    email = f"paul-{sender_id[:8]}@klein.example"
    reply = stack.say(sender_id, "sorry, typo - my name is John Muller")
    assert "changed your name" in reply and "e-mail" in reply  # the e-mail step is asked again
    stack.say(sender_id, email)
    reply = stack.say(sender_id, "the company is called Klein Logistics, not Klein Transports")
    assert "changed your organisation" in reply and "help you with" in reply
    stack.say(sender_id, "Funding for a pilot")
    assert "I've sent your enquiry" in stack.say(sender_id, "/affirm")
    (enquiry,) = stack.enquiries(sender_id)
    assert (enquiry.contact.name, enquiry.contact.organisation.name) == ("John Muller", "Klein Logistics")
    assert enquiry.need == "Funding for a pilot"


def test_declining_contact_at_the_proposal_logs_the_routed_project_anonymously(stack, sender_id):
    stack.say(sender_id, PROJECT)
    final = stack.say(sender_id, "No thanks, I'll contact them myself")
    assert "nobody can reply to you from here" in final and "AeroSpace" in final
    assert "info@luxinnovation.lu" in final
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.cluster_id == "aerospace" and enquiry.contact is None and not enquiry.outbox
    assert "Source:" in stack.say(sender_id, "Can I get money for an R&D project?")  # the bot listens again


def test_a_question_asked_with_a_project_gets_the_answer_and_the_routing_then_the_enquiry(stack, sender_id):
    messages = stack.send(sender_id, "We're developing a diagnostic test for sepsis; what funding could we get?")
    shown = "\n".join(m.get("text", "") for m in messages)
    assert "Source:" in shown and "BioHealth" in shown
    metadata = bot_metadata(stack, sender_id)
    assert any(m.get("entry") for m in metadata if m.get("text_key") == "answer.source")
    assert any(m.get("proposed_cluster") == "biohealth" for m in metadata)
    assert "may we store" in stack.say(sender_id, "/affirm").lower()  # the enquiry goes on as usual


def test_asking_for_a_person_mid_form_hands_off_with_what_was_collected(stack, sender_id):
    stack.say(sender_id, PROJECT)
    stack.say(sender_id, "/affirm")
    stack.say(sender_id, "/affirm")
    stack.say(sender_id, "Jane Doe")
    reply = stack.say(sender_id, "Actually, can I just talk to a person?")
    assert "a person will take this" in reply and "Source:" not in reply
    stack.say(sender_id, "Orbit SARL")
    email = f"person-{sender_id[:8]}@orbit.example"
    if "help you with" in stack.say(sender_id, email):
        stack.say(sender_id, "A meeting about our satellite software")
    stack.say(sender_id, "/affirm")
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.contact.name == "Jane Doe" and enquiry.status == "handed_off"
    assert [m.kind for m in enquiry.outbox] == ["handoff"]


def test_who_should_i_contact_names_the_advisor_gives_the_general_contact_and_logs_the_project(stack, sender_id):
    shown = stack.say(sender_id, f"{PROJECT}. Who should I contact?")
    assert "AeroSpace" in shown and "would take it" in shown and "info@luxinnovation.lu" in shown
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.cluster_id == "aerospace" and enquiry.contact is None and not enquiry.outbox


def test_a_french_question_with_a_project_gets_both(stack, sender_id):
    shown = stack.say(sender_id, "Nous développons un test de diagnostic pour la septicémie. Quels financements "
                                 "pouvons-nous obtenir ?")
    assert "Source" in shown and "BioHealth" in shown
