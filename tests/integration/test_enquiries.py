"""Every enquiry reaches its advisor (issue 14), end to end through the REST channel and a real SMTP server:
each kind of enquiry produces exactly one staff e-mail with the right fields, an anonymous one none (and the
visitor is told so), and what the visitor is told about the reply is the due time the console tracks."""
from __future__ import annotations

from sqlalchemy import select

from members.db import session_factory
from members.models import EnquiryFollowup, OutboxMessage
from tests.conftest import eventually


def mails_for(stack, sender_id: str, count: int = 1) -> list:
    """The e-mails about this conversation the SMTP server accepted, once there are `count` of them."""
    def about():
        found = [m for _, m in stack.smtp.handler.messages
                 if f"/conversations/{sender_id}" in m.get_body(preferencelist=("plain",)).get_content()]
        return found if len(found) >= count else None
    return eventually(about)


def outbox_kinds(stack, enquiry_id: int) -> list[str]:
    with session_factory(stack.database_url)() as session:
        return session.scalars(select(OutboxMessage.kind).where(OutboxMessage.enquiry_id == enquiry_id)).all()


def test_a_routed_lead_mails_its_advisor_once_with_the_structured_summary(stack, sender_id):
    assert "AeroSpace" in stack.say(sender_id, "We build star trackers for small satellites")
    assert "may we store" in stack.say(sender_id, "yes").lower()
    stack.say(sender_id, "yes")
    assert "organisation" in stack.say(sender_id, "Paul Person")  # a name the classifier may take for a command
    stack.say(sender_id, "Orbit SARL")
    assert "help you with" in stack.say(sender_id, "paul.person@orbit.example")
    review = stack.say(sender_id, "Funding for a qualification campaign")
    assert "Here is what I'll send to" in review and "Funding for a qualification campaign" in review
    final = stack.say(sender_id, "/affirm")
    assert "I've sent your enquiry to" in final and "working hour" in final
    (enquiry,) = stack.enquiries(sender_id)
    assert (enquiry.kind, enquiry.cluster_id, enquiry.need) == ("project", "aerospace",
                                                               "Funding for a qualification campaign")
    assert enquiry.due_at is not None and outbox_kinds(stack, enquiry.id) == ["enquiry"]
    (mail,) = mails_for(stack, sender_id)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert mail["To"] == enquiry.advisor.email and mail["Reply-To"] == "paul.person@orbit.example"
    for field in ("What they need: Funding for a qualification campaign", "Project: We build star trackers",
                  "AeroSpace", "Consent: yes", "Language: English", "Reply due:",
                  f"/conversations/{sender_id}/acknowledge", "Name: Paul Person"):
        assert field in body, field


def test_cancel_typed_in_the_form_stops_it_and_nothing_is_sent(stack, sender_id):
    stack.say(sender_id, "We build star trackers for small satellites")
    stack.say(sender_id, "yes")
    stack.say(sender_id, "yes")
    assert "stopped there" in stack.say(sender_id, "cancel")
    assert not stack.enquiries(sender_id)


def test_talk_to_a_person_mails_one_hand_off(stack, sender_id):
    assert "advisors" in stack.say(sender_id, "I want to talk to a person")
    stack.say(sender_id, "/affirm")
    stack.say(sender_id, "Anna Muller")
    stack.say(sender_id, "none")
    assert "help you with" in stack.say(sender_id, "anna@example.org")
    stack.say(sender_id, "Which aid fits a first prototype")
    assert "I've sent your enquiry" in stack.say(sender_id, "/affirm")
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.kind == "handoff" and outbox_kinds(stack, enquiry.id) == ["handoff"]
    (mail,) = mails_for(stack, sender_id)
    assert "What they need: Which aid fits a first prototype" in mail.get_body(preferencelist=("plain",)).get_content()


def test_an_anonymous_enquiry_is_logged_unmailed_and_the_visitor_told_the_general_contact(stack, sender_id):
    stack.say(sender_id, "We build star trackers for small satellites")
    stack.say(sender_id, "yes")
    assert "won't store" in stack.say(sender_id, "no, stay anonymous")
    final = stack.say(sender_id, "Information on space funding")
    assert "nobody can reply to you from here" in final and "info@luxinnovation.lu" in final
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.contact is None and enquiry.need == "Information on space funding" and not enquiry.outbox


def test_a_privacy_request_goes_to_the_general_inbox(stack, sender_id):
    assert "privacy request" in stack.say(sender_id, "I want to delete my data")
    stack.say(sender_id, "/affirm")
    stack.say(sender_id, "Lena Hoffmann")
    assert "Here is what I'll send" in stack.say(sender_id, "lena@example.org")
    assert "privacy request is with our team" in stack.say(sender_id, "/affirm")
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.kind == "privacy" and outbox_kinds(stack, enquiry.id) == ["privacy"]
    (mail,) = mails_for(stack, sender_id)
    assert mail["To"] == "info@example.org" and mail["Subject"].startswith("Privacy request")


def test_messages_after_the_enquiry_are_follow_ups_that_never_overwrite_it(stack, sender_id):
    stack.say(sender_id, "We build star trackers for small satellites")
    for said in ("yes", "yes", "Paul Person", "Orbit SARL", "paul.f@orbit.example", "A first meeting", "/affirm"):
        stack.say(sender_id, said)
    assert "added that to your enquiry" in stack.say(sender_id, "We also develop sun sensors for cubesats")
    (enquiry,) = stack.enquiries(sender_id)
    assert enquiry.summary == "We build star trackers for small satellites"
    with session_factory(stack.database_url)() as session:
        assert session.scalars(select(EnquiryFollowup.text).where(EnquiryFollowup.enquiry_id == enquiry.id)).all() == [
            "We also develop sun sensors for cubesats"]
    assert outbox_kinds(stack, enquiry.id) == ["enquiry"]
