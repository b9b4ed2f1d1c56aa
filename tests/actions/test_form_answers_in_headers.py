"""A line break or control character typed into the contact form never reaches a mail header: the form keeps
one line (the subject is made one line too, see tests/unit/test_handoff_compose.py), and the hand-off is delivered
(issue 13, finding 2)."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.contact import ValidateContactForm
from actions.handoff import ActionHandoff
from handoff import sender
from members.db import session_factory
from members.models import OutboxMessage
from tests.actions.conftest import tracker

INJECTION = "Acme SA\r\nBcc: everyone@example.org\n\x00\x1b[2J\u2028Cc: x@example.org\u202e"


@pytest.mark.parametrize("slot, typed, kept", [
    # An address typed with a name is the e-mail, never part of the name (issue 14).
    ("name", "Jane\r\nBcc: everyone@example.org", {"name": "Jane Bcc", "email": "everyone@example.org"}),
    ("name", "My name is\nJane\tDoe\x07", {"name": "Jane Doe"}),
    ("organisation", INJECTION, {"organisation": "Acme SA Bcc", "email": "everyone@example.org"}),
    ("organisation", "  Orbit\u0085SARL \x7f", {"organisation": "Orbit SARL"}),
    ("phone", "+352 43\n62 63-1", {"phone": "+352 43 62 63-1"}),
])
def test_the_form_keeps_one_line_without_control_characters(slot, typed, kept):
    validate = getattr(ValidateContactForm(), f"validate_{slot}")
    slots = validate(typed, CollectingDispatcher(), tracker({}), {})
    assert {field: slots[field] for field in kept} == kept


def test_a_hand_off_with_a_line_break_typed_in_the_organisation_reaches_the_advisor(actions_db, smtp_server):
    form = ValidateContactForm()
    typed = {"name": "Jane\nDoe", "organisation": INJECTION}
    slots = {"consent": True, "profile": "sme", "email": "jane@acme.example", "phone": "skipped",
             "handoff_reason": "visitor_asked"}
    for slot, text in typed.items():
        slots.update(getattr(form, f"validate_{slot}")(text, CollectingDispatcher(), tracker({}), {}))
    conversation = uuid.uuid4().hex
    asyncio.run(ActionHandoff().run(CollectingDispatcher(), tracker(slots, sender_id=conversation), {}))
    connect = sender.smtp_factory("127.0.0.1", smtp_server.port, "none", "", "", 5)
    assert sender.deliver_due(session_factory(actions_db), connect, "FirstStop <f@example.org>", 3) == {"sent": 1}
    (recipients, mail), = smtp_server.handler.messages
    assert mail["Subject"] == "New enquiry — General — Acme SA Bcc"
    assert mail["Bcc"] is None and mail["Cc"] is None and recipients == [mail["To"]]
    with session_factory(actions_db)() as session:
        assert session.scalars(select(OutboxMessage.status)).all() == ["sent"]
