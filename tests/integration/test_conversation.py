"""End to end through the REST channel: a Rasa server with the trained model, the action server,
the member database (SQLite and PostgreSQL) and a real SMTP server on loopback."""
from __future__ import annotations

from sqlalchemy import select

from members.db import session_factory
from members.models import Contact, Enquiry, OutboxMessage
from tests.conftest import eventually


def test_greeting_says_what_the_bot_can_do(stack, sender_id):
    messages = stack.send(sender_id, "hello")
    assert "R&D funding" in messages[0]["text"]
    assert "Talk to a person" in [b["title"] for b in messages[0]["buttons"]]


def test_question_is_answered_from_the_knowledge_base_with_its_source(stack, sender_id):
    reply = stack.say(sender_id, "Can I get money for an R&D project?")
    assert "Ministry of the Economy" in reply
    assert "Source: [Guichet.lu" in reply and "](https://" in reply and "checked on" in reply


def test_project_is_routed_and_the_contact_logged(stack, sender_id):
    reply = stack.say(sender_id, "We develop anti-corrosion coatings for steel structures")
    assert "SurfMat" in reply and "Is that right?" in reply
    assert "may we store" in stack.say(sender_id, "yes").lower()
    stack.say(sender_id, "yes")
    stack.say(sender_id, "Jane Doe")
    stack.say(sender_id, "Acme Coatings SA")
    assert "help you with" in stack.say(sender_id, "jane@acme-coatings.example")
    review = stack.say(sender_id, "Funding for a pilot line")
    assert "Here is what I'll send" in review and "jane@acme-coatings.example" not in review  # masked
    final = stack.say(sender_id, "/affirm")
    assert "Thank you!" in final and "the e-mail address you gave" in final
    assert "Jane Doe" not in final and "jane@acme-coatings.example" not in final  # never read back (finding 5)
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry is not None and enquiry.cluster_id == "surfmat"
    assert enquiry.contact.email == "jane@acme-coatings.example"
    assert enquiry.contact.name == "Jane Doe"


def test_asking_for_a_person_sends_an_email_to_staff(stack, sender_id):
    assert "advisors" in stack.say(sender_id, "I want to talk to someone about EU research funding")
    stack.say(sender_id, "yes")
    stack.say(sender_id, "Marc Weber")
    stack.say(sender_id, "none")
    stack.say(sender_id, "marc.weber@research.example")
    stack.say(sender_id, "Which EU programme fits our research")
    final = stack.say(sender_id, "/affirm")
    assert "sent your enquiry" in final
    mails = stack.mails_replying_to("marc.weber@research.example")
    assert mails, "the hand-off e-mail did not reach the SMTP server"
    mail = mails[0]
    assert mail["Subject"].startswith("New enquiry — General")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "EU research funding" in body and "Marc Weber" in body

    def statuses() -> list[str]:  # the SMTP server has it; the sender marks it sent just after
        with session_factory(stack.database_url)() as session:
            return session.scalars(select(OutboxMessage.status).join(Enquiry).where(
                Enquiry.conversation_id == sender_id)).all()

    assert eventually(lambda: statuses() == ["sent"])
    with session_factory(stack.database_url)() as session:
        assert session.scalars(select(Contact).where(Contact.email == "marc.weber@research.example")).one()
