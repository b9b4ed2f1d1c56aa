"""The cap on staff e-mails per client address and hour, as the actions apply it: beyond it the enquiry is still
logged and the visitor told the truth, and the e-mail waits as "held" until staff release it (issue 13, finding 3)."""
from __future__ import annotations

import asyncio
import uuid

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.handoff import ActionHandoff
from handoff import outbox, sender
from members.db import session_factory
from members.models import Enquiry, OutboxMessage
from tests.actions.conftest import CLIENT_KEY, texts, tracker

SLOTS = {"consent": True, "profile": "sme", "name": "Flo Oder", "organisation": "none", "phone": "skipped",
         "handoff_reason": "visitor_asked"}
OTHER_CLIENT = "cd" * 32


def hand_off(client_key: str | None) -> tuple[str, list[str]]:
    """One complete hand-off from a new conversation: its id and what the visitor was told."""
    conversation = uuid.uuid4().hex
    dispatcher = CollectingDispatcher()
    slots = {**SLOTS, "email": f"{conversation[:10]}@flood.example"}
    asyncio.run(ActionHandoff().run(dispatcher, tracker(slots, sender_id=conversation, client_key=client_key), {}))
    return conversation, texts(dispatcher)


def outbox_by_conversation(db_url: str) -> dict[str, OutboxMessage]:
    with session_factory(db_url)() as session:
        rows = session.execute(select(Enquiry.conversation_id, OutboxMessage).join(OutboxMessage.enquiry)).all()
        return {conversation: message for conversation, message in rows}


def test_mails_beyond_the_cap_are_held_but_the_enquiries_logged_and_the_visitor_told_the_truth(
        actions_on, db_url, smtp_server):
    actions_on(db_url, STAFF_MAILS_PER_ADDRESS_HOUR="2")
    runs = [hand_off(CLIENT_KEY) for _ in range(4)]
    other, _ = hand_off(OTHER_CLIENT)
    for _, replies in runs:
        assert any("sent your enquiry" in r for r in replies), replies
    mails = outbox_by_conversation(db_url)
    assert len(mails) == 5  # every enquiry is logged with its e-mail
    assert [mails[c].status for c, _ in runs] == ["pending", "pending", "held", "held"]
    assert mails[other].status == "pending" and {m.client_key for m in mails.values()} == {CLIENT_KEY, OTHER_CLIENT}
    connect = sender.smtp_factory("127.0.0.1", smtp_server.port, "none", "", "", 5)
    assert sender.deliver_due(session_factory(db_url), connect, "FirstStop <f@example.org>", 3) == {"sent": 3}
    held = mails[runs[2][0]]
    with session_factory(db_url).begin() as session:  # a person looks and releases one
        assert outbox.release(session, held.id)
    assert sender.deliver_due(session_factory(db_url), connect, "FirstStop <f@example.org>", 3) == {"sent": 1}
    assert held.message_id in [m["Message-ID"] for _, m in smtp_server.handler.messages]
    assert outbox_by_conversation(db_url)[runs[3][0]].status == "held"


def test_without_a_client_key_or_with_the_cap_off_nothing_is_held(actions_on, db_url):
    actions_on(db_url, STAFF_MAILS_PER_ADDRESS_HOUR="0")
    for _ in range(3):
        hand_off(CLIENT_KEY)
    actions_on(db_url, STAFF_MAILS_PER_ADDRESS_HOUR="1")
    for _ in range(2):
        hand_off(None)
    assert {m.status for m in outbox_by_conversation(db_url).values()} == {"pending"}
